#include "mvinfer/tools/bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/core/job.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/looped_source.h"
#include "mvinfer/io/result_sink.h"
#include "mvinfer/tools/gpu_monitor.h"
#include "mvinfer/tools/hardware.h"
#include "mvinfer/tools/onnx_graph.h"

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

// One model alone on the sample batches, after one warm-up run: its mean Run() and, on the
// GPU, its mean GPU time per call (CUDA events on its stream).
struct Alone {
  double wall_ms = 0;
  std::optional<double> gpu_ms;
};
Alone alone_mean(const ModelSpec& spec, size_t index, int threads, const std::vector<Batch>& sample,
                 const StrategyOptions& options) {
  SessionSettings settings = session_settings_for(spec, 1, options);
  settings.intra_threads = threads;
  settings.allow_spinning = false;
  Model model(spec, settings);
  model.run(*sample.front().inputs[index]);
  const std::optional<double> gpu0 = model.gpu_seconds();
  const auto t0 = Clock::now();
  for (const Batch& b : sample) {
    if (options.stop && options.stop->load()) break;  // the caller throws Error{interrupted}
    model.run(*b.inputs[index]);
  }
  const auto n = static_cast<double>(sample.size());
  Alone a;
  a.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / n;
  if (gpu0) a.gpu_ms = (*model.gpu_seconds() - *gpu0) * 1e3 / n;
  return a;
}

