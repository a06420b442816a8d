#include "mvinfer/core/strategy.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "mvinfer/core/error.h"
#include "strategies/strategies.h"

namespace mvinfer {

std::vector<std::string> strategy_names() {
  return {"serial", "threads", "processes", "coroutines", "coroutines-async", "pipeline", "auto"};
}

std::unique_ptr<Strategy> make_strategy(std::string_view name, const StrategyOptions& options) {
  if (options.intra_threads < 0)
    throw Error(ErrorCode::bad_flag, "--intra-threads must be 'auto' or a positive integer");
  if (name == "serial") return strategies::make_serial(options);
  if (name == "threads") return strategies::make_threads(options);
  if (name == "processes") return strategies::make_processes(options);
  if (name == "coroutines") return strategies::make_coroutines(options);
  if (name == "coroutines-async") return strategies::make_coroutines_async(options);
  if (name == "pipeline") return strategies::make_pipeline(options);
  if (name == "auto") return strategies::make_auto(options);
  std::string known;
  for (const std::string& n : strategy_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error(ErrorCode::bad_flag,
              fmt::format("--strategy '{}': unknown strategy (expected one of: {})", name, known));
}

int cores_of(const StrategyOptions& o) {
  return o.cores > 0 ? o.cores : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

SessionSettings session_settings_for(const ModelSpec& spec, int concurrent,
                                     const StrategyOptions& options) {
  SessionSettings s;
  if (spec.intra_threads > 0)
    s.intra_threads = spec.intra_threads;
  else if (options.intra_threads > 0)
    s.intra_threads = options.intra_threads;
  else
    s.intra_threads = std::max(1, cores_of(options) / std::max(1, concurrent));
  // Spinning threads of one session steal the cores the others need.
  s.allow_spinning = options.allow_spinning && concurrent <= 1;
  return s;
}

namespace strategies {

const std::vector<SessionSettings>& StrategyBase::plan_sessions(std::span<const ModelSpec> specs) {
  const SessionPlan plan = session_plan(specs);
  const int concurrent = plan.concurrent, min_threads = plan.min_threads;
  sessions_.clear();
  intra_threads_ = 0;
  std::string threads;
  bool spinning = false;
  for (const ModelSpec& spec : specs) {
    SessionSettings s = session_settings_for(spec, concurrent, options_);
    s.intra_threads = std::max(s.intra_threads, min_threads);
    sessions_.push_back(s);
    intra_threads_ = std::max(intra_threads_, s.intra_threads);
    threads += fmt::format("{}{}={}", threads.empty() ? "" : ",", spec.name, s.intra_threads);
    spinning = spinning || s.allow_spinning;
  }
  settings_ = fmt::format("{} session{} at once on {} cores, intra-op threads {}, spinning {}",
                          concurrent, concurrent == 1 ? "" : "s", cores_of(options_), threads,
                          spinning ? "on" : "off");
  return sessions_;
}

std::vector<const Model*> StrategyBase::create_models(std::span<const ModelSpec> specs) {
  plan_sessions(specs);
  ModelCache& cache = options_.cache ? *options_.cache : own_models_;
  if (!options_.cache) own_models_.clear();
  std::vector<const Model*> models;
  for (size_t i = 0; i < specs.size(); ++i) models.push_back(&cache.get(specs[i], sessions_[i]));
  return models;
}

bool StrategyBase::stop_requested() const {
  return options_.stop && options_.stop->load(std::memory_order_relaxed);
}

}  // namespace strategies
}  // namespace mvinfer
