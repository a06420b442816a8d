// Bench: the seed's experiment done properly. The same preprocessed frames go through every
// strategy; the report gives, per strategy, wall time, frames/s, speedup vs serial, the ratio
// to the machine's limit (W / cores, W = the models' total single-thread work), per-model
// Run() totals and percentiles, interference (mean Run() there / mean Run() alone with the
// same threads), peak RSS, CPU and GPU use, and whether its outputs equal serial's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mvinfer/io/batch.h"
#include "mvinfer/core/model.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/core/run_report.h"
#include "mvinfer/core/strategy.h"

namespace mvinfer {

struct BenchConfig {
  std::string video;
  std::vector<ModelSpec> models;
  int64_t frames = 300;
  BatchingOptions batching{4, false, false};
  int width = 256, height = 256;
  std::vector<std::string> strategies = strategy_names();
  StrategyOptions options;
  bool stream = false;       // decode + preprocess inside the timed run instead of before it
  int sample_batches = 16;   // batches per model for the single-model ("alone") measurements
};

struct BenchModelResult {
  ModelTiming timing;
  int intra_threads = 0;
  double interference = 0;  // mean Run() here / mean Run() alone with intra_threads threads
};

struct BenchStrategyResult {
  RunReport report;       // wall_s and setup_s as defined in run_report.h
  double gflops = 0;      // achieved: every model's FLOPs per call x calls / wall_s
  double peak_fraction = 0;  // gflops / (cores x single-core MatMul peak)
  double speedup_vs_serial = 0;
  double limit_ratio = 0;  // wall_s / limit_s
  std::optional<double> gpu_mem_mib, gpu_util;
  bool outputs_match_serial = false;
  double max_abs_diff = 0;  // largest element difference from serial's outputs
  std::vector<BenchModelResult> models;
  std::vector<RunInterval> runs;  // every Run(), as its observer saw it: the timeline
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
  std::vector<double> flops_per_call;    // per model, at this batch and size; -1 unknown
  double matmul_gflops_per_core = 0;     // single-core MatMul peak in ONNX Runtime
  std::vector<double> alone_ms_1thread;  // mean single-thread Run() of each model alone
  double work_s = 0;                     // W
  double limit_s = 0;                    // W / cores
  std::vector<BenchStrategyResult> strategies;
  bool all_outputs_match() const;
};

// Runs the benchmark; `log` receives progress lines (may be empty). Throws Error.
BenchReport run_bench(BenchConfig& config, const std::function<void(const std::string&)>& log = {});

std::string format_table(const BenchReport& report);
// The JSON shape documented in the README (`bench --json`).
std::string to_json(const BenchReport& report);
// A chart: wall time per strategy against the limit, and each model's Run() total.
std::string to_svg(const BenchReport& report);

}  // namespace mvinfer
