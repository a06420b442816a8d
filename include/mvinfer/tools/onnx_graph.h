// Reading ONNX files as graphs (through libonnx, not ONNX Runtime): inputs and outputs, opset,
// producer, parameter count and FLOPs, for `info`, `zoo` and `bench`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mvinfer/core/tensor.h"

namespace mvinfer {

// A dynamic dim of a graph input, and the value inspect_graph() was given for it.
struct DynamicDim {
  std::string input;
  int position = 0;
  std::string name;    // the dim's symbolic name; empty when unnamed
  int64_t value = 0;   // 0 when not given
  bool given = false;  // false: `dims` had no value for it, and no FLOPs were counted
};

// "NAME (INPUT position P)", or "INPUT position P" for an unnamed dim.
std::string to_string(const DynamicDim& dim);

struct GraphStats {
  std::string producer;  // producer_name + " " + producer_version
  int64_t opset = 0;     // default-domain opset
  int64_t ir_version = 0;
  int64_t parameters = 0;  // elements in all initializers and Constant nodes (at most int64 max)
  int64_t file_bytes = 0;
  // FLOPs of one inference (2 x multiply-adds of Conv, ConvTranspose, Gemm and MatMul, after
  // shape inference with the given input dims); -1 when a dynamic dim has no value or shapes
  // could not be inferred.
  double flops = -1;
  // The dynamic dims of the inputs, with the values the FLOPs count used for them.
  std::vector<DynamicDim> dynamic_dims;
  std::vector<TensorInfo> inputs;  // graph inputs that are not initializers
  std::vector<TensorInfo> outputs;
};

// `dims` gives values for dynamic input dims by symbolic name or by position ("0" = batch) in
// every input. A key that reaches no dynamic dim must reach static dims of its own value (so a
// caller can pass a model's H and W whether they are static or not). No value is ever assumed:
// without a value for every dynamic dim, FLOPs are not counted (flops is -1, and dynamic_dims
// says which dims lack one). Throws Error{bad_flag} about option "dim" when a key reaches no
// dim or contradicts a static one (listing the model's dynamic dims), and Error{bad_model}
// naming `path` when it is missing or not an ONNX model, or when shape inference reaches a node
// whose inputs or attributes its op does not take (a Conv on a rank-3 input with 4-D weights,
// a missing required attribute): naming the node and what it expected, where libonnx's own
// inference would have crashed or given up.
GraphStats inspect_graph(const std::string& path, const std::map<std::string, int64_t>& dims = {});

// Runs ONNX's checker on the file. Throws Error{bad_model} naming `path`, with the checker's
// complaint on one line, when the file is not a valid ONNX model.
void check_model(const std::string& path);

}  // namespace mvinfer
