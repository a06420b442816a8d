// LoopedSource: plays a file (or folder) `times` times in a row, as one stream whose frame
// index and timestamps keep increasing: a long video made from a short one, for soak and
// memory tests (`run --loop K`).
#pragma once

#include <memory>
#include <string>

#include "mvinfer/io/frame_source.h"

namespace mvinfer {

class LoopedSource : public FrameSource {
 public:
  // Opens `spec` with open_frame_source(); `max_frames` (< 0: no limit) counts all loops.
  // `strict`: each play must yield every frame of the input, and all of them max_frames.
  LoopedSource(std::string spec, int times, int64_t max_frames, int stream, bool strict = false);
  bool next(Frame& frame) override;
  const std::string& name() const override { return spec_; }
  int64_t frame_count_hint() const override;
  SourceCounts counts() const override;

 private:
  std::string spec_;
  int times_, stream_;
  int64_t max_;
  bool strict_;
  std::unique_ptr<FrameSource> current_;
  int loop_ = 0;
  int64_t index_ = 0;
  int64_t per_loop_ = -1;
  int64_t per_loop_expected_ = -1;
  int64_t undecodable_ = 0;  // in the plays before the current one
  double offset_ms_ = 0, last_ms_ = 0;
};

}  // namespace mvinfer
