#include "mvinfer/io/frame_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>
#include <string_view>
#include <system_error>

#include "core/library_logs.h"
#include "io/video_reader.h"
#include "mvinfer/core/error.h"

namespace mvinfer {
namespace {

namespace fs = std::filesystem;

constexpr const char* kVideoExpected = "expected a video file FFmpeg or OpenCV can read";

// OpenCV and FFmpeg print their own diagnostics when a file cannot be opened or a frame is
// damaged ("moov atom not found", "ac-tex damaged"); our error is one line, so theirs are
// silenced. A user's own OPENCV_LOG_LEVEL / OPENCV_FFMPEG_LOGLEVEL wins for OpenCV (whose FFmpeg
// backend only reads cameras' fallbacks now), and MVINFER_LIB_LOGS=1 leaves every library at its
// default, so they can be brought back for debugging. Once per process: setenv must not race
// with OpenCV's getenv.
void quiet_opencv() {
  static std::once_flag once;
  std::call_once(once, [] {
    quiet_ffmpeg();
    if (library_logs_enabled()) return;
    if (std::getenv("OPENCV_LOG_LEVEL") == nullptr)
      cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    // OpenCV 4.6's FFmpeg backend passes this to av_log_set_level() on every open; -8 is
    // AV_LOG_QUIET.
    setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);
  });
}

// A strict source that ended before the frames it was expected to yield.
Error ended_early(const std::string& what, const SourceCounts& c, bool asked) {
  return Error(ErrorCode::bad_input,
               fmt::format("{}: ended after {} of the {} frames {} (truncated or damaged?), and ",
                           what, c.read, c.expected, asked ? "asked for" : "it holds"),
               Error::Option{"strict"}, " expects them all");
}

// Sources may deliver grey, 4-channel or 16-bit images; everything downstream expects 8-bit BGR.
cv::Mat to_bgr8(cv::Mat m) {
  if (m.depth() != CV_8U) m.convertTo(m, CV_8U, m.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
  if (m.channels() == 1) {
    cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  } else if (m.channels() == 4) {
    cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
  }
  return m;
}

// A video file, a camera or a stream URL, through a VideoReader.
class CaptureSource final : public FrameSource {
 public:
  // `what`: how messages name it ("video 'a.avi'", "camera 0").
  CaptureSource(std::string name, std::string what, std::unique_ptr<VideoReader> reader, bool live,
                int64_t max_frames, int stream, bool strict)
      : name_(std::move(name)),
        what_(std::move(what)),
        reader_(std::move(reader)),
        live_(live),
        max_(max_frames),
        stream_(stream),
        strict_(strict) {
    const double fps = reader_->fps();
    if (std::isfinite(fps) && fps > 0 && fps < 1000) fps_ = fps;
    counts_.expected = max_ >= 0 ? max_ : live_ ? -1 : container_frames();
  }

  // Decodes the first frame now: a file that OpenCV opens but cannot decode (a truncated or
  // mislabelled file) must fail at open time, not look like an empty video.
  bool prime() {
    have_first_ = decode(first_);
    return have_first_;
  }

  // Numbers the frames from `first` on (a live source continuing a job), before prime().
  void number_from(int64_t first) { position_ = start_ = first; }

  // Moves to frame `start.frame` before prime(). False when the input ends before it.
  bool skip_to(SourceStart start) {
    if (start.frame <= 0) return true;
    if (start.seek) {
      const auto t0 = std::chrono::steady_clock::now();
      const bool ok = reader_->seek(start.frame);
      counts_.seek_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!ok) return false;
    } else {
      for (int64_t i = 0; i < start.frame; ++i, ++counts_.discarded)
        if (!reader_->skip()) return false;
    }
    position_ = start.frame;
    if (max_ < 0 && counts_.expected >= 0)
      counts_.expected = std::max<int64_t>(0, counts_.expected - start.frame);
    start_ = start.frame;
    return true;
  }

  bool next(Frame& frame) override {
    if (max_ >= 0 && counts_.read >= max_) return false;
    if (have_first_) {
      frame = std::move(first_);
      have_first_ = false;
    } else if (!decode(frame)) {
      if (strict_ && counts_.read < counts_.expected) throw ended_early(what_, counts_, max_ >= 0);
      return false;
    }
    frame.stream = stream_;
    ++counts_.read;
    return true;
  }
  const std::string& name() const override { return name_; }
  bool is_live() const override { return live_; }
  int64_t frame_count_hint() const override {
    if (live_) return max_;
    const int64_t all = container_frames();
    if (all < 0) return max_;
    const int64_t n = std::max<int64_t>(0, all - start_);
    return max_ >= 0 ? std::min(max_, n) : n;
  }
  SourceCounts counts() const override { return counts_; }

 private:
  // From the container: an estimate for formats that record no count; -1 when it has none.
  int64_t container_frames() const { return reader_->frame_count(); }

  // A frame the decoder rejects is skipped (and counted), up to kMaxSkipped in a row; a
  // container that cannot be read further (truncated) ends there, as at its end.
  bool decode(Frame& f) {
    constexpr int kMaxSkipped = 100;
    for (int skipped = 0; !ended_;) {
      cv::Mat m;
      const VideoReader::Read got = reader_->read(m);
      if (got == VideoReader::Read::end) break;
      const int64_t position = position_++;
      if (got == VideoReader::Read::frame) {
        f.image = to_bgr8(std::move(m));
        f.index = position;
        f.timestamp_ms = timestamp_ms(position);
        return true;
      }
      ++counts_.undecodable;
      if (strict_)
        throw Error(ErrorCode::bad_input,
                    fmt::format("{}: frame {} cannot be decoded, and ", what_, position),
                    Error::Option{"strict"}, " expects every frame to decode");
      if (++skipped >= kMaxSkipped) break;
    }
    ended_ = true;
    return false;
  }

  // The container's time for the frame just read when it is usable; streams without
  // timestamps report 0 or repeat values, and then the nominal rate stands in. Timestamps
  // always increase, so consumers can rely on them for ordering.
  double timestamp_ms(int64_t position) {
    const double step = 1000.0 / fps_;
    double ms = reader_->time_ms();
    const bool first = !have_time_;
    if (!std::isfinite(ms) || ms < 0 || (!first && ms <= last_ms_))
      ms = static_cast<double>(position) * step;
    if (!first && ms <= last_ms_) ms = last_ms_ + step;
    last_ms_ = ms;
    have_time_ = true;
    return ms;
  }

  std::string name_, what_;
  std::unique_ptr<VideoReader> reader_;
  bool live_;
  int64_t max_;
  int stream_;
  bool strict_;
  double fps_ = 25;
  double last_ms_ = 0;
  bool have_time_ = false;
  int64_t position_ = 0;  // frames grabbed, decodable or not: the next frame's index
  int64_t start_ = 0;     // SourceStart::frame
  SourceCounts counts_;
  Frame first_;
  bool have_first_ = false;
  bool ended_ = false;
};

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* e : {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
    if (ext == e) return true;
  return false;
}

// Whether the file has DICOM's signature ("DICM" after a 128-byte preamble). OpenCV picks an
// image's decoder by its content, whatever its name, and its DICOM reader (GDCM) ends the
// process with a failed assert() on a damaged file (found by fuzz_image): such a file is
// skipped as undecodable instead of being handed to cv::imread.
bool has_dicom_signature(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  char head[132] = {};
  f.read(head, sizeof head);
  return f.gcount() == sizeof head && std::string_view(head + 128, 4) == "DICM";
}

// Images of a folder in byte order of their names, at a nominal 25 frames/s. A frame's index
// is its image's position in that order, so a skipped image leaves a gap.
class ImageFolderSource final : public FrameSource {
 public:
  ImageFolderSource(std::string name, int64_t max_frames, int stream, bool strict,
                    int64_t start = 0)
      : name_(std::move(name)), max_(max_frames), stream_(stream), strict_(strict) {
    std::error_code ec;
    for (fs::directory_iterator it(name_, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec) && is_image(it->path())) files_.push_back(it->path());
    if (ec)
      throw Error(ErrorCode::bad_input,
                  fmt::format("image folder '{}': cannot be listed: {}", name_, ec.message()));
    std::sort(files_.begin(), files_.end());
    if (files_.empty())
      throw Error(ErrorCode::bad_input,
                  fmt::format("image folder '{}': no images (expected .jpg, .jpeg, .png, .bmp, "
                              ".tif, .tiff or .webp files)",
                              name_));
    if (start >= static_cast<int64_t>(files_.size()))
      throw Error(ErrorCode::bad_input,
                  fmt::format("image folder '{}': start frame {} is past its {} images", name_,
                              start, files_.size()));
    pos_ = static_cast<size_t>(std::max<int64_t>(0, start));
    first_pos_ = static_cast<int64_t>(pos_);
    counts_.expected = max_ >= 0 ? max_ : static_cast<int64_t>(files_.size() - pos_);
    // As a video's first frame: a folder with no decodable image fails at open time.
    have_first_ = decode(first_);
    if (!have_first_)
      throw Error(ErrorCode::bad_input,
                  fmt::format("image folder '{}': none of its {} images can be decoded (expected "
                              "image files)",
                              name_, files_.size()));
  }

