// mvinfer: runs several ONNX models on every frame of a video. Parses flags, calls the
// library, maps mvinfer::Error to a one-line message and an exit code.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/limits.h"

int main(int argc, char** argv) {
  // A closed pipe or stdout is an error the output reports (EPIPE, exit 5), not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  // A standard descriptor the caller closed would be reused by the next file opened, and
  // `--out -` would write into that file: hold each closed one on /dev/null, read-only for
  // stdout so that writing results there fails (EBADF) and is reported.
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      const int held = open("/dev/null", fd == STDERR_FILENO ? O_WRONLY : O_RDONLY);
      if (held >= 0 && held != fd) {
        dup2(held, fd);
        close(held);
      }
    }
  // Bounded malloc arenas: long streaming runs keep a flat RSS (rule malloc_arenas, limits.h).
  mvinfer::bound_malloc_arenas(std::getenv("MALLOC_ARENA_MAX"));
  CLI::App app{
      "mvinfer: run several ONNX models on every frame of a video, as fast as the "
      "machine allows, and show where the time went"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mvinfer 0.1.0");
  std::map<const CLI::App*, mvinfer::cli::Command> commands;
  auto add = [&](mvinfer::cli::Command (*adder)(CLI::App&)) {
    size_t before = app.get_subcommands({}).size();
    mvinfer::cli::Command command = adder(app);
    commands[app.get_subcommands({})[before]] = std::move(command);
  };
  add(mvinfer::cli::add_run_command);
  add(mvinfer::cli::add_zoo_command);
  add(mvinfer::cli::add_info_command);
  add(mvinfer::cli::add_bench_command);
  add(mvinfer::cli::add_submit_command);
  add(mvinfer::cli::add_worker_command);
  add(mvinfer::cli::add_collect_command);
  add(mvinfer::cli::add_status_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, naming the flag; CLI11's own text already says what was expected.
    std::fprintf(stderr, "mvinfer: error: %s (see mvinfer --help)\n",
                 mvinfer::cli::parse_error_message(app, e).c_str());
    return mvinfer::exit_code(mvinfer::ErrorCode::bad_flag);
  }
  try {
    for (const CLI::App* sub : app.get_subcommands()) return commands.at(sub)();
    return 0;
  } catch (const mvinfer::Error& e) {
    std::fprintf(stderr, "mvinfer: error: %s\n", mvinfer::cli::cli_message(e).c_str());
    return mvinfer::exit_code(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mvinfer: internal error: %s\n", e.what());
    return mvinfer::exit_code(mvinfer::ErrorCode::internal);
  }
}
