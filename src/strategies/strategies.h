// Factories of the built-in strategies (one .cc each), used by make_strategy().
#pragma once

#include <memory>

#include "mvinfer/strategy.h"

namespace mvinfer::strategies {

std::unique_ptr<Strategy> make_serial(const StrategyOptions& options);
std::unique_ptr<Strategy> make_threads(const StrategyOptions& options);
std::unique_ptr<Strategy> make_processes(const StrategyOptions& options);
std::unique_ptr<Strategy> make_coroutines(const StrategyOptions& options);
std::unique_ptr<Strategy> make_coroutines_async(const StrategyOptions& options);

// The settings of every model's session when `concurrent` sessions run at once, with at least
// `min_threads` intra-op threads each; describes them in `settings` / `intra_threads` for the
// report.
// Strategies derive from StrategyBase to have their sessions planned and described the same way.
class StrategyBase : public Strategy {
 protected:
  explicit StrategyBase(const StrategyOptions& options) : options_(options) {}
  // Chooses every model's session settings when `concurrent` sessions run at once (at least
  // `min_threads` intra-op threads each) and records them for settings()/sessions().
  const std::vector<SessionSettings>& plan_sessions(std::span<const ModelSpec> specs,
                                                    int concurrent, int min_threads = 1);
  // plan_sessions(), then one Model per spec with those settings.
  std::vector<Model> create_models(std::span<const ModelSpec> specs, int concurrent,
                                   int min_threads = 1);
  bool stop_requested() const;

  StrategyOptions options_;
};

}  // namespace mvinfer::strategies
