// SerialWorker: one thread that runs the tasks given to it, in order. A GPU session's
// asynchronous calls and all of a CUDA graph's calls go through one (model.cc): ONNX Runtime's
// CUDA provider keeps a context per thread (its cuBLAS and cuDNN handles, and the captured
// graph), so a graph is captured and replayed on this one thread, and asynchronous calls do not
// make a context per call.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

namespace mvinfer {

// The destructor waits for the tasks already given to run.
class SerialWorker {
 public:
  SerialWorker()
      : thread_([this](std::stop_token stop) {
          for (;;) {
            std::function<void()> task;
            {
              std::unique_lock lock(mu_);
              ready_.wait(lock, stop, [&] { return !tasks_.empty(); });
              if (tasks_.empty()) return;  // stopped with nothing left
              task = std::move(tasks_.front());
              tasks_.pop_front();
            }
            task();
          }
        }) {}
  ~SerialWorker() {
    thread_.request_stop();
    ready_.notify_all();
  }  // jthread joins after the tasks queued so far have run
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }
  // Runs `fn` on the worker and waits for its result (or its exception).
  template <typename Fn>
  auto call(Fn fn) {
    // Shared: the worker's copy keeps the task alive until it has returned from running it.
    auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
    auto result = task->get_future();
    post([task] { (*task)(); });
    return result.get();
  }

 private:
  std::mutex mu_;
  std::condition_variable_any ready_;
  std::deque<std::function<void()>> tasks_;
  std::jthread thread_;  // last: started after the queue exists, joined before it goes
};

}  // namespace mvinfer
