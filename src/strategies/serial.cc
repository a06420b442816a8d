// serial: for each batch, every model in turn (each unit of the graph: a model on frames, then
// its dependents), on the calling thread. The baseline every other
// strategy is compared with: its total time is the sum of the models' times.
#include <unistd.h>

#include "strategies.h"

namespace mvinfer::strategies {
namespace {

class Serial : public StrategyBase {
 public:
  explicit Serial(const StrategyOptions& options) : StrategyBase(options) {}
  std::string_view name() const override { return "serial"; }
  SessionPlan session_plan(std::span<const ModelSpec>) const override { return {1, 1}; }

  StrategyStats run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
                    Observer& observer) override {
    StrategyStats stats = plan_sessions(specs);
    std::vector<const Model*> models = create_models(specs, stats);
    const Graph graph(specs, models);
    const int pid = getpid();
    while (!stop_requested()) {
      std::optional<Batch> batch = source.next();
      if (!batch) break;
      for (size_t root : graph.roots())
        graph.run_unit(root, *batch, observer, pid,
                       [&](size_t m, ModelResult r) { sink.consume(*batch, m, r); });
    }
    return stats;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_serial(const StrategyOptions& options) {
  return std::make_unique<Serial>(options);
}

}  // namespace mvinfer::strategies
