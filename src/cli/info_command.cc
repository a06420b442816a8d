// mvinfer info: what a model takes and gives, and what it costs.
#include <fmt/format.h>

#include "commands.h"
#include "mvinfer/error.h"
#include "mvinfer/onnx_graph.h"
#include "mvinfer/tensor.h"

namespace mvinfer::cli {

Command add_info_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto dims = std::make_shared<std::vector<std::string>>();
  CLI::App* i = app.add_subcommand("info", "Describe an ONNX model");
  i->add_option("model", *path, "The .onnx file")->required();
  i->add_option("--dim", *dims, "NAME=VALUE for a dynamic input dim (for the FLOPs count)");
  return [path, dims] {
    std::map<std::string, int64_t> values{{"0", 1}};
    for (const std::string& d : *dims) {
      auto eq = d.find('=');
      int64_t v = 0;
      try {
        v = eq == std::string::npos ? 0 : std::stoll(d.substr(eq + 1));
      } catch (const std::exception&) {
      }
      if (v <= 0)
        throw Error(ErrorCode::bad_flag, fmt::format("--dim '{}': expected NAME=VALUE with a positive value", d));
      values[d.substr(0, eq)] = v;
    }
    GraphStats s = inspect_graph(*path, values);
    fmt::print("model:      {}\n", *path);
    fmt::print("file size:  {:.2f} MiB\n", static_cast<double>(s.file_bytes) / (1 << 20));
    fmt::print("producer:   {}\n", s.producer.empty() ? "(none)" : s.producer);
    fmt::print("opset:      {} (IR version {})\n", s.opset, s.ir_version);
    fmt::print("parameters: {} ({:.2f} M)\n", s.parameters, static_cast<double>(s.parameters) / 1e6);
    for (const TensorInfo& t : s.inputs)
      fmt::print("input:      {}  {}  {}\n", t.name, t.element_type, format_shape(t));
    for (const TensorInfo& t : s.outputs)
      fmt::print("output:     {}  {}  {}\n", t.name, t.element_type, format_shape(t));
    if (s.flops >= 0)
      fmt::print("FLOPs:      {:.3f} G per call at batch 1 (Conv, Gemm, MatMul; unset dynamic dims = 1)\n",
                 s.flops / 1e9);
    else
      fmt::print("FLOPs:      n/a (shapes could not be inferred; give --dim NAME=VALUE)\n");
    return 0;
  };
}

}  // namespace mvinfer::cli
