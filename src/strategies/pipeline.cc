// pipeline: decode -> form + preprocess -> per-model workers -> per-frame join -> sink, over
// bounded queues, so decoding hides behind inference and memory is bounded by the queue depths.
//
//   DecodeStage (a thread per stream) --frames--> FormStage (one thread: batches formed and
//   preprocessed once per distinct input spec) --batches--> a queue per unit (a model on
//   frames and its dependents) --> ModelStage (that unit's workers) --> OrderedEmitter (the join:
//   results in frame order) --> sink
//
// Cores are divided by measured cost: the first batch runs through every model in turn (its
// results are emitted like any other), each model's Run() time is read from the Observer's
// intervals, and workers_by_cost() (strategies/rules.h) turns those costs into workers. Workers
// of one model share its session: ONNX Runtime allows concurrent Run() calls on one session,
// so an extra worker costs no extra copy of the weights. The heaviest unit, when it earned
// several workers, is also timed as one worker with that many intra-op threads (probe_intra),
// and runs that way when intra_op_beats_workers() says so (memory-bound models).
//
// Every stage reports its error to one FirstError, which cancels every queue: no thread is
// ever left blocked, and run() joins them all before it rethrows.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>
#include <thread>

#include "mvinfer/core/bounded_queue.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/strategies/rules.h"
#include "shared.h"
#include "strategies.h"

namespace mvinfer::strategies {
namespace {

using BatchPtr = std::shared_ptr<const Batch>;

// What the stages of one run share: the queues between them, the join and the first error.
struct PipelineRun {
  std::vector<std::unique_ptr<BoundedQueue<Frame>>> frames;      // per stream
  std::vector<std::unique_ptr<BoundedQueue<BatchPtr>>> batches;  // per model
  OrderedEmitter& emitter;
  FirstError error;

  void cancel() {
    for (auto& q : frames) q->cancel();
    for (auto& q : batches) q->cancel();
  }
  void fail(std::exception_ptr e) {
    error.set(e);
    cancel();
  }
};

// Reads one stream into its frame queue. With drop_late (live streams only) the queue holds
// just the newest frame, and every frame it replaces is counted as dropped.
class DecodeStage {
 public:
  DecodeStage(FrameSource& source, BoundedQueue<Frame>& out, bool drop_late)
      : source_(source), out_(out), drop_late_(drop_late) {}
  // Queue capacity for a stream: one frame when dropping, else `depth` batches' worth.
  static size_t capacity(bool drop_late, size_t depth, int batch_size) {
    return drop_late ? 1 : depth * static_cast<size_t>(std::max(1, batch_size));
  }
  void run(const std::function<bool()>& stopping) {
    try {
      for (Frame f; !stopping() && source_.next(f);) {
        if (drop_late_) {
          bool accepted = false;
          dropped_ += static_cast<int64_t>(out_.push_newest(std::move(f), &accepted));
          if (!accepted) break;
        } else if (!out_.push(std::move(f))) {
          break;
        }
      }
      out_.close();
    } catch (...) {
      // A stream that fails ends there: the frames decoded before still go through every
      // model and are emitted, as in serial; run() raises the error once they are.
      error_ = std::current_exception();
      out_.close();
    }
  }
  int64_t dropped() const { return dropped_; }
  // The error that ended the stream, if any (read after the stage's thread was joined).
  std::exception_ptr error() const { return error_; }

