#include "mvinfer/bench.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mvinfer/error.h"
#include "mvinfer/frame_source.h"
#include "mvinfer/gpu_monitor.h"
#include "mvinfer/hardware.h"
#include "mvinfer/onnx_graph.h"
#include "mvinfer/result_sink.h"

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
    throw Error(ErrorCode::bad_flag, "no models given (expected --model ... or --zoo N)");
  if (c.batching.batch < 1)
    throw Error(ErrorCode::bad_flag, fmt::format("--batch {}: expected a positive integer", c.batching.batch));
  if (c.frames < 1) throw Error(ErrorCode::bad_flag, "--frames: expected a positive integer");
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
    FirstRunObserver first;
    ObserverList observer({&profile, &first});

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
    const double cpu0 = cpu_seconds_self() + cpu_seconds_children();
    gpu.start();
    const auto t0 = Clock::now();
    strategy->run(*feed, c.models, sink, observer);
    const auto t1 = Clock::now();
    GpuMonitor::Usage g = gpu.stop();
    const double cpu = cpu_seconds_self() + cpu_seconds_children() - cpu0;

    BenchStrategyResult s;
    const auto start = first.first().value_or(t0);
    s.setup_s = std::chrono::duration<double>(start - t0).count();
    RunReport& rep = s.report;
    rep.strategy = name;
    rep.settings = strategy->settings();
    rep.intra_threads = strategy->intra_threads();
    rep.frames = r.frames;
    rep.batches = static_cast<int64_t>(batches.size());
    rep.wall_s = std::chrono::duration<double>(t1 - start).count();
    rep.fps = static_cast<double>(r.frames) / rep.wall_s;
    rep.cpu_util = 100.0 * cpu / (std::chrono::duration<double>(t1 - t0).count() * r.cores);
    rep.peak_rss_mib = (rss_reset ? current_peak_rss_mib() : peak_rss_mib_self()) +
                       strategy->worker_peak_rss_mib();
    std::vector<RunInterval> intervals = profile.intervals();
    rep.models = model_timings(intervals, c.models);
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
      mr.intra_threads = strategy->sessions().at(m).intra_threads;
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

std::string format_table(const BenchReport& r) {
  auto opt = [](const std::optional<double>& v, const char* f) {
    return v ? fmt::format(fmt::runtime(f), *v) : std::string("n/a");
  };
  std::string s = fmt::format(
      "machine: {} cores, {}, GPU {}\nworkload: {} frames of {}, batch {}{}, {}x{}, {} models, "
      "{}\nlimit: W = {:.2f} s single-thread work / {} cores = {:.2f} s\n"
      "peak: 1024^3 MatMul on one core {:.0f} GFLOP/s, x {} cores = {:.0f} GFLOP/s\n",
      r.cores, r.cpu, r.gpu.value_or("n/a"), r.frames, r.video, r.batch,
      r.replicate ? " (replicated)" : "", r.width, r.height, r.models.size(),
      r.stream ? "decoded inside the timed run" : "preloaded", r.work_s, r.cores, r.limit_s,
      r.matmul_gflops_per_core, r.cores, r.matmul_gflops_per_core * r.cores);
  for (size_t m = 0; m < r.models.size(); ++m)
    s += r.flops_per_call[m] >= 0
             ? fmt::format("model {}: {:.2f} GFLOPs per call\n", r.models[m].name, r.flops_per_call[m] / 1e9)
             : fmt::format("model {}: FLOPs unknown (shapes could not be inferred)\n", r.models[m].name);
  s += "\n";
  s += fmt::format("{:<17} {:>7} {:>8} {:>8} {:>10} {:>8} {:>7} {:>9} {:>6} {:>8} {:>6} {:>6} "
                   "{:>7}\n",
                   "strategy", "wall s", "frames/s", "speedup", "wall/limit", "GFLOP/s", "% peak",
                   "RSS MiB", "CPU %", "GPU MiB", "GPU %", "intra", "match");
  for (const BenchStrategyResult& x : r.strategies)
    s += fmt::format("{:<17} {:>7.2f} {:>8.1f} {:>8.2f} {:>10.2f} {:>8.0f} {:>7.0f} {:>9.0f} "
                     "{:>6.0f} {:>8} {:>6} {:>6} {:>7}\n",
                     x.report.strategy, x.report.wall_s, x.report.fps, x.speedup_vs_serial,
                     x.limit_ratio, x.gflops, 100 * x.peak_fraction, x.report.peak_rss_mib,
                     x.report.cpu_util,
                     opt(x.gpu_mem_mib, "{:.0f}"), opt(x.gpu_util, "{:.0f}"),
                     x.report.intra_threads, x.outputs_match_serial ? "yes" : "NO");
  s += fmt::format("\n{:<17} {:<14} {:>6} {:>8} {:>8} {:>8} {:>8} {:>6} {:>12}\n", "strategy",
                   "model", "calls", "Run() s", "p50 ms", "p90 ms", "p99 ms", "intra",
                   "interference");
  for (const BenchStrategyResult& x : r.strategies)
    for (const BenchModelResult& m : x.models)
      s += fmt::format("{:<17} {:<14} {:>6} {:>8.2f} {:>8.1f} {:>8.1f} {:>8.1f} {:>6} {:>12.2f}\n",
                       x.report.strategy, m.timing.name, m.timing.calls, m.timing.run_s,
                       m.timing.p50_ms, m.timing.p90_ms, m.timing.p99_ms, m.intra_threads,
                       m.interference);
  return s;
}

