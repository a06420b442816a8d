#include "mvinfer/io/looped_source.h"

#include <fmt/format.h>

#include "mvinfer/core/error.h"

namespace mvinfer {

LoopedSource::LoopedSource(std::string spec, int times, int64_t max_frames, int stream)
    : spec_(std::move(spec)), times_(times), stream_(stream), max_(max_frames) {
  if (times < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"loop"},
                fmt::format(" {}: expected a positive integer", times));
  current_ = open_frame_source(spec_, -1, stream_);
  per_loop_ = current_->frame_count_hint();
  if (current_->is_live())
    throw Error(ErrorCode::bad_flag, Error::Option{"loop"},
                fmt::format(" {}: '{}' is live and cannot be replayed", times, spec_));
}

bool LoopedSource::next(Frame& frame) {
  if (max_ >= 0 && index_ >= max_) return false;
  while (!current_->next(frame)) {
    if (++loop_ >= times_) return false;
    offset_ms_ = last_ms_ + 40;  // the next loop starts one nominal frame later
    current_ = open_frame_source(spec_, -1, stream_);
  }
  frame.index = index_++;
  frame.timestamp_ms += offset_ms_;
  last_ms_ = frame.timestamp_ms;
  return true;
}

int64_t LoopedSource::frame_count_hint() const {
  if (per_loop_ < 0) return max_;
  const int64_t all = per_loop_ * times_;
  return max_ >= 0 ? std::min(max_, all) : all;
}

}  // namespace mvinfer
