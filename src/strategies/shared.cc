#include "shared.h"

#include <algorithm>
#include <climits>

namespace mvinfer::strategies {

void BatchFanout::done(size_t consumer) {
  {
    std::lock_guard lock(mu_);
    taken_[consumer] = INT64_MAX;
  }
  caught_up_.notify_all();
}

std::shared_ptr<const Batch> BatchFanout::get(size_t consumer, int64_t i) {
  std::unique_lock lock(mu_);
  if (lead_ > 0)
    caught_up_.wait(lock,
                    [&] { return i < *std::min_element(taken_.begin(), taken_.end()) + lead_; });
  if (stop_ && stop_->load(std::memory_order_relaxed)) ended_ = true;
  while (!ended_ && i >= base_ + static_cast<int64_t>(window_.size())) {
    std::optional<Batch> b;
    try {
      b = source_.next();
    } catch (...) {
      error_ = std::current_exception();
    }
    if (!b) {
      ended_ = true;
      break;
    }
    window_.push_back(std::make_shared<const Batch>(std::move(*b)));
  }
  std::shared_ptr<const Batch> batch;
  if (i - base_ < static_cast<int64_t>(window_.size()))
    batch = window_[static_cast<size_t>(i - base_)];
  taken_[consumer] = i + 1;
  // Drop what every consumer has taken: the consumers keep their own reference meanwhile.
  const int64_t all_taken = *std::min_element(taken_.begin(), taken_.end());
  while (base_ < all_taken && !window_.empty()) {
    window_.pop_front();
    ++base_;
  }
  lock.unlock();
  if (lead_ > 0) caught_up_.notify_all();
  return batch;
}

void OrderedEmitter::submit(std::shared_ptr<const Batch> batch, size_t model, ModelResult result) {
  const auto key = std::make_pair(batch->seq, model);  // before `batch` is moved from
  std::lock_guard lock(mu_);
  waiting_[key] = Entry{std::move(batch), std::move(result)};
  for (auto it = waiting_.find({next_seq_, next_model_}); it != waiting_.end();
       it = waiting_.find({next_seq_, next_model_})) {
    sink_.consume(*it->second.batch, next_model_, it->second.result);
    waiting_.erase(it);
    if (++next_model_ == models_) {
      next_model_ = 0;
      ++next_seq_;
    }
  }
  // What is left waits for an earlier result.
  max_pending_ = std::max(max_pending_, waiting_.size());
}

size_t OrderedEmitter::max_pending() const {
  std::lock_guard lock(mu_);
  return max_pending_;
}

void FirstError::set(std::exception_ptr e) {
  std::lock_guard lock(mu_);
  if (!error_) error_ = e;
  failed_.store(true);
}

void FirstError::rethrow_if_failed() {
  std::lock_guard lock(mu_);
  if (error_) std::rethrow_exception(error_);
}

}  // namespace mvinfer::strategies
