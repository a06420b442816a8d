// auto: finds the fastest schedule for this workload on this machine, then keeps it.
//
// It creates the sessions of every candidate first (shared through a ModelCache, so the one it
// keeps starts at once), then probes the candidates one after another on consecutive slices
// of the first batches, as plan_probe() shares out the budget (--probe: a fraction of the
// video and seconds, both checked before every batch). The probe's results are real: they are
// emitted in frame order like any other. choose_strategy() decides from what the probe
// measured (strategies/rules.h names each rule); the rest of the video goes to the winner.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/strategies/rules.h"
#include "strategies.h"

namespace mvinfer::strategies {
namespace {

// The next batches of `source`, up to `limit` of them and until `deadline`: one probe slice.
class Slice : public BatchSource {
 public:
  Slice(BatchSource& source, int64_t limit, Clock::time_point deadline)
      : source_(source), limit_(limit), deadline_(deadline) {}
  std::optional<Batch> next() override {
    if (taken_ >= limit_ || Clock::now() >= deadline_) return std::nullopt;
    std::optional<Batch> b = source_.next();
    if (b)
      ++taken_;
    else
      ended_ = true;
    return b;
  }
  int64_t next_seq() const override { return source_.next_seq(); }
  int64_t taken() const { return taken_; }
  bool source_ended() const { return ended_; }

 private:
  BatchSource& source_;
  int64_t limit_, taken_ = 0;
  Clock::time_point deadline_;
  bool ended_ = false;
};

// Counts the frames a probe finished (when a batch's last model reports).
class CountingSink : public ResultSink {
 public:
  CountingSink(ResultSink& sink, size_t models) : sink_(sink), models_(models) {}
  void consume(const Batch& batch, size_t model, const ModelResult& result) override {
    if (model + 1 == models_) frames_ += static_cast<int64_t>(batch.frames.size());
    sink_.consume(batch, model, result);
  }
  int64_t frames() const { return frames_; }

 private:
  ResultSink& sink_;
  size_t models_;
  int64_t frames_ = 0;
};

class Auto : public StrategyBase {
 public:
  explicit Auto(const StrategyOptions& options) : StrategyBase(options) {}
  std::string_view name() const override { return "auto"; }
  SessionPlan session_plan(std::span<const ModelSpec>) const override { return {1, 1}; }
  void prepare(std::span<const ModelSpec>) override {}

  StrategyStats run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
                    Observer& observer) override {
    StrategyOptions opts = options_;
    opts.cache = options_.cache ? options_.cache : &own_models_;
    if (!options_.cache) own_models_.clear();
    const int cores = cores_of(opts);

    // The rules see units (a model on frames with its dependents), which is what strategies
    // schedule: specs are ordered unit by unit (order_graph).
    ProbeResults probe;
    for (const ModelSpec& s : specs)
      if (s.parent < 0) probe.model_names.push_back(s.name);
    const std::vector<size_t> unit = unit_of(specs);
    probe.live = source.has_live_stream();
    const bool graph = has_dependents(specs) || has_intervals(specs);
    std::vector<std::string> names;
    for (const StrategyInfo& s : strategy_table())
      if (s.auto_candidate && (!probe.live || s.drops_late) && !(graph && s.forks))
        names.emplace_back(s.name);
    const ProbePlan plan = plan_probe(names, probe.live ? 0 : source.batch_count_hint(),
                                      opts.probe_fraction, opts.probe_seconds);
    probe.short_run = plan.short_run;

    // The rules may decide before any probe (one model, a live input): then nothing is probed.
    // A short run still probes serial first when its plan has a batch for it: its costs may show
    // uneven models, which the pipeline serves better.
    ProbeResults before = probe;
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == "serial" && plan.batches[i] > 0) before.short_run = false;
    std::optional<Choice> decided = choose_by_rules(before, cores);
    std::vector<std::unique_ptr<Strategy>> candidates;
    for (size_t i = 0; i < names.size(); ++i) {
      candidates.push_back(make_strategy(names[i], opts));
      // Sessions before any timing, for every candidate that may run.
      const bool may_run =
          decided ? names[i] == decided->name : plan.batches[i] > 0 || names[i] == "pipeline";
      if (may_run) candidates.back()->prepare(specs);
    }

    std::vector<StrategyStats> stats(names.size());
    bool ended = false;
    for (size_t i = 0; i < names.size() && !decided && !ended && !stop_requested(); ++i) {
      if (plan.batches[i] == 0) continue;
      const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(plan.seconds[i]));
      Slice slice(source, plan.batches[i], deadline);
      ProfileObserver profile;
      ObserverList all({&observer, &profile});
      CountingSink counting(sink, specs.size());
      stats[i] = candidates[i]->run(slice, specs, counting, all);
      const auto end = Clock::now();
      ended = slice.source_ended();
      if (slice.taken() == 0) break;
      const std::vector<RunInterval> runs = profile.intervals();
      Clock::time_point first = end;
      for (const RunInterval& r : runs) first = std::min(first, r.begin);
      const double s = std::chrono::duration<double>(end - first).count();
      probe.candidates.push_back(
          {names[i], s > 0 ? static_cast<double>(counting.frames()) / s : 0, slice.taken()});
      if (names[i] == "serial") {
        probe.serial_costs.assign(probe.model_names.size(), 0.0);
        for (const RunInterval& r : runs) probe.serial_costs[unit.at(r.model)] += r.seconds();
        decided = choose_by_rules(probe, cores);  // uneven costs or a short run: enough
      }
    }

    const Choice choice = decided ? *decided : choose_strategy(probe, cores);
    const size_t w =
        static_cast<size_t>(std::find(names.begin(), names.end(), choice.name) - names.begin());
    if (w == names.size())
      throw Error(ErrorCode::internal,
                  fmt::format("auto chose '{}', not a candidate", choice.name));
    // The rest goes to the winner straight from the source (a pipeline decodes it on its own
    // threads); batch numbers simply go on from where the probe stopped.
    if (!ended && !stop_requested()) stats[w] = candidates[w]->run(source, specs, sink, observer);
    std::string measured;
    for (const CandidateProbe& c : probe.candidates)
      measured += fmt::format("{}{} {:.1f} over {} batch{}", measured.empty() ? "" : ", ", c.name,
                              c.fps, c.batches, c.batches == 1 ? "" : "es");
    StrategyStats out = std::move(stats[w]);
    if (out.settings.empty()) out.settings = "the probe covered the whole input";
    out.settings =
        fmt::format("auto chose {} by rule {} ({}; probe frames/s: {}); {}", choice.name,
                    choice.rule, choice.reason, measured.empty() ? "none" : measured, out.settings);
    return out;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_auto(const StrategyOptions& options) {
  return std::make_unique<Auto>(options);
}

}  // namespace mvinfer::strategies