// Largest element difference between two runs' outputs; nullopt when their structure
// (entries, order, shapes) differs.
std::optional<double> max_difference(const CollectingSink& a, const CollectingSink& b) {
  if (a.entries().size() != b.entries().size()) return std::nullopt;
  double worst = 0;
  for (size_t i = 0; i < a.entries().size(); ++i) {
    const auto& x = a.entries()[i];
    const auto& y = b.entries()[i];
    if (x.batch != y.batch || x.model != y.model || x.outputs.size() != y.outputs.size() ||
        x.result.rows != y.result.rows || x.result.regions != y.result.regions)
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

// The round whose value is the median (the lower middle of an even count).
size_t median_index(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  return order[(order.size() - 1) / 2];
}

}  // namespace

double spread(std::span<const double> values) {
  if (values.size() < 2) return 0;
  const RoundStats s = summarize({values.begin(), values.end()});
  if (s.max == s.min) return 0;
  return s.median > 0 ? (s.max - s.min) / s.median : INFINITY;
}

bool is_unstable(std::span<const double> values) { return spread(values) > kUnstableSpread; }

RoundStats summarize(std::vector<double> values) {
  RoundStats s;
  s.values = std::move(values);
  if (s.values.empty()) return s;
  std::vector<double> sorted = s.values;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  s.median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  s.min = sorted.front();
  s.max = sorted.back();
  return s;
}

double limit_seconds(double cpu_work_s, int cores, double gpu_work_s) {
  return std::max(cpu_work_s / std::max(1, cores), gpu_work_s);
}

bool BenchReport::all_outputs_match() const {
  return std::all_of(strategies.begin(), strategies.end(),
                     [](const BenchStrategyResult& s) { return s.outputs_match_serial; });
}

void check_strategy_names(const std::vector<std::string>& names) {
  for (const std::string& s : names) check_strategy_name(s, "strategies");
}

BenchReport run_bench(BenchConfig& c, const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  // Ctrl-C (c.options.stop, set by the caller's handler): the running strategy stops as in
  // `run`, and the bench ends between steps with no report, since what it measured is partial.
  auto check_stop = [&] {
    if (c.options.stop && c.options.stop->load())
      throw Error(ErrorCode::interrupted, "bench interrupted (SIGINT or SIGTERM): no report");
  };
  resolve_models(c.models, c.batching, c.width, c.height, c.video);
  const ProviderChoice run_provider{c.options.provider, ""};
  if (const std::string elsewhere = resolve_model_providers(c.models, run_provider);
      !elsewhere.empty())
    say(fmt::format("provider: {}", elsewhere.substr(2)));  // the models on another provider
  if (c.frames < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"frames"},
                fmt::format(" {}: expected a positive integer", c.frames));
  if (c.repeat < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"repeat"},
                fmt::format(" {}: expected a positive integer", c.repeat));
  // serial is the reference for speedup and outputs: it always runs, first.
  // A graph (dependent models, intervals): W is the work actually done, measured by running
  // the whole input through serial with one intra-op thread; strategies that cannot run a graph
  // are left out.
  const bool graph = has_dependents(c.models) || has_intervals(c.models);
  std::vector<std::string> names{"serial"};
  check_strategy_names(c.strategies);
  for (const std::string& s : c.strategies) {
    make_strategy(s, c.options);  // validates the options
    if (graph && find_strategy(s) && find_strategy(s)->forks) {
      say(fmt::format("{}: left out, it cannot run dependent models or intervals", s));
      continue;
    }
    const bool any_on_gpu = std::any_of(c.models.begin(), c.models.end(), [&](const ModelSpec& m) {
      return m.runs_on.value_or(c.options.provider) != Provider::cpu;
    });
    if (any_on_gpu && find_strategy(s) && find_strategy(s)->forks) {
      say(
          fmt::format("{}: left out on the GPU: CUDA does not survive fork(), and this process "
                      "uses it before (the limit, serial); measure it alone with `mvinfer run "
                      "--strategy {} --provider cuda`",
                      s, s));
      continue;
    }
    if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
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
    if (!m.on.empty()) {  // calls vary in rows (regions) and, for pad-grow, in width
      r.flops_per_call.push_back(-1);
      continue;
    }
    const bool nchw = m.preprocess.layout == Layout::nchw;
    const std::map<std::string, int64_t> dims{{"0", m.batch},
                                              {nchw ? "2" : "1", m.preprocess.height},
                                              {nchw ? "3" : "2", m.preprocess.width}};
    r.flops_per_call.push_back(inspect_graph(m.path, dims).flops);
  }
  say("measuring the single-core MatMul figure (1024 x 1024 x 1024, one intra-op thread)");
  r.matmul_gflops_per_core = matmul_peak_gflops();
  check_stop();
  r.repeat = c.repeat;

  // The video, played `loop` times in a row when asked (more frames than it holds).
  auto open_source = [&]() -> std::unique_ptr<FrameSource> {
    if (c.loop > 1) return std::make_unique<LoopedSource>(c.video, c.loop, c.frames, 0, c.strict);
    return open_frame_source(c.video, c.frames, 0, c.strict);
  };
  say(fmt::format("decoding and preprocessing {} frames of {}", c.frames, c.video));
  std::unique_ptr<PreloadedBatches> preloaded;
  {
    auto source = open_source();
    Batcher batcher(*source, c.models, c.batching);
    preloaded = preload(batcher, c.options.stop);
    check_stop();
    if (const SourceCounts n = source->counts(); n.read < n.expected || n.undecodable > 0)
      say(fmt::format(
          "{}: {} of {} frames read{}", c.video, n.read, n.expected,
          n.undecodable > 0 ? fmt::format(", {} undecodable skipped", n.undecodable) : ""));
  }
  const std::vector<Batch>& batches = preloaded->batches();
  if (batches.empty())
    throw Error(ErrorCode::bad_input, fmt::format("video '{}': no frames", c.video));
  r.frames = preloaded->frame_count();
  const std::vector<Batch> sample(
      batches.begin(),
      batches.begin() + std::min<ptrdiff_t>(std::max(1, c.sample_batches),
                                            static_cast<ptrdiff_t>(batches.size())));

  // One run of one strategy, its ratios taken against this round's limit.
  auto run_once = [&](const std::string& name, double limit_s, double fma_gflops,
                      const std::function<double(size_t, int)>& alone_ms, CollectingSink& sink) {
    auto strategy = make_strategy(name, c.options);
    ProfileObserver profile;
    std::unique_ptr<FrameSource> source;
    std::unique_ptr<Batcher> batcher;
    BatchSource* feed = preloaded.get();
    if (c.stream) {
      source = open_source();
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
    s.limit_ratio = rep.wall_s / limit_s;
    double flops = 0;
    for (size_t m = 0; m < c.models.size(); ++m)
      flops += std::max(0.0, r.flops_per_call[m]) * static_cast<double>(rep.models[m].calls);
    s.gflops = flops / rep.wall_s / 1e9;
    s.peak_fraction = s.gflops / (r.cores * fma_gflops);
    for (size_t m = 0; m < c.models.size(); ++m) {
      BenchModelResult mr;
      mr.timing = rep.models[m];
      mr.intra_threads = m < stats.sessions.size() ? stats.sessions[m].intra_threads : 1;
      mr.interference = mr.timing.mean_ms / alone_ms(m, mr.intra_threads);
      s.models.push_back(mr);
    }
    return s;
  };

  // runs[k][i]: strategy names[k] in round i. Rounds interleave (limit, A, B, ..., limit, A,
  // B, ...) so that a slow spell of the machine hits one round of everything, not all rounds
  // of one strategy.
  std::vector<std::vector<BenchStrategyResult>> runs(names.size());
  std::vector<std::vector<double>> alone_1thread(c.models.size()), alone_gpu(c.models.size());
  std::vector<double> work_s, cpu_work_s, gpu_work_s, limit_s, fma_gflops;
  r.alone_gpu_mem_mib.resize(c.models.size());
  r.alone_gpu_util.resize(c.models.size());
  auto on_gpu = [&](size_t m) {
    return c.models[m].runs_on.value_or(c.options.provider) != Provider::cpu;
  };
  CollectingSink reference;  // serial's outputs in the first round
  for (int round = 0; round < c.repeat; ++round) {
    const std::string tag = c.repeat > 1 ? fmt::format("round {}/{}: ", round + 1, c.repeat) : "";
    // The peak, per round too: a shared host's clock boost drifts with its load, and "% peak"
    // must hold against the clock the strategies of this round ran at.
    say(tag + "measuring the single-core FMA peak (multiply-adds in registers, one thread)");
    const FmaPeak fma = fma_peak_gflops();
    check_stop();
    r.fma.isa = fma.isa;
    fma_gflops.push_back(fma.gflops);
    say(fmt::format("{}FMA peak: {:.1f} GFLOP/s per core ({})", tag, fma.gflops, fma.isa));
    // The limit: every model alone with one intra-op thread gives the total work W. Alone
    // times with other thread counts (for interference) are measured on first use, per round;
    // in a graph, whose calls vary in size, interference is read against the one-thread mean.
    std::map<std::pair<size_t, int>, Alone> alone;  // (model, threads) -> its means
    auto alone_of = [&](size_t m, int threads) -> const Alone& {
      auto key = std::make_pair(m, threads);
      if (!alone.count(key)) {
        const bool watch = threads == 1 && on_gpu(m);  // the GPU's figures for this model alone
        if (watch) gpu.start();
        alone[key] = alone_mean(c.models[m], m, threads, sample, c.options);
        check_stop();
        if (watch) {
          const GpuMonitor::Usage u = gpu.stop();
          r.alone_gpu_mem_mib[m] = u.memory_mib;
          r.alone_gpu_util[m] = u.util_pct;
        }
      }
      return alone[key];
    };
    auto alone_ms = [&](size_t m, int threads) {
      if (graph) return alone_1thread[m].back();
      return alone_of(m, threads).wall_ms;
    };
    double cpu_work = 0, gpu_work = 0;
    if (graph) {
      StrategyOptions one = c.options;
      one.intra_threads = 1;
      one.cache = nullptr;
      ProfileObserver profile;
      NullSink null;
      preloaded->rewind();
      make_strategy("serial", one)->run(*preloaded, c.models, null, profile);
      check_stop();
      std::vector<double> total(c.models.size(), 0.0), calls(c.models.size(), 0.0);
      for (const RunInterval& iv : profile.intervals()) {
        total[iv.model] += iv.seconds();
        calls[iv.model] += 1;
      }
      // On the GPU the Run() time stands for the GPU time: an upper bound (it includes the
      // launches), as a graph's calls vary in size and are not sampled alone.
      for (size_t m = 0; m < c.models.size(); ++m) {
        (on_gpu(m) ? gpu_work : cpu_work) += total[m];
        alone_1thread[m].push_back(calls[m] > 0 ? 1e3 * total[m] / calls[m] : 0);
      }
    } else {
      for (size_t m = 0; m < c.models.size(); ++m) {
        const Alone& a = alone_of(m, 1);
        alone_1thread[m].push_back(a.wall_ms);
        const double per_batch_s = (a.gpu_ms ? *a.gpu_ms : a.wall_ms) / 1e3;
        (a.gpu_ms ? gpu_work : cpu_work) += per_batch_s * static_cast<double>(batches.size());
        if (a.gpu_ms) alone_gpu[m].push_back(*a.gpu_ms);
      }
    }
    work_s.push_back(cpu_work + gpu_work);
    cpu_work_s.push_back(cpu_work);
    gpu_work_s.push_back(gpu_work);
    limit_s.push_back(limit_seconds(cpu_work, r.cores, gpu_work));
    if (gpu_work > 0)
      say(
          fmt::format("{}limit: {:.2f} s of GPU time (models alone) on one device, {:.2f} s of "
                      "single-thread CPU work / {} cores: {:.2f} s",
                      tag, gpu_work, cpu_work, r.cores, limit_s.back()));
    else
      say(fmt::format("{}limit: W = {:.2f} s of single-thread work, / {} cores = {:.2f} s", tag,
                      cpu_work, r.cores, limit_s.back()));

    for (size_t k = 0; k < names.size(); ++k) {
      CollectingSink sink;
      BenchStrategyResult s = run_once(names[k], limit_s.back(), fma.gflops, alone_ms, sink);
      check_stop();
      if (round == 0 && k == 0) {  // serial, the reference
        reference = std::move(sink);
        s.outputs_match_serial = true;
      } else {
        std::optional<double> diff = max_difference(sink, reference);
        s.max_abs_diff = diff.value_or(INFINITY);
        s.outputs_match_serial = diff && *diff <= kMatchTolerance;
      }
      const RunReport& rep = s.report;
      say(fmt::format("{}{}: {:.2f} s, {:.1f} frames/s, wall/limit {:.2f} ({})", tag, names[k],
                      rep.wall_s, rep.fps, s.limit_ratio, rep.settings));
      runs[k].push_back(std::move(s));
    }
    const double serial_wall = runs.front().back().report.wall_s;
    for (auto& rounds : runs)
      rounds.back().speedup_vs_serial = serial_wall / rounds.back().report.wall_s;
  }

  // Summaries over the rounds.
  r.work_s_per_round = summarize(work_s);
  r.limit_s_per_round = summarize(limit_s);
  r.work_s = r.work_s_per_round.median;
  r.limit_s = r.limit_s_per_round.median;
  r.cpu_work_s = summarize(cpu_work_s).median;
  r.gpu_work_s = summarize(gpu_work_s).median;
  for (const std::vector<double>& g : alone_gpu)
    r.alone_gpu_ms.push_back(g.empty() ? std::nullopt : std::optional(summarize(g).median));
  r.fma_per_round = summarize(fma_gflops);
  r.fma.gflops = r.fma_per_round.median;
  for (const std::vector<double>& a : alone_1thread)
    r.alone_ms_1thread.push_back(summarize(a).median);
  for (std::vector<BenchStrategyResult>& rounds : runs) {
    auto collect = [&](auto field) {
      std::vector<double> v;
      for (const BenchStrategyResult& x : rounds) v.push_back(field(x));
      return summarize(std::move(v));
    };
    BenchStrategyResult::PerRound pr;
    pr.wall_s = collect([](const BenchStrategyResult& x) { return x.report.wall_s; });
    pr.fps = collect([](const BenchStrategyResult& x) { return x.report.fps; });
    pr.speedup_vs_serial =
        collect([](const BenchStrategyResult& x) { return x.speedup_vs_serial; });
    pr.limit_ratio = collect([](const BenchStrategyResult& x) { return x.limit_ratio; });
    pr.gflops = collect([](const BenchStrategyResult& x) { return x.gflops; });
    pr.peak_fraction = collect([](const BenchStrategyResult& x) { return x.peak_fraction; });
    bool match = true;
    double diff = 0;
    for (const BenchStrategyResult& x : rounds) {
      match = match && x.outputs_match_serial;
      diff = std::max(diff, x.max_abs_diff);
    }
    BenchStrategyResult s = std::move(rounds[median_index(pr.limit_ratio.values)]);
    s.per_round = std::move(pr);
    s.speedup_vs_serial = s.per_round.speedup_vs_serial.median;
    s.limit_ratio = s.per_round.limit_ratio.median;
    s.gflops = s.per_round.gflops.median;
    s.peak_fraction = s.per_round.peak_fraction.median;
    s.outputs_match_serial = match;
    s.max_abs_diff = diff;
    r.strategies.push_back(std::move(s));
  }
  const auto auto_at = std::find(names.begin(), names.end(), "auto");
  if (auto_at != names.end()) {
    const size_t a = static_cast<size_t>(auto_at - names.begin());
    std::vector<double> ratio;
    for (int round = 0; round < c.repeat; ++round) {
      double best = INFINITY;
      for (size_t k = 0; k < names.size(); ++k)
        if (k != a) best = std::min(best, r.strategies[k].per_round.wall_s.values[round]);
      ratio.push_back(r.strategies[a].per_round.wall_s.values[round] / best);
    }
    r.auto_vs_best_fixed = summarize(std::move(ratio));
  }
  return r;
}

}  // namespace mvinfer
