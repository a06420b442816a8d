// BoundedQueue: the link between two pipeline stages. A producer that finds the queue full
// waits (backpressure), so memory is bounded by queue depths, not by the length of the video;
// a live source may instead drop the oldest item (push_newest). Any number of producers and
// consumers; close() ends the stream (consumers drain what is left), cancel() drops it.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace mvinfer {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  // Waits while full; false (and `item` unused) once the queue is closed.
  bool push(T item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    max_depth_ = std::max(max_depth_, items_.size());
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Never waits: when full, the oldest item is dropped to make room (a live source that
  // keeps only the newest frames). Returns how many items were dropped (0 or 1); false-y
  // closed state is reported through `accepted`.
  size_t push_newest(T item, bool* accepted = nullptr) {
    std::unique_lock lock(mu_);
    if (accepted) *accepted = !closed_;
    if (closed_) return 0;
    size_t dropped = 0;
    if (items_.size() >= capacity_) {
      items_.pop_front();
      dropped = 1;
    }
    items_.push_back(std::move(item));
    max_depth_ = std::max(max_depth_, items_.size());
    lock.unlock();
    not_empty_.notify_one();
    return dropped;
  }

  // Waits while empty; nullopt once closed and drained.
  std::optional<T> pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

  // No more pushes; what is queued can still be popped.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  // close() and drop what is queued.
  void cancel() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      items_.clear();
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  size_t capacity() const { return capacity_; }
  // The most items ever held at once (instrumentation for the backpressure tests).
  size_t max_depth() const {
    std::lock_guard lock(mu_);
    return max_depth_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  size_t max_depth_ = 0;
  bool closed_ = false;
};

}  // namespace mvinfer
