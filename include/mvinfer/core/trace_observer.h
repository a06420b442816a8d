// Trace: when each Run() happened, on which worker, as a Chrome Trace Event Format file
// (Taskflow's ChromeObserver idea) that Perfetto (ui.perfetto.dev) and chrome://tracing open.
// Tables and bar charts say how long; a trace shows the schedule: coroutines finishing one
// model after another, threads overlapping, a core waiting.
//
// A lane is one worker: a distinct (process, thread) pair that called Run(). Worker processes
// (the `processes` strategy) are replayed with their own pid, so each is its own lane.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "mvinfer/core/observer.h"

namespace mvinfer {

// Lane of each interval (0-based): distinct (pid, thread) pairs, numbered in the order of
// their first Run()'s begin, so lane 0 is the worker that started first. Same order as
// `intervals`.
std::vector<size_t> trace_lanes(std::span<const RunInterval> intervals);

// The Chrome Trace Event Format document for `intervals`: one complete event ("ph":"X") per
// Run() named after its model (model_names[i]; "model i" past its end), with ts/dur in
// microseconds since the earliest Run() began, pid = the process that ran it, tid = its lane
// number (1-based), args {batch, frames, model}; plus metadata events ("ph":"M") naming each
// process and lane ("worker 1", ...). Events are sorted by begin time.
std::string chrome_trace_json(std::span<const RunInterval> intervals,
                              std::span<const std::string> model_names);

// Writes chrome_trace_json(intervals, model_names) to `path`, atomically: into a temporary
// file beside it, then renamed over it, so an existing file is only ever replaced by a
// complete new one. Throws Error{io} naming `path` when that fails.
void write_chrome_trace(const std::string& path, std::span<const RunInterval> intervals,
                        std::span<const std::string> model_names);

// Records every Run() (as ProfileObserver does; thread-safe) and writes them as a trace.
class ChromeTraceObserver : public ProfileObserver {
 public:
  // write_chrome_trace of what was recorded so far (Run()s still in progress are left out).
  void write(const std::string& path, std::span<const std::string> model_names) const;
};

}  // namespace mvinfer
