#include "mvinfer/core/gpu_rules.h"

#include <fmt/format.h>

#include <algorithm>

namespace mvinfer {

std::optional<std::vector<int64_t>> output_shape_for(const TensorInfo& output,
                                                     const TensorInfo& input, int64_t rows) {
  std::vector<int64_t> shape = output.shape;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] >= 0) continue;
    const std::string name = k < output.dim_names.size() ? output.dim_names[k] : "";
    const bool batch = k == 0 && !input.shape.empty() && input.shape[0] < 0 && !name.empty() &&
                       !input.dim_names.empty() && input.dim_names[0] == name;
    if (!batch) return std::nullopt;
    shape[k] = rows;
  }
  return shape;
}

std::string cuda_graph_blocker(const ModelSpec& spec) {
  if (!spec.on.empty())
    return fmt::format("it runs on the regions of '{}', whose count and sizes vary", spec.on);
  if (spec.max_side > 0) return "its input size follows each frame (max_side)";
  const int64_t rows = spec.model_batch > 0 ? spec.model_batch : spec.batch;
  for (const TensorInfo& o : spec.outputs) {
    if (o.element_type != "float32")
      return fmt::format("output '{}' is {} (the graph's buffers hold float32)", o.name,
                         o.element_type);
    if (!output_shape_for(o, spec.input, rows))
      return fmt::format("output '{}' ({}) has a shape that depends on the data", o.name,
                         format_shape(o));
  }
  return "";
}

uint64_t gpu_arena_limit(uint64_t device_bytes, int sessions) {
  if (device_bytes == 0) return 0;
  const auto share = static_cast<uint64_t>(static_cast<double>(device_bytes) * kGpuArenaShare /
                                           std::max(1, sessions));
  return std::max(share, std::min(device_bytes, kGpuArenaFloor));
}

}  // namespace mvinfer
