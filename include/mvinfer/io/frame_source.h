// FrameSource: yields decoded frames (BGR, 8 bits per channel) with their index and timestamp.
//
// Lifecycle: open_frame_source() opens and validates the source (throws Error{bad_input} with
// the source named); the caller then calls next() until it returns false. A FrameSource is used
// by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mvinfer {

struct Frame {
  cv::Mat image;            // CV_8UC3, BGR
  int64_t index = 0;        // 0-based position in its stream
  double timestamp_ms = 0;  // presentation time from the container, or index / fps
  int stream = 0;           // which source the frame came from (several --video)
};

// What a source has delivered so far, for the run's summary and for strict reading.
struct SourceCounts {
  int64_t read = 0;  // frames next() yielded
  // Frames asked for (max_frames), else those the input holds: the container's frame count (an
  // estimate from the duration for formats that record none), the folder's images; -1 when
  // unknown (a live source without a limit).
  int64_t expected = -1;
  int64_t undecodable = 0;  // frames that could not be decoded and were skipped
  // A source that starts past frame 0 (SourceStart): frames decoded only to be discarded on the
  // way to the start, and the time the container's seek took (which decodes from the keyframe
  // before the start inside FFmpeg, where they cannot be counted).
  int64_t discarded = 0;
  double seek_ms = 0;
};

// Where a video file or image folder starts: a segment [frame, frame + max_frames) of a longer
// input (distributed runs). Frame indices and timestamps are those of the whole input.
struct SourceStart {
  int64_t frame = 0;
  // Seek with the container's index (only where seek_is_exact() said so for this input);
  // otherwise every frame before `frame` is decoded and discarded, which is always exact.
  bool seek = false;
  // A live source (camera, stream URL) cannot be moved in: with `renumber` its frames are
  // numbered from `frame` on instead (a live job taken over by another worker continues the
  // numbering of the one before). Without it, a live source refuses frame > 0.
  bool renumber = false;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Fills `frame` with the next frame; false at the end of the source. An image of a folder that
  // cannot be decoded is skipped and counted (SourceCounts::undecodable), as is a video frame
  // that the container yields but the decoder cannot turn into an image; Error{bad_input}
  // naming it when the source is strict; 100 such frames in a row end the video. A video whose
  // container cannot be read further (truncated, damaged) ends there. A strict
  // source whose end comes before `expected` frames were read throws Error{bad_input} naming
  // it, about option "strict", instead of returning false.
  virtual bool next(Frame& frame) = 0;
  // What the user gave (a path, a camera index, a URL): used in messages and results.
  virtual const std::string& name() const = 0;
  // Camera or network stream: frames arrive in real time and cannot be re-read.
  virtual bool is_live() const { return false; }
  // How many frames next() will yield, when known (for progress and ETA); -1 otherwise.
  virtual int64_t frame_count_hint() const { return -1; }
  // What next() has delivered so far; a source that does not count reports nothing expected.
  virtual SourceCounts counts() const { return {}; }
};

// Opens, in this order of precedence:
//   - a folder of images (.jpg .jpeg .png .bmp .tif .tiff .webp, in byte order of their names,
//     so number them with leading zeros); timestamp_ms = index * 40, a nominal 25 frames/s;
//   - a camera index ("0"), live;
//   - a stream URL (anything with "://": "rtsp://...", "http://...", "file://..."), live,
//     through FFmpeg's libraries;
//   - a video file, through FFmpeg's libraries (or one of OpenCV's other backends if FFmpeg
//     cannot open it); one declaring pictures of more than 2^26 pixels is refused.
// Videos, cameras and streams use the container's timestamps when it has them, else
// index * 1000 / fps; timestamps always increase. Frames are converted to 8-bit BGR.
// Throws Error{bad_input} naming `spec` when it cannot be opened or has no decodable first frame.
// `max_frames` < 0 means no limit. `strict`: an undecodable frame, or an input that ends before
// max_frames (or the container's count) were read, is an Error{bad_input} from next() rather
// than skipped or a short run. Silences OpenCV's and FFmpeg's own logging on first use (unless
// MVINFER_LIB_LOGS=1; OPENCV_LOG_LEVEL / OPENCV_FFMPEG_LOGLEVEL still set OpenCV's), and libjpeg's
// and libpng's warnings while an image decodes, so an error is one line. `start` past frame 0 is
// for video files and image folders only (Error{bad_flag} otherwise); one past the input's end is
// Error{bad_input}.
std::unique_ptr<FrameSource> open_frame_source(const std::string& spec, int64_t max_frames = -1,
                                               int stream = 0, bool strict = false,
                                               SourceStart start = {});

// A flag (the CLI's Ctrl-C handler sets it) that FFmpeg's waits on a stream URL poll besides
// their 30 s timeout: once set, opening a stream throws Error{interrupted} within FFmpeg's
// polling interval, and a read that waits ends the stream. Process-wide; null (the default):
// only the timeout ends a wait.
void set_stream_stop(const std::atomic<bool>* stop);

// How open_frame_source() tells inputs apart by name (after a folder of that name): a camera
// index is all digits, a stream URL has "scheme://"; both are live sources.
bool is_camera_index(std::string_view spec);
bool is_stream_url(std::string_view spec);
inline bool is_live_source(std::string_view spec) {
  return is_camera_index(spec) || is_stream_url(spec);
}

// Whether seeking `video` to `frame` yields exactly the frames (pixels and timestamps) that
// decoding it from the start does there: checked on `frame` and the `check` frames after it.
// FFmpeg's seek is frame-exact for many files and not for others (streams without an index,
// open GOPs, broken timestamps); a false answer means: decode and discard instead.
bool seek_is_exact(const std::string& video, int64_t frame, int check = 2);

// Frames held in memory (the seed's "read the video ahead of time").
class PreloadedFrameSource : public FrameSource {
 public:
  PreloadedFrameSource(std::string name, std::vector<Frame> frames);
  bool next(Frame& frame) override;
  const std::string& name() const override { return name_; }
  int64_t frame_count_hint() const override { return static_cast<int64_t>(frames_.size()); }
  SourceCounts counts() const override {
    return {static_cast<int64_t>(pos_), static_cast<int64_t>(frames_.size()), 0};
  }
  void rewind() { pos_ = 0; }
  const std::vector<Frame>& frames() const { return frames_; }

 private:
  std::string name_;
  std::vector<Frame> frames_;
  size_t pos_ = 0;
};

// Reads every remaining frame of `source` into memory.
std::unique_ptr<PreloadedFrameSource> preload(FrameSource& source);

}  // namespace mvinfer
