#include "mvinfer/core/trace_observer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <utility>

#include "mvinfer/core/error.h"
#include "mvinfer/io/line_file.h"

namespace mvinfer {
namespace {

using json = nlohmann::ordered_json;  // "name" first reads better in a text editor

// Indices of `intervals` by begin time (then end, then model: a stable, deterministic order).
std::vector<size_t> by_begin(std::span<const RunInterval> intervals) {
  std::vector<size_t> order(intervals.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const RunInterval &x = intervals[a], &y = intervals[b];
    if (x.begin != y.begin) return x.begin < y.begin;
    if (x.end != y.end) return x.end < y.end;
    return x.model < y.model;
  });
  return order;
}

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

std::vector<size_t> trace_lanes(std::span<const RunInterval> intervals) {
  std::map<std::pair<int, std::thread::id>, size_t> lane_of;
  std::vector<size_t> lanes(intervals.size());
  for (size_t i : by_begin(intervals)) {
    const auto key = std::make_pair(intervals[i].pid, intervals[i].thread);
    auto it = lane_of.try_emplace(key, lane_of.size()).first;
    lanes[i] = it->second;
  }
  return lanes;
}

std::string chrome_trace_json(std::span<const RunInterval> intervals,
                              std::span<const std::string> model_names) {
  const std::vector<size_t> order = by_begin(intervals);
  const std::vector<size_t> lanes = trace_lanes(intervals);
  json events = json::array();
  std::set<int> pids;
  std::set<std::pair<int, size_t>> named;  // (pid, lane) given a thread_name already
  for (size_t i : order) {
    const RunInterval& r = intervals[i];
    const int tid = static_cast<int>(lanes[i]) + 1;  // tid 0 reads as "no thread" in some UIs
    if (pids.insert(r.pid).second) {
      events.push_back({{"name", "process_name"},
                        {"ph", "M"},
                        {"pid", r.pid},
                        {"args", {{"name", fmt::format("mvinfer pid {}", r.pid)}}}});
      // Processes in the order they first ran, not by pid.
      events.push_back({{"name", "process_sort_index"},
                        {"ph", "M"},
                        {"pid", r.pid},
                        {"args", {{"sort_index", pids.size()}}}});
    }
    if (named.insert({r.pid, lanes[i]}).second) {
      events.push_back({{"name", "thread_name"},
                        {"ph", "M"},
                        {"pid", r.pid},
                        {"tid", tid},
                        {"args", {{"name", fmt::format("worker {}", tid)}}}});
      events.push_back({{"name", "thread_sort_index"},
                        {"ph", "M"},
                        {"pid", r.pid},
                        {"tid", tid},
                        {"args", {{"sort_index", tid}}}});
    }
  }
  const Clock::time_point origin = order.empty() ? Clock::time_point{} : intervals[order[0]].begin;
  for (size_t i : order) {
    const RunInterval& r = intervals[i];
    const std::string name =
        r.model < model_names.size() ? model_names[r.model] : fmt::format("model {}", r.model);
    events.push_back({{"name", name},
                      {"cat", "run"},
                      {"ph", "X"},
                      {"ts", micros(r.begin - origin)},
                      {"dur", micros(r.end - r.begin)},
                      {"pid", r.pid},
                      {"tid", static_cast<int>(lanes[i]) + 1},
                      {"args", {{"batch", r.batch}, {"frames", r.frames}, {"model", r.model}}}});
  }
  json doc{{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}};
  return doc.dump() + "\n";
}

void write_chrome_trace(const std::string& path, std::span<const RunInterval> intervals,
                        std::span<const std::string> model_names) {
  // Whole or not at all (a temporary file renamed over it); /dev/stdout or a pipe in place.
  replace_file("trace", path, chrome_trace_json(intervals, model_names));
}

void ChromeTraceObserver::write(const std::string& path,
                                std::span<const std::string> model_names) const {
  write_chrome_trace(path, intervals(), model_names);
}

}  // namespace mvinfer