  bool next(Frame& frame) override {
    if (max_ >= 0 && counts_.read >= max_) return false;
    if (have_first_) {
      frame = std::move(first_);
      have_first_ = false;
    } else if (!decode(frame)) {
      if (strict_ && counts_.read < counts_.expected) throw ended_early(what(), counts_, max_ >= 0);
      return false;
    }
    ++counts_.read;
    return true;
  }
  const std::string& name() const override { return name_; }
  int64_t frame_count_hint() const override {
    const auto n = static_cast<int64_t>(files_.size()) - first_pos_;
    return max_ >= 0 ? std::min(max_, n) : n;
  }
  SourceCounts counts() const override { return counts_; }

 private:
  std::string what() const { return fmt::format("image folder '{}'", name_); }

  // The next image that decodes; those that do not are skipped and counted (an error when
  // strict). libjpeg and libpng print their warnings about damaged files ("Premature end of
  // JPEG file") straight to stderr, so it is silenced meanwhile.
  bool decode(Frame& frame) {
    while (pos_ < files_.size()) {
      const fs::path& p = files_[pos_];
      const auto i = static_cast<int64_t>(pos_++);
      // IMREAD_COLOR gives 8-bit BGR for grey, alpha and 16-bit files alike, and applies the
      // EXIF orientation of camera JPEGs.
      cv::Mat m;
      std::string why = "expected an image file";
      if (has_dicom_signature(p)) {
        why = "a DICOM file; expected a JPEG, PNG, BMP, TIFF or WebP image";
      } else {
        try {
          StderrSilenced quiet;
          m = cv::imread(p.string(), cv::IMREAD_COLOR);
        } catch (const cv::Exception& e) {  // e.g. a header declaring more than 2^30 pixels
          why = fmt::format("{}; expected an image of at most 2^30 pixels", e.err);
        }
      }
      if (m.empty()) {
        ++counts_.undecodable;
        if (strict_)
          throw Error(ErrorCode::bad_input,
                      fmt::format("image '{}': cannot be decoded ({})", p.string(), why));
        continue;
      }
      frame.image = to_bgr8(std::move(m));
      frame.index = i;
      frame.timestamp_ms = static_cast<double>(i) * 40.0;
      frame.stream = stream_;
      return true;
    }
    return false;
  }

