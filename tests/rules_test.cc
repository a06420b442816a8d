// The scheduling rules (strategies/rules.h) and the strategy table, on synthetic inputs.
#include "mvinfer/strategies/rules.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "mvinfer/core/error.h"
#include "mvinfer/core/strategy.h"

namespace mvinfer {
namespace {

TEST(WorkersByCost, EqualCostsGetOneWorkerEachWhenCoresAreFewerThanModels) {
  const std::vector<double> costs{1, 1, 1, 1};
  EXPECT_EQ(workers_by_cost(costs, 2), (std::vector<int>{1, 1, 1, 1}));
}

TEST(WorkersByCost, ASharePastAWholeCoreEarnsAnotherWorker) {
  // 55% of 2 cores = 1.1 cores: two workers; the rest share the other core.
  const std::vector<double> costs{5.5, 2.5, 2.0};
  EXPECT_EQ(workers_by_cost(costs, 2), (std::vector<int>{2, 1, 1}));
}

TEST(WorkersByCost, NoiseWithinTheSlackDoesNotSplitNearEqualModels) {
  // 50.5% of 2 cores = 1.01 cores: within 2% of a core, so still one worker each.
  const std::vector<double> costs{50.5, 49.5};
  EXPECT_EQ(workers_by_cost(costs, 2), (std::vector<int>{1, 1}));
  // 52% = 1.04 cores: past the slack.
  const std::vector<double> uneven{52, 48};
  EXPECT_EQ(workers_by_cost(uneven, 2), (std::vector<int>{2, 1}));
}

TEST(WorkersByCost, OneModelGetsEveryCore) {
  const std::vector<double> costs{0.3};
  EXPECT_EQ(workers_by_cost(costs, 4), (std::vector<int>{4}));
}

TEST(WorkersByCost, NothingMeasuredMeansOneWorkerEach) {
  const std::vector<double> costs{0, 0};
  EXPECT_EQ(workers_by_cost(costs, 8), (std::vector<int>{1, 1}));
}

TEST(IntraOpBeatsWorkers, AMemoryBoundUnitTakesThreadsOverCalls) {
  // Two calls at once took 1.48 s (each 1.48x its 1 s alone): 1.35 batches/s; one call on two
  // threads 0.67 s: 1.49 batches/s, past the 5% slack.
  EXPECT_TRUE(intra_op_beats_workers(2, 1.48, 0.67));
}

TEST(IntraOpBeatsWorkers, AComputeBoundUnitKeepsItsWorkers) {
  // Two calls at once in 1.05 s (1.9 batches/s) against one call on two threads in 0.6 s.
  EXPECT_FALSE(intra_op_beats_workers(2, 1.05, 0.6));
  // Within the slack: 1.43 vs 1.40 batches/s is noise, the workers stay.
  EXPECT_FALSE(intra_op_beats_workers(2, 1.43, 0.70));
}

TEST(IntraOpBeatsWorkers, NothingToCompareKeepsTheWorkers) {
  EXPECT_FALSE(intra_op_beats_workers(1, 1.0, 0.1));  // one worker: nothing to trade
  EXPECT_FALSE(intra_op_beats_workers(2, 0, 0.5));    // not measured
  EXPECT_FALSE(intra_op_beats_workers(2, 1.0, 0));
}

const std::vector<std::string> kCandidates{"serial", "threads", "coroutines-async", "pipeline"};

TEST(PlanProbe, SharesTheBudgetByWeight) {
  // 5% of 360 batches = 18 = 2 units of weights 1 + 2 + 2 + 4.
  ProbePlan p = plan_probe(kCandidates, 360, 0.05, 9);
  EXPECT_FALSE(p.short_run);
  EXPECT_EQ(p.batches, (std::vector<int64_t>{2, 4, 4, 8}));
  EXPECT_DOUBLE_EQ(p.seconds[0], 1.0);
  EXPECT_DOUBLE_EQ(p.seconds[3], 4.0);
  int64_t total = 0;
  for (int64_t b : p.batches) total += b;
  EXPECT_LE(total, 18);  // never more than the fraction allows
}

TEST(PlanProbe, AShortRunProbesSerialAloneOrNothing) {
  // 5% of 50 batches = 2: less than the 9 a full probe needs.
  ProbePlan p = plan_probe(kCandidates, 50, 0.05, 10);
  EXPECT_TRUE(p.short_run);
  EXPECT_EQ(p.batches, (std::vector<int64_t>{1, 0, 0, 0}));
  // 5% of 10 batches rounds down to none: no probe at all.
  p = plan_probe(kCandidates, 10, 0.05, 10);
  EXPECT_TRUE(p.short_run);
  EXPECT_EQ(p.batches, (std::vector<int64_t>{0, 0, 0, 0}));
}

TEST(PlanProbe, AZeroFractionProbesNothing) {
  ProbePlan p = plan_probe(kCandidates, 100000, 0.0, 10);
  EXPECT_EQ(p.batches, (std::vector<int64_t>{0, 0, 0, 0}));
}

TEST(PlanProbe, UnknownLengthGivesEachCandidateItsWeight) {
  ProbePlan p = plan_probe(kCandidates, -1, 0.05, 9);
  EXPECT_FALSE(p.short_run);
  EXPECT_EQ(p.batches, (std::vector<int64_t>{1, 2, 2, 4}));
}

ProbeResults probed(std::vector<double> costs, std::vector<CandidateProbe> candidates) {
  ProbeResults p;
  for (size_t i = 0; i < costs.size(); ++i) p.model_names.push_back(fmt::format("m{}", i));
  p.serial_costs = std::move(costs);
  p.candidates = std::move(candidates);
  return p;
}

TEST(ChooseStrategy, LiveInputChoosesThePipeline) {
  ProbeResults p = probed({1, 1}, {});
  p.live = true;
  EXPECT_EQ(choose_strategy(p, 2).rule, "live_input");
  EXPECT_EQ(choose_strategy(p, 2).name, "pipeline");
}

TEST(ChooseStrategy, OneModelChoosesThePipelineEvenWhenSerialProbedFaster) {
  ProbeResults p = probed({1}, {{"serial", 100, 1}, {"pipeline", 90, 4}});
  const Choice c = choose_strategy(p, 2);
  EXPECT_EQ(c.name, "pipeline");
  EXPECT_EQ(c.rule, "one_model");
}

TEST(ChooseStrategy, UnevenCostsChooseThePipelineAndNameTheModel) {
  // m1 is 60% of the work on 2 cores: above 1/2 + 2%.
  ProbeResults p = probed({2, 6, 2}, {{"serial", 100, 1}, {"threads", 120, 2}});
  const Choice c = choose_strategy(p, 2);
  EXPECT_EQ(c.rule, "uneven_costs");
  EXPECT_NE(c.reason.find("m1"), std::string::npos) << c.reason;
  // On 4 cores too: 60% > 25% + 2%.
  EXPECT_EQ(choose_strategy(p, 4).rule, "uneven_costs");
  // 51% on 2 cores is within the slack.
  ProbeResults even = probed({51, 49}, {{"serial", 100, 1}, {"threads", 120, 2}});
  EXPECT_EQ(choose_strategy(even, 2).rule, "fastest");
  EXPECT_EQ(choose_strategy(even, 2).name, "threads");
}

TEST(ChooseStrategy, AShortRunDecidesFromTheRulesAlone) {
  ProbeResults p = probed({1, 1}, {{"serial", 100, 1}});
  p.short_run = true;
  const Choice c = choose_strategy(p, 2);
  EXPECT_EQ(c.name, "serial");
  EXPECT_EQ(c.rule, "short_run");
  // Uneven costs in the serial probe still choose the pipeline, short run or not.
  ProbeResults uneven = probed({3, 1}, {{"serial", 100, 1}});
  uneven.short_run = true;
  EXPECT_EQ(choose_strategy(uneven, 2).name, "pipeline");
  // No probe at all (no serial costs): still the rules, not a crash.
  ProbeResults none = probed({}, {});
  none.model_names = {"a", "b"};
  none.short_run = true;
  EXPECT_EQ(choose_strategy(none, 2).rule, "short_run");
}

TEST(ChooseByRules, DecideBeforeTheProbeOnlyWhereMeasuringCannotChangeTheChoice) {
  ProbeResults one;
  one.model_names = {"a"};
  ASSERT_TRUE(choose_by_rules(one, 2).has_value());  // before any probe
  EXPECT_EQ(choose_by_rules(one, 2)->rule, "one_model");
  ProbeResults two;
  two.model_names = {"a", "b"};
  EXPECT_FALSE(choose_by_rules(two, 2).has_value());  // even or unknown costs: probe on
  two.serial_costs = {1, 1};
  two.candidates = {{"serial", 100, 1}};
  EXPECT_FALSE(choose_by_rules(two, 2).has_value());
  two.serial_costs = {3, 1};  // 75% on 2 cores
  ASSERT_TRUE(choose_by_rules(two, 2).has_value());
  EXPECT_EQ(choose_by_rules(two, 2)->rule, "uneven_costs");
}

TEST(ChooseStrategy, AProbeCutShortAfterSerialKeepsSerial) {
  // Not a planned short run: the source ended (or a stop came) after serial's probe.
  ProbeResults p = probed({1, 1}, {{"serial", 100, 1}});
  const Choice c = choose_strategy(p, 2);
  EXPECT_EQ(c.name, "serial");
  EXPECT_EQ(c.rule, "short_run");
}

TEST(ChooseStrategy, FastestWinsUnlessThePipelineIsWithinTheTieBreak) {
  std::vector<CandidateProbe> c{
      {"serial", 100, 1}, {"threads", 130, 2}, {"coroutines-async", 120, 2}, {"pipeline", 125, 4}};
  // pipeline 125 < 0.97 x 130 = 126.1: threads wins.
  Choice got = choose_strategy(probed({1, 1}, c), 2);
  EXPECT_EQ(got.name, "threads");
  EXPECT_EQ(got.rule, "fastest");
  c[3].fps = 127;  // within 3% of 130
  got = choose_strategy(probed({1, 1}, c), 2);
  EXPECT_EQ(got.name, "pipeline");
  EXPECT_EQ(got.rule, "tie_prefers_pipeline");
  c[3].fps = 140;  // simply the fastest
  EXPECT_EQ(choose_strategy(probed({1, 1}, c), 2).rule, "fastest");
  EXPECT_EQ(choose_strategy(probed({1, 1}, c), 2).name, "pipeline");
}

TEST(StrategyTable, NamesAreUniqueAndEveryRowMakesItsStrategy) {
  std::set<std::string_view> names;
  for (const StrategyInfo& s : strategy_table()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_FALSE(s.description.empty()) << s.name;
    EXPECT_EQ(make_strategy(s.name, {})->name(), s.name);
    EXPECT_EQ(find_strategy(s.name), &s);
  }
  EXPECT_EQ(strategy_names().size(), strategy_table().size());
  EXPECT_EQ(find_strategy("warp"), nullptr);
  EXPECT_NE(describe_strategies().find("coroutines-async"), std::string::npos);
}

TEST(StrategyTable, AutoCandidatesIncludeSerialAndThePipelineButNotAuto) {
  std::vector<std::string_view> candidates;
  for (const StrategyInfo& s : strategy_table())
    if (s.auto_candidate) candidates.push_back(s.name);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates.front(), "serial");  // its probe gives the costs the rules read
  EXPECT_NE(std::find(candidates.begin(), candidates.end(), "pipeline"), candidates.end());
  EXPECT_EQ(std::find(candidates.begin(), candidates.end(), "auto"), candidates.end());
  for (const StrategyInfo& s : strategy_table())
    if (s.drops_late) {
      EXPECT_TRUE(s.name == "pipeline" || s.name == "auto") << s.name;
    }
}

TEST(StrategyTable, UnknownNameIsABadFlagListingTheKnownOnes) {
  try {
    make_strategy("warp", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_flag);
    for (const std::string& n : strategy_names())
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << n;
  }
}

}  // namespace
}  // namespace mvinfer
