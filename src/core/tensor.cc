#include "mvinfer/core/tensor.h"

namespace mvinfer {

int64_t Tensor::element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return -1;
  return n;
}

Tensor Tensor::zeros(std::vector<int64_t> shape) {
  Tensor t;
  t.data.assign(static_cast<size_t>(element_count(shape)), 0.0f);
  t.shape = std::move(shape);
  return t;
}

std::string format_shape(const TensorInfo& info) {
  std::string s;
  for (size_t i = 0; i < info.shape.size(); ++i) {
    if (i) s += 'x';
    if (info.shape[i] >= 0)
      s += std::to_string(info.shape[i]);
    else if (i < info.dim_names.size() && !info.dim_names[i].empty())
      s += info.dim_names[i];
    else
      s += '?';
  }
  return s;
}

std::string format_shape(const std::vector<int64_t>& shape) {
  TensorInfo info;
  info.shape = shape;
  return format_shape(info);
}

}  // namespace mvinfer
