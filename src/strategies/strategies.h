// Factories of the built-in strategies (one .cc each), used by make_strategy().
#pragma once

#include <memory>

#include "mvinfer/core/strategy.h"

namespace mvinfer::strategies {

std::unique_ptr<Strategy> make_serial(const StrategyOptions& options);
std::unique_ptr<Strategy> make_threads(const StrategyOptions& options);
std::unique_ptr<Strategy> make_processes(const StrategyOptions& options);
std::unique_ptr<Strategy> make_coroutines(const StrategyOptions& options);
std::unique_ptr<Strategy> make_coroutines_async(const StrategyOptions& options);
std::unique_ptr<Strategy> make_pipeline(const StrategyOptions& options);
std::unique_ptr<Strategy> make_auto(const StrategyOptions& options);

// Strategies derive from StrategyBase to have their sessions planned and described the same way.
class StrategyBase : public Strategy {
 public:
  // Sessions created and warmed up (their first, slow Run() done on zeros).
  void prepare(std::span<const ModelSpec> specs) override {
    for (const Model* m : create_models(specs, plan_sessions(specs))) m->warm_up();
  }

 protected:
  explicit StrategyBase(const StrategyOptions& options) : options_(options) {}
  // How many sessions this strategy runs at once, and the fewest intra-op threads each needs.
  struct SessionPlan {
    int concurrent = 1;
    int min_threads = 1;
  };
  virtual SessionPlan session_plan(std::span<const ModelSpec> specs) const = 0;
  // Every model's session settings following session_plan(), described: the StrategyStats
  // a run starts from (settings and sessions filled in).
  StrategyStats plan_sessions(std::span<const ModelSpec> specs) const;
  // One Model per spec with the planned settings (from options_.cache when set, else from a
  // cache of this strategy's own).
  std::vector<const Model*> create_models(std::span<const ModelSpec> specs,
                                          const StrategyStats& plan);
  // One more Model for `spec` with other settings, from the same cache.
  const Model& model_with(const ModelSpec& spec, const SessionSettings& settings);
  bool stop_requested() const;

  StrategyOptions options_;
  ModelCache own_models_;
};

}  // namespace mvinfer::strategies
