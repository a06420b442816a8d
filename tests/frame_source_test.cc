// Frame sources on real data: vtest.avi, a folder of its frames, a file:// stream, and broken
// inputs (missing, text, truncated, empty, corrupt image), which must fail with one clear
// Error{bad_input} naming the culprit, or be read as far as they go and counted, and print
// nothing of OpenCV's, FFmpeg's or libjpeg's own.
#include "mvinfer/io/frame_source.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <thread>

#include "mvinfer/core/error.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

// The error `f` throws: its code and message; ErrorCode::internal and "" when it throws none.
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

void expect_bad_input_naming(const std::function<void()>& f, const std::string& name) {
  std::string what;
  EXPECT_EQ(code_of(f, &what), ErrorCode::bad_input) << what;
  EXPECT_NE(what.find(name), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
}

// What `f` prints: FFmpeg prints to stderr, but through OpenCV's log callback (installed when
// OPENCV_FFMPEG_LOGLEVEL is set) to stdout, where it would mix with results.
std::string output_of(const std::function<void()>& f) {
  const fs::path file = scratch_dir("output") / "output.txt";
  std::fflush(stdout);
  std::fflush(stderr);
  const int saved_out = dup(1);
  const int saved_err = dup(2);
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 1);
  dup2(fd, 2);
  close(fd);
  f();
  std::fflush(stdout);
  std::fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  std::stringstream ss;
  ss << std::ifstream(file).rdbuf();
  return ss.str();
}

// The first `bytes` of vtest.avi.
fs::path truncated_copy_of_vtest(const fs::path& dir, size_t bytes = 100 * 1024) {
  const fs::path p = dir / fmt::format("head{}.avi", bytes);
  std::ifstream in(kVideo, std::ios::binary);
  std::vector<char> head(bytes);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  std::ofstream(p, std::ios::binary).write(head.data(), static_cast<std::streamsize>(head.size()));
  return p;
}

// Reads `src` to its end; the frames read.
int64_t drain(FrameSource& src) {
  int64_t n = 0;
  for (Frame f; src.next(f);) ++n;
  return n;
}

// A folder of `n` small PNGs, f0.png ... ; returns its path.
fs::path folder_of_pngs(const fs::path& dir, int n) {
  for (int i = 0; i < n; ++i)
    cv::imwrite((dir / fmt::format("f{}.png", i)).string(),
                cv::Mat(8, 8, CV_8UC3, cv::Scalar(i, 2, 3)));
  return dir;
}

TEST(FrameSource, VideoFileYieldsEveryFrameInOrder) {
  auto src = open_frame_source(kVideo);
  EXPECT_FALSE(src->is_live());
  EXPECT_EQ(src->name(), kVideo);
  EXPECT_EQ(src->frame_count_hint(), 795);
  Frame f;
  int64_t n = 0;
  while (src->next(f)) {
    ASSERT_EQ(f.index, n);
    ASSERT_EQ(f.image.type(), CV_8UC3);
    ASSERT_EQ(f.image.cols, 768);
    ASSERT_EQ(f.image.rows, 576);
    // vtest.avi is a 10 frames/s AVI: the container's times are 0, 100, 200, ... ms.
    ASSERT_DOUBLE_EQ(f.timestamp_ms, 100.0 * static_cast<double>(n));
    ++n;
  }
  EXPECT_EQ(n, 795);
  EXPECT_FALSE(src->next(f));  // stays at the end
}

TEST(FrameSource, VideoFramesAreOpenCvsFramesPixelForPixel) {
  // Video files are decoded with FFmpeg's libraries directly (src/io/video_reader.h); the images
  // are those OpenCV's FFmpeg backend gives for a sound file, to the last bit.
  auto src = open_frame_source(kVideo, 60);
  cv::VideoCapture cap(kVideo, cv::CAP_FFMPEG);
  cv::Mat expected;
  int64_t n = 0;
  for (Frame f; src->next(f); ++n) {
    ASSERT_TRUE(cap.read(expected));
    ASSERT_EQ(f.image.size(), expected.size());
    ASSERT_EQ(cv::norm(f.image, expected, cv::NORM_INF), 0.0) << "frame " << n;
  }
  EXPECT_EQ(n, 60);
}