  std::string name_;
  int64_t max_;
  int stream_;
  bool strict_;
  std::vector<fs::path> files_;
  size_t pos_ = 0;
  int64_t first_pos_ = 0;  // the start: images before it are not read
  SourceCounts counts_;
  Frame first_;
  bool have_first_ = false;
};

std::unique_ptr<FrameSource> open_camera(const std::string& spec, int64_t max_frames, int stream,
                                         bool strict, int64_t first) {
  int index = 0;
  const auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), index);
  if (ec != std::errc() || end != spec.data() + spec.size())
    throw Error(ErrorCode::bad_input, fmt::format("camera {}: not a camera index", spec));
  cv::VideoCapture cap(index);
  if (!cap.isOpened())
    throw Error(ErrorCode::bad_input,
                fmt::format("camera {}: cannot be opened (expected the index of a connected "
                            "camera)",
                            spec));
  auto src = std::make_unique<CaptureSource>(spec, fmt::format("camera {}", spec),
                                             wrap_capture(std::move(cap)), true, max_frames, stream,
                                             strict);
  src->number_from(first);
  if (!src->prime())
    throw Error(ErrorCode::bad_input, fmt::format("camera {}: delivered no frame", spec));
  return src;
}

std::unique_ptr<FrameSource> open_stream(const std::string& spec, int64_t max_frames, int stream,
                                         bool strict, int64_t first) {
  FfmpegOpenFailure failure;
  std::unique_ptr<VideoReader> reader = open_ffmpeg_reader(spec, /*network=*/true, failure);
  if (!reader && stream_stop_requested())
    throw Error(ErrorCode::interrupted,
                fmt::format("stream '{}': interrupted while opening", spec));
  if (!reader)
    throw Error(ErrorCode::bad_input,
                fmt::format("stream '{}': cannot be opened ({}; expected a URL FFmpeg can read, "
                            "e.g. rtsp://host/path)",
                            spec, failure.why));
  auto src = std::make_unique<CaptureSource>(spec, fmt::format("stream '{}'", spec),
                                             std::move(reader), true, max_frames, stream, strict);
  src->number_from(first);
  if (!src->prime()) {
    if (stream_stop_requested())
      throw Error(ErrorCode::interrupted,
                  fmt::format("stream '{}': interrupted while waiting for its first frame", spec));
    throw Error(
        ErrorCode::bad_input,
        fmt::format("stream '{}': no frame could be decoded (expected a video stream)", spec));
  }
  return src;
}

