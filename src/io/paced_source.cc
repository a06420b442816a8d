#include "mvinfer/io/paced_source.h"

#include <fmt/format.h>

#include <thread>

#include "mvinfer/core/error.h"

namespace mvinfer {

PacedSource::PacedSource(std::unique_ptr<FrameSource> inner, double fps)
    : inner_(std::move(inner)), period_(1.0 / fps) {
  if (!(fps > 0))
    throw Error(ErrorCode::bad_flag, Error::Option{"live_fps"},
                fmt::format(" {}: expected a positive number", fps));
}

bool PacedSource::next(Frame& frame) {
  if (delivered_ == 0) start_ = std::chrono::steady_clock::now();
  // Like a camera: the frame exists only once its time has come.
  std::this_thread::sleep_until(start_ +
                                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    period_ * static_cast<double>(delivered_)));
  if (!inner_->next(frame)) return false;
  frame.timestamp_ms = 1e3 * period_.count() * static_cast<double>(delivered_++);
  return true;
}

}  // namespace mvinfer
