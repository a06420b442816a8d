// mvinfer info: what a model takes and gives, and what it costs.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/tensor.h"
#include "mvinfer/tools/onnx_graph.h"

namespace mvinfer::cli {
namespace {

// "NAME=VALUE" with a positive VALUE; NAME is a symbolic dim name or a position.
std::pair<std::string, int64_t> parse_dim(const std::string& d) {
  const auto eq = d.find('=');
  int64_t v = 0;
  const char* end = d.data() + d.size();
  const auto r = eq == std::string::npos ? std::from_chars_result{end, std::errc::invalid_argument}
                                         : std::from_chars(d.data() + eq + 1, end, v);
  if (eq == 0 || r.ec != std::errc() || r.ptr != end || v <= 0)
    throw Error(ErrorCode::bad_flag,
                fmt::format("--dim '{}': expected NAME=VALUE with a positive VALUE, NAME a "
                            "dynamic dim's name or its position (e.g. --dim 2=640)",
                            d));
  return {d.substr(0, eq), v};
}

}  // namespace

Command add_info_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto dims = std::make_shared<std::vector<std::string>>();
  CLI::App* i = app.add_subcommand("info", "Describe an ONNX model");
  i->add_option("model", *path, "The .onnx file")->required();
  i->add_option("--dim", *dims,
                "NAME=VALUE: a dynamic input dim for the FLOPs count, by its name or its position "
                "(0 = batch, 1 by default)");
  return [path, dims] {
    std::map<std::string, int64_t> values;
    for (const std::string& d : *dims) {
      auto [name, value] = parse_dim(d);
      values.insert_or_assign(name, value);
    }
    // inspect_graph() refuses dims the model does not have, and assumes no value.
    GraphStats s = inspect_graph(*path, values);
    // FLOPs per image unless told otherwise: a dynamic batch not given counts as 1.
    if (!values.contains("0") &&
        std::any_of(s.dynamic_dims.begin(), s.dynamic_dims.end(),
                    [](const DynamicDim& d) { return d.position == 0 && !d.given; })) {
      values.emplace("0", 1);
      s = inspect_graph(*path, values);
    }
    std::string checker = "passes";
    try {
      check_model(*path);
    } catch (const Error& e) {
      // Still worth describing: ONNX Runtime may load what the checker refuses.
      checker = e.what();
      if (const std::string named = fmt::format("model '{}': ", *path); checker.starts_with(named))
        checker.erase(0, named.size());
    }

    fmt::print("model:      {}\n", *path);
    fmt::print("file size:  {:.2f} MiB ({} bytes)\n", static_cast<double>(s.file_bytes) / (1 << 20),
               s.file_bytes);
    fmt::print("producer:   {}\n", s.producer.empty() ? "(none)" : s.producer);
    fmt::print("opset:      {} (IR version {})\n", s.opset, s.ir_version);
    fmt::print("checker:    {}\n", checker);
    fmt::print("parameters: {} ({:.2f} M)\n", s.parameters,
               static_cast<double>(s.parameters) / 1e6);
    for (const TensorInfo& t : s.inputs)
      fmt::print("input:      {}  {}  {}\n", t.name, t.element_type, format_shape(t));
    for (const TensorInfo& t : s.outputs)
      fmt::print("output:     {}  {}  {}\n", t.name, t.element_type, format_shape(t));

    std::string given, missing;
    int example = 0;  // the position of a missing dim, for the hint
    for (const DynamicDim& d : s.dynamic_dims) {
      std::string& list = d.given ? given : missing;
      list += list.empty() ? "" : ", ";
      if (d.given) {
        list += fmt::format(
            "{}={}", d.name.empty() ? fmt::format("{}[{}]", d.input, d.position) : d.name, d.value);
      } else {
        list += to_string(d);
        example = d.position;
      }
    }
    if (!missing.empty())
      fmt::print(
          "FLOPs:      n/a: no value for {}; give --dim NAME=VALUE (a position works as "
          "NAME, e.g. --dim {}=640)\n",
          missing, example);
    else if (s.flops < 0)
      fmt::print(
          "FLOPs:      n/a (shape inference could not settle every Conv, Gemm and MatMul)\n");
    else
      fmt::print("FLOPs:      {} per call{}{} (Conv, Gemm, MatMul)\n",
                 s.flops < 1e7 ? fmt::format("{:.3f} M", s.flops / 1e6)
                               : fmt::format("{:.3f} G", s.flops / 1e9),
                 given.empty() ? "" : " with ", given);
    return 0;
  };
}

}  // namespace mvinfer::cli
