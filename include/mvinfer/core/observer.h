// Observer: sees every model Run() of a strategy (Taskflow's observer idea). Strategies call
// on_run_begin/on_run_end around each Run() and keep no timing of their own; RunReport is
// built from what a ProfileObserver recorded.
//
// Calls come from whichever thread runs the model (concurrently for concurrent strategies);
// implementations must be thread-safe. Worker processes record their events and the parent
// replays them, with the worker's pid, after the worker finished.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace mvinfer {

using Clock = std::chrono::steady_clock;

struct RunEvent {
  size_t model = 0;    // index into the run's model list
  int64_t batch = 0;   // Batch::seq
  int64_t frames = 0;  // frames in the batch
  Clock::time_point time;
  std::thread::id thread;  // the thread that called Run()
  int pid = 0;             // the process that called Run()
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_run_begin(const RunEvent&) {}
  virtual void on_run_end(const RunEvent&) {}
};

// One Run() call as recorded by ProfileObserver.
struct RunInterval {
  size_t model = 0;
  int64_t batch = 0;
  int64_t frames = 0;
  Clock::time_point begin, end;
  std::thread::id thread;
  int pid = 0;
  double seconds() const { return std::chrono::duration<double>(end - begin).count(); }
};

// Records every Run() interval. Thread-safe.
class ProfileObserver : public Observer {
 public:
  void on_run_begin(const RunEvent& e) override;
  void on_run_end(const RunEvent& e) override;
  // All completed intervals, in completion order.
  std::vector<RunInterval> intervals() const;
  void clear();

 private:
  mutable std::mutex mu_;
  std::vector<RunInterval> open_;  // begun, not ended
  std::vector<RunInterval> done_;
};

// Forwards to several observers.
class ObserverList : public Observer {
 public:
  explicit ObserverList(std::vector<Observer*> observers) : observers_(std::move(observers)) {}
  void on_run_begin(const RunEvent& e) override;
  void on_run_end(const RunEvent& e) override;

 private:
  std::vector<Observer*> observers_;
};

// Helper for strategies: times one call of `fn` as a Run() of `model` on `batch`.
template <typename Fn>
auto observe_run(Observer& observer, size_t model, int64_t batch, int64_t frames, int pid,
                 Fn&& fn) {
  RunEvent e{model, batch, frames, Clock::now(), std::this_thread::get_id(), pid};
  observer.on_run_begin(e);
  struct End {
    Observer& o;
    RunEvent& e;
    ~End() {
      e.time = Clock::now();
      o.on_run_end(e);
    }
  } end{observer, e};
  return fn();
}

}  // namespace mvinfer