// A YUV4MPEG2 video (FFmpeg's raw video with a text header) of `frames` W x H pictures, frame
// i's luma all `luma[i]` and its chroma neutral (128): grey whose BGR value is known.
fs::path y4m(const fs::path& file, int w, int h, const std::vector<int>& luma) {
  std::ofstream out(file, std::ios::binary);
  out << "YUV4MPEG2 W" << w << " H" << h << " F25:1 Ip A1:1 C420jpeg\n";
  for (const int y : luma) {
    out << "FRAME\n" << std::string(static_cast<size_t>(w) * h, static_cast<char>(y));
    out << std::string(static_cast<size_t>(w / 2) * (h / 2) * 2, static_cast<char>(128));
  }
  return file;
}

TEST(FrameSource, RawVideoDecodesToTheColoursItHolds) {
  // Converted as BT.601 video range: luma 16 is black, 235 white, and 128 is 255 * 112 / 219 =
  // 130.4 in each of B, G and R.
  const fs::path p = y4m(scratch_dir("x") / "grey.y4m", 6, 4, {16, 235, 128});
  auto src = open_frame_source(p.string());
  std::vector<cv::Vec3b> seen;
  std::vector<double> times;
  for (Frame f; src->next(f);) {
    ASSERT_EQ(f.image.size(), cv::Size(6, 4));
    EXPECT_EQ(cv::norm(f.image, cv::Mat(4, 6, CV_8UC3, cv::Scalar::all(f.image.at<uint8_t>(0))),
                       cv::NORM_INF),
              0.0)
        << "one colour";
    seen.push_back(f.image.at<cv::Vec3b>(0, 0));
    times.push_back(f.timestamp_ms);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], cv::Vec3b(0, 0, 0));
  EXPECT_EQ(seen[1], cv::Vec3b(255, 255, 255));
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(seen[2][c], 130.4, 1);
  EXPECT_EQ(times, (std::vector<double>{0, 40, 80}));  // F25:1
}

TEST(FrameSource, VideoDeclaringAbsurdFramesIsRefusedBeforeDecoding) {
  // A header asking for 9000 x 9000 pictures (81 million pixels): FFmpeg would allocate 122 MB
  // per frame before reading any of it.
  const fs::path p = scratch_dir("x") / "huge.y4m";
  std::ofstream(p, std::ios::binary) << "YUV4MPEG2 W9000 H9000 F25:1 C420jpeg\nFRAME\n"
                                     << std::string(64, '\0');
  std::string what;
  EXPECT_EQ(code_of([&] { open_frame_source(p.string()); }, &what), ErrorCode::bad_input);
  EXPECT_NE(what.find(fmt::format("video '{}': declares 9000x9000 frames", p.string())),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("at most 67108864 pixels"), std::string::npos) << what;
  EXPECT_FALSE(seek_is_exact(p.string(), 1));
}

TEST(FrameSource, MaxFramesAndStreamTag) {
  auto src = open_frame_source(kVideo, 7, 3);
  EXPECT_EQ(src->frame_count_hint(), 7);
  Frame f;
  int n = 0;
  while (src->next(f)) {
    EXPECT_EQ(f.stream, 3);
    ++n;
  }
  EXPECT_EQ(n, 7);
}

TEST(FrameSource, FramesDoNotShareMemory) {
  // Batching and preloading keep Frame copies, which share pixels with the original.
  auto src = open_frame_source(kVideo, 2);
  Frame a, b;
  ASSERT_TRUE(src->next(a));
  const cv::Mat kept = a.image;
  const cv::Mat snapshot = a.image.clone();
  ASSERT_TRUE(src->next(b));
  EXPECT_NE(kept.data, b.image.data);
  EXPECT_EQ(cv::norm(kept, snapshot, cv::NORM_INF), 0.0);
}

