#include "mvinfer/tools/bench.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mvinfer/core/error.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/tools/gpu_monitor.h"
#include "mvinfer/tools/hardware.h"
#include "mvinfer/tools/onnx_graph.h"
#include "mvinfer/io/result_sink.h"

namespace mvinfer {
namespace {

using json = nlohmann::ordered_json;  // keys in the documented order

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) {
      auto p = line.find(':');
      return p == std::string::npos ? line : line.substr(line.find_first_not_of(' ', p + 1));
    }
  return "unknown";
}

// Mean Run() of one model alone, on the sample batches, after one warm-up run.
double alone_mean_ms(const ModelSpec& spec, size_t index, int threads,
                     const std::vector<Batch>& sample) {
  Model model(spec, SessionSettings{threads, false});
  model.run(*sample.front().inputs[index]);
  const auto t0 = Clock::now();
  for (const Batch& b : sample) model.run(*b.inputs[index]);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count() /
         static_cast<double>(sample.size());
}

// Largest element difference between two runs' outputs; nullopt when their structure
// (entries, order, shapes) differs.
std::optional<double> max_difference(const CollectingSink& a, const CollectingSink& b) {
  if (a.entries().size() != b.entries().size()) return std::nullopt;
  double worst = 0;
  for (size_t i = 0; i < a.entries().size(); ++i) {
    const auto& x = a.entries()[i];
    const auto& y = b.entries()[i];
    if (x.batch != y.batch || x.model != y.model || x.outputs.size() != y.outputs.size())
      return std::nullopt;
    for (size_t o = 0; o < x.outputs.size(); ++o) {
      if (x.outputs[o].shape != y.outputs[o].shape) return std::nullopt;
      for (size_t k = 0; k < x.outputs[o].data.size(); ++k) {
        const double d = std::fabs(double{x.outputs[o].data[k]} - y.outputs[o].data[k]);
        // Relative to the value's size: thread splits may round differently.
        const double scale = std::max(1.0, std::fabs(double{y.outputs[o].data[k]}));
        if (std::isnan(d)) return std::nullopt;
        worst = std::max(worst, d / scale);
      }
    }
  }
  return worst;
}

constexpr double kMatchTolerance = 1e-4;

}  // namespace

bool BenchReport::all_outputs_match() const {
  return std::all_of(strategies.begin(), strategies.end(),
                     [](const BenchStrategyResult& s) { return s.outputs_match_serial; });
}