 private:
  FrameSource& source_;
  BoundedQueue<Frame>& out_;
  bool drop_late_;
  std::atomic<int64_t> dropped_{0};
  std::exception_ptr error_;
};

// Forms batches (from the frame queues when the source has streams, else takes the source's
// ready-made batches), preprocesses each once, and hands the same batch to every model queue.
class FormStage {
 public:
  explicit FormStage(BatchSource& source) : source_(source) {}
  void run(PipelineRun& run, const std::function<bool()>& stopping) {
    try {
      // When decoding, a stop ends the decoders, whose queues then run dry: forming goes on
      // until they do, so no decoder is left blocked on a full queue.
      const bool decoding = !source_.streams().empty();
      while (decoding ? !run.error.failed() : !stopping()) {
        std::optional<Batch> b;
        if (decoding) {
          auto formed = source_.form([&](size_t s, Frame& f) {
            std::optional<Frame> got = run.frames[s]->pop();
            if (got) f = std::move(*got);
            return got.has_value();
          });
          if (formed) b = source_.make_batch(formed->seq, formed->frames);
        } else {
          b = source_.next();
        }
        if (!b) break;
        auto shared = std::make_shared<const Batch>(std::move(*b));
        for (auto& q : run.batches)
          if (!q->push(shared)) break;
      }
      for (auto& q : run.batches) q->close();
    } catch (...) {
      run.fail(std::current_exception());
    }
  }

 private:
  BatchSource& source_;
};

// One unit's Run()s (a model on frames and its dependents): pops its queue, runs, hands the
// results to the join.
class ModelStage {
 public:
  ModelStage(const Graph& graph, size_t unit, PipelineRun& run)
      : graph_(&graph), unit_(unit), run_(run) {}
  // Runs one batch (on `graph`'s sessions when given, else the stage's); exceptions go to the
  // caller.
  void run_one(const BatchPtr& b, Observer& observer, const Graph* graph = nullptr) {
    const Graph& g = graph ? *graph : *graph_;
    g.run_unit(g.roots()[unit_], *b, observer, getpid(),
               [&](size_t m, ModelResult r) { run_.emitter.submit(b, m, std::move(r)); });
  }
  // From now on, the unit runs on `graph`'s sessions (same specs, other session settings).
  void use(const Graph& graph) { graph_ = &graph; }
  size_t unit() const { return unit_; }
  // A worker: runs batches until the queue ends or is cancelled.
  void work(Observer& observer) {
    try {
      while (std::optional<BatchPtr> b = run_.batches[unit_]->pop()) run_one(*b, observer);
    } catch (...) {
      run_.fail(std::current_exception());
    }
  }

 private:
  const Graph* graph_;
  size_t unit_;
  PipelineRun& run_;
};

class Pipeline : public StrategyBase {
 public:
  explicit Pipeline(const StrategyOptions& options) : StrategyBase(options) {}
  std::string_view name() const override { return "pipeline"; }
  // One intra-op thread per session (cores / cores) unless told otherwise: the parallelism
  // comes from the workers.
  SessionPlan session_plan(std::span<const ModelSpec>) const override {
    return {cores_of(options_), 1};
  }