std::string to_json(const BenchReport& r) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json models = json::array();
  for (size_t i = 0; i < r.models.size(); ++i)
    models.push_back({{"name", r.models[i].name},
                      {"path", r.models[i].path},
                      {"flops_per_call", r.flops_per_call[i] >= 0 ? json(r.flops_per_call[i]) : json(nullptr)}});
  json strategies = json::array();
  for (const BenchStrategyResult& s : r.strategies) {
    json ms = json::array();
    for (const BenchModelResult& m : s.models)
      ms.push_back({{"name", m.timing.name},
                    {"calls", m.timing.calls},
                    {"run_s", m.timing.run_s},
                    {"mean_ms", m.timing.mean_ms},
                    {"p50_ms", m.timing.p50_ms},
                    {"p90_ms", m.timing.p90_ms},
                    {"p99_ms", m.timing.p99_ms},
                    {"intra_threads", m.intra_threads},
                    {"interference", m.interference}});
    strategies.push_back({{"name", s.report.strategy},
                          {"wall_s", s.report.wall_s},
                          {"setup_s", s.setup_s},
                          {"fps", s.report.fps},
                          {"speedup_vs_serial", s.speedup_vs_serial},
                          {"limit_ratio", s.limit_ratio},
                          {"gflops", s.gflops},
                          {"peak_fraction", s.peak_fraction},
                          {"peak_rss_mib", s.report.peak_rss_mib},
                          {"cpu_util", s.report.cpu_util},
                          {"gpu_mem_mib", opt(s.gpu_mem_mib)},
                          {"gpu_util", opt(s.gpu_util)},
                          {"intra_threads", s.report.intra_threads},
                          {"settings", s.report.settings},
                          {"outputs_match_serial", s.outputs_match_serial},
                          {"max_rel_diff_vs_serial", std::isfinite(s.max_abs_diff) ? json(s.max_abs_diff) : json(nullptr)},
                          {"models", ms}});
  }
  json alone = json::array();
  for (size_t m = 0; m < r.models.size(); ++m)
    alone.push_back({{"name", r.models[m].name}, {"mean_ms_1thread", r.alone_ms_1thread[m]}});
  json j{{"machine",
          {{"cores", r.cores},
           {"cpu", r.cpu},
           {"gpu", r.gpu ? json(*r.gpu) : json(nullptr)},
           {"matmul_gflops_per_core", r.matmul_gflops_per_core}}},
         {"workload",
          {{"video", r.video},
           {"frames", r.frames},
           {"batch", r.batch},
           {"size", {r.width, r.height}},
           {"replicate", r.replicate},
           {"stream", r.stream},
           {"models", models}}},
         {"limit", {{"work_s", r.work_s}, {"cores", r.cores}, {"limit_s", r.limit_s}, {"alone", alone}}},
         {"strategies", strategies}};
  return j.dump(2) + "\n";
}

