// pipeline: decode -> preprocess -> per-model workers -> per-frame join -> sink, over bounded
// queues, so decoding hides behind inference and memory is bounded by the queue depths.
//
//   decode (a thread per stream) --frames--> form + preprocess (one thread, once per distinct
//   input spec) --batches--> one queue per model --> that model's workers --> OrderedEmitter
//
// Cores are divided by measured cost: the first batch runs through every model in turn (its
// results are emitted like any other), and a model that costs k times another gets about k
// times the workers. Workers of one model share its session: ONNX Runtime allows concurrent
// Run() calls on one session, so an extra worker costs no extra copy of the weights.
#include <unistd.h>

#include <cmath>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "mvinfer/core/bounded_queue.h"
#include "mvinfer/core/error.h"
#include "shared.h"
#include "strategies.h"

namespace mvinfer::strategies {
namespace {

using BatchPtr = std::shared_ptr<const Batch>;

class Pipeline : public StrategyBase {
 public:
  explicit Pipeline(const StrategyOptions& options) : StrategyBase(options) {}
  std::string_view name() const override { return "pipeline"; }
  // One intra-op thread per session (cores / cores) unless told otherwise: the parallelism
  // comes from the workers.
  SessionPlan session_plan(std::span<const ModelSpec>) const override {
    return {cores_of(options_), 1};
  }

