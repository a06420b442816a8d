#include "mvinfer/frame_source.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "mvinfer/error.h"

namespace mvinfer {
namespace {

namespace fs = std::filesystem;

// OpenCV and FFmpeg print their own warnings when a file cannot be opened; our error is one
// line, so theirs are silenced.
void quiet_opencv() {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);  // AV_LOG_QUIET
  setenv("OPENCV_VIDEOIO_DEBUG", "0", 0);
}

// Frames of any depth/channel count become 8-bit BGR.
cv::Mat to_bgr8(const cv::Mat& in) {
  cv::Mat m = in;
  if (m.depth() != CV_8U) {
    double scale = m.depth() == CV_16U ? 1.0 / 257.0 : 1.0;
    m.convertTo(m, CV_8U, scale);
  }
  if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  else if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
  return m;
}

class CaptureSource : public FrameSource {
 public:
  CaptureSource(std::string name, cv::VideoCapture cap, bool live, int64_t max_frames, int stream)
      : name_(std::move(name)), cap_(std::move(cap)), live_(live), max_(max_frames), stream_(stream) {
    fps_ = cap_.get(cv::CAP_PROP_FPS);
    if (!(fps_ > 0 && fps_ < 1000)) fps_ = 25;
    // The first frame must decode: a file OpenCV "opens" but cannot read is not a video.
    if (!read(first_))
      throw Error(ErrorCode::bad_input,
                  fmt::format("video '{}': no frame could be decoded (expected a video file, "
                              "image folder, camera index or stream URL that OpenCV/FFmpeg can "
                              "read)", name_));
    have_first_ = true;
  }

  bool next(Frame& frame) override {
    if (max_ >= 0 && index_ >= max_) return false;
    if (have_first_) {
      have_first_ = false;
      frame = std::move(first_);
    } else if (!read(frame)) {
      return false;
    }
    frame.index = index_++;
    frame.stream = stream_;
    return true;
  }
  const std::string& name() const override { return name_; }
  bool is_live() const override { return live_; }
  int64_t frame_count_hint() const override {
    if (live_) return max_;
    const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);  // from the container: an estimate
    if (!(n > 0)) return max_;
    return max_ >= 0 ? std::min(max_, static_cast<int64_t>(n)) : static_cast<int64_t>(n);
  }

 private:
  bool read(Frame& f) {
    cv::Mat m;
    if (!cap_.read(m) || m.empty()) return false;
    f.image = to_bgr8(m);
    double ms = live_ ? -1 : cap_.get(cv::CAP_PROP_POS_MSEC);
    // Containers without timestamps report 0 (or garbage); fall back to index / fps.
    const int64_t i = index_ + (have_first_ ? 1 : 0);
    if (!(ms >= 0) || (i > 0 && ms <= last_ms_)) ms = static_cast<double>(i) * 1000.0 / fps_;
    last_ms_ = ms;
    f.timestamp_ms = ms;
    return true;
  }

  std::string name_;
  cv::VideoCapture cap_;
  bool live_;
  int64_t max_;
  int stream_;
  double fps_ = 25;
  double last_ms_ = -1;
  int64_t index_ = 0;
  Frame first_;
  bool have_first_ = false;
};

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
    if (ext == e) return true;
  return false;
}

// Images of a folder, in name order, at a nominal 25 frames/s (timestamp = index * 40 ms).
class ImageFolderSource : public FrameSource {
 public:
  ImageFolderSource(std::string name, int64_t max_frames, int stream)
      : name_(std::move(name)), max_(max_frames), stream_(stream) {
    for (const auto& e : fs::directory_iterator(name_))
      if (e.is_regular_file() && is_image(e.path())) files_.push_back(e.path());
    std::sort(files_.begin(), files_.end());
    if (files_.empty())
      throw Error(ErrorCode::bad_input,
                  fmt::format("image folder '{}': no images (expected .jpg, .png, .bmp, .tif or "
                              ".webp files)", name_));
  }
  bool next(Frame& frame) override {
    if (pos_ >= files_.size() || (max_ >= 0 && static_cast<int64_t>(pos_) >= max_)) return false;
    const fs::path& p = files_[pos_];
    cv::Mat m = cv::imread(p.string(), cv::IMREAD_UNCHANGED);
    if (m.empty())
      throw Error(ErrorCode::bad_input,
                  fmt::format("image '{}': cannot be decoded (expected an image file)", p.string()));
    frame.image = to_bgr8(m);
    frame.index = static_cast<int64_t>(pos_);
    frame.timestamp_ms = static_cast<double>(pos_) * 40.0;
    frame.stream = stream_;
    ++pos_;
    return true;
  }
  const std::string& name() const override { return name_; }
  int64_t frame_count_hint() const override {
    const auto n = static_cast<int64_t>(files_.size());
    return max_ >= 0 ? std::min(max_, n) : n;
  }

 private:
  std::string name_;
  int64_t max_;
  int stream_;
  std::vector<fs::path> files_;
  size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<FrameSource> open_frame_source(const std::string& spec, int64_t max_frames,
                                               int stream) {
  quiet_opencv();
  if (spec.empty()) throw Error(ErrorCode::bad_input, "--video: empty input name");
  const bool digits = std::all_of(spec.begin(), spec.end(), [](unsigned char c) { return std::isdigit(c); });
  if (digits) {
    cv::VideoCapture cap(std::stoi(spec));
    if (!cap.isOpened())
      throw Error(ErrorCode::bad_input, fmt::format("camera {}: cannot be opened", spec));
    return std::make_unique<CaptureSource>("camera " + spec, std::move(cap), true, max_frames, stream);
  }
  if (spec.find("://") != std::string::npos) {
    cv::VideoCapture cap(spec, cv::CAP_FFMPEG);
    if (!cap.isOpened())
      throw Error(ErrorCode::bad_input, fmt::format("stream '{}': cannot be opened", spec));
    return std::make_unique<CaptureSource>(spec, std::move(cap), true, max_frames, stream);
  }
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return std::make_unique<ImageFolderSource>(spec, max_frames, stream);
  if (!fs::exists(spec, ec))
    throw Error(ErrorCode::bad_input, fmt::format("video '{}': no such file or directory", spec));
  cv::VideoCapture cap;
  if (!cap.open(spec, cv::CAP_FFMPEG) && !cap.open(spec, cv::CAP_ANY))
    throw Error(ErrorCode::bad_input,
                fmt::format("video '{}': cannot be opened (expected a video file OpenCV/FFmpeg "
                            "can read)", spec));
  return std::make_unique<CaptureSource>(spec, std::move(cap), false, max_frames, stream);
}

PreloadedFrameSource::PreloadedFrameSource(std::string name, std::vector<Frame> frames)
    : name_(std::move(name)), frames_(std::move(frames)) {}

bool PreloadedFrameSource::next(Frame& frame) {
  if (pos_ >= frames_.size()) return false;
  frame = frames_[pos_++];
  return true;
}

std::unique_ptr<PreloadedFrameSource> preload(FrameSource& source) {
  std::vector<Frame> frames;
  for (Frame f; source.next(f);) frames.push_back(f);
  return std::make_unique<PreloadedFrameSource>(source.name(), std::move(frames));
}

}  // namespace mvinfer
