#include "mvinfer/core/observer.h"

#include <algorithm>

namespace mvinfer {

void ProfileObserver::on_run_begin(const RunEvent& e) {
  std::lock_guard lock(mu_);
  open_.push_back({e.model, e.batch, e.frames, e.time, e.time, e.thread, e.pid});
}

void ProfileObserver::on_run_end(const RunEvent& e) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(open_.begin(), open_.end(), [&](const RunInterval& r) {
    return r.model == e.model && r.batch == e.batch && r.pid == e.pid;
  });
  if (it == open_.end()) return;  // an end without a begin is not ours to record
  it->end = e.time;
  done_.push_back(*it);
  open_.erase(it);
}

std::vector<RunInterval> ProfileObserver::intervals() const {
  std::lock_guard lock(mu_);
  return done_;
}

void ProfileObserver::clear() {
  std::lock_guard lock(mu_);
  open_.clear();
  done_.clear();
}

void ObserverList::on_run_begin(const RunEvent& e) {
  for (Observer* o : observers_) o->on_run_begin(e);
}

void ObserverList::on_run_end(const RunEvent& e) {
  for (Observer* o : observers_) o->on_run_end(e);
}

}  // namespace mvinfer
