// Bench: the seed's experiment done properly. The same preprocessed frames go through every
// strategy; the report gives, per strategy, wall time, frames/s, speedup vs serial, the ratio
// to the machine's limit (W / cores, W = the models' total single-thread work), per-model
// Run() totals and percentiles, interference (mean Run() there / mean Run() alone with the
// same threads), peak RSS, CPU and GPU use, and whether its outputs equal serial's.
//
// Neighbours on a shared machine move single runs by 10-30%, so `repeat` runs the limit probe
// and every strategy in interleaved rounds (limit, A, B, ..., limit, A, B, ...): each ratio
// is computed within its round and reported as the median over the rounds with its min-max.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/core/run_report.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/tools/hardware.h"

namespace mvinfer {

struct BenchConfig {
  std::string video;
  std::vector<ModelSpec> models;
  int64_t frames = 300;
  int loop = 1;  // play the video this many times in a row (frames beyond its length)
  BatchingOptions batching{4, false};
  int width = 256, height = 256;
  std::vector<std::string> strategies = strategy_names();
  StrategyOptions options;
  bool stream = false;      // decode + preprocess inside the timed run instead of before it
  int sample_batches = 16;  // batches per model for the single-model ("alone") measurements
  int repeat = 1;           // interleaved rounds of the limit probe and every strategy
  bool strict = false;      // fewer frames than `frames`, or an undecodable one: Error{bad_input}
};

// Rule `limit_seconds`: the least wall time the work allows. The models on the CPU need
// `cpu_work_s` of single-thread work shared by `cores` cores; those on the GPU need `gpu_work_s`
// of GPU time (each alone, CUDA events around Run()) on its one device; CPU and GPU run side
// by side, so the limit is the larger of the two. On a CPU-only run: W / cores.
double limit_seconds(double cpu_work_s, int cores, double gpu_work_s);

// A spread (max - min) / median above this marks a figure as unstable: the rounds disagree
// by more than the differences between strategies that the bench is meant to show.
constexpr double kUnstableSpread = 0.10;

// (max - min) / median of `values`: 0 for fewer than two values or all equal; infinite when
// they differ around a median of 0.
double spread(std::span<const double> values);
// Whether spread(values) exceeds kUnstableSpread.
bool is_unstable(std::span<const double> values);

// One figure measured once per round, and its summary over the rounds.
struct RoundStats {
  std::vector<double> values;           // in round order
  double median = 0, min = 0, max = 0;  // median of an even count: the mean of the middle two
  bool unstable() const { return is_unstable(values); }
};
RoundStats summarize(std::vector<double> values);

struct BenchModelResult {
  ModelTiming timing;
  int intra_threads = 0;
  double interference = 0;  // mean Run() here / mean Run() alone with intra_threads threads
};

// The ratios are medians over the rounds (the JSON's wall_s and fps too); `report`, `models`
// and the GPU readings come from the median round (the one whose wall/limit is the median; the
// lower middle of an even count).
struct BenchStrategyResult {
  RunReport report;              // wall_s and setup_s as defined in run_report.h
  double gflops = 0;             // achieved: every model's FLOPs per call x calls / wall_s
  double peak_fraction = 0;      // gflops / (cores x single-core FMA peak), in the same round
  double speedup_vs_serial = 0;  // serial's wall_s / wall_s, in the same round
  double limit_ratio = 0;        // wall_s / limit_s, in the same round
  std::optional<double> gpu_mem_mib, gpu_util;
  bool outputs_match_serial = false;  // in every round, against serial's first round
  double max_abs_diff = 0;  // largest element difference from serial's outputs, over rounds
  std::vector<BenchModelResult> models;
  std::vector<RunInterval> runs;  // every Run(), as its observer saw it: the timeline
  struct PerRound {
    RoundStats wall_s, fps, speedup_vs_serial, limit_ratio, gflops, peak_fraction;
  } per_round;
};

struct BenchReport {
  int cores = 0;
  std::string cpu;
  std::optional<std::string> gpu;
  std::string video;
  int64_t frames = 0;
  int batch = 0;
  int width = 0, height = 0;
  bool replicate = false, stream = false;
  std::vector<ModelSpec> models;
  std::vector<double> flops_per_call;  // per model, at this batch and size; -1 unknown
  FmaPeak fma;                         // the single-core arithmetic peak (median): "% peak"
  RoundStats fma_per_round;            // measured again every round, as the limit is
  double matmul_gflops_per_core = 0;   // single-core MatMul figure in ONNX Runtime
  int repeat = 1;
  std::vector<double> alone_ms_1thread;  // mean single-thread Run() of each model alone (median)
  // Per model, on the GPU only (nullopt on the CPU): the mean GPU time of one call alone (CUDA
  // events), and NVML's peak memory and mean utilisation while it ran alone (last round).
  std::vector<std::optional<double>> alone_gpu_ms, alone_gpu_mem_mib, alone_gpu_util;
  double work_s = 0;      // W = cpu_work_s + gpu_work_s (median over the rounds)
  double cpu_work_s = 0;  // single-thread work of the models on the CPU (median)
  double gpu_work_s = 0;  // GPU time of the models on the GPU (median)
  double limit_s = 0;     // limit_seconds() (median over the rounds)
  RoundStats work_s_per_round, limit_s_per_round;
  std::vector<BenchStrategyResult> strategies;
  // Per round: auto's wall / the lowest wall of the other strategies; empty without auto.
  std::optional<RoundStats> auto_vs_best_fixed;
  bool all_outputs_match() const;
};

// Throws Error{bad_flag} naming the setting `strategies` for a name that is no strategy.
void check_strategy_names(const std::vector<std::string>& names);

// Runs the benchmark; `log` receives progress lines (may be empty). Throws Error.
BenchReport run_bench(BenchConfig& config, const std::function<void(const std::string&)>& log = {});

std::string format_table(const BenchReport& report);
// The JSON shape documented in the README (`bench --json`).
std::string to_json(const BenchReport& report);
// A chart: wall time per strategy against the limit, and each model's Run() total.
std::string to_svg(const BenchReport& report);

}  // namespace mvinfer
