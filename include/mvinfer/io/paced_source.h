// PacedSource: replays a recorded source as if it were a live camera: frame i becomes
// available at start + i / fps (wall clock), is_live() is true, and a consumer that falls
// behind sees frames pile up (or, with the pipeline's --drop-late, dropped) exactly as with a
// real camera. Lets live-source behaviour be tested and tuned offline.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "mvinfer/io/frame_source.h"

namespace mvinfer {

class PacedSource : public FrameSource {
 public:
  // `stop` (optional): a set flag ends the stream within kStopPoll, however long the wait.
  PacedSource(std::unique_ptr<FrameSource> inner, double fps,
              const std::atomic<bool>* stop = nullptr);
  static constexpr std::chrono::milliseconds kStopPoll{50};
  bool next(Frame& frame) override;
  const std::string& name() const override { return inner_->name(); }
  bool is_live() const override { return true; }
  int64_t frame_count_hint() const override { return inner_->frame_count_hint(); }
  SourceCounts counts() const override { return inner_->counts(); }

 private:
  std::unique_ptr<FrameSource> inner_;
  std::chrono::duration<double> period_;
  std::chrono::steady_clock::time_point start_;
  int64_t delivered_ = 0;
  int64_t first_index_ = 0;  // the index of the first frame delivered
  const std::atomic<bool>* stop_;
};

}  // namespace mvinfer
