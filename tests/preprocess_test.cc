// Preprocessing of real vtest.avi frames equals an independent per-pixel computation exactly.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "mvinfer/error.h"
#include "mvinfer/preprocess.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

cv::Mat vtest_frame(int index) {
  cv::VideoCapture cap(kVideo);
  cv::Mat f;
  for (int i = 0; i <= index; ++i) EXPECT_TRUE(cap.read(f));
  return f.clone();
}

// The documented formula, one pixel at a time: out = (v * scale - mean[c]) / std[c], where
// channel c follows the colour order, after OpenCV's bilinear resize (the agreed resize).
std::vector<float> reference(const cv::Mat& bgr, const PreprocessSpec& s) {
  cv::Mat r = bgr;
  if (bgr.cols != s.width || bgr.rows != s.height)
    cv::resize(bgr, r, cv::Size(s.width, s.height), 0, 0, cv::INTER_LINEAR);
  std::vector<float> out(static_cast<size_t>(s.elements()));
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x)
      for (int c = 0; c < 3; ++c) {
        const cv::Vec3b px = r.at<cv::Vec3b>(y, x);
        const float v = px[s.color == ColorOrder::rgb ? 2 - c : c];
        const float value = (v * s.scale - s.mean[c]) / s.std[c];
        const size_t i = s.layout == Layout::nchw
                             ? (static_cast<size_t>(c) * s.height + y) * s.width + x
                             : (static_cast<size_t>(y) * s.width + x) * 3 + c;
        out[i] = value;
      }
  return out;
}

void expect_exact(const cv::Mat& frame, const PreprocessSpec& spec) {
  std::vector<float> got(static_cast<size_t>(spec.elements()), -999.0f);
  preprocess_frame(frame, spec, got);
  std::vector<float> want = reference(frame, spec);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << to_string(spec) << " at " << i;
}

TEST(Preprocess, RgbNchwImageNetNormalisationIsExact) {
  PreprocessSpec s;
  s.width = s.height = 256;
  s.mean = {0.485f, 0.456f, 0.406f};
  s.std = {0.229f, 0.224f, 0.225f};
  expect_exact(vtest_frame(10), s);
}

TEST(Preprocess, BgrNhwcNonSquareIsExact) {
  PreprocessSpec s;
  s.width = 192;
  s.height = 48;
  s.color = ColorOrder::bgr;
  s.layout = Layout::nhwc;
  s.mean = {0.5f, 0.5f, 0.5f};
  s.std = {0.5f, 0.5f, 0.5f};
  expect_exact(vtest_frame(100), s);
}

TEST(Preprocess, SameSizeNeedsNoResize) {
  PreprocessSpec s;
  s.width = 768;
  s.height = 576;
  s.scale = 1.0f;  // raw pixel values
  cv::Mat f = vtest_frame(3);
  expect_exact(f, s);
  std::vector<float> out(static_cast<size_t>(s.elements()));
  preprocess_frame(f, s, out);
  // RGB plane 0 is the red channel, i.e. BGR index 2, as raw values.
  EXPECT_EQ(out[0], static_cast<float>(f.at<cv::Vec3b>(0, 0)[2]));
  EXPECT_EQ(out[static_cast<size_t>(768 * 576) * 2 + 5], static_cast<float>(f.at<cv::Vec3b>(0, 5)[0]));
}

TEST(Preprocess, WrongOutputSizeIsAnError) {
  PreprocessSpec s;
  s.width = s.height = 32;
  std::vector<float> out(10);
  EXPECT_THROW(preprocess_frame(vtest_frame(0), s, out), Error);
}

}  // namespace
}  // namespace mvinfer::testing
