// coroutines and coroutines-async: C++20 coroutines on one thread, one per model, like the
// seed's asyncio tasks.
//
// coroutines: the faithful version. Each coroutine loops over the batches and calls the
// blocking Run(), so coroutines never overlap: serial in disguise (the timeline shows the
// models one after another). Its only suspension point is a bounded window, as asyncio's
// bounded queues give: a coroutine --queue-depth batches ahead of the slowest waits for it, so
// memory is bounded whatever the input's length and results flow as the slowest reaches them.
//
// coroutines-async: the answer to the seed's open question. Each coroutine starts ONNX
// Runtime's RunAsync and suspends; the callback (on one of that session's intra-op threads)
// posts the coroutine back to the loop, which resumes it on the loop's thread. Runs of
// different models overlap without a thread per model. RunAsync needs an intra-op pool of at
// least 2 threads, so every session gets >= 2 (and the callback runs on one of them).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <mutex>

#include "shared.h"
#include "strategies.h"

namespace mvinfer::strategies {
namespace {

// A coroutine that starts suspended, is resumed by the EventLoop, and keeps its exception.
class Task {
 public:
  struct promise_type {
    std::exception_ptr error;
    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { error = std::current_exception(); }
  };
  // The task bodies below report errors through FirstError at once, so the other tasks stop
  // early; `error` keeps anything that escaped anyway.
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<promise_type> handle() const { return h_; }

 private:
  std::coroutine_handle<promise_type> h_;
};

// Resumes ready coroutines on the thread that calls run(). post() may be called from any
// thread (the RunAsync callbacks do).
class EventLoop {
 public:
  void post(std::coroutine_handle<> h) {
    {
      std::lock_guard lock(mu_);
      ready_.push_back(h);
    }
    cv_.notify_one();
  }
  void run(std::vector<Task>& tasks) {
    for (Task& t : tasks) post(t.handle());
    size_t done = 0;
    while (done < tasks.size()) {
      std::coroutine_handle<> h;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !ready_.empty(); });
        h = ready_.front();
        ready_.pop_front();
      }
      h.resume();
      if (h.done()) ++done;
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::coroutine_handle<>> ready_;
};

// co_await AsyncRun{...}: starts RunAsync, suspends, and is resumed by the loop with the
// outputs once the callback fired.
struct AsyncRun {
  const Model& model;
  const Tensor& input;
  EventLoop& loop;
  Observer& observer;
  RunEvent event;
  std::vector<Tensor> outputs;
  std::exception_ptr error;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    event.time = Clock::now();
    event.thread = std::this_thread::get_id();
    observer.on_run_begin(event);
    model.run_async(input, [this, h](std::vector<Tensor> out, std::exception_ptr e) {
      RunEvent end = event;
      end.time = Clock::now();
      end.thread = std::this_thread::get_id();
      observer.on_run_end(end);
      outputs = std::move(out);
      error = e;
      loop.post(h);
    });
  }
  std::vector<Tensor> await_resume() {
    if (error) std::rethrow_exception(error);
    return std::move(outputs);
  }
};

