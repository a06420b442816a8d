// RunReport: what one run measured, built from a ProfileObserver's intervals plus wall time and
// resource use. Formats the one-line summary `run` prints.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/core/observer.h"

namespace mvinfer {

struct ModelTiming {
  std::string name;
  int64_t calls = 0;
  double run_s = 0;  // cumulative Run() time
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0;
};

struct StreamReport {
  std::string source;
  int64_t frames = 0;       // frames whose results were emitted
  double fps = 0;
  int64_t dropped = 0;      // frames dropped as late (pipeline --drop-late on live sources)
};

struct RunReport {
  std::string strategy;
  std::string settings;
  int intra_threads = 0;
  int64_t frames = 0;
  int64_t batches = 0;
  double wall_s = 0;
  double fps = 0;
  double peak_rss_mib = 0;  // this process (plus its worker processes, for `processes`)
  double cpu_util = 0;      // CPU time / (wall * cores), in %
  bool interrupted = false; // stopped early (Ctrl-C); the numbers cover what was done
  std::vector<ModelTiming> models;
  std::vector<StreamReport> streams;
};

// Nearest-rank percentile of `values` (not necessarily sorted); 0 when empty.
double percentile(std::vector<double> values, double p);

// Per-model timings from recorded intervals (models in spec order).
std::vector<ModelTiming> model_timings(std::span<const RunInterval> intervals,
                                       std::span<const ModelSpec> models);

// "200 frames in 3.21 s (62.3 frames/s) | zoo0 0.81 s, zoo1 0.80 s | peak RSS 412 MiB"
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
