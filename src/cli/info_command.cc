// placeholder until the real command lands
#include "commands.h"
namespace mvinfer::cli {
Command add_info_command(CLI::App& app) {
  app.add_subcommand("info", "(not yet)");
  return [] { return 1; };
}
}  // namespace mvinfer::cli
