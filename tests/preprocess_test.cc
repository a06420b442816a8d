// Preprocessing of real vtest.avi frames equals an independent per-pixel computation exactly.
#include "mvinfer/io/preprocess.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <span>
#include <utility>
#include <vector>

#include "mvinfer/core/error.h"
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
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(got[i], want[i]) << to_string(spec) << " at " << i;
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
  EXPECT_EQ(out[static_cast<size_t>(768 * 576) * 2 + 5],
            static_cast<float>(f.at<cv::Vec3b>(0, 5)[0]));
}

TEST(Preprocess, EveryColourAndLayoutCombinationIsExact) {
  const cv::Mat f = vtest_frame(10);
  for (ColorOrder color : {ColorOrder::rgb, ColorOrder::bgr})
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      PreprocessSpec s;
      s.width = 100;
      s.height = 60;
      s.color = color;
      s.layout = layout;
      s.scale = 1.0f / 127.5f;
      s.mean = {1.0f, 0.9f, 1.1f};
      s.std = {0.7f, 1.3f, 2.0f};
      expect_exact(f, s);
    }
}

TEST(Preprocess, RegionOfInterestIsReadRowByRow) {
  // A view into a larger frame has gaps between its rows.
  const cv::Mat f = vtest_frame(10);
  const cv::Mat roi = f(cv::Rect(100, 50, 320, 240));
  ASSERT_FALSE(roi.isContinuous());
  PreprocessSpec s;
  s.width = 320;
  s.height = 240;
  expect_exact(roi, s);
  s.width = 160;
  s.height = 120;
  s.layout = Layout::nhwc;
  expect_exact(roi, s);
}

ErrorCode code_of_call(const cv::Mat& image, const PreprocessSpec& s, std::span<float> out) {
  try {
    preprocess_frame(image, s, out);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::bad_flag;  // anything but internal: "did not throw"
}

TEST(Preprocess, WrongOutputSizeOrImageTypeIsAnInternalError) {
  PreprocessSpec s;
  s.width = s.height = 32;
  std::vector<float> small(10), right(static_cast<size_t>(s.elements()));
  const cv::Mat f = vtest_frame(0);
  EXPECT_EQ(code_of_call(f, s, small), ErrorCode::internal);
  cv::Mat grey;
  cv::cvtColor(f, grey, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(code_of_call(grey, s, right), ErrorCode::internal);
  EXPECT_EQ(code_of_call(cv::Mat(), s, right), ErrorCode::internal);
}

TEST(Preprocess, ToStringNamesEverySetting) {
  PreprocessSpec s;
  s.width = 192;
  s.height = 48;
  s.color = ColorOrder::bgr;
  s.layout = Layout::nhwc;
  s.mean = {0.5f, 0.5f, 0.5f};
  s.std = {0.25f, 0.5f, 1.0f};
  EXPECT_EQ(to_string(s), "192x48 bgr nhwc scale=0.00392157 mean=0.5/0.5/0.5 std=0.25/0.5/1");
}

TEST(ParseSize, WidthThenHeight) {
  EXPECT_EQ(parse_size("256x128"), std::make_pair(256, 128));
  EXPECT_EQ(parse_size("1x1"), std::make_pair(1, 1));
  EXPECT_EQ(parse_size("65536x65536"), std::make_pair(kMaxSide, kMaxSide));
}

TEST(ParseSize, NonsenseIsABadFlagAboutSize) {
  for (const char* bad :
       {"0x5", "5x0", "5x", "x5", "axb", "5", "", "5x5x5", "-5x5", "+5x5", " 5x5", "5x5 ", "5X5",
        "5.0x5", "65537x5", "5x2147483648", "99999999999999999999x5"}) {
    try {
      parse_size(bad);
      ADD_FAILURE() << "'" << bad << "' accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_flag) << bad;
      EXPECT_EQ(e.option(), "size") << bad;
      EXPECT_EQ(
          std::string(e.what()),
          fmt::format("size '{}': expected WxH with integers from 1 to 65536, e.g. 256x256", bad));
    }
  }
}

}  // namespace
}  // namespace mvinfer::testing
