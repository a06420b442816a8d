#include "mvinfer/io/paced_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "mvinfer/core/error.h"

namespace mvinfer {

PacedSource::PacedSource(std::unique_ptr<FrameSource> inner, double fps,
                         const std::atomic<bool>* stop)
    : inner_(std::move(inner)), period_(1.0 / fps), stop_(stop) {
  if (!(fps > 0))
    throw Error(ErrorCode::bad_flag, Error::Option{"live_fps"},
                fmt::format(" {}: expected a positive number", fps));
}

bool PacedSource::next(Frame& frame) {
  if (delivered_ == 0) start_ = std::chrono::steady_clock::now();
  // Like a camera: the frame exists only once its time has come.
  // Slept in slices, so that a stop request ends the wait at once.
  const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                period_ * static_cast<double>(delivered_));
  for (auto now = std::chrono::steady_clock::now(); now < due;
       now = std::chrono::steady_clock::now()) {
    if (stop_ && stop_->load(std::memory_order_relaxed)) return false;
    std::this_thread::sleep_until(
        std::min<std::chrono::steady_clock::time_point>(due, now + kStopPoll));
  }
  if (stop_ && stop_->load(std::memory_order_relaxed)) return false;
  if (!inner_->next(frame)) return false;
  // The live clock of the whole stream: a replay started inside it (a live job continued by
  // another worker) stamps its frames as the replay from frame 0 did.
  if (delivered_ == 0) first_index_ = frame.index;
  frame.timestamp_ms = 1e3 * period_.count() * static_cast<double>(first_index_ + delivered_++);
  return true;
}

}  // namespace mvinfer
