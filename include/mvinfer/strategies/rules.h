// The scheduling rules with numbers in them, as pure functions: how the pipeline divides the
// cores among models, how auto shares out its probe, and how auto chooses. Each rule is named;
// the numbers are here and nowhere else, and tests/rules_test.cc checks them on synthetic inputs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mvinfer {

// pipeline: workers per model from each model's measured cost (seconds per batch, any unit).
// Rule `workers_by_cost`: cores x cost share, rounded up, at least one; rounding up gives a
// model that needs 1.1 cores' worth two workers, so that while the others wait on a full queue
// it can use the idle core. A share must pass a whole core by 2% of one (kWorkerSlack) before
// it earns another worker: measurement noise does not split near-equal models.
inline constexpr double kWorkerSlack = 0.02;
std::vector<int> workers_by_cost(std::span<const double> costs, int cores);
// pipeline: a unit that earned k > 1 workers may instead run one worker whose sessions have k
// intra-op threads. Rule `intra_op_beats_workers`, on the unit's own measurements: k batches at
// once on one-thread sessions took `concurrent_s` of wall time; one batch on k-thread sessions
// takes `intra_s` (a mean). One worker with k threads when its batches/s pass the k workers' by
// kIntraSlack. A model bound by memory bandwidth (a large detector) gains less from concurrent
// calls, which share that bandwidth, than from the threads of one call (measured on PaddleOCR
// det at 736x544, 2 cores: two concurrent calls each 1.48x slower than alone, two threads on
// one call 1.49x faster); a compute-bound one gains more from calls.
inline constexpr double kIntraSlack = 0.05;
bool intra_op_beats_workers(int workers, double concurrent_s, double intra_s);

// auto's probe: how many batches each candidate runs, and for how long at most.
// Rule `probe_weight`: serial shows its steady state in one batch; threads and
// coroutines-async need batches in flight (2); the pipeline most (4), its queues fill first.
int probe_weight(std::string_view candidate);
struct ProbePlan {
  std::vector<int64_t> batches;  // per candidate (in the order given); 0 = not probed
  std::vector<double> seconds;   // per candidate: the most its slice may take
  bool short_run = false;        // too short to probe every candidate: serial alone, if any
};
// Rule `probe_budget`: at most floor(fraction x total_batches) batches and `seconds` in all,
// each candidate's share in proportion to its weight. When that budget cannot give every
// candidate its weight in batches (`short_run`), probing them all would cost more than the
// choice can win back: only serial is probed (one batch, if the budget has one), and the
// choice falls to the rules. total_batches < 0 (unknown length): one unit of batches each.
ProbePlan plan_probe(std::span<const std::string> candidates, int64_t total_batches,
                     double fraction, double seconds);

// What auto's probe measured.
struct CandidateProbe {
  std::string name;
  double fps = 0;  // frames/s from its first Run() to its last result
  int64_t batches = 0;
};
struct ProbeResults {
  std::vector<CandidateProbe> candidates;  // the ones probed, in probe order
  std::vector<double> serial_costs;        // per model: Run() seconds in the serial probe
  std::vector<std::string> model_names;    // in spec order
  bool live = false;                       // a live stream among the inputs
  bool short_run = false;                  // from ProbePlan
};
struct Choice {
  std::string name;    // the strategy to keep
  std::string rule;    // the rule that decided, by its name below
  std::string reason;  // one line for the report
};
// auto's choice, rules in order; the first that applies decides:
//  `live_input`:   a live stream -> pipeline, the only strategy that drops late frames.
//  `one_model`:    one model -> pipeline: several Run() calls in flight on its one session fill
//                  the cores whatever the model's size, where intra-op threads fill them only
//                  for heavy models (measured: a light model at batch 1, pipeline 0.95 of the
//                  limit vs serial with 2 intra-op threads 1.43).
//  `uneven_costs`: one model above 1/cores of the serial probe's cost (+ kUnevenSlack) is the
//                  bottleneck of every schedule with one worker per model -> pipeline, which
//                  gives it more workers.
//  `short_run`:    no candidate but serial was probed, and costs are even -> serial: every core
//                  on each model in turn, nothing to start up (measured on 4 even zoo models,
//                  120 frames: serial 1.04 of the limit, pipeline 1.26, threads 1.15).
//  `fastest`:      the candidate with the most frames/s; the pipeline when it is within
//                  kTieBreak of the best (`tie_prefers_pipeline`: it also hides decoding, which
//                  a probe over preloaded batches does not see).
inline constexpr double kUnevenSlack = 0.02;
inline constexpr double kTieBreak = 0.97;
Choice choose_strategy(const ProbeResults& probe, int cores);
// The rules before `fastest` alone, on what is known so far: auto asks before its probe and
// after serial's, and probes no further once they decide (measuring candidates whose numbers
// cannot change the choice only costs time). nullopt: only measuring every candidate can tell.
std::optional<Choice> choose_by_rules(const ProbeResults& probe, int cores);

}  // namespace mvinfer
