// auto: finds the fastest schedule for this workload on this machine, then keeps it.
//
// It creates the sessions of every candidate first (shared through a ModelCache, so the one
// it keeps starts at once), then probes the candidates one after another on consecutive
// slices of the first batches (by default at most 5% of the video or 10 s), measuring
// frames/s from each one's first Run() to its last result. The probe's results are real:
// they are emitted in frame order like any other. The rest of the video goes to the winner.
// Live sources skip the probe: the pipeline is the only candidate that can drop late frames.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "mvinfer/core/error.h"
#include "strategies.h"

namespace mvinfer::strategies {
namespace {

// The next `limit` batches of `source`, for one probe.
class Slice : public BatchSource {
 public:
  Slice(BatchSource& source, int64_t limit) : source_(source), limit_(limit) {}
  std::optional<Batch> next() override {
    if (taken_ >= limit_) return std::nullopt;
    std::optional<Batch> b = source_.next();
    if (b) ++taken_;
    return b;
  }
  int64_t next_seq() const override { return source_.next_seq(); }
  int64_t taken() const { return taken_; }

 private:
  BatchSource& source_;
  int64_t limit_, taken_ = 0;
};

bool has_live_input(BatchSource& source) {
  auto* b = dynamic_cast<Batcher*>(&source);
  if (!b) return false;
  return std::any_of(b->sources().begin(), b->sources().end(),
                     [](const FrameSource* s) { return s->is_live(); });
}

class Auto : public StrategyBase {
 public:
  explicit Auto(const StrategyOptions& options) : StrategyBase(options) {}
  std::string_view name() const override { return "auto"; }
  SessionPlan session_plan(std::span<const ModelSpec>) const override { return {1, 1}; }
  void prepare(std::span<const ModelSpec>) override {}

  // Candidates, cheapest to start first. processes is left out: on one machine it does the
  // same work as threads with more memory and a slower start.
  static constexpr const char* kCandidates[] = {"serial", "threads", "coroutines-async", "pipeline"};
  static constexpr double kTieBreak = 0.97;
  static_assert(std::size(kCandidates) == 4, "one probe weight per candidate");