// Keeps every coroutine within `lead` batches of the slowest, as asyncio's bounded queues do:
// a coroutine that would run further ahead suspends until the slowest catches up. Memory stays
// bounded by `lead` batches whatever the input's length, and results are emitted as the slowest
// coroutine reaches them (so an interrupted run has written everything before its stop).
// Touched on the loop's thread only (blocking coroutines run there; async ones resume there).
class Window {
 public:
  Window(size_t tasks, int64_t lead, EventLoop& loop)
      : next_(tasks, 0), lead_(std::max<int64_t>(1, lead)), loop_(loop) {}
  struct Admit {
    Window& w;
    int64_t batch;
    bool await_ready() const noexcept { return w.may_run(batch); }
    void await_suspend(std::coroutine_handle<> h) { w.waiting_.push_back({batch, h}); }
    void await_resume() const noexcept {}
  };
  // co_await admit(i): returns once batch i is within the lead.
  Admit admit(int64_t batch) { return {*this, batch}; }
  // Task k will next take batch `next` (INT64_MAX: it is done); wakes whoever may run now.
  void advance(size_t k, int64_t next) {
    next_[k] = next;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (may_run(it->batch)) {
        loop_.post(it->handle);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  bool may_run(int64_t batch) const {
    return batch < *std::min_element(next_.begin(), next_.end()) + lead_;
  }
  struct Waiting {
    int64_t batch;
    std::coroutine_handle<> handle;
  };
  std::vector<int64_t> next_;
  int64_t lead_;
  EventLoop& loop_;
  std::vector<Waiting> waiting_;
};

struct Context {
  const Graph& graph;
  BatchFanout& fanout;
  OrderedEmitter& emitter;
  FirstError& error;
  Observer& observer;
  const std::atomic<bool>* stop;
  EventLoop& loop;
  Window& window;
  int pid;
  // A stop request is the fanout's: it reads no more batches, so each coroutine finishes
  // every batch another took and a stopped run ends with whole batches.
  bool stopping() const { return error.failed(); }
};

Task blocking_model_task(Context& c, size_t k) {
  // The seed's `async def run(model): for frame in frames: session.run(...)`: no await inside.
  // Its only suspension point is the window (asyncio's bounded queue between the reader and
  // each task): Run() itself blocks.
  try {
    const size_t root = c.graph.roots()[k];
    for (int64_t i = 0; !c.stopping(); ++i) {
      co_await c.window.admit(i);
      if (c.stopping()) break;
      std::shared_ptr<const Batch> b = c.fanout.get(k, i);
      if (!b) break;
      c.graph.run_unit(root, *b, c.observer, c.pid,
                       [&](size_t m, ModelResult r) { c.emitter.submit(b, m, std::move(r)); });
      c.window.advance(k, i + 1);
    }
  } catch (...) {
    c.error.set(std::current_exception());
  }
  c.window.advance(k, INT64_MAX);
}

Task async_model_task(Context& c, const Model& model, size_t k) {
  try {
    const size_t root = c.graph.roots()[k];
    for (int64_t i = 0; !c.stopping(); ++i) {
      co_await c.window.admit(i);
      if (c.stopping()) break;
      std::shared_ptr<const Batch> b = c.fanout.get(k, i);
      if (!b) break;
      Graph::RootInput in = c.graph.root_input(root, *b);
      std::vector<Tensor> out;
      if (in.input) {
        RunEvent e{root, b->seq, static_cast<int64_t>(in.rows.size()), {}, {}, c.pid};
        out = co_await AsyncRun{model, *in.input, c.loop, c.observer, e, {}, nullptr};
      }
      // Decoding and dependents run here, on the loop's thread.
      c.graph.finish_unit(root, *b, std::move(in.rows), std::move(out), c.observer, c.pid,
                          [&](size_t m, ModelResult r) { c.emitter.submit(b, m, std::move(r)); });
      c.window.advance(k, i + 1);
    }
  } catch (...) {
    c.error.set(std::current_exception());
  }
  c.window.advance(k, INT64_MAX);
}

class Coroutines : public StrategyBase {
 public:
  Coroutines(const StrategyOptions& options, bool async) : StrategyBase(options), async_(async) {}
  std::string_view name() const override { return async_ ? "coroutines-async" : "coroutines"; }
  // Blocking coroutines run one session at a time; async ones run all of them at once, and
  // RunAsync needs an intra-op pool of at least 2 threads.
  SessionPlan session_plan(std::span<const ModelSpec> specs) const override {
    return async_ ? SessionPlan{static_cast<int>(specs.size()), 2} : SessionPlan{1, 1};
  }

  StrategyStats run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
                    Observer& observer) override {
    StrategyStats stats = plan_sessions(specs);
    std::vector<const Model*> models = create_models(specs, stats);
    stats.settings += async_ ? ", one thread resuming coroutines on RunAsync callbacks"
                             : fmt::format(
                                   ", one thread, Run() blocks; a coroutine {} batches "
                                   "ahead of the slowest waits for it",
                                   std::max(1, options_.queue_depth));
    const Graph graph(specs, models);
    BatchFanout fanout(source, graph.roots().size(), 0, options_.stop);
    OrderedEmitter emitter(sink, specs.size(), source.next_seq());
    FirstError error;
    EventLoop loop;
    Window window(graph.roots().size(), options_.queue_depth, loop);
    Context c{graph, fanout, emitter, error, observer, options_.stop, loop, window, getpid()};
    std::vector<Task> tasks;
    for (size_t k = 0; k < graph.roots().size(); ++k)
      tasks.push_back(async_ ? async_model_task(c, *models[graph.roots()[k]], k)
                             : blocking_model_task(c, k));
    // A failing task records its error and ends; the others see error.failed() and end at
    // their next batch, so the loop always drains and no RunAsync callback is left pointing
    // into a destroyed coroutine frame.
    loop.run(tasks);
    for (Task& t : tasks)
      if (t.handle().promise().error) error.set(t.handle().promise().error);
    if (std::exception_ptr e = fanout.source_error()) error.set(e);
    error.rethrow_if_failed();
    stats.max_pending_results = emitter.max_pending();
    return stats;
  }

 private:
  bool async_;
};

}  // namespace

std::unique_ptr<Strategy> make_coroutines(const StrategyOptions& options) {
  return std::make_unique<Coroutines>(options, false);
}

std::unique_ptr<Strategy> make_coroutines_async(const StrategyOptions& options) {
  return std::make_unique<Coroutines>(options, true);
}

}  // namespace mvinfer::strategies