// FFmpeg's libraries first (video_reader.h says why not OpenCV's FFmpeg backend); then OpenCV's
// own readers of files and devices: image sequences (CV_IMAGES), MJPEG AVIs (CV_MJPEG) and
// device paths such as /dev/video0 (V4L2). Not GStreamer, whose failure path prints
// "GStreamer-CRITICAL" through GLib (seen here on a text file given as a video) and no OpenCV
// setting silences that, nor the camera SDKs (GPHOTO2 loads every camera driver it has, 0.3 s,
// for each file it is asked about; INTEL_MFX). nullptr when none opens it; Error{bad_input}
// naming `path` when FFmpeg refuses it (an absurd frame size), which no other backend is asked
// about.
std::unique_ptr<VideoReader> open_video_file(const std::string& path) {
  FfmpegOpenFailure failure;
  if (auto reader = open_ffmpeg_reader(path, /*network=*/false, failure)) return reader;
  if (failure.refused)
    throw Error(ErrorCode::bad_input, fmt::format("video '{}': {}", path, failure.why));
  for (cv::VideoCaptureAPIs api : cv::videoio_registry::getStreamBackends()) {
    if (api != cv::CAP_IMAGES && api != cv::CAP_OPENCV_MJPEG && api != cv::CAP_V4L2) continue;
    // Some backends throw instead of returning false (CV_IMAGES on a name without a number).
    try {
      cv::VideoCapture cap;
      StderrSilenced quiet;  // CV_MJPEG prints "Unexpected element" about a damaged AVI
      if (cap.open(path, api)) return wrap_capture(std::move(cap));
    } catch (const cv::Exception&) {
    }
  }
  return nullptr;
}