TEST(FrameSource, UrlIsALiveStreamThroughFfmpeg) {
  const std::string url = std::string("file://") + kVideo;
  auto src = open_frame_source(url, 5);
  EXPECT_TRUE(src->is_live());
  EXPECT_EQ(src->name(), url);
  Frame f;
  int n = 0;
  for (double last = -1; src->next(f); last = f.timestamp_ms, ++n) {
    EXPECT_EQ(f.index, n);
    EXPECT_EQ(f.image.size(), cv::Size(768, 576));
    EXPECT_GT(f.timestamp_ms, last);
  }
  EXPECT_EQ(n, 5);
}

// An HTTP server on loopback that answers each request with the headers of `body` and its first
// `sent` bytes, then holds the connection open without sending more (a stalled camera or
// server); `sent` < 0: accepts and never answers.
class StallingServer {
 public:
  StallingServer(std::string body, ptrdiff_t sent) : body_(std::move(body)), sent_(sent) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 4) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot listen on loopback");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~StallingServer() {
    done_ = true;
    thread_.join();
    for (int c : clients_) close(c);
    close(fd_);
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/v.avi", port_); }

 private:
  void serve() {
    while (!done_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      clients_.push_back(c);
      if (sent_ < 0) continue;
      char request[4096];
      if (recv(c, request, sizeof request, 0) <= 0) continue;
      const std::string head = fmt::format(
          "HTTP/1.1 200 OK\r\nContent-Type: video/x-msvideo\r\nContent-Length: {}\r\n\r\n",
          body_.size());
      const std::string reply = head + body_.substr(0, static_cast<size_t>(sent_));
      for (size_t at = 0; at < reply.size();) {
        const ssize_t n = send(c, reply.data() + at, reply.size() - at, MSG_NOSIGNAL);
        if (n <= 0) break;
        at += static_cast<size_t>(n);
      }
    }
  }
  std::string body_;
  ptrdiff_t sent_;
  int fd_ = -1, port_ = 0;
  std::vector<int> clients_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Sets `flag` after `delay` on its own thread; joined on destruction.