BenchReport run_bench(BenchConfig& c, const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  if (c.models.empty())
    throw Error(ErrorCode::bad_flag, "no models given (expected at least one in ",
                Error::Option{"models"}, ")");
  if (c.batching.batch < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"batch"},
                fmt::format(" {}: expected a positive integer", c.batching.batch));
  if (c.frames < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"frames"},
                fmt::format(" {}: expected a positive integer", c.frames));
  // serial is the reference for speedup and outputs: it always runs, first.
  std::vector<std::string> names{"serial"};
  for (const std::string& s : c.strategies) {
    make_strategy(s, c.options);  // validates the name
    if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
  }
  make_names_unique(c.models);
  for (ModelSpec& m : c.models) {
    resolve_model_spec(m, c.batching.batch, c.width, c.height);
    if (m.input.shape[0] >= 0) c.batching.pad_last = true;
  }

  BenchReport r;
  r.cores = cores_of(c.options);
  r.cpu = cpu_model();
  GpuMonitor gpu;
  r.gpu = gpu.name();
  r.video = c.video;
  r.batch = c.batching.batch;
  r.width = c.width;
  r.height = c.height;
  r.replicate = c.batching.replicate;
  r.stream = c.stream;
  r.models = c.models;
  // FLOPs per call at this batch and input size (dims by position: batch, then H and W).
  for (const ModelSpec& m : c.models) {
    const bool nchw = m.preprocess.layout == Layout::nchw;
    const std::map<std::string, int64_t> dims{{"0", m.batch},
                                              {nchw ? "2" : "1", m.preprocess.height},
                                              {nchw ? "3" : "2", m.preprocess.width}};
    r.flops_per_call.push_back(inspect_graph(m.path, dims).flops);
  }
  say("measuring the single-core MatMul peak (1024 x 1024 x 1024, one intra-op thread)");
  r.matmul_gflops_per_core = matmul_peak_gflops();

  say(fmt::format("decoding and preprocessing {} frames of {}", c.frames, c.video));
  std::unique_ptr<PreloadedBatches> preloaded;
  {
    auto source = open_frame_source(c.video, c.frames);
    Batcher batcher(*source, c.models, c.batching);
    preloaded = preload(batcher);
  }
  const std::vector<Batch>& batches = preloaded->batches();
  if (batches.empty()) throw Error(ErrorCode::bad_input, fmt::format("video '{}': no frames", c.video));
  r.frames = preloaded->frame_count();
  const std::vector<Batch> sample(
      batches.begin(),
      batches.begin() + std::min<ptrdiff_t>(std::max(1, c.sample_batches),
                                            static_cast<ptrdiff_t>(batches.size())));

  // The limit: every model alone with one intra-op thread gives the total work W.
  std::map<std::pair<size_t, int>, double> alone;  // (model, threads) -> mean ms
  auto alone_ms = [&](size_t m, int threads) {
    auto key = std::make_pair(m, threads);
    if (!alone.count(key)) alone[key] = alone_mean_ms(c.models[m], m, threads, sample);
    return alone[key];
  };
  for (size_t m = 0; m < c.models.size(); ++m) {
    r.alone_ms_1thread.push_back(alone_ms(m, 1));
    r.work_s += r.alone_ms_1thread.back() / 1e3 * static_cast<double>(batches.size());
  }
  r.limit_s = r.work_s / r.cores;
  say(fmt::format("limit: W = {:.2f} s of single-thread work, / {} cores = {:.2f} s", r.work_s,
                  r.cores, r.limit_s));

  CollectingSink reference;
  for (const std::string& name : names) {
    auto strategy = make_strategy(name, c.options);
    CollectingSink sink;
    ProfileObserver profile;

    std::unique_ptr<FrameSource> source;
    std::unique_ptr<Batcher> batcher;
    BatchSource* feed = preloaded.get();
    if (c.stream) {
      source = open_frame_source(c.video, c.frames);
      batcher = std::make_unique<Batcher>(*source, c.models, c.batching);
      feed = batcher.get();
    } else {
      preloaded->rewind();
    }
    const bool rss_reset = reset_peak_rss();
    RunReadings readings;
    readings.cores = r.cores;
    const double cpu0 = cpu_seconds_self() + cpu_seconds_children();
    gpu.start();
    readings.called = Clock::now();
    const StrategyStats stats = strategy->run(*feed, c.models, sink, profile);
    readings.returned = Clock::now();
    GpuMonitor::Usage g = gpu.stop();
    readings.cpu_s = cpu_seconds_self() + cpu_seconds_children() - cpu0;
    readings.peak_rss_mib = rss_reset ? current_peak_rss_mib() : peak_rss_mib_self();

    BenchStrategyResult s;
    const std::vector<RunInterval> intervals = profile.intervals();
    s.report = make_run_report(name, stats, intervals, c.models, readings);
    s.runs = intervals;
    const RunReport& rep = s.report;
    s.gpu_mem_mib = g.memory_mib;
    s.gpu_util = g.util_pct;
    s.limit_ratio = rep.wall_s / r.limit_s;
    double flops = 0;
    for (size_t m = 0; m < c.models.size(); ++m)
      flops += std::max(0.0, r.flops_per_call[m]) * static_cast<double>(rep.models[m].calls);
    s.gflops = flops / rep.wall_s / 1e9;
    s.peak_fraction = s.gflops / (r.cores * r.matmul_gflops_per_core);
    for (size_t m = 0; m < c.models.size(); ++m) {
      BenchModelResult mr;
      mr.timing = rep.models[m];
      mr.intra_threads = m < stats.sessions.size() ? stats.sessions[m].intra_threads : 1;
      mr.interference = mr.timing.mean_ms / alone_ms(m, mr.intra_threads);
      s.models.push_back(mr);
    }
    if (name == "serial") {
      reference = std::move(sink);
      s.outputs_match_serial = true;
    } else {
      std::optional<double> diff = max_difference(sink, reference);
      s.max_abs_diff = diff.value_or(INFINITY);
      s.outputs_match_serial = diff && *diff <= kMatchTolerance;
    }
    say(fmt::format("{}: {:.2f} s, {:.1f} frames/s, wall/limit {:.2f} ({})", name, rep.wall_s,
                    rep.fps, s.limit_ratio, rep.settings));
    r.strategies.push_back(std::move(s));
  }
  const double serial_wall = r.strategies.front().report.wall_s;
  for (BenchStrategyResult& s : r.strategies) s.speedup_vs_serial = serial_wall / s.report.wall_s;
  return r;
}

}  // namespace mvinfer
