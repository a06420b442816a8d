// The rules of the GPU paths, as pure functions on what the model declares and what the device
// has, so that they are unit-tested without a GPU (tests/gpu_rules_test.cc): which outputs
// have a shape known before Run() (bound to pinned host buffers of ours), which models a CUDA
// graph can replay, and how much of the device each session's memory arena may take.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/core/tensor.h"

namespace mvinfer {

// Rule `output_shape_for`: the shape `output` has when `input` is given `rows` rows, when the
// declaration alone decides it: every dim static, except a dynamic first dim that has the same
// (non-empty) symbolic name as the input's dynamic first dim, which is `rows`. nullopt when
// some dim depends on the data (detections, an unnamed dynamic dim).
std::optional<std::vector<int64_t>> output_shape_for(const TensorInfo& output,
                                                     const TensorInfo& input, int64_t rows);

// Rule `cuda_graph_blocker`: why a CUDA graph cannot replay `spec`'s Run(), "" when it can. A
// graph replays the same kernels on the same addresses, so every call must have the same
// shapes: not a model on regions (`on`: rows and widths vary), not a max_side rule (the size
// follows each frame), not an output whose shape depends on the data (output_shape_for) or that is
// not float32. The input's rows are always the full batch (a short last batch is padded).
std::string cuda_graph_blocker(const ModelSpec& spec);

// Rule `gpu_arena_limit`: the most one session's GPU memory arena may hold when `sessions`
// sessions share a device of `device_bytes`: kGpuArenaShare of it divided among them, and at
// least kGpuArenaFloor (or the whole device, when smaller). ONNX Runtime's default is no limit,
// so that with several sessions (or processes) the first to grow takes the device. The device's
// size, not what is free now, so that the same run asks for the same sessions each time (a
// cached session is reused only with equal settings). 0 (unknown): 0, no limit.
inline constexpr double kGpuArenaShare = 0.8;
inline constexpr uint64_t kGpuArenaFloor = uint64_t{256} << 20;
uint64_t gpu_arena_limit(uint64_t device_bytes, int sessions);

}  // namespace mvinfer
