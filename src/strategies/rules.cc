#include "mvinfer/strategies/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mvinfer {

std::vector<int> workers_by_cost(std::span<const double> costs, int cores) {
  const double total = std::accumulate(costs.begin(), costs.end(), 0.0);
  std::vector<int> workers(costs.size(), 1);
  if (!(total > 0)) return workers;  // nothing measured: one worker each
  for (size_t m = 0; m < costs.size(); ++m)
    workers[m] = std::max(
        1, static_cast<int>(std::ceil(std::max(1, cores) * costs[m] / total - kWorkerSlack)));
  return workers;
}

bool intra_op_beats_workers(int workers, double concurrent_s, double intra_s) {
  if (workers <= 1 || !(concurrent_s > 0) || !(intra_s > 0)) return false;
  return 1.0 / intra_s > (workers / concurrent_s) * (1 + kIntraSlack);
}

int probe_weight(std::string_view candidate) {
  if (candidate == "serial") return 1;
  if (candidate == "pipeline") return 4;
  return 2;
}

ProbePlan plan_probe(std::span<const std::string> candidates, int64_t total_batches,
                     double fraction, double seconds) {
  ProbePlan plan;
  plan.batches.assign(candidates.size(), 0);
  plan.seconds.assign(candidates.size(), 0);
  int64_t weights = 0;
  for (const std::string& c : candidates) weights += probe_weight(c);
  const int64_t budget = total_batches < 0
                             ? weights
                             : static_cast<int64_t>(std::floor(std::max(0.0, fraction) *
                                                               static_cast<double>(total_batches)));
  if (budget >= weights && weights > 0) {
    const int64_t unit = budget / weights;
    for (size_t i = 0; i < candidates.size(); ++i) {
      plan.batches[i] = unit * probe_weight(candidates[i]);
      plan.seconds[i] = seconds * probe_weight(candidates[i]) / static_cast<double>(weights);
    }
    return plan;
  }
  plan.short_run = true;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i] == "serial" && budget >= 1) {
      plan.batches[i] = 1;
      plan.seconds[i] = seconds;
    }
  return plan;
}

namespace {
// Rule `short_run`: serial, every core on each model in turn, with nothing to start up.
Choice short_run_choice() {
  return {"serial", "short_run", "run too short to probe every candidate; even costs"};
}
}  // namespace

std::optional<Choice> choose_by_rules(const ProbeResults& p, int cores) {
  if (p.live) return Choice{"pipeline", "live_input", "live input: the pipeline drops late frames"};
  if (p.model_names.size() == 1)
    return Choice{"pipeline", "one_model",
                  "one model: several Run() calls in flight fill the cores"};
  const double total = std::accumulate(p.serial_costs.begin(), p.serial_costs.end(), 0.0);
  if (total > 0) {
    const auto top = std::max_element(p.serial_costs.begin(), p.serial_costs.end());
    const double share = *top / total;
    if (p.serial_costs.size() > 1 && share > 1.0 / std::max(1, cores) + kUnevenSlack) {
      const auto m = static_cast<size_t>(top - p.serial_costs.begin());
      return Choice{
          "pipeline", "uneven_costs",
          fmt::format("uneven costs: {} is {:.0f}% of the work on {} cores",
                      m < p.model_names.size() ? p.model_names[m] : fmt::format("model {}", m),
                      100 * share, cores)};
    }
  }
  if (p.short_run) return short_run_choice();
  return std::nullopt;
}

Choice choose_strategy(const ProbeResults& p, int cores) {
  if (std::optional<Choice> c = choose_by_rules(p, cores)) return *c;
  // The probe ended before any candidate but serial ran (a stop, or the source ended).
  const bool others = std::any_of(p.candidates.begin(), p.candidates.end(),
                                  [](const CandidateProbe& c) { return c.name != "serial"; });
  if (!others) return short_run_choice();
  size_t best = 0;
  for (size_t i = 1; i < p.candidates.size(); ++i)
    if (p.candidates[i].fps > p.candidates[best].fps) best = i;
  for (const CandidateProbe& c : p.candidates)
    if (c.name == "pipeline" && c.name != p.candidates[best].name &&
        c.fps >= kTieBreak * p.candidates[best].fps)
      return {"pipeline", "tie_prefers_pipeline",
              fmt::format("pipeline within {:.0f}% of the fastest ({})", 100 * (1 - kTieBreak),
                          p.candidates[best].name)};
  return {p.candidates[best].name, "fastest", "the most frames/s in the probe"};
}

}  // namespace mvinfer
