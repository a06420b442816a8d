// Frame sources on real data: vtest.avi, a folder of its frames, and broken inputs.
#include <filesystem>
#include <functional>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "mvinfer/error.h"
#include "mvinfer/frame_source.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

ErrorCode code_of(const std::function<void()>& f, std::string* what) {
  try {
    f();
  } catch (const Error& e) {
    *what = e.what();
    return e.code();
  }
  *what = "";
  return ErrorCode::internal;
}

TEST(FrameSource, VideoFileYieldsEveryFrameInOrder) {
  auto src = open_frame_source(kVideo);
  EXPECT_FALSE(src->is_live());
  Frame f;
  int64_t n = 0;
  double last_ts = -1;
  while (src->next(f)) {
    ASSERT_EQ(f.index, n);
    ASSERT_EQ(f.image.type(), CV_8UC3);
    ASSERT_EQ(f.image.cols, 768);
    ASSERT_EQ(f.image.rows, 576);
    ASSERT_GT(f.timestamp_ms, last_ts);
    last_ts = f.timestamp_ms;
    ++n;
  }
  EXPECT_EQ(n, 795);
}

TEST(FrameSource, MaxFramesAndStreamTag) {
  auto src = open_frame_source(kVideo, 7, 3);
  Frame f;
  int n = 0;
  while (src->next(f)) {
    EXPECT_EQ(f.stream, 3);
    ++n;
  }
  EXPECT_EQ(n, 7);
}

TEST(FrameSource, ImageFolderReadsBackTheSamePixels) {
  fs::path dir = scratch_dir("frames");
  auto video = open_frame_source(kVideo, 5);
  std::vector<cv::Mat> written;
  for (Frame f; video->next(f);) {
    cv::imwrite((dir / fmt::format("frame{:02d}.png", f.index)).string(), f.image);
    written.push_back(f.image.clone());
  }
  std::ofstream(dir / "notes.txt") << "not an image, ignored by extension";
  auto folder = open_frame_source(dir.string());
  Frame f;
  size_t n = 0;
  while (folder->next(f)) {
    ASSERT_LT(n, written.size());
    EXPECT_EQ(f.index, static_cast<int64_t>(n));
    EXPECT_DOUBLE_EQ(f.timestamp_ms, 40.0 * static_cast<double>(n));
    EXPECT_EQ(cv::norm(f.image, written[n], cv::NORM_INF), 0.0);  // PNG is lossless
    ++n;
  }
  EXPECT_EQ(n, written.size());
}

TEST(FrameSource, MissingFileIsBadInputNamingIt) {
  std::string what, path = (scratch_dir("x") / "missing.avi").string();
  EXPECT_EQ(code_of([&] { open_frame_source(path); }, &what), ErrorCode::bad_input);
  EXPECT_NE(what.find(path), std::string::npos) << what;
}

TEST(FrameSource, TextFileIsBadInputNamingIt) {
  fs::path p = scratch_dir("x") / "text.mp4";
  std::ofstream(p) << "hello, I am text\n";
  std::string what;
  EXPECT_EQ(code_of([&] { open_frame_source(p.string()); }, &what), ErrorCode::bad_input);
  EXPECT_NE(what.find(p.string()), std::string::npos) << what;
}

TEST(FrameSource, TruncatedVideoEndsEarlyOrFailsCleanly) {
  fs::path p = scratch_dir("x") / "head.avi";
  {
    std::ifstream in(kVideo, std::ios::binary);
    std::vector<char> head(100 * 1024);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(p, std::ios::binary).write(head.data(), static_cast<std::streamsize>(head.size()));
  }
  try {
    auto src = open_frame_source(p.string());
    Frame f;
    int n = 0;
    while (src->next(f)) ++n;
    EXPECT_LT(n, 795);  // whatever was decodable, never more than the file holds
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_input);
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
}

TEST(FrameSource, EmptyFolderIsBadInput) {
  std::string what, dir = scratch_dir("empty").string();
  EXPECT_EQ(code_of([&] { open_frame_source(dir); }, &what), ErrorCode::bad_input);
  EXPECT_NE(what.find(dir), std::string::npos) << what;
}

TEST(FrameSource, PreloadHoldsEveryFrame) {
  auto src = open_frame_source(kVideo, 12);
  auto pre = preload(*src);
  EXPECT_EQ(pre->frames().size(), 12u);
  Frame f;
  int n = 0;
  while (pre->next(f)) ++n;
  EXPECT_EQ(n, 12);
  pre->rewind();
  EXPECT_TRUE(pre->next(f));
  EXPECT_EQ(f.index, 0);
}

}  // namespace
}  // namespace mvinfer::testing
