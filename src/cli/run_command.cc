// placeholder until the real command lands
#include "commands.h"
namespace mvinfer::cli {
Command add_run_command(CLI::App& app) {
  app.add_subcommand("run", "(not yet)");
  return [] { return 1; };
}
}  // namespace mvinfer::cli
