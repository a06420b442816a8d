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
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/core/model_cache.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/io/batch.h"
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
  // Where every session runs (choose_provider() decided it; provider.h); a model's own
  // provider= (ModelSpec::runs_on) wins.
  Provider provider = Provider::cpu;
  // On a GPU: models that cuda_graph_blocker() lets through run as CUDA graphs (gpu_rules.h).
  bool cuda_graph = false;
};

// What a strategy did in one run, returned by Strategy::run(). Timing is not here: it comes
// from the Observer's events, and RunReport is built from both (run_report.h).
struct StrategyStats {
  // How the sessions were set up, e.g. "4 sessions at once on 2 cores, intra-op threads
  // zoo0=1,zoo1=1, spinning off"; auto prefixes what it chose and why.
  std::string settings;
  std::vector<SessionSettings> sessions;  // per model, in spec order
  // processes: the worker processes' private memory (USS, MiB) at their exit, summed: what
  // they held beyond the pages shared with this process. 0 for in-process strategies.
  double worker_private_mib = 0;
  size_t queue_capacity = 0;            // pipeline: per queue, in batches (frames for frame queues)
  size_t max_queue_depth = 0;           // pipeline: the most any model queue held
  size_t max_pending_results = 0;       // results held back to be emitted in frame order
  std::vector<int64_t> dropped_frames;  // per stream (pipeline --drop-late on live sources)
  std::vector<double> model_costs;      // pipeline: the relative cost of each model it used
  // Intra-op threads per session (the largest when they differ).
  int intra_threads() const;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  // Runs every batch of `source` through every model; see the lifecycle above.
  virtual StrategyStats run(BatchSource& source, std::span<const ModelSpec> models,
                            ResultSink& sink, Observer& observer) = 0;
  // Creates ahead of time the sessions run() will use (into StrategyOptions::cache), so that
  // a later run() starts at once. Optional; no-op where sessions live elsewhere (processes).
  virtual void prepare(std::span<const ModelSpec> /*models*/) {}
};

// One row per strategy: everything else (strategy_names(), make_strategy(), auto's
// candidates, the CLI's help, the tests' parameter lists) is derived from this table, which
// lives in src/strategies/table.cc. Adding a strategy = one .cc file + one row.
struct StrategyInfo {
  std::string_view name;
  std::string_view description;  // one line, for `--help` and the README
  bool auto_candidate;           // auto may choose it (auto probes these, in table order)
  bool drops_late;               // can drop late frames of live sources (--drop-late)
  bool forks;                    // runs models in child processes (ThreadSanitizer cannot follow)
  std::unique_ptr<Strategy> (*make)(const StrategyOptions&);
};
std::span<const StrategyInfo> strategy_table();
// The row named `name`, or null.
const StrategyInfo* find_strategy(std::string_view name);
// "name: description" lines, for help texts.
std::string describe_strategies();

// Throws Error{bad_flag} about option "strategy" when strategy `name` cannot run `specs` (dependent
// models or intervals under a strategy whose workers see only their own model's inputs), naming
// the strategies that can.
void check_strategy_runs(std::string_view name, std::span<const ModelSpec> specs);

// The cores a run may use: options.cores, or all of the machine's.
int cores_of(const StrategyOptions& options);

// Names accepted by make_strategy(), in table order (the order `bench` runs them).
std::vector<std::string> strategy_names();

// Throws Error{bad_flag} about `option` ("strategy" for make_strategy(), "strategies" for bench's
// list) naming `name` and listing the known strategies, when `name` is none of them.
void check_strategy_name(std::string_view name, const std::string& option);

// Throws Error{bad_flag} naming `name` and listing the known strategies, or naming a bad option.
std::unique_ptr<Strategy> make_strategy(std::string_view name, const StrategyOptions& options);

// The session settings for `spec` when `concurrent` sessions run at once under `options`.
SessionSettings session_settings_for(const ModelSpec& spec, int concurrent,
                                     const StrategyOptions& options);

}  // namespace mvinfer