  void run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
           Observer& observer) override {
    StrategyOptions opts = options_;
    opts.cache = options_.cache ? options_.cache : &own_models_;
    if (!options_.cache) own_models_.clear();
    stats_ = {};

    if (has_live_input(source)) {
      auto pipeline = make_strategy("pipeline", opts);
      pipeline->run(source, specs, sink, observer);
      adopt(*pipeline, "auto: live input, no probe: pipeline");
      return;
    }

    // Each model's share of the cost, from the serial probe (every model alone on all cores).
    std::vector<double> costs(specs.size(), 0.0);
    std::vector<std::unique_ptr<Strategy>> candidates;
    for (const char* name : kCandidates) {
      candidates.push_back(make_strategy(name, opts));
      candidates.back()->prepare(specs);  // sessions before any timing
    }
    const int64_t total = source.batch_count_hint();
    const auto k = static_cast<int64_t>(candidates.size());
    const int64_t budget = total > 0 ? std::max<int64_t>(k, static_cast<int64_t>(
                                                                std::floor(opts.probe_fraction * total)))
                                     : 2 * k;
    // Serial's steady state shows in one batch; the concurrent candidates need more batches in
    // flight, the pipeline most (its queues fill before it runs at full speed). The budget is
    // shared out 1 : 2 : 2 : 4 accordingly (at least one batch each).
    const int64_t weights[] = {1, 2, 2, 4};
    const int64_t unit = std::max<int64_t>(1, budget / 9);
    auto slice_of = [&](size_t i) { return std::max<int64_t>(1, unit * weights[i]); };

    double spent = 0;
    std::vector<std::pair<double, std::string>> measured;  // frames/s, name
    size_t best = 0;
    bool ended = false;
    for (size_t i = 0; i < candidates.size() && !ended && !stop_requested(); ++i) {
      if (spent > opts.probe_seconds) break;
      const int64_t per = slice_of(i);
      Slice slice(source, per);
      FirstRunObserver watch;
      ProfileObserver profile;
      ObserverList all({&observer, &watch, &profile});
      FrameCounter frames;
      CountingSink counting(sink, frames, specs.size());
      candidates[i]->run(slice, specs, counting, all);
      if (candidates[i]->name() == "serial")
        for (const RunInterval& r : profile.intervals()) costs[r.model] += r.seconds();
      const auto end = Clock::now();
      ended = slice.taken() < per;
      if (slice.taken() == 0) break;
      const double s = std::chrono::duration<double>(end - watch.first().value_or(end)).count();
      spent += s;
      measured.push_back({s > 0 ? frames.n / s : 0, std::string(candidates[i]->name())});
      if (measured.back().first > measured[best].first) best = measured.size() - 1;
    }
    // What a short probe cannot show: with one worker per model, a model costing more than
    // 1/cores of the total is the bottleneck of every schedule but the pipeline, which gives it
    // more workers (its own measurement decides how many); so such uneven costs choose the
    // pipeline. Otherwise, within the probe's
    // noise of the best, prefer the pipeline too (it also hides decoding, which a probe over
    // preloaded batches does not see).
    const double total_cost = std::accumulate(costs.begin(), costs.end(), 0.0);
    const double top = costs.empty() ? 0 : *std::max_element(costs.begin(), costs.end());
    // (With one model there is nothing to divide: serial already gives it every core.)
    const bool uneven = costs.size() > 1 && total_cost > 0 &&
                        top / total_cost > 1.0 / cores_of(opts) + 0.02;
    for (size_t i = 0; i < measured.size(); ++i)
      if (measured[i].second == "pipeline" &&
          (uneven || measured[i].first >= kTieBreak * measured[best].first))
        best = i;
    std::string probe;
    for (size_t i = 0; i < measured.size(); ++i)
      probe += fmt::format("{}{} {:.1f} over {} batch{}", i ? ", " : "", measured[i].second,
                           measured[i].first, slice_of(i), slice_of(i) == 1 ? "" : "es");
    if (!costs.empty()) {
      probe += "; cost shares in the serial probe:";
      for (size_t m = 0; m < costs.size() && total_cost > 0; ++m)
        probe += fmt::format(" {} {:.0f}%", specs[m].name, 100 * costs[m] / total_cost);
    }
    Strategy& winner = *candidates[measured.empty() ? 0 : best];
    // The rest goes to the winner straight from the source (a pipeline decodes it on its own
    // threads); batch numbers simply go on from where the probe stopped.
    if (!ended && !stop_requested()) winner.run(source, specs, sink, observer);
    adopt(winner, fmt::format("auto chose {}{} (probe, frames/s: {})", winner.name(),
                              uneven && winner.name() == "pipeline"
                                  ? fmt::format(": one model is {:.0f}% of the cost", 100 * top / total_cost)
                                  : "",
                              probe));
  }

 private:
  struct FrameCounter {
    double n = 0;
  };
  // Counts the frames a probe finished (when a batch's last model reports).
  class CountingSink : public ResultSink {
   public:
    CountingSink(ResultSink& sink, FrameCounter& c, size_t models) : sink_(sink), c_(c), models_(models) {}
    void consume(const Batch& batch, size_t model, std::span<const Tensor> outputs) override {
      if (model + 1 == models_) c_.n += static_cast<double>(batch.frames.size());
      sink_.consume(batch, model, outputs);
    }

   private:
    ResultSink& sink_;
    FrameCounter& c_;
    size_t models_;
  };

  void adopt(const Strategy& chosen, const std::string& what) {
    settings_ = fmt::format("{}; {}", what, chosen.settings());
    intra_threads_ = chosen.intra_threads();
    sessions_ = chosen.sessions();
    stats_ = chosen.stats();
    worker_peak_rss_mib_ = chosen.worker_peak_rss_mib();
  }
};

}  // namespace

std::unique_ptr<Strategy> make_auto(const StrategyOptions& options) {
  return std::make_unique<Auto>(options);
}

}  // namespace mvinfer::strategies