struct SetLater {
  SetLater(std::atomic<bool>& flag, std::chrono::milliseconds delay)
      : thread([&flag, delay] {
          std::this_thread::sleep_for(delay);
          flag = true;
        }) {}
  ~SetLater() { thread.join(); }
  std::thread thread;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A stream URL's waits end on the stop flag (Ctrl-C), not only after FFmpeg's 30 s timeout:
// opening a server that never answers, and reading one that stalls after 1 MB of vtest.avi.
TEST(FrameSource, StopEndsAStreamOpenThatGetsNoAnswer) {
  StallingServer server("", -1);
  std::atomic<bool> stop{false};
  set_stream_stop(&stop);
  const auto t0 = std::chrono::steady_clock::now();
  std::string what;
  ErrorCode code;
  {
    SetLater later(stop, std::chrono::milliseconds(300));
    code = code_of([&] { open_frame_source(server.url(), 10); }, &what);
  }
  set_stream_stop(nullptr);
  EXPECT_EQ(code, ErrorCode::interrupted) << what;
  EXPECT_EQ(what, fmt::format("stream '{}': interrupted while opening", server.url()));
  EXPECT_LT(seconds_since(t0), 5.0);
}

TEST(FrameSource, StopEndsAStalledStreamRead) {
  std::ifstream in(kVideo, std::ios::binary);
  StallingServer server(std::string(std::istreambuf_iterator<char>(in), {}), 1 << 20);
  std::atomic<bool> stop{false};
  set_stream_stop(&stop);
  auto src = open_frame_source(server.url(), 795);
  const auto t0 = std::chrono::steady_clock::now();
  int n = 0;
  {
    SetLater later(stop, std::chrono::milliseconds(1500));
    for (Frame f; src->next(f);) ++n;
  }
  set_stream_stop(nullptr);
  EXPECT_GT(n, 10);   // the frames in the first MB
  EXPECT_LT(n, 795);  // the stream stalled
  EXPECT_LT(seconds_since(t0), 10.0);
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
  fs::create_directories(dir / "sub.png");  // a folder, not an image
  auto folder = open_frame_source(dir.string(), -1, 2);
  EXPECT_FALSE(folder->is_live());
  EXPECT_EQ(folder->frame_count_hint(), 5);
  Frame f;
  size_t n = 0;
  while (folder->next(f)) {
    ASSERT_LT(n, written.size());
    EXPECT_EQ(f.index, static_cast<int64_t>(n));
    EXPECT_EQ(f.stream, 2);
    EXPECT_DOUBLE_EQ(f.timestamp_ms, 40.0 * static_cast<double>(n));  // nominal 25 frames/s
    EXPECT_EQ(cv::norm(f.image, written[n], cv::NORM_INF), 0.0);      // PNG is lossless
    ++n;
  }
  EXPECT_EQ(n, written.size());
}

TEST(FrameSource, ImageFolderIsSortedByNameAndRespectsMaxFrames) {
  fs::path dir = scratch_dir("frames");
  // Written out of order, with mixed extensions and case.
  for (int i : {3, 0, 2, 1}) {
    cv::Mat m(8, 8, CV_8UC3, cv::Scalar(i, i, i));
    cv::imwrite((dir / fmt::format("img{}.{}", i, i % 2 ? "PNG" : "bmp")).string(), m);
  }
  auto src = open_frame_source(dir.string(), 3);
  EXPECT_EQ(src->frame_count_hint(), 3);
  Frame f;
  int n = 0;
  while (src->next(f)) {
    EXPECT_EQ(f.image.at<cv::Vec3b>(0, 0)[0], n);
    ++n;
  }
  EXPECT_EQ(n, 3);
}

TEST(FrameSource, GreyAndAlphaImagesBecomeBgr) {
  fs::path dir = scratch_dir("frames");
  cv::Mat grey(6, 10, CV_8UC1, cv::Scalar(77));
  cv::Mat bgra(6, 10, CV_8UC4, cv::Scalar(10, 20, 30, 128));
  cv::imwrite((dir / "a_grey.png").string(), grey);
  cv::imwrite((dir / "b_alpha.png").string(), bgra);
  auto src = open_frame_source(dir.string());
  Frame f;
  ASSERT_TRUE(src->next(f));
  ASSERT_EQ(f.image.type(), CV_8UC3);
  EXPECT_EQ(f.image.at<cv::Vec3b>(2, 3), cv::Vec3b(77, 77, 77));
  ASSERT_TRUE(src->next(f));
  ASSERT_EQ(f.image.type(), CV_8UC3);
  EXPECT_EQ(f.image.at<cv::Vec3b>(2, 3), cv::Vec3b(10, 20, 30));
  EXPECT_FALSE(src->next(f));
}

TEST(FrameSource, CorruptImageMidFolderIsSkippedAndCounted) {
  const fs::path dir = folder_of_pngs(scratch_dir("frames"), 4);
  std::ofstream(dir / "f2.png", std::ios::trunc) << "garbage, not a PNG";
  auto src = open_frame_source(dir.string());
  std::vector<int64_t> indices;
  for (Frame f; src->next(f);) {
    indices.push_back(f.index);
    EXPECT_EQ(f.image.at<cv::Vec3b>(0, 0)[0], f.index);  // the image at that position
  }
  EXPECT_EQ(indices, (std::vector<int64_t>{0, 1, 3}));  // a frame's index is its image's position
  const SourceCounts c = src->counts();
  EXPECT_EQ(c.read, 3);
  EXPECT_EQ(c.expected, 4);
  EXPECT_EQ(c.undecodable, 1);
  // --frames counts frames read: the skipped image does not use one up.
  src = open_frame_source(dir.string(), 3);
  EXPECT_EQ(drain(*src), 3);
  EXPECT_EQ(src->counts().undecodable, 1);
}

TEST(FrameSource, StrictCorruptImageMidFolderIsBadInputNamingIt) {
  const fs::path dir = folder_of_pngs(scratch_dir("frames"), 4);
  const fs::path bad = dir / "f2.png";
  std::ofstream(bad, std::ios::trunc) << "garbage, not a PNG";
  auto src = open_frame_source(dir.string(), -1, 0, /*strict=*/true);
  Frame f;
  ASSERT_TRUE(src->next(f));
  ASSERT_TRUE(src->next(f));
  expect_bad_input_naming([&] { src->next(f); }, bad.string());
}

TEST(FrameSource, FolderWithoutADecodableImageIsBadInput) {
  const fs::path dir = scratch_dir("frames");
  for (const char* name : {"a.png", "b.jpg"}) std::ofstream(dir / name) << "not an image";
  expect_bad_input_naming([&] { open_frame_source(dir.string()); }, dir.string());
}

TEST(FrameSource, TruncatedVideoCountsWhatItReadAndStrictRefusesIt) {
  const fs::path dir = scratch_dir("x");
  // The first 10 KiB hold one frame, the first MiB 97; the container says 795.
  for (size_t bytes : {size_t{10 * 1024}, size_t{1024 * 1024}}) {
    const fs::path p = truncated_copy_of_vtest(dir, bytes);
    auto src = open_frame_source(p.string());
    const int64_t n = drain(*src);
    EXPECT_GE(n, 1) << bytes;
    EXPECT_LT(n, 795) << bytes;
    EXPECT_EQ(src->counts().read, n);
    EXPECT_EQ(src->counts().expected, 795) << bytes;
    EXPECT_EQ(src->counts().undecodable, 0) << bytes;
    src = open_frame_source(p.string(), 40);
    EXPECT_EQ(src->counts().expected, 40);
    EXPECT_EQ(drain(*src), std::min<int64_t>(n, 40));

    for (int64_t asked : {int64_t{-1}, int64_t{200}}) {
      src = open_frame_source(p.string(), asked, 0, /*strict=*/true);
      std::string what;
      EXPECT_EQ(code_of([&] { drain(*src); }, &what), ErrorCode::bad_input) << bytes;
      EXPECT_NE(what.find(fmt::format("video '{}': ended after {} of the {} frames", p.string(), n,
                                      asked < 0 ? 795 : asked)),
                std::string::npos)
          << what;
      EXPECT_TRUE(what.ends_with(", and strict expects them all")) << what;
    }
  }
}

TEST(FrameSource, StrictWholeVideoReadsToTheEnd) {
  auto src = open_frame_source(kVideo, -1, 0, /*strict=*/true);
  EXPECT_EQ(drain(*src), 795);
  EXPECT_EQ(src->counts().expected, 795);
  src = open_frame_source(kVideo, 30, 0, /*strict=*/true);
  EXPECT_EQ(drain(*src), 30);
}

TEST(FrameSource, MissingFileIsBadInputNamingIt) {
  const std::string path = (scratch_dir("x") / "missing.avi").string();
  expect_bad_input_naming([&] { open_frame_source(path); }, path);
}

TEST(FrameSource, TextFileIsBadInputNamingIt) {
  // FFmpeg refuses it at open ("moov atom not found" for .mp4, unknown format otherwise).
  for (const char* name : {"text.mp4", "text.avi", "text"}) {
    const fs::path p = scratch_dir("x") / name;
    std::ofstream(p) << "hello, I am text\n";
    expect_bad_input_naming([&] { open_frame_source(p.string()); }, p.string());
  }
}

TEST(FrameSource, EmptyFileIsBadInputNamingIt) {
  const fs::path p = scratch_dir("x") / "empty.avi";
  std::ofstream{p};
  expect_bad_input_naming([&] { open_frame_source(p.string()); }, p.string());
}

TEST(FrameSource, TruncatedVideoEndsEarlyOrFailsCleanly) {
  const fs::path p = truncated_copy_of_vtest(scratch_dir("x"));
  try {
    auto src = open_frame_source(p.string());
    Frame f;
    int n = 0;
    while (src->next(f)) {
      EXPECT_EQ(f.image.size(), cv::Size(768, 576));
      ++n;
    }
    // OpenCV 4.6 + FFmpeg: the first 100 KiB open, decode 3 frames, then the 4th is damaged.
    EXPECT_GE(n, 1);  // a source that opened has a decodable first frame
    EXPECT_LT(n, 795);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_input);
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
}

TEST(FrameSource, EmptyFolderIsBadInputNamingIt) {
  const std::string dir = scratch_dir("empty").string();
  std::ofstream(fs::path(dir) / "readme.txt") << "no images here";
  expect_bad_input_naming([&] { open_frame_source(dir); }, dir);
}

TEST(FrameSource, AbsentCameraIsBadInput) {
  expect_bad_input_naming([] { open_frame_source("99"); }, "camera 99");
  expect_bad_input_naming([] { open_frame_source("123456789012345678901234"); },
                          "123456789012345678901234");
}

TEST(FrameSource, EmptyNameIsBadInput) {
  std::string what;
  EXPECT_EQ(code_of([] { open_frame_source(""); }, &what), ErrorCode::bad_input);
}

TEST(FrameSource, BrokenInputsPrintNothingOfTheirOwn) {
  // Without silencing, FFmpeg prints "moov atom not found" and "ac-tex damaged at 3 9", and
  // OpenCV's GStreamer backend "GStreamer-CRITICAL" lines, around our one-line error.
  const fs::path dir = scratch_dir("x");
  const fs::path text = dir / "text.mp4";
  std::ofstream(text) << "hello, I am text\n";
  const fs::path head = truncated_copy_of_vtest(dir);
  // libjpeg prints "Premature end of JPEG file" for a cut JPEG that still decodes, and
  // "Not a JPEG file" for one that does not.
  const fs::path images = scratch_dir("images");
  cv::Mat frame;
  cv::VideoCapture(kVideo).read(frame);
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", frame, jpeg);
  std::ofstream(images / "a.jpg", std::ios::binary)
      .write(reinterpret_cast<const char*>(jpeg.data()),
             static_cast<std::streamsize>(jpeg.size() / 2));
  std::ofstream(images / "b.jpg") << "not a JPEG";
  const std::string printed = output_of([&] {
    for (const fs::path& p :
         {text, head, truncated_copy_of_vtest(dir, 10 * 1024),
          truncated_copy_of_vtest(dir, 1024 * 1024), images, dir / "missing.avi"}) {
      try {
        auto src = open_frame_source(p.string());
        for (Frame f; src->next(f);) {
        }
      } catch (const Error&) {
      }
    }
    try {
      open_frame_source("99");
    } catch (const Error&) {
    }
  });
  EXPECT_EQ(printed, "");
}

TEST(FrameSource, PreloadHoldsEveryFrame) {
  auto src = open_frame_source(kVideo, 12);
  auto pre = preload(*src);
  EXPECT_EQ(pre->name(), kVideo);
  EXPECT_EQ(pre->frames().size(), 12u);
  EXPECT_EQ(pre->frame_count_hint(), 12);
  Frame f;
  int n = 0;
  while (pre->next(f)) {
    EXPECT_EQ(f.index, n);
    ++n;
  }
  EXPECT_EQ(n, 12);
  pre->rewind();
  EXPECT_TRUE(pre->next(f));
  EXPECT_EQ(f.index, 0);
  // Each preloaded frame holds its own pixels: frame 0 and frame 11 of a video with motion differ.
  EXPECT_GT(cv::norm(pre->frames()[0].image, pre->frames()[11].image, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace mvinfer::testing
