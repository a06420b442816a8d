// FrameSource: yields decoded frames (BGR, 8 bits per channel) with their index and timestamp.
//
// Lifecycle: open_frame_source() opens and validates the source (throws Error{bad_input} with
// the source named); the caller then calls next() until it returns false. A FrameSource is used
// by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace mvinfer {

struct Frame {
  cv::Mat image;           // CV_8UC3, BGR
  int64_t index = 0;       // 0-based position in its stream
  double timestamp_ms = 0; // presentation time from the container, or index / fps
  int stream = 0;          // which source the frame came from (several --video)
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Fills `frame` with the next frame; false at the end of the source. A frame that cannot be
  // decoded in the middle of a file throws Error{bad_input}.
  virtual bool next(Frame& frame) = 0;
  // What the user gave (a path, a camera index, a URL): used in messages and results.
  virtual const std::string& name() const = 0;
  // Camera or network stream: frames arrive in real time and cannot be re-read.
  virtual bool is_live() const { return false; }
  // How many frames next() will yield, when known (for progress and ETA); -1 otherwise.
  virtual int64_t frame_count_hint() const { return -1; }
};

// Opens a video file, a folder of images (sorted by name), a camera index ("0") or a stream
// URL ("rtsp://...", "http://..."). Throws Error{bad_input} naming `spec` when it cannot be
// opened or has no decodable first frame. `max_frames` < 0 means no limit.
std::unique_ptr<FrameSource> open_frame_source(const std::string& spec, int64_t max_frames = -1,
                                               int stream = 0);

// Frames held in memory (the seed's "read the video ahead of time").
class PreloadedFrameSource : public FrameSource {
 public:
  PreloadedFrameSource(std::string name, std::vector<Frame> frames);
  bool next(Frame& frame) override;
  const std::string& name() const override { return name_; }
  int64_t frame_count_hint() const override { return static_cast<int64_t>(frames_.size()); }
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