  void run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
           Observer& observer) override {
    const int cores = cores_of(options_);
    const size_t n = specs.size();
    const size_t depth = static_cast<size_t>(std::max(1, options_.queue_depth));
    // One intra-op thread per session unless told otherwise: parallelism comes from workers.
    std::vector<const Model*> models = create_models(specs);
    stats_ = {};
    stats_.queue_capacity = depth;

    OrderedEmitter emitter(sink, n, source.next_seq());
    FirstError error;
    const int pid = getpid();
    std::vector<std::unique_ptr<BoundedQueue<BatchPtr>>> model_queues;
    for (size_t m = 0; m < n; ++m) model_queues.push_back(std::make_unique<BoundedQueue<BatchPtr>>(depth));

    Batcher* batcher = dynamic_cast<Batcher*>(&source);
    const size_t streams = batcher ? batcher->sources().size() : 0;
    stats_.dropped_frames.assign(std::max<size_t>(streams, 1), 0);
    std::vector<std::unique_ptr<BoundedQueue<Frame>>> frame_queues;
    std::vector<std::atomic<int64_t>> dropped(std::max<size_t>(streams, 1));
    for (size_t s = 0; s < streams; ++s) {
      const bool drop = options_.drop_late && batcher->sources()[s]->is_live();
      // Dropping late frames keeps just the newest one waiting.
      const size_t cap = drop ? 1 : depth * static_cast<size_t>(std::max(1, batcher->options().batch));
      frame_queues.push_back(std::make_unique<BoundedQueue<Frame>>(cap));
    }
    auto cancel_all = [&] {
      for (auto& q : frame_queues) q->cancel();
      for (auto& q : model_queues) q->cancel();
    };
    auto fail = [&](std::exception_ptr e) {
      error.set(e);
      cancel_all();
    };

    std::vector<std::jthread> threads;
    // Whatever happens below, no thread is left blocked on a queue when `threads` joins.
    struct CancelOnExit {
      std::function<void()> f;
      ~CancelOnExit() { f(); }
    };

    // Decode: one thread per stream.
    for (size_t s = 0; s < streams; ++s)
      threads.emplace_back([&, s] {
        FrameSource& src = *batcher->sources()[s];
        BoundedQueue<Frame>& q = *frame_queues[s];
        const bool drop = options_.drop_late && src.is_live();
        try {
          for (Frame f; !stop_requested() && !error.failed() && src.next(f);) {
            if (drop) {
              bool accepted = false;
              dropped[s] += static_cast<int64_t>(q.push_newest(std::move(f), &accepted));
              if (!accepted) break;
            } else if (!q.push(std::move(f))) {
              break;
            }
          }
          q.close();
        } catch (...) {
          fail(std::current_exception());
        }
      });

    // Form batches and preprocess them (or just hand out ready-made ones), once for all models.
    threads.emplace_back([&] {
      try {
        for (;;) {
          std::optional<Batch> b;
          if (batcher) {
            auto formed = batcher->form([&](size_t s, Frame& f) {
              std::optional<Frame> got = frame_queues[s]->pop();
              if (!got) return false;
              f = std::move(*got);
              return true;
            });
            if (formed) b = batcher->make_batch(formed->seq, formed->frames);
          } else if (!stop_requested()) {
            b = source.next();
          }
          if (!b || error.failed()) break;
          auto shared = std::make_shared<const Batch>(std::move(*b));
          for (auto& q : model_queues)
            if (!q->push(shared)) break;
        }
        for (auto& q : model_queues) q->close();
      } catch (...) {
        fail(std::current_exception());
      }
    });
    CancelOnExit guard{cancel_all};

    auto run_one = [&](size_t m, const BatchPtr& b) {
      std::vector<Tensor> out =
          observe_run(observer, m, b->seq, static_cast<int64_t>(b->frames.size()), pid,
                      [&] { return models[m]->run(*b->inputs[m]); });
      emitter.submit(b, m, std::move(out));
    };

    // Each model's cost, measured on the first batch with the pipeline's own sessions (a real
    // run: its results are emitted like any other).
    std::vector<double> cost(n, 1.0);
    try {
      for (size_t m = 0; m < n; ++m) {
        std::optional<BatchPtr> b = model_queues[m]->pop();
        if (!b) break;
        const auto t0 = Clock::now();
        run_one(m, *b);
        cost[m] = std::max(1e-6, std::chrono::duration<double>(Clock::now() - t0).count());
      }
    } catch (...) {
      fail(std::current_exception());
    }

    // Workers in proportion to cost, rounded up: a model that needs 1.1 cores' worth gets two
    // workers, so that while the others wait on a full queue it can use the idle core.
    const double total = std::accumulate(cost.begin(), cost.end(), 0.0);
    std::vector<int> workers(n);
    settings_ = fmt::format("pipeline: decode {} stream{}, queues of {} batches; workers by cost:",
                            std::max<size_t>(streams, 1), streams == 1 ? "" : "s", depth);
    for (size_t m = 0; m < n; ++m) {
      // Up only past 2% of a core: measurement noise does not split near-equal models.
      workers[m] = std::max(1, static_cast<int>(std::ceil(cores * cost[m] / total - 0.02)));
      settings_ += fmt::format(" {} {} ({:.0f}% of the cost, {} intra-op thread{})", specs[m].name,
                               workers[m], 100 * cost[m] / total, sessions_[m].intra_threads,
                               sessions_[m].intra_threads == 1 ? "" : "s");
      settings_ += m + 1 < n ? "," : "";
    }
    settings_ += fmt::format("; spinning off, {} cores", cores);
    if (!error.failed())
      for (size_t m = 0; m < n; ++m)
        for (int w = 0; w < workers[m]; ++w)
          threads.emplace_back([&, m] {
            try {
              while (std::optional<BatchPtr> b = model_queues[m]->pop()) run_one(m, *b);
            } catch (...) {
              fail(std::current_exception());
            }
          });
    for (std::jthread& t : threads) t.join();
    for (size_t s = 0; s < streams; ++s) stats_.dropped_frames[s] = dropped[s];
    for (auto& q : model_queues) stats_.max_queue_depth = std::max(stats_.max_queue_depth, q->max_depth());
    stats_.max_pending_results = emitter.max_pending();
    stats_.model_costs = cost;
    error.rethrow_if_failed();
  }
};

}  // namespace

std::unique_ptr<Strategy> make_pipeline(const StrategyOptions& options) {
  return std::make_unique<Pipeline>(options);
}

}  // namespace mvinfer::strategies
