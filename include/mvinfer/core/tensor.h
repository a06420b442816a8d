// Tensor: a dense float32 array with a shape, the unit that flows between preprocessing, models
// and result sinks. TensorInfo describes a model's input or output as the model declares it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mvinfer {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  // The product of the dims; -1 when a dim is negative (dynamic) or the product overflows.
  static int64_t element_count(const std::vector<int64_t>& shape);
  // Returns a tensor of the given shape, zero-filled.
  static Tensor zeros(std::vector<int64_t> shape);
};

// A model input or output as declared in the ONNX graph. Dynamic dimensions have value -1
// and, when the graph names them, their symbolic name in dim_names (empty otherwise).
struct TensorInfo {
  std::string name;
  std::string element_type;  // "float32", "int64", ...
  std::vector<int64_t> shape;
  std::vector<std::string> dim_names;
};

// "1x3x?x?": dynamic dims as their symbolic name, or '?' when unnamed.
std::string format_shape(const TensorInfo& info);
std::string format_shape(const std::vector<int64_t>& shape);

}  // namespace mvinfer
