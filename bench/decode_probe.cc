// Decoding speed of mvinfer's video frame source (FFmpeg's libraries directly,
// src/io/video_reader.h) against OpenCV's FFmpeg backend, which it replaced: the same frames of
// each video, both decoded to 8-bit BGR, in alternating rounds. bench/decode.sh prints it.
//   decode_probe FRAMES ROUNDS VIDEO...
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "mvinfer/io/frame_source.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Seconds to read `frames` frames (or to the end) and how many were read.
std::pair<double, int64_t> ours(const std::string& video, int64_t frames) {
  const auto t0 = Clock::now();
  auto src = mvinfer::open_frame_source(video, frames);
  int64_t n = 0;
  for (mvinfer::Frame f; src->next(f);) ++n;
  return {seconds_since(t0), n};
}

std::pair<double, int64_t> opencv(const std::string& video, int64_t frames) {
  const auto t0 = Clock::now();
  cv::VideoCapture cap(video, cv::CAP_FFMPEG);
  int64_t n = 0;
  // A new image per frame, as a frame source hands out (frames do not share memory).
  for (cv::Mat m; n < frames && cap.read(m); m = cv::Mat()) ++n;
  return {seconds_since(t0), n};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fmt::print(stderr, "usage: decode_probe FRAMES ROUNDS VIDEO...\n");
    return 2;
  }
  const int64_t frames = std::atoll(argv[1]);
  const int rounds = std::atoi(argv[2]);
  for (int v = 3; v < argc; ++v) {
    const std::string video = argv[v];
    std::vector<double> ratios, ours_fps;
    for (int r = 0; r < rounds; ++r) {
      const auto [ta, na] = ours(video, frames);
      const auto [tb, nb] = opencv(video, frames);
      if (na != nb) {
        fmt::print(stderr, "{}: mvinfer read {} frames, OpenCV {}\n", video, na, nb);
        return 1;
      }
      ratios.push_back(ta / tb);
      ours_fps.push_back(static_cast<double>(na) / ta);
    }
    fmt::print(
        "{}: {:.0f} frames/s; time ratio mvinfer / OpenCV's FFmpeg backend {:.3f} (median "
        "of {} rounds)\n",
        video, median(ours_fps), median(ratios), rounds);
  }
  return 0;
}