  StrategyStats run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
                    Observer& observer) override {
    const int cores = cores_of(options_);
    const size_t n = specs.size();
    const size_t depth = static_cast<size_t>(std::max(1, options_.queue_depth));
    StrategyStats stats = plan_sessions(specs);
    std::vector<const Model*> models = create_models(specs, stats);
    stats.queue_capacity = depth;

    const Graph graph(specs, models);
    const size_t units = graph.roots().size();
    OrderedEmitter emitter(sink, n, source.next_seq());
    PipelineRun run{{}, {}, emitter, {}};
    for (size_t u = 0; u < units; ++u)
      run.batches.push_back(std::make_unique<BoundedQueue<BatchPtr>>(depth));
    std::vector<std::unique_ptr<DecodeStage>> decoders;
    for (FrameSource* s : source.streams()) {
      const bool drop = options_.drop_late && s->is_live();
      run.frames.push_back(std::make_unique<BoundedQueue<Frame>>(
          DecodeStage::capacity(drop, depth, source.batch_size())));
      decoders.push_back(std::make_unique<DecodeStage>(*s, *run.frames.back(), drop));
    }
    std::vector<ModelStage> stages;
    for (size_t u = 0; u < units; ++u) stages.emplace_back(graph, u, run);
    const std::function<bool()> stopping = [&] { return stop_requested() || run.error.failed(); };

    std::vector<int> workers;
    // The heaviest unit on sessions with more intra-op threads, when probe_intra() picks them;
    // declared before the threads so that it outlives them.
    std::vector<const Model*> intra_models = models;
    std::optional<Graph> intra_graph;
    std::string intra_note;
    {
      std::vector<std::jthread> threads;
      // Whatever happens below, no thread is left blocked on a queue when `threads` joins.
      struct CancelOnExit {
        PipelineRun& run;
        ~CancelOnExit() { run.cancel(); }
      };
      for (auto& d : decoders) threads.emplace_back([&, d = d.get()] { d->run(stopping); });
      FormStage form(source);
      threads.emplace_back([&] { form.run(run, stopping); });
      CancelOnExit guard{run};

      const std::vector<double> cost = probe_costs(run, stages, unit_of(specs), observer);
      workers = workers_by_cost(cost, cores);
      stats.model_costs = cost;
      const auto start = [&](size_t u) {
        for (int w = 0; w < workers[u]; ++w)
          threads.emplace_back([&, u] { stages[u].work(observer); });
      };
      // The heaviest unit, if it earned several workers and its threads are ours to choose, is
      // probed for one worker with that many intra-op threads instead, beside the other units'
      // workers (started first: they drain their queues, so the heavy one's keeps filling).
      const size_t heavy =
          static_cast<size_t>(std::max_element(cost.begin(), cost.end()) - cost.begin());
      const std::vector<size_t>& heavy_models = graph.unit(graph.roots().at(heavy));
      const bool try_intra = !run.error.failed() && workers[heavy] > 1 &&
                             options_.intra_threads == 0 &&
                             std::all_of(heavy_models.begin(), heavy_models.end(),
                                         [&](size_t m) { return specs[m].intra_threads == 0; });
      if (!run.error.failed())
        for (size_t u = 0; u < units; ++u)
          if (!try_intra || u != heavy) start(u);
      if (try_intra) {
        for (size_t m : heavy_models) {
          SessionSettings more = stats.sessions[m];
          more.intra_threads = workers[heavy];
          intra_models[m] = &model_with(specs[m], more);
          intra_models[m]->warm_up();
        }
        intra_graph.emplace(specs, intra_models);
        const IntraProbe p =
            probe_intra(run, stages[heavy], *intra_graph, workers[heavy], observer);
        if (p.concurrent_s > 0 && p.intra_s > 0)
          intra_note = fmt::format(
              "; {}: {:.2f} batches/s as one worker on {} intra-op threads vs {:.2f} as {} "
              "workers, kept {}",
              specs[graph.roots()[heavy]].name, 1 / p.intra_s, workers[heavy],
              workers[heavy] / p.concurrent_s, workers[heavy],
              p.chosen ? "one worker" : "the workers");
        if (p.chosen) {
          stages[heavy].use(*intra_graph);
          for (size_t m : heavy_models) stats.sessions[m].intra_threads = workers[heavy];
          workers[heavy] = 1;
        }
        if (!run.error.failed()) start(heavy);
      }
      stats.settings =
          describe(specs, graph, decoders.size(), stats, cost, workers, cores) + intra_note;
      for (std::jthread& t : threads) t.join();
    }
    for (const auto& d : decoders) stats.dropped_frames.push_back(d->dropped());
    if (decoders.empty()) stats.dropped_frames.push_back(0);
    for (auto& q : run.batches)
      stats.max_queue_depth = std::max(stats.max_queue_depth, q->max_depth());
    stats.max_pending_results = emitter.max_pending();
    for (const auto& d : decoders)
      if (d->error()) run.error.set(d->error());
    run.error.rethrow_if_failed();
    return stats;
  }

