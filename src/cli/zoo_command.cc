// placeholder until the real command lands
#include "commands.h"
namespace mvinfer::cli {
Command add_zoo_command(CLI::App& app) {
  app.add_subcommand("zoo", "(not yet)");
  return [] { return 1; };
}
}  // namespace mvinfer::cli
