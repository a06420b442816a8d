// The bench report's three forms: the table `bench` prints, its JSON, and its SVG chart.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "mvinfer/core/trace_observer.h"
#include "mvinfer/tools/bench.h"

namespace mvinfer {
namespace {
using json = nlohmann::ordered_json;  // keys in the documented order

// A figure over the rounds, as a table cell: the median, then "(min-max)" when there were
// several rounds, and "!" when their spread is above kUnstableSpread. `scale` turns a fraction
// into a percentage.
std::string cell(const RoundStats& v, const char* format, double scale = 1) {
  auto f = [&](double x) { return fmt::format(fmt::runtime(format), x * scale); };
  if (v.values.size() < 2) return f(v.median);
  return fmt::format("{} ({}-{}){}", f(v.median), f(v.min), f(v.max), v.unstable() ? "!" : " ");
}

// After a median in a header line: " (median of N rounds, min-max)", "!" when unstable; empty
// for a single round.
std::string over_rounds(const RoundStats& v, const char* format) {
  if (v.values.size() < 2) return "";
  return fmt::format(" (median of {} rounds, {}-{}){}", v.values.size(),
                     fmt::format(fmt::runtime(format), v.min),
                     fmt::format(fmt::runtime(format), v.max), v.unstable() ? "!" : "");
}

// Rows of cells printed with each column as wide as its widest cell; the first column is
// left-aligned, the others right-aligned.
std::string align(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string s;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += i == 0 ? fmt::format("{:<{}}", row[i], width[i])
                     : fmt::format(" {:>{}}", row[i], width[i]);
    s += line + "\n";
  }
  return s;
}

json round_json(const RoundStats& v) {
  return {{"values", v.values}, {"median", v.median},         {"min", v.min},
          {"max", v.max},       {"spread", spread(v.values)}, {"unstable", v.unstable()}};
}
}  // namespace

// The limit's terms (limit_seconds() in bench.h): the CPU's work over its cores, the GPU's time
// on its one device, or both and the larger of the two.
std::string limit_terms(const BenchReport& r) {
  const std::string cpu =
      fmt::format("W = {:.2f} s single-thread work / {} cores", r.cpu_work_s, r.cores);
  const std::string gpu =
      fmt::format("{:.2f} s of GPU time, the models alone, on one device", r.gpu_work_s);
  if (r.gpu_work_s <= 0) return cpu;
  if (r.cpu_work_s <= 0) return gpu;
  return fmt::format("the larger of {} and {}", gpu, cpu);
}

