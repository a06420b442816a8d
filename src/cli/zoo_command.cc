// mvinfer zoo: writes benchmark models of similar cost with random weights.
#include <fmt/format.h>

#include <charconv>

#include "commands.h"
#include "mvinfer/core/error.h"
#include "mvinfer/tools/zoo.h"

namespace mvinfer::cli {
namespace {

// "3x256x256" -> channels, height, width.
void parse_input(const std::string& v, ZooOptions& o) {
  int parts[3] = {0, 0, 0};
  const char* p = v.data();
  const char* end = v.data() + v.size();
  for (int i = 0; i < 3; ++i) {
    auto r = std::from_chars(p, end, parts[i]);
    const bool last = i == 2;
    if (r.ec != std::errc() || parts[i] <= 0 ||
        (last ? r.ptr != end : (r.ptr == end || *r.ptr != 'x')))
      throw Error(
          ErrorCode::bad_flag,
          fmt::format("--input '{}': expected CxHxW with positive integers, e.g. 3x256x256", v));
    p = r.ptr + 1;
  }
  o.channels = parts[0];
  o.height = parts[1];
  o.width = parts[2];
}

}  // namespace

Command add_zoo_command(CLI::App& app) {
  auto o = std::make_shared<ZooOptions>();
  auto out = std::make_shared<std::string>();
  auto input = std::make_shared<std::string>("3x256x256");
  CLI::App* z = app.add_subcommand("zoo", "Write benchmark CNNs of similar cost (random weights)");
  z->add_option("--out", *out, "Directory to write zoo<i>.onnx into")->required();
  z->add_option("--count", o->count, "Number of models")->default_val(4);
  z->add_option("--input", *input, "Input CxHxW (the batch dim is dynamic)")
      ->default_val("3x256x256");
  z->add_option("--width", o->width_mult, "Channels of the first stage (cost ~ width^2)")
      ->default_val(o->width_mult);
  z->add_option("--depth", o->depth, "Residual blocks per stage")->default_val(o->depth);
  z->add_option("--classes", o->classes, "Size of the output")->default_val(o->classes);
  z->add_option("--seed", o->seed, "Random seed of the weights")->default_val(o->seed);
  z->add_option("--only-batch", o->only_batch,
                "For failure tests: models that fail in Run() on a batch of another size "
                "(0: any batch)")
      ->default_val(0);
  return [o, out, input] {
    parse_input(*input, *o);
    for (const ZooModel& m : write_zoo(*out, *o))
      fmt::print("{}  {:.2f} M parameters  {:.3f} GFLOPs per image ({:.2f} per batch of 4)\n",
                 m.path, static_cast<double>(m.parameters) / 1e6, m.flops / 1e9, 4 * m.flops / 1e9);
    return 0;
  };
}

}  // namespace mvinfer::cli
