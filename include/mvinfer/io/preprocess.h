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
#include <vector>

namespace mvinfer {

enum class ColorOrder { rgb, bgr };
enum class Layout { nchw, nhwc };
// How an image is fitted into the input's width x height:
//   stretch   resized to exactly that size (aspect ratio not kept);
//   letterbox scaled to fit inside, keeping the aspect ratio, centred, the rest zero;
//   pad       scaled to the input's height keeping the aspect ratio (at most the input's width),
//             placed at the left, the rest zero (PaddleOCR's text classifier and recogniser);
//   pad-grow  as pad, but the width grows to the widest image of the call (dynamic-width inputs).
// "zero" is 0 in the model's input values, after scale, mean and std.
enum class Resize { stretch, letterbox, pad, pad_grow };

struct PreprocessSpec {
  int width = 0;  // target size; 0 = not resolved yet (from the model or a default size)
  int height = 0;
  ColorOrder color = ColorOrder::rgb;
  Layout layout = Layout::nchw;
  Resize resize = Resize::stretch;
  float scale = 1.0f / 255.0f;
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> std{1.0f, 1.0f, 1.0f};

  int64_t elements() const { return int64_t{3} * width * height; }
  // The input tensor's shape for `rows` images: rows x 3 x H x W, or rows x H x W x 3.
  std::vector<int64_t> shape(int64_t rows) const {
    return layout == Layout::nchw ? std::vector<int64_t>{rows, 3, height, width}
                                  : std::vector<int64_t>{rows, height, width, 3};
  }
  bool operator==(const PreprocessSpec&) const = default;
};

// "WxH" -> {width, height}, each from 1 to kMaxSide. Throws Error{bad_flag} about option
// "size" otherwise ("size '64by64': expected WxH ...").
inline constexpr int kMaxSide = 65536;
std::pair<int, int> parse_size(std::string_view wxh);

// Human-readable form, e.g. "256x256 rgb nchw scale=0.00392157 mean=0/0/0 std=1/1/1".
std::string to_string(const PreprocessSpec& spec);

// Writes one preprocessed image into `out` (exactly spec.elements() floats), fitted as
// spec.resize says. `bgr` is CV_8UC3. Throws Error{internal} on a size mismatch.
void preprocess_frame(const cv::Mat& bgr, const PreprocessSpec& spec, std::span<float> out);

// Where an image of image_width x image_height lands in the input under spec.resize (the
// decoders map their coordinates back through it).
struct InputMapping;
InputMapping input_mapping(const PreprocessSpec& spec, int image_width, int image_height);

std::string_view to_string(Resize r);

}  // namespace mvinfer
