// threads: one thread per model on frames (with its dependents: a unit of the graph), each
// looping over every batch (the seed's winner). Results
// are put back in frame order by an OrderedEmitter. With the auto budget each session gets
// cores / models intra-op threads (at least 1) and no spinning, so the threads share the cores
// instead of fighting over them.
#include <unistd.h>

#include <thread>

#include "shared.h"
#include "strategies.h"

namespace mvinfer::strategies {
namespace {

class Threads : public StrategyBase {
 public:
  explicit Threads(const StrategyOptions& options) : StrategyBase(options) {}
  std::string_view name() const override { return "threads"; }
  SessionPlan session_plan(std::span<const ModelSpec> specs) const override {
    return {static_cast<int>(specs.size()), 1};
  }

  StrategyStats run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
                    Observer& observer) override {
    StrategyStats stats = plan_sessions(specs);
    std::vector<const Model*> models = create_models(specs, stats);
    const Graph graph(specs, models);
    const std::vector<size_t>& roots = graph.roots();
    // A model more than --queue-depth batches ahead of the slowest waits for it.
    // A stop ends the reading; every batch a model took is finished by the others.
    BatchFanout fanout(source, roots.size(), std::max(1, options_.queue_depth), options_.stop);
    OrderedEmitter emitter(sink, specs.size(), source.next_seq());
    FirstError error;
    const int pid = getpid();
    {
      std::vector<std::jthread> workers;
      for (size_t k = 0; k < roots.size(); ++k)
        workers.emplace_back([&, k] {
          try {
            for (int64_t i = 0; !error.failed(); ++i) {
              std::shared_ptr<const Batch> b = fanout.get(k, i);
              if (!b) break;
              graph.run_unit(roots[k], *b, observer, pid,
                             [&](size_t m, ModelResult r) { emitter.submit(b, m, std::move(r)); });
            }
          } catch (...) {
            error.set(std::current_exception());
          }
          fanout.done(k);
        });
    }  // joins every worker, also when one failed
    if (std::exception_ptr e = fanout.source_error()) error.set(e);
    error.rethrow_if_failed();
    stats.max_pending_results = emitter.max_pending();
    return stats;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_threads(const StrategyOptions& options) {
  return std::make_unique<Threads>(options);
}

}  // namespace mvinfer::strategies
