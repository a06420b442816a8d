#include "mvinfer/core/strategy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/core/gpu_rules.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/core/limits.h"
#include "mvinfer/tools/gpu_monitor.h"
#include "strategies/strategies.h"

namespace mvinfer {

int StrategyStats::intra_threads() const {
  int n = 0;
  for (const SessionSettings& s : sessions) n = std::max(n, s.intra_threads);
  return n;
}

const StrategyInfo* find_strategy(std::string_view name) {
  for (const StrategyInfo& s : strategy_table())
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> strategy_names() {
  std::vector<std::string> names;
  for (const StrategyInfo& s : strategy_table()) names.emplace_back(s.name);
  return names;
}

std::string describe_strategies() {
  std::string out;
  for (const StrategyInfo& s : strategy_table())
    out += fmt::format("  {:<17} {}\n", s.name, s.description);
  return out;
}

std::unique_ptr<Strategy> make_strategy(std::string_view name, const StrategyOptions& options) {
  if (options.intra_threads < 0)
    throw Error(ErrorCode::bad_flag, Error::Option{"intra_threads"},
                fmt::format(" {}: expected 0 (auto) or a positive integer", options.intra_threads));
  check_strategy_name(name, "strategy");
  return find_strategy(name)->make(options);
}

void check_strategy_name(std::string_view name, const std::string& option) {
  if (!find_strategy(name))
    throw Error(ErrorCode::bad_flag, Error::Option{option},
                fmt::format(" '{}': unknown strategy (expected one of: {})", name,
                            fmt::join(strategy_names(), ", ")));
}

void check_strategy_runs(std::string_view name, std::span<const ModelSpec> specs) {
  const StrategyInfo* info = find_strategy(name);
  if (!info || !info->forks || !(has_dependents(specs) || has_intervals(specs))) return;
  std::vector<std::string_view> able;
  for (const StrategyInfo& s : strategy_table())
    if (!s.forks && s.name != "auto") able.push_back(s.name);
  throw Error(ErrorCode::bad_flag, Error::Option{"strategy"},
              fmt::format(" {}: cannot run dependent models (on=) or intervals (interval=): its "
                          "workers see only their own model's inputs (expected one of: {})",
                          name, fmt::join(able, ", ")));
}

int cores_of(const StrategyOptions& o) {
  return o.cores > 0 ? o.cores
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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
  s.provider = spec.runs_on.value_or(options.provider);
  // CUDA graphs through CUDA's provider (TensorRT's are its own setting, not set here).
  s.cuda_graph =
      options.cuda_graph && s.provider == Provider::cuda && cuda_graph_blocker(spec).empty();
  return s;
}

namespace strategies {
namespace {

// The GPU sessions' share of the device and their CUDA graphs; the settings line's words.
std::string plan_gpu(std::span<const ModelSpec> specs, std::vector<SessionSettings>& sessions,
                     int on_gpu, bool graphs_asked) {
  const std::optional<GpuMonitor::Memory> mem = GpuMonitor().memory();
  const uint64_t limit = gpu_arena_limit(mem ? mem->total_bytes : 0, on_gpu);
  std::vector<std::string> graphs, not_graphs;
  for (size_t i = 0; i < specs.size(); ++i) {
    SessionSettings& s = sessions[i];
    if (s.provider == Provider::cpu) continue;
    s.gpu_mem_limit = limit;
    if (s.cuda_graph)
      graphs.push_back(specs[i].name);
    else if (graphs_asked && s.provider == Provider::tensorrt)
      not_graphs.push_back(fmt::format("not {}: it runs on TensorRT", specs[i].name));
    else if (const std::string why = cuda_graph_blocker(specs[i]); graphs_asked && !why.empty())
      not_graphs.push_back(fmt::format("not {}: {}", specs[i].name, why));
  }
  std::string words = fmt::format(", {} on the GPU, memory arena at most {} each", on_gpu,
                                  limit > 0 ? format_bytes(static_cast<double>(limit)) : "n/a");
  if (!graphs.empty() || !not_graphs.empty()) {
    std::vector<std::string> parts;
    if (!graphs.empty()) parts.push_back(fmt::format("{}", fmt::join(graphs, ", ")));
    parts.insert(parts.end(), not_graphs.begin(), not_graphs.end());
    words += fmt::format(", CUDA graphs: {}", fmt::join(parts, "; "));
  }
  return words;
}

}  // namespace

StrategyStats StrategyBase::plan_sessions(std::span<const ModelSpec> specs) const {
  const SessionPlan plan = session_plan(specs);
  StrategyStats stats;
  std::string threads;
  bool spinning = false;
  int on_gpu = 0;
  for (const ModelSpec& spec : specs) {
    SessionSettings s = session_settings_for(spec, plan.concurrent, options_);
    s.intra_threads = std::max(s.intra_threads, plan.min_threads);
    stats.sessions.push_back(s);
    threads += fmt::format("{}{}={}", threads.empty() ? "" : ",", spec.name, s.intra_threads);
    spinning = spinning || s.allow_spinning;
    on_gpu += s.provider != Provider::cpu;
  }
  stats.settings = fmt::format("{} session{} at once on {} cores, intra-op threads {}, spinning {}",
                               plan.concurrent, plan.concurrent == 1 ? "" : "s", cores_of(options_),
                               threads, spinning ? "on" : "off");
  if (on_gpu > 0) stats.settings += plan_gpu(specs, stats.sessions, on_gpu, options_.cuda_graph);
  return stats;
}

std::vector<const Model*> StrategyBase::create_models(std::span<const ModelSpec> specs,
                                                      const StrategyStats& plan) {
  ModelCache& cache = options_.cache ? *options_.cache : own_models_;
  if (!options_.cache) own_models_.clear();
  std::vector<const Model*> models;
  for (size_t i = 0; i < specs.size(); ++i)
    models.push_back(&cache.get(specs[i], plan.sessions[i]));
  return models;
}

const Model& StrategyBase::model_with(const ModelSpec& spec, const SessionSettings& settings) {
  return (options_.cache ? *options_.cache : own_models_).get(spec, settings);
}

bool StrategyBase::stop_requested() const {
  return options_.stop && options_.stop->load(std::memory_order_relaxed);
}

}  // namespace strategies
}  // namespace mvinfer
