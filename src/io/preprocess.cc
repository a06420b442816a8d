#include "mvinfer/io/preprocess.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "mvinfer/core/decoder.h"
#include "mvinfer/core/error.h"

namespace mvinfer {
namespace {

// Where the resized image goes inside the input: x, y, width, height.
cv::Rect placement(const PreprocessSpec& spec, int iw, int ih) {
  const int W = spec.width, H = spec.height;
  switch (spec.resize) {
    case Resize::stretch:
      break;
    case Resize::letterbox: {
      const double s = std::min(static_cast<double>(W) / iw, static_cast<double>(H) / ih);
      const int w = std::clamp(static_cast<int>(std::lround(iw * s)), 1, W);
      const int h = std::clamp(static_cast<int>(std::lround(ih * s)), 1, H);
      return {(W - w) / 2, (H - h) / 2, w, h};
    }
    case Resize::pad:
    case Resize::pad_grow: {
      const int w = static_cast<int>(std::ceil(static_cast<double>(H) * iw / ih));
      return {0, 0, std::clamp(w, 1, W), H};
    }
  }
  return {0, 0, W, H};
}

}  // namespace

std::string_view to_string(Resize r) {
  switch (r) {
    case Resize::stretch:
      return "stretch";
    case Resize::letterbox:
      return "letterbox";
    case Resize::pad:
      return "pad";
    case Resize::pad_grow:
      return "pad-grow";
  }
  return "?";
}

InputMapping input_mapping(const PreprocessSpec& spec, int image_width, int image_height) {
  const cv::Rect r = placement(spec, image_width, image_height);
  InputMapping m;
  m.input_width = spec.width;
  m.input_height = spec.height;
  m.scale_x = static_cast<double>(r.width) / image_width;
  m.scale_y = static_cast<double>(r.height) / image_height;
  m.pad_x = r.x;
  m.pad_y = r.y;
  m.image_width = image_width;
  m.image_height = image_height;
  return m;
}

std::pair<int, int> parse_size(std::string_view wxh) {
  // from_chars rejects signs, spaces and values beyond int; the range check does the rest.
  auto side = [](std::string_view s, int& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && v >= 1 && v <= kMaxSide;
  };
  const size_t x = wxh.find('x');
  int w = 0, h = 0;
  if (x == std::string_view::npos || !side(wxh.substr(0, x), w) || !side(wxh.substr(x + 1), h))
    throw Error(
        ErrorCode::bad_flag, Error::Option{"size"},
        fmt::format(" '{}': expected WxH with integers from 1 to {}, e.g. 256x256", wxh, kMaxSide));
  return {w, h};
}

std::string to_string(const PreprocessSpec& s) {
  return fmt::format("{}x{} {} {}{}{} scale={:g} mean={:g}/{:g}/{:g} std={:g}/{:g}/{:g}", s.width,
                     s.height, s.color == ColorOrder::rgb ? "rgb" : "bgr",
                     s.layout == Layout::nchw ? "nchw" : "nhwc",
                     s.resize == Resize::stretch ? "" : " ",
                     s.resize == Resize::stretch ? "" : to_string(s.resize), s.scale, s.mean[0],
                     s.mean[1], s.mean[2], s.std[0], s.std[1], s.std[2]);
}

void preprocess_frame(const cv::Mat& bgr, const PreprocessSpec& spec, std::span<float> out) {
  if (bgr.type() != CV_8UC3 || spec.width <= 0 || spec.height <= 0 ||
      static_cast<int64_t>(out.size()) != spec.elements())
    throw Error(ErrorCode::internal,
                fmt::format("preprocess: got a {}x{} {} image and {} floats for {}", bgr.cols,
                            bgr.rows, cv::typeToString(bgr.type()), out.size(), to_string(spec)));
  // The image goes into rectangle `r` of the input; the rest is zero.
  const cv::Rect r = placement(spec, bgr.cols, bgr.rows);
  if (r.width != spec.width || r.height != spec.height) std::fill(out.begin(), out.end(), 0.0f);
  cv::Mat img = bgr;
  if (bgr.cols != r.width || bgr.rows != r.height)
    cv::resize(bgr, img, cv::Size(r.width, r.height), 0, 0, cv::INTER_LINEAR);

  // Output channels 0 and 2 read BGR bytes s0 and s2; channel 1 is green either way.
  const bool rgb = spec.color == ColorOrder::rgb;
  const int s0 = rgb ? 2 : 0, s2 = rgb ? 0 : 2;
  // A table per channel evaluates the documented expression once per byte value instead of once
  // per pixel: identical results to the formula, and no division in the pixel loop.
  float lut[3][256];
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v)
      lut[c][v] = (static_cast<float>(v) * spec.scale - spec.mean[c]) / spec.std[c];
  const float* l0 = lut[0];
  const float* l1 = lut[1];
  const float* l2 = lut[2];

  const int w = r.width;
  const int h = r.height;
  const size_t plane = static_cast<size_t>(spec.width) * static_cast<size_t>(spec.height);
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    const size_t offset =
        static_cast<size_t>(y + r.y) * static_cast<size_t>(spec.width) + static_cast<size_t>(r.x);
    if (spec.layout == Layout::nchw) {
      // One pass over the row filling all three planes; __restrict because the planes never
      // overlap, which halves the time of three separate per-plane passes.
      float* __restrict d0 = out.data() + offset;
      float* __restrict d1 = d0 + plane;
      float* __restrict d2 = d1 + plane;
      for (int x = 0; x < w; ++x) {
        const uint8_t* p = row + 3 * x;
        d0[x] = l0[p[s0]];
        d1[x] = l1[p[1]];
        d2[x] = l2[p[s2]];
      }
    } else {
      float* __restrict d = out.data() + 3 * offset;
      for (int x = 0; x < w; ++x) {
        const uint8_t* p = row + 3 * x;
        d[3 * x] = l0[p[s0]];
        d[3 * x + 1] = l1[p[1]];
        d[3 * x + 2] = l2[p[s2]];
      }
    }
  }
}

}  // namespace mvinfer