namespace {
std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}
}  // namespace

std::string to_svg(const BenchReport& r) {
  const char* palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                           "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};
  const int n = static_cast<int>(r.strategies.size());
  const int m = static_cast<int>(r.models.size());
  const int left = 150, bar_w = 520, row = 28, top1 = 60;
  const int top2 = top1 + n * row + 80;
  const int group = std::max(row, m * 12 + 10);
  const int height = top2 + n * group + 40 + 20 * ((m + 3) / 4);
  double max_wall = r.limit_s;
  double max_run = 0;
  for (const auto& s : r.strategies) {
    max_wall = std::max(max_wall, s.report.wall_s);
    for (const auto& mm : s.models) max_run = std::max(max_run, mm.timing.run_s);
  }
  max_wall = max_wall > 0 ? max_wall * 1.1 : 1;
  max_run = max_run > 0 ? max_run * 1.1 : 1;
  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">mvinfer bench: {} frames, "
      "batch {}, {}x{}, {} models, {} cores</text>\n"
      "<text x=\"10\" y=\"{}\" font-weight=\"bold\">Wall time per strategy (s); dashed line: the "
      "limit W / cores = {:.2f} s</text>\n",
      left + bar_w + 160, height, r.frames, r.batch, r.width, r.height, m, r.cores, top1 - 12,
      r.limit_s);
  for (int i = 0; i < n; ++i) {
    const auto& x = r.strategies[static_cast<size_t>(i)];
    const double w = bar_w * x.report.wall_s / max_wall;
    const int y = top1 + i * row;
    s += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n"
        "<rect class=\"wall\" x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"#4e79a7\">"
        "<title>{}: {:.2f} s</title></rect>\n"
        "<text x=\"{:.1f}\" y=\"{}\">{:.2f} s ({:.2f}x limit)</text>\n",
        left - 8, y + 15, esc(x.report.strategy), left, y + 2, w, row - 8,
        esc(x.report.strategy), x.report.wall_s, left + w + 6, y + 15, x.report.wall_s,
        x.limit_ratio);
  }
  const double lx = left + bar_w * r.limit_s / max_wall;
  s += fmt::format(
      "<line class=\"limit\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#e15759\" "
      "stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n"
      "<text x=\"{:.1f}\" y=\"{}\" fill=\"#e15759\" text-anchor=\"middle\">limit {:.2f} s</text>\n",
      lx, top1 - 4, lx, top1 + n * row, lx, top1 + n * row + 14, r.limit_s);
  s += fmt::format("<text x=\"10\" y=\"{}\" font-weight=\"bold\">Cumulative Run() time per model "
                   "(s)</text>\n",
                   top2 - 12);
  for (int i = 0; i < n; ++i) {
    const auto& x = r.strategies[static_cast<size_t>(i)];
    const int y0 = top2 + i * group;
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 8,
                     y0 + group / 2 + 4, esc(x.report.strategy));
    for (int k = 0; k < m; ++k) {
      const auto& mm = x.models[static_cast<size_t>(k)];
      const double w = bar_w * mm.timing.run_s / max_run;
      s += fmt::format(
          "<rect class=\"run\" x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"10\" fill=\"{}\">"
          "<title>{} / {}: {:.2f} s, interference {:.2f}</title></rect>\n",
          left, y0 + 4 + k * 12, w, palette[k % 8], esc(x.report.strategy), esc(mm.timing.name),
          mm.timing.run_s, mm.interference);
    }
  }
  const int ly = top2 + n * group + 16;
  for (int k = 0; k < m; ++k)
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
                     "<text x=\"{}\" y=\"{}\">{}</text>\n",
                     left + (k % 4) * 160, ly + (k / 4) * 20, palette[k % 8], left + (k % 4) * 160 + 16,
                     ly + (k / 4) * 20 + 11, esc(r.models[static_cast<size_t>(k)].name));
  s += "</svg>\n";
  return s;
}

}  // namespace mvinfer