std::string format_table(const BenchReport& r) {
  auto opt = [](const std::optional<double>& v, const char* f) {
    return v ? fmt::format(fmt::runtime(f), *v) : std::string("n/a");
  };
  const bool rounds = r.repeat > 1;
  std::string s = fmt::format(
      "machine: {} cores, {}, GPU {}\nworkload: {} frames of {}, batch {}{}, {}x{}, {} models, "
      "{}\nlimit: {} = {:.2f} s{}\n"
      "peak: FMA loop ({}) on one core {:.1f} GFLOP/s{}, x {} cores = {:.0f} GFLOP/s "
      "(\"% peak\")\n"
      "      1024^3 MatMul in ONNX Runtime on one core {:.1f} GFLOP/s ({:.0f}% of the FMA "
      "peak)\n",
      r.cores, r.cpu, r.gpu.value_or("n/a"), r.frames, r.video, r.batch,
      r.replicate ? " (replicated)" : "", r.width, r.height, r.models.size(),
      r.stream ? "decoded inside the timed run" : "preloaded", limit_terms(r), r.limit_s,
      over_rounds(r.limit_s_per_round, "{:.2f}"), r.fma.isa, r.fma.gflops,
      over_rounds(r.fma_per_round, "{:.1f}"), r.cores, r.fma.gflops * r.cores,
      r.matmul_gflops_per_core,
      r.fma.gflops > 0 ? 100 * r.matmul_gflops_per_core / r.fma.gflops : 0);
  for (size_t m = 0; m < r.models.size(); ++m) {
    s += r.flops_per_call[m] >= 0
             ? fmt::format("model {}: {:.2f} GFLOPs per call", r.models[m].name,
                           r.flops_per_call[m] / 1e9)
             : fmt::format("model {}: FLOPs unknown (shapes could not be inferred)",
                           r.models[m].name);
    if (m < r.alone_gpu_ms.size() && r.alone_gpu_ms[m])
      s += fmt::format("; alone on the GPU: {:.2f} ms of GPU time per call, {} MiB, {}% busy",
                       *r.alone_gpu_ms[m], opt(r.alone_gpu_mem_mib[m], "{:.0f}"),
                       opt(r.alone_gpu_util[m], "{:.0f}"));
    s += "\n";
  }
  s += rounds ? fmt::format(
                    "\nover {} interleaved rounds: median (min-max); wall s, GFLOP/s "
                    "medians; the rest from the median round\n",
                    r.repeat)
              : "\n";
  std::vector<std::vector<std::string>> rows{{"strategy", "wall s", "frames/s", "speedup",
                                              "wall/limit", "GFLOP/s", "% peak", "RSS MiB", "CPU %",
                                              "GPU MiB", "GPU %", "intra", "match"}};
  bool unstable = false;
  for (const BenchStrategyResult& x : r.strategies) {
    const BenchStrategyResult::PerRound& p = x.per_round;
    for (const RoundStats* v : {&p.fps, &p.speedup_vs_serial, &p.limit_ratio, &p.peak_fraction})
      unstable = unstable || v->unstable();
    rows.push_back(
        {x.report.strategy, fmt::format("{:.2f}", p.wall_s.median), cell(p.fps, "{:.1f}"),
         cell(p.speedup_vs_serial, "{:.2f}"), cell(p.limit_ratio, "{:.2f}"),
         fmt::format("{:.0f}", p.gflops.median), cell(p.peak_fraction, "{:.0f}", 100),
         fmt::format("{:.0f}", x.report.peak_rss_mib), fmt::format("{:.0f}", x.report.cpu_util),
         opt(x.gpu_mem_mib, "{:.0f}"), opt(x.gpu_util, "{:.0f}"),
         std::to_string(x.report.intra_threads), x.outputs_match_serial ? "yes" : "NO"});
  }
  s += align(rows);
  if (r.auto_vs_best_fixed) {
    unstable = unstable || r.auto_vs_best_fixed->unstable();
    s += fmt::format("auto / best fixed (wall, within each round): {}\n",
                     cell(*r.auto_vs_best_fixed, "{:.2f}"));
  }
  if (unstable)
    s += fmt::format(
        "! the rounds differ by more than {:.0f}% of the median ((max - min) / "
        "median): the machine was busy; rerun, or raise --repeat\n",
        100 * kUnstableSpread);
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
    models.push_back(
        {{"name", r.models[i].name},
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
    const BenchStrategyResult::PerRound& p = s.per_round;
    strategies.push_back({{"name", s.report.strategy},
                          {"wall_s", p.wall_s.median},
                          {"setup_s", s.report.setup_s},
                          {"fps", p.fps.median},
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
                          {"max_rel_diff_vs_serial",
                           std::isfinite(s.max_abs_diff) ? json(s.max_abs_diff) : json(nullptr)},
                          {"rounds",
                           {{"wall_s", round_json(p.wall_s)},
                            {"fps", round_json(p.fps)},
                            {"speedup_vs_serial", round_json(p.speedup_vs_serial)},
                            {"limit_ratio", round_json(p.limit_ratio)},
                            {"gflops", round_json(p.gflops)},
                            {"peak_fraction", round_json(p.peak_fraction)}}},
                          {"models", ms}});
  }
  json alone = json::array();
  for (size_t m = 0; m < r.models.size(); ++m)
    alone.push_back(
        {{"name", r.models[m].name},
         {"mean_ms_1thread", r.alone_ms_1thread[m]},
         {"gpu_ms", m < r.alone_gpu_ms.size() ? opt(r.alone_gpu_ms[m]) : json(nullptr)},
         {"gpu_mem_mib",
          m < r.alone_gpu_mem_mib.size() ? opt(r.alone_gpu_mem_mib[m]) : json(nullptr)},
         {"gpu_util", m < r.alone_gpu_util.size() ? opt(r.alone_gpu_util[m]) : json(nullptr)}});
  json j{{"machine",
          {{"cores", r.cores},
           {"cpu", r.cpu},
           {"gpu", r.gpu ? json(*r.gpu) : json(nullptr)},
           {"fma_gflops_per_core", r.fma.gflops},
           {"fma_isa", r.fma.isa},
           {"matmul_gflops_per_core", r.matmul_gflops_per_core},
           {"rounds", {{"fma_gflops_per_core", round_json(r.fma_per_round)}}}}},
         {"workload",
          {{"video", r.video},
           {"frames", r.frames},
           {"batch", r.batch},
           {"size", {r.width, r.height}},
           {"replicate", r.replicate},
           {"stream", r.stream},
           {"models", models}}},
         {"repeat", r.repeat},
         {"limit",
          {{"work_s", r.work_s},
           {"cpu_work_s", r.cpu_work_s},
           {"gpu_work_s", r.gpu_work_s},
           {"cores", r.cores},
           {"limit_s", r.limit_s},
           {"alone", alone},
           {"rounds",
            {{"work_s", round_json(r.work_s_per_round)},
             {"limit_s", round_json(r.limit_s_per_round)}}}}},
         {"strategies", strategies},
         {"auto_vs_best_fixed",
          r.auto_vs_best_fixed ? round_json(*r.auto_vs_best_fixed) : json(nullptr)}};
  return j.dump(2) + "\n";
}

namespace {
std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

// A round step (1, 2 or 5 x 10^k) that cuts [0, span] into about `parts` pieces.
double tick_step(double span, int parts) {
  const double raw = span / parts;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double f : {1.0, 2.0, 5.0})
    if (f * p >= raw) return f * p;
  return 10 * p;
}

// Where a strategy's Run()s fall in the timeline: its lanes and its first and last moments.
struct Timeline {
  std::vector<size_t> lanes;  // per run
  size_t lane_count = 0;
  Clock::time_point first, last;
  double span_s() const { return std::chrono::duration<double>(last - first).count(); }
};

Timeline timeline_of(const std::vector<RunInterval>& runs) {
  Timeline t;
  t.lanes = trace_lanes(runs);
  for (size_t l : t.lanes) t.lane_count = std::max(t.lane_count, l + 1);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i == 0 || runs[i].begin < t.first) t.first = runs[i].begin;
    if (i == 0 || runs[i].end > t.last) t.last = runs[i].end;
  }
  return t;
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
  // The timeline: a lane per worker, a rect per Run(), on one time axis for every strategy.
  const int top3 = top2 + n * group + 20 * ((m + 3) / 4) + 70;
  const int lane_h = 8, block_gap = 12, tl_w = bar_w + 100;
  std::vector<Timeline> timelines;
  int tl_h = 0;
  double max_span = 0;
  for (const auto& x : r.strategies) {
    timelines.push_back(timeline_of(x.runs));
    tl_h += std::max<int>(2 * lane_h, static_cast<int>(timelines.back().lane_count) * lane_h) +
            block_gap;
    max_span = std::max(max_span, timelines.back().span_s());
  }
  max_span = max_span > 0 ? max_span * 1.02 : 1;
  const int height = top3 + tl_h + 40;
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
      "limit {} = {:.2f} s</text>\n",
      left + bar_w + 160, height, r.frames, r.batch, r.width, r.height, m, r.cores, top1 - 12,
      r.gpu_work_s > 0 ? (r.cpu_work_s > 0 ? "max(GPU time, W / cores)" : "GPU time") : "W / cores",
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
        left - 8, y + 15, esc(x.report.strategy), left, y + 2, w, row - 8, esc(x.report.strategy),
        x.report.wall_s, left + w + 6, y + 15, x.report.wall_s, x.limit_ratio);
  }
  const double lx = left + bar_w * r.limit_s / max_wall;
  s += fmt::format(
      "<line class=\"limit\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#e15759\" "
      "stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n"
      "<text x=\"{:.1f}\" y=\"{}\" fill=\"#e15759\" text-anchor=\"middle\">limit {:.2f} s</text>\n",
      lx, top1 - 4, lx, top1 + n * row, lx, top1 + n * row + 14, r.limit_s);
  s += fmt::format(
      "<text x=\"10\" y=\"{}\" font-weight=\"bold\">Cumulative Run() time per model "
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
    s += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{}</text>\n",
        left + (k % 4) * 160, ly + (k / 4) * 20, palette[k % 8], left + (k % 4) * 160 + 16,
        ly + (k / 4) * 20 + 11, esc(r.models[static_cast<size_t>(k)].name));

  s += fmt::format(
      "<text x=\"10\" y=\"{}\" font-weight=\"bold\">Timeline: each Run() on its worker (thread "
      "or process), colour = model; x = s since the strategy's first Run(); grey = idle</text>\n",
      top3 - 26);
  int y = top3;
  for (int i = 0; i < n; ++i) {
    const auto& x = r.strategies[static_cast<size_t>(i)];
    const Timeline& t = timelines[static_cast<size_t>(i)];
    const int block = std::max<int>(2 * lane_h, static_cast<int>(t.lane_count) * lane_h);
    s += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"9\" fill=\"#666\">{} "
        "worker{}</text>\n",
        left - 8, y + 9, esc(x.report.strategy), left - 8, y + 19, t.lane_count,
        t.lane_count == 1 ? "" : "s");
    const double span_w = tl_w * t.span_s() / max_span;
    for (size_t l = 0; l < t.lane_count; ++l)
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" "
          "fill=\"#e8e8e8\"/>\n",
          left, y + static_cast<int>(l) * lane_h, span_w, lane_h - 1);
    for (size_t k = 0; k < x.runs.size(); ++k) {
      const RunInterval& run = x.runs[k];
      const double x0 = std::chrono::duration<double>(run.begin - t.first).count();
      // Thin but visible: a Run() shorter than a pixel still shows as a sliver.
      const double w = std::max(0.6, tl_w * run.seconds() / max_span);
      const std::string name = run.model < r.models.size() ? r.models[run.model].name
                                                           : fmt::format("model {}", run.model);
      s += fmt::format(
          "<rect class=\"span\" x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" "
          "fill=\"{}\"><title>{}: batch {}, {:.1f} ms (worker {})</title></rect>\n",
          left + tl_w * x0 / max_span, y + static_cast<int>(t.lanes[k]) * lane_h, w, lane_h - 1,
          palette[run.model % 8], esc(name), run.batch, 1e3 * run.seconds(), t.lanes[k] + 1);
    }
    y += block + block_gap;
  }
  const double step = tick_step(max_span, 6);
  for (int k = 0; k * step <= max_span; ++k) {
    const double tx = left + tl_w * k * step / max_span;
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#999\"/>"
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{:g}</text>\n",
        tx, y - block_gap + 2, tx, y - block_gap + 6, tx, y - block_gap + 17, k * step);
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">s</text>\n", left + tl_w + 8,
                   y - block_gap + 17);
  s += "</svg>\n";
  return s;
}

}  // namespace mvinfer