std::unique_ptr<FrameSource> open_video(const std::string& spec, int64_t max_frames, int stream,
                                        bool strict, SourceStart start) {
  std::error_code ec;
  if (!fs::exists(spec, ec))
    throw Error(ErrorCode::bad_input, fmt::format("video '{}': no such file or directory", spec));
  if (!std::ifstream(spec, std::ios::binary))
    throw Error(ErrorCode::bad_input, fmt::format("video '{}': cannot be read", spec));
  std::unique_ptr<VideoReader> reader = open_video_file(spec);
  if (!reader)
    throw Error(ErrorCode::bad_input,
                fmt::format("video '{}': cannot be opened ({})", spec, kVideoExpected));
  auto src = std::make_unique<CaptureSource>(spec, fmt::format("video '{}'", spec),
                                             std::move(reader), false, max_frames, stream, strict);
  if (!src->skip_to(start))
    throw Error(ErrorCode::bad_input,
                fmt::format("video '{}': start frame {} is past its end (expected a start "
                            "inside the video)",
                            spec, start.frame));
  if (!src->prime())
    throw Error(
        ErrorCode::bad_input,
        start.frame > 0
            ? fmt::format("video '{}': no frame at or after start frame {}", spec, start.frame)
            : fmt::format("video '{}': cannot be decoded ({})", spec, kVideoExpected));
  return src;
}

}  // namespace

std::unique_ptr<FrameSource> open_frame_source(const std::string& spec, int64_t max_frames,
                                               int stream, bool strict, SourceStart start) {
  quiet_opencv();
  if (spec.empty())
    throw Error(ErrorCode::bad_input,
                "video '': empty name (expected a video file, image folder, camera index or "
                "stream URL)");
  if (start.frame < 0)
    throw Error(ErrorCode::bad_flag, Error::Option{"start_frame"},
                fmt::format(" {}: expected 0 or more", start.frame));
  std::error_code ec;
  if (fs::is_directory(spec, ec))
    return std::make_unique<ImageFolderSource>(spec, max_frames, stream, strict, start.frame);
  const bool camera = is_camera_index(spec), url = is_stream_url(spec);
  if ((camera || url) && start.frame > 0 && !start.renumber)
    throw Error(ErrorCode::bad_flag, Error::Option{"start_frame"},
                fmt::format(" {}: '{}' is a live source (expected a video file or image folder "
                            "to start inside)",
                            start.frame, spec));
  if (camera) return open_camera(spec, max_frames, stream, strict, start.frame);
  if (url) return open_stream(spec, max_frames, stream, strict, start.frame);
  return open_video(spec, max_frames, stream, strict, start);
}

bool is_camera_index(std::string_view spec) {
  return !spec.empty() &&
         std::all_of(spec.begin(), spec.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool is_stream_url(std::string_view spec) { return spec.find("://") != std::string_view::npos; }

bool seek_is_exact(const std::string& video, int64_t frame, int check) {
  quiet_opencv();
  std::unique_ptr<VideoReader> seq, sought;
  try {
    seq = open_video_file(video);
    sought = open_video_file(video);
  } catch (const Error&) {  // refused: reading it will say why
    return false;
  }
  if (!seq || !sought) return false;
  for (int64_t i = 0; i < frame; ++i)
    if (!seq->skip()) return false;
  if (!sought->seek(frame)) return false;
  for (int i = 0; i <= check; ++i) {
    cv::Mat a, b;
    const VideoReader::Read got_a = seq->read(a), got_b = sought->read(b);
    if (got_a != got_b) return false;
    if (got_a == VideoReader::Read::end) return true;  // both ended: the same
    // A damaged frame on the way: seeking is not trusted.
    if (got_a == VideoReader::Read::undecodable) return false;
    const double ta = seq->time_ms(), tb = sought->time_ms();
    if (a.size() != b.size() || a.type() != b.type() || cv::norm(a, b, cv::NORM_INF) != 0 ||
        !(ta == tb || (std::isnan(ta) && std::isnan(tb))))
      return false;
  }
  return true;
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
  for (Frame f; source.next(f);) frames.push_back(std::move(f));
  return std::make_unique<PreloadedFrameSource>(source.name(), std::move(frames));
}

}  // namespace mvinfer
