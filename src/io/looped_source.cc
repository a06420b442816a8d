#include "mvinfer/io/looped_source.h"

#include <fmt/format.h>

#include "mvinfer/core/error.h"

namespace mvinfer {

LoopedSource::LoopedSource(std::string spec, int times, int64_t max_frames, int stream, bool strict)
    : spec_(std::move(spec)), times_(times), stream_(stream), max_(max_frames), strict_(strict) {
  if (times < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"loop"},
                fmt::format(" {}: expected a positive integer", times));
  current_ = open_frame_source(spec_, -1, stream_, strict_);
  per_loop_ = current_->frame_count_hint();
  per_loop_expected_ = current_->counts().expected;
  if (current_->is_live())
    throw Error(ErrorCode::bad_flag, Error::Option{"loop"},
                fmt::format(" {}: '{}' is live and cannot be replayed", times, spec_));
}

bool LoopedSource::next(Frame& frame) {
  if (max_ >= 0 && index_ >= max_) return false;
  while (!current_->next(frame)) {
    if (++loop_ >= times_) {
      if (strict_ && index_ < max_)
        throw Error(ErrorCode::bad_input,
                    fmt::format("'{}' played {} times: ended after {} of the {} frames asked "
                                "for, and ",
                                spec_, times_, index_, max_),
                    Error::Option{"strict"}, " expects them all");
      return false;
    }
    offset_ms_ = last_ms_ + 40;  // the next loop starts one nominal frame later
    undecodable_ += current_->counts().undecodable;
    current_ = open_frame_source(spec_, -1, stream_, strict_);
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

SourceCounts LoopedSource::counts() const {
  SourceCounts c;
  c.read = index_;
  c.expected = max_ >= 0 ? max_ : per_loop_expected_ < 0 ? -1 : per_loop_expected_ * times_;
  c.undecodable = undecodable_ + current_->counts().undecodable;
  return c;
}

}  // namespace mvinfer
