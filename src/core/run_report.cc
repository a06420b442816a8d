#include "mvinfer/core/run_report.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <string>

namespace mvinfer {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::vector<ModelTiming> model_timings(std::span<const RunInterval> intervals,
                                       std::span<const ModelSpec> models) {
  std::vector<std::vector<double>> ms(models.size());
  for (const RunInterval& r : intervals)
    if (r.model < models.size()) ms[r.model].push_back(r.seconds() * 1e3);
  std::vector<ModelTiming> out;
  for (size_t m = 0; m < models.size(); ++m) {
    ModelTiming t;
    t.name = models[m].name;
    t.calls = static_cast<int64_t>(ms[m].size());
    for (double v : ms[m]) t.run_s += v / 1e3;
    t.mean_ms = t.calls ? t.run_s * 1e3 / static_cast<double>(t.calls) : 0;
    t.p50_ms = percentile(ms[m], 50);
    t.p90_ms = percentile(ms[m], 90);
    t.p99_ms = percentile(ms[m], 99);
    out.push_back(std::move(t));
  }
  return out;
}

RunReport make_run_report(std::string_view strategy, const StrategyStats& stats,
                          std::span<const RunInterval> runs, std::span<const ModelSpec> models,
                          const RunReadings& in) {
  RunReport r;
  r.strategy = std::string(strategy);
  r.settings = stats.settings;
  r.intra_threads = stats.intra_threads();
  Clock::time_point first = in.returned;
  // A batch's frames: the most rows any model on frames ran on it (a dependent model's rows are
  // regions; a model with interval=N sees fewer frames).
  std::map<int64_t, int64_t> frames_of_batch;  // seq -> frames
  for (const RunInterval& i : runs) {
    first = std::min(first, i.begin);
    const bool on_frames = i.model >= models.size() || models[i.model].parent < 0;
    if (on_frames) frames_of_batch[i.batch] = std::max(frames_of_batch[i.batch], i.frames);
  }
  if (runs.empty()) first = in.called;
  r.batches = static_cast<int64_t>(frames_of_batch.size());
  for (const auto& [seq, n] : frames_of_batch) r.frames += n;
  r.setup_s = std::max(0.0, std::chrono::duration<double>(first - in.called).count());
  r.wall_s = std::max(0.0, std::chrono::duration<double>(in.returned - first).count());
  r.fps = r.wall_s > 0 ? static_cast<double>(r.frames) / r.wall_s : 0;
  const double elapsed = std::chrono::duration<double>(in.returned - in.called).count();
  r.cpu_util = elapsed > 0 ? 100.0 * in.cpu_s / (elapsed * std::max(1, in.cores)) : 0;
  r.peak_rss_mib = in.peak_rss_mib + stats.worker_private_mib;
  r.gpu_mem_mib = in.gpu_mem_mib;
  r.gpu_util = in.gpu_util;
  r.interrupted = in.interrupted;
  r.models = model_timings(runs, models);
  return r;
}

std::string format_summary(const RunReport& r) {
  std::string s = fmt::format("{} frames in {:.2f} s ({:.1f} frames/s), strategy {}", r.frames,
                              r.wall_s, r.fps, r.strategy);
  s += " | Run() total:";
  for (const ModelTiming& m : r.models)
    s += fmt::format(" {} {:.2f} s (p50 {:.1f} ms)", m.name, m.run_s, m.p50_ms);
  s += fmt::format(" | peak RSS {:.0f} MiB, CPU {:.0f}%", r.peak_rss_mib, r.cpu_util);
  if (r.gpu_mem_mib)
    s += fmt::format(", GPU {:.0f} MiB{}", *r.gpu_mem_mib,
                     r.gpu_util ? fmt::format(" {:.0f}% busy", *r.gpu_util) : "");
  int64_t dropped = 0;
  for (const StreamReport& st : r.streams) dropped += st.dropped;
  if (r.streams.size() > 1 || dropped > 0) {
    s += " | streams:";
    for (const StreamReport& st : r.streams)
      s += fmt::format(" {} {} frames {:.1f} frames/s, {} dropped;", st.source, st.frames, st.fps,
                       st.dropped);
    s.pop_back();
  }
  // A short or damaged input is said, not left to be noticed in the frame count.
  std::string input;
  for (const StreamReport& st : r.streams) {
    const bool short_read = st.expected >= 0 && st.read < st.expected;
    if (!short_read && st.undecodable == 0) continue;
    input += fmt::format(" {} {}", st.source, st.read);
    if (st.expected >= 0) input += fmt::format(" of {}", st.expected);
    input += " frames read";
    if (st.undecodable > 0) input += fmt::format(", {} undecodable skipped", st.undecodable);
    input += ";";
  }
  if (!input.empty()) {
    input.pop_back();
    s += " | input:" + input;
  }
  return s;
}

namespace {
double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }
rusage usage(int who) {
  rusage u{};
  getrusage(who, &u);
  return u;
}
}  // namespace

// ru_maxrss is in KiB on Linux.
double peak_rss_mib_self() { return static_cast<double>(usage(RUSAGE_SELF).ru_maxrss) / 1024.0; }
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

double current_peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;  // kB
  return peak_rss_mib_self();
}

double cpu_seconds_self() {
  rusage u = usage(RUSAGE_SELF);
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}
double cpu_seconds_children() {
  rusage u = usage(RUSAGE_CHILDREN);
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

}  // namespace mvinfer