 private:
  struct IntraProbe {
    double concurrent_s = 0;  // wall time of `workers` batches at once, one-thread sessions
    double intra_s = 0;       // mean time of one batch on the many-thread sessions
    bool chosen = false;      // intra_op_beats_workers()
  };
  // Runs `workers` batches of the stage's unit at once on its own sessions, then as many one
  // after another on `intra`'s, timing both (a real run: the results are emitted), and applies
  // the rule. A queue that ends first leaves the workers as they were.
  static IntraProbe probe_intra(PipelineRun& run, ModelStage& stage, const Graph& intra,
                                int workers, Observer& observer) {
    using Clock = std::chrono::steady_clock;
    const auto since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    IntraProbe p;
    try {
      std::vector<BatchPtr> batches;
      for (int i = 0; i < workers; ++i)
        if (std::optional<BatchPtr> b = run.batches[stage.unit()]->pop())
          batches.push_back(std::move(*b));
      const Clock::time_point t0 = Clock::now();
      {
        std::vector<std::jthread> calls;
        for (const BatchPtr& b : batches)
          calls.emplace_back([&, b] {
            try {
              stage.run_one(b, observer);
            } catch (...) {
              run.fail(std::current_exception());
            }
          });
      }
      if (batches.size() < static_cast<size_t>(workers) || run.error.failed()) return p;
      p.concurrent_s = since(t0);
      int n = 0;
      double total = 0;
      for (; n < workers; ++n) {
        std::optional<BatchPtr> b = run.batches[stage.unit()]->pop();
        if (!b) break;
        const Clock::time_point t1 = Clock::now();
        stage.run_one(*b, observer, &intra);
        total += since(t1);
      }
      if (n == 0) return p;
      p.intra_s = total / n;
      p.chosen = intra_op_beats_workers(workers, p.concurrent_s, p.intra_s);
    } catch (...) {
      run.fail(std::current_exception());
    }
    return p;
  }

  // Each unit's cost: its Run() time on the first batch (its dependents' included), one unit
  // after another with the pipeline's own sessions, as the Observer saw it (a real run: the
  // results are emitted).
  static std::vector<double> probe_costs(PipelineRun& run, std::vector<ModelStage>& stages,
                                         const std::vector<size_t>& unit, Observer& observer) {
    ProfileObserver probe;
    ObserverList both({&observer, &probe});
    try {
      for (size_t u = 0; u < stages.size(); ++u) {
        std::optional<BatchPtr> b = run.batches[u]->pop();
        if (!b) break;
        stages[u].run_one(*b, both);
      }
    } catch (...) {
      run.fail(std::current_exception());
    }
    std::vector<double> cost(stages.size(), 0.0);
    for (const RunInterval& r : probe.intervals()) cost[unit.at(r.model)] += r.seconds();
    return cost;
  }

  static std::string describe(std::span<const ModelSpec> specs, const Graph& graph, size_t streams,
                              const StrategyStats& stats, const std::vector<double>& cost,
                              const std::vector<int>& workers, int cores) {
    const double total = std::accumulate(cost.begin(), cost.end(), 0.0);
    std::string s = fmt::format(
        "pipeline: {}queues of {} batches; workers by cost:",
        streams ? fmt::format("decode {} stream{}, ", streams, streams == 1 ? "" : "s") : "",
        stats.queue_capacity);
    const std::vector<size_t>& roots = graph.roots();
    for (size_t u = 0; u < roots.size(); ++u) {
      std::string name = specs[roots[u]].name;
      for (size_t m : graph.unit(roots[u]))
        if (m != roots[u]) name += "+" + specs[m].name;
      const int threads = stats.sessions[roots[u]].intra_threads;
      s += fmt::format(" {} {} ({:.0f}% of the cost, {} intra-op thread{}){}", name, workers[u],
                       total > 0 ? 100 * cost[u] / total : 0, threads, threads == 1 ? "" : "s",
                       u + 1 < roots.size() ? "," : "");
    }
    return s + fmt::format("; spinning off, {} cores", cores);
  }
};

}  // namespace

std::unique_ptr<Strategy> make_pipeline(const StrategyOptions& options) {
  return std::make_unique<Pipeline>(options);
}

}  // namespace mvinfer::strategies
