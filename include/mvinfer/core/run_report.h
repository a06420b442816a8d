// RunReport: what one run measured. Built in one place, make_run_report(), from the Observer's
// Run() intervals, the StrategyStats the strategy returned, and the clock and resource readings
// its caller took around Strategy::run(). Formats the one-line summary `run` prints.
//
// The one wall-time definition: wall_s runs from the run's first Run() (the earliest begin the
// Observer saw) to the moment Strategy::run() returned, after the last result was emitted.
// Creating sessions and starting worker processes before the first Run() is setup_s, not
// wall time. frames/s = frames / wall_s.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/core/strategy.h"

namespace mvinfer {

struct ModelTiming {
  std::string name;
  int64_t calls = 0;
  double run_s = 0;  // cumulative Run() time
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0;
};

struct StreamReport {
  std::string source;
  int64_t frames = 0;  // frames whose results were emitted
  double fps = 0;
  int64_t dropped = 0;  // frames dropped as late (pipeline --drop-late on live sources)
  // From the source (FrameSource::counts()): frames read, those asked for or the input holds
  // (-1: unknown), and undecodable frames skipped.
  int64_t read = 0, expected = -1, undecodable = 0;
  // Reaching a SourceStart: frames decoded and discarded, and the time the seek took.
  int64_t discarded = 0;
  double seek_ms = 0;
};

struct RunReport {
  std::string strategy;
  std::string settings;
  int intra_threads = 0;
  int64_t frames = 0;
  int64_t batches = 0;
  double wall_s = 0;   // first Run() -> Strategy::run() returned
  double setup_s = 0;  // Strategy::run() called -> first Run()
  double fps = 0;
  // This process's peak, plus the private memory of worker processes (`processes`).
  double peak_rss_mib = 0;
  double cpu_util = 0;  // CPU time / ((setup + wall) * cores), in %
  // When a model ran on the GPU: the device's peak memory in use and its mean utilisation over
  // the run (NVML; every process's, worker processes' included); nullopt otherwise.
  std::optional<double> gpu_mem_mib, gpu_util;
  bool interrupted = false;  // stopped early (Ctrl-C); the numbers cover what was done
  std::vector<ModelTiming> models;
  std::vector<StreamReport> streams;
};

// What the caller of Strategy::run() read around it.
struct RunReadings {
  Clock::time_point called, returned;  // Strategy::run() called and returned
  double cpu_s = 0;                    // CPU seconds (this process and waited-for children) between
  double peak_rss_mib = 0;             // this process's peak RSS over the run
  std::optional<double> gpu_mem_mib, gpu_util;  // NVML over the run, when on the GPU
  int cores = 1;
  bool interrupted = false;
};

// The report of one run (streams left empty: the caller knows them).
RunReport make_run_report(std::string_view strategy, const StrategyStats& stats,
                          std::span<const RunInterval> runs, std::span<const ModelSpec> models,
                          const RunReadings& readings);

// Nearest-rank percentile of `values` (not necessarily sorted); 0 when empty.
double percentile(std::vector<double> values, double p);

// Per-model timings from recorded intervals (models in spec order).
std::vector<ModelTiming> model_timings(std::span<const RunInterval> intervals,
                                       std::span<const ModelSpec> models);

// "200 frames in 3.21 s (62.3 frames/s) | zoo0 0.81 s, zoo1 0.80 s | peak RSS 412 MiB", and
// for a stream that read fewer frames than expected or skipped undecodable ones,
// "| input: a.avi 97 of 795 frames read, 2 undecodable skipped".
std::string format_summary(const RunReport& report);

// Peak RSS (MiB) of this process so far.
double peak_rss_mib_self();
// Resets this process's peak RSS (Linux: /proc/self/clear_refs), so that the next
// current_peak_rss_mib() covers only what runs after it; false when the kernel refuses.
bool reset_peak_rss();
// Peak RSS of this process since start or since the last reset_peak_rss() (VmHWM), in MiB.
double current_peak_rss_mib();
// CPU seconds (user + system) used so far by this process, and by waited-for children.
double cpu_seconds_self();
double cpu_seconds_children();

}  // namespace mvinfer
