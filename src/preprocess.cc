#include "mvinfer/preprocess.h"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "mvinfer/error.h"

namespace mvinfer {

std::string to_string(const PreprocessSpec& s) {
  return fmt::format("{}x{} {} {} scale={:g} mean={:g}/{:g}/{:g} std={:g}/{:g}/{:g}", s.width,
                     s.height, s.color == ColorOrder::rgb ? "rgb" : "bgr",
                     s.layout == Layout::nchw ? "nchw" : "nhwc", s.scale, s.mean[0], s.mean[1],
                     s.mean[2], s.std[0], s.std[1], s.std[2]);
}

void preprocess_frame(const cv::Mat& bgr, const PreprocessSpec& spec, std::span<float> out) {
  if (bgr.type() != CV_8UC3 || spec.width <= 0 || spec.height <= 0 ||
      static_cast<int64_t>(out.size()) != spec.elements())
    throw Error(ErrorCode::internal,
                fmt::format("preprocess: got a {}x{} image of type {} and {} floats for {}",
                            bgr.cols, bgr.rows, bgr.type(), out.size(), to_string(spec)));
  cv::Mat img = bgr;
  if (bgr.cols != spec.width || bgr.rows != spec.height)
    cv::resize(bgr, img, cv::Size(spec.width, spec.height), 0, 0, cv::INTER_LINEAR);

  // Output channel c reads source channel src[c] (BGR in memory).
  const int src[3] = {spec.color == ColorOrder::rgb ? 2 : 0, 1, spec.color == ColorOrder::rgb ? 0 : 2};
  // A 256-entry table per channel computes (v * scale - mean) / std exactly as documented,
  // once per value instead of once per pixel.
  float lut[3][256];
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v)
      lut[c][v] = (static_cast<float>(v) * spec.scale - spec.mean[c]) / spec.std[c];

  const int w = spec.width, h = spec.height;
  const size_t plane = static_cast<size_t>(w) * static_cast<size_t>(h);
  float* o = out.data();
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    if (spec.layout == Layout::nchw) {
      for (int c = 0; c < 3; ++c) {
        float* dst = o + c * plane + static_cast<size_t>(y) * w;
        const float* t = lut[c];
        const int s = src[c];
        for (int x = 0; x < w; ++x) dst[x] = t[row[3 * x + s]];
      }
    } else {
      float* dst = o + static_cast<size_t>(y) * w * 3;
      for (int x = 0; x < w; ++x)
        for (int c = 0; c < 3; ++c) dst[3 * x + c] = lut[c][row[3 * x + src[c]]];
    }
  }
}

}  // namespace mvinfer
