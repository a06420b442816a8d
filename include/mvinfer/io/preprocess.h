// Preprocess: frame -> model input. Resize to the model's input size (bilinear, OpenCV's
// INTER_LINEAR), reorder colours, scale and normalise, and lay out as CHW (or HWC):
//     out[c][y][x] = (pixel(y, x, c) * scale - mean[c]) / std[c]
// where pixel channel c follows `color` (RGB: c=0 is red). Every value is exactly that float
// expression (no fused multiply-add, no precomputed reciprocal), so a plain per-pixel loop after
// the same cv::resize reproduces the output bit for bit.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace mvinfer {

enum class ColorOrder { rgb, bgr };
enum class Layout { nchw, nhwc };

struct PreprocessSpec {
  int width = 0;  // target size; 0 = not resolved yet (from the model or a default size)
  int height = 0;
  ColorOrder color = ColorOrder::rgb;
  Layout layout = Layout::nchw;
  float scale = 1.0f / 255.0f;
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> std{1.0f, 1.0f, 1.0f};

  int64_t elements() const { return int64_t{3} * width * height; }
  bool operator==(const PreprocessSpec&) const = default;
};

// "WxH" -> {width, height}, each from 1 to kMaxSide. Throws Error{bad_flag} about option
// "size" otherwise ("size '64by64': expected WxH ...").
inline constexpr int kMaxSide = 65536;
std::pair<int, int> parse_size(std::string_view wxh);

// Human-readable form, e.g. "256x256 rgb nchw scale=0.00392157 mean=0/0/0 std=1/1/1".
std::string to_string(const PreprocessSpec& spec);

// Writes one preprocessed image into `out` (exactly spec.elements() floats).
// `bgr` is CV_8UC3. Throws Error{internal} on a size mismatch.
void preprocess_frame(const cv::Mat& bgr, const PreprocessSpec& spec, std::span<float> out);

}  // namespace mvinfer
