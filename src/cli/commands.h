// The CLI's subcommands. Each add_*_command registers its flags on `app` and returns the
// function to call when that subcommand was chosen; that function returns the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace mvinfer::cli {

using Command = std::function<int()>;

Command add_run_command(CLI::App& app);
Command add_zoo_command(CLI::App& app);
Command add_info_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
// Distributed runs over Redis Streams (include/mvinfer/dist/).
Command add_submit_command(CLI::App& app);
Command add_worker_command(CLI::App& app);
Command add_collect_command(CLI::App& app);
Command add_status_command(CLI::App& app);

}  // namespace mvinfer::cli
