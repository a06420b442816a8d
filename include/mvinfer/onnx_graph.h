// Reading ONNX files as graphs (through libonnx, not ONNX Runtime): opset, producer, parameter
// count and FLOPs, for `info`, `zoo` and `bench`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mvinfer/tensor.h"

namespace mvinfer {

struct GraphStats {
  std::string producer;           // producer_name + " " + producer_version
  int64_t opset = 0;              // default-domain opset
  int64_t ir_version = 0;
  int64_t parameters = 0;         // elements in all initializers
  int64_t file_bytes = 0;
  // FLOPs of one inference (2 x multiply-adds of Conv, Gemm and MatMul, after shape inference
  // with the given input dims); -1 when shapes could not be inferred.
  double flops = -1;
  std::vector<TensorInfo> inputs;   // graph inputs that are not initializers
  std::vector<TensorInfo> outputs;
};

// `dims` gives values for dynamic input dims by symbolic name or position ("0" = batch);
// unresolved dynamic dims count as 1. Throws Error{bad_model} naming `path` when it is not an
// ONNX model.
GraphStats inspect_graph(const std::string& path, const std::map<std::string, int64_t>& dims = {});

}  // namespace mvinfer
