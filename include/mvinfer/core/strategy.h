// Strategy: the scheduler. Decides which thread (or process, or coroutine) runs which model on
// which batch. Every strategy consumes the same BatchSource and emits the same results, in
// frame order, to the ResultSink; timing goes to the Observer. Strategies create the model
// sessions themselves, where they run them.
//
// Lifecycle: make_strategy() validates the options; run() is called once per run, from one
// thread; it returns when every result was emitted, or throws (after stopping and joining
// every worker it started) the first error any worker raised.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mvinfer/io/batch.h"
#include "mvinfer/core/model.h"
#include "mvinfer/core/model_cache.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/io/result_sink.h"

namespace mvinfer {

struct StrategyOptions {
  // Intra-op threads per session; 0 = auto: the cores divided among the sessions that run at
  // once (at least 1). A model's own ModelSpec::intra_threads wins over both.
  int intra_threads = 0;
  int cores = 0;  // 0 = std::thread::hardware_concurrency()
  // Spin-waiting of idle ONNX Runtime threads. Off unless asked for, and always off when
  // sessions run concurrently (spinning threads steal the cores other sessions need).
  bool allow_spinning = false;
  // Set (e.g. by a SIGINT handler) to stop early; run() then returns after emitting the
  // results of every batch that was completed.
  const std::atomic<bool>* stop = nullptr;
  // pipeline: batches each queue between two stages holds (memory is bounded by it).
  int queue_depth = 4;
  // pipeline, live sources: keep only the newest frame when inference falls behind, and count
  // the frames dropped; otherwise every frame is processed (lossless).
  bool drop_late = false;
  // auto: the most frames its probe may use, as a fraction of the video and in seconds.
  double probe_fraction = 0.05;
  double probe_seconds = 10;
  // Where strategies take their sessions from; null: each run creates its own.
  ModelCache* cache = nullptr;
};

// What a strategy's own machinery saw during a run (filled by the strategies that have it).
struct StrategyStats {
  size_t queue_capacity = 0;        // pipeline: per queue, in batches (frames for frame queues)
  size_t max_queue_depth = 0;       // pipeline: the most any model queue held
  size_t max_pending_results = 0;   // results held back to be emitted in frame order
  std::vector<int64_t> dropped_frames;  // per stream (pipeline --drop-late on live sources)
  std::vector<double> model_costs;      // pipeline: the relative cost of each model it used
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  virtual void run(BatchSource& source, std::span<const ModelSpec> models, ResultSink& sink,
                   Observer& observer) = 0;
  // Creates ahead of time the sessions run() will use (into StrategyOptions::cache), so that
  // a later run() starts at once. Optional; no-op where sessions live elsewhere (processes).
  virtual void prepare(std::span<const ModelSpec> /*models*/) {}
  // The session settings used by the last run, e.g. "4 sessions at once, 1 intra-op thread
  // each, spinning off".
  virtual std::string settings() const { return settings_; }
  // Intra-op threads per session used by the last run (the largest when they differ).
  int intra_threads() const { return intra_threads_; }
  // Memory of the worker processes of the last run beyond what they share with this process:
  // the sum of their private pages (USS) at the end of their run (0 for in-process strategies).
  double worker_peak_rss_mib() const { return worker_peak_rss_mib_; }
  // The session settings each model got in the last run (in spec order).
  const std::vector<SessionSettings>& sessions() const { return sessions_; }
  const StrategyStats& stats() const { return stats_; }

 protected:
  std::string settings_;
  int intra_threads_ = 0;
  double worker_peak_rss_mib_ = 0;
  std::vector<SessionSettings> sessions_;
  StrategyStats stats_;
};

// The cores a run may use: options.cores, or all of the machine's.
int cores_of(const StrategyOptions& options);

// Names accepted by make_strategy(), in the order `bench` runs them.
std::vector<std::string> strategy_names();

// Throws Error{bad_flag} naming `name` and listing the known strategies.
std::unique_ptr<Strategy> make_strategy(std::string_view name, const StrategyOptions& options);

// The session settings for `spec` when `concurrent` sessions run at once under `options`.
SessionSettings session_settings_for(const ModelSpec& spec, int concurrent,
                                     const StrategyOptions& options);

}  // namespace mvinfer
