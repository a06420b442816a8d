// The trace shows the schedule: one complete event per Run() on its worker's lane, in a JSON
// document Perfetto and chrome://tracing open; coroutines run one model after another on one
// lane, threads and processes give each model its own. `run --trace` and `bench --trace`
// write it from the CLI.
#include "mvinfer/core/trace_observer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <sstream>

#include "mvinfer/core/error.h"
#include "mvinfer/core/job.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::microseconds;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<json> events_of(const json& doc, const std::string& ph) {
  std::vector<json> out;
  for (const json& e : doc.at("traceEvents"))
    if (e.at("ph") == ph) out.push_back(e);
  return out;
}

// Two threads of one process and one worker process, at known times.
std::vector<RunInterval> synthetic() {
  const Clock::time_point t0 = Clock::now();
  std::thread::id other;
  std::thread([&] { other = std::this_thread::get_id(); }).join();
  const std::thread::id self = std::this_thread::get_id();
  // Recorded in completion order, not begin order, as ProfileObserver does.
  return {{1, 0, 4, t0 + microseconds(500), t0 + microseconds(2500), other, 100},
          {0, 0, 4, t0 + microseconds(1000), t0 + microseconds(1250), self, 100},
          {0, 1, 2, t0 + microseconds(3000), t0 + microseconds(4000), self, 100},
          {2, 0, 4, t0 + microseconds(2000), t0 + microseconds(5000), {}, 200}};
}

TEST(ChromeTrace, OneCompleteEventPerRunRelativeToTheFirst) {
  const std::vector<RunInterval> runs = synthetic();
  const std::vector<std::string> names{"det", "rec"};  // model 2 has no name
  const json doc = json::parse(chrome_trace_json(runs, names));
  EXPECT_EQ(doc.at("displayTimeUnit"), "ms");
  const std::vector<json> x = events_of(doc, "X");
  ASSERT_EQ(x.size(), 4u);
  // Sorted by begin; ts from the first Run(), in microseconds.
  EXPECT_EQ(x[0].at("name"), "rec");
  EXPECT_DOUBLE_EQ(x[0].at("ts").get<double>(), 0);
  EXPECT_DOUBLE_EQ(x[0].at("dur").get<double>(), 2000);
  EXPECT_EQ(x[1].at("name"), "det");
  EXPECT_DOUBLE_EQ(x[1].at("ts").get<double>(), 500);
  EXPECT_DOUBLE_EQ(x[1].at("dur").get<double>(), 250);
  EXPECT_EQ(x[2].at("name"), "model 2");
  EXPECT_DOUBLE_EQ(x[2].at("ts").get<double>(), 1500);
  EXPECT_EQ(x[3].at("args").at("batch"), 1);
  EXPECT_EQ(x[3].at("args").at("frames"), 2);
  EXPECT_EQ(x[3].at("args").at("model"), 0);
  for (const json& e : x) {
    EXPECT_EQ(e.at("cat"), "run");
    EXPECT_GE(e.at("ts").get<double>(), 0);
  }
  // Lanes in order of first appearance: the other thread, this thread, the worker process.
  EXPECT_EQ(x[0].at("tid"), 1);
  EXPECT_EQ(x[1].at("tid"), 2);
  EXPECT_EQ(x[3].at("tid"), 2);
  EXPECT_EQ(x[2].at("tid"), 3);
  EXPECT_EQ(x[0].at("pid"), 100);
  EXPECT_EQ(x[2].at("pid"), 200);
  // Every lane and process is named.
  std::set<std::pair<int, int>> lanes;
  std::set<int> processes;
  for (const json& e : events_of(doc, "M")) {
    if (e.at("name") == "thread_name") {
      lanes.insert({e.at("pid").get<int>(), e.at("tid").get<int>()});
      EXPECT_EQ(e.at("args").at("name"), "worker " + std::to_string(e.at("tid").get<int>()));
    }
    if (e.at("name") == "process_name") processes.insert(e.at("pid").get<int>());
  }
  EXPECT_EQ(lanes, (std::set<std::pair<int, int>>{{100, 1}, {100, 2}, {200, 3}}));
  EXPECT_EQ(processes, (std::set<int>{100, 200}));
}

TEST(ChromeTrace, NoRunsIsAnEmptyTrace) {
  const json doc = json::parse(chrome_trace_json({}, {}));
  EXPECT_TRUE(doc.at("traceEvents").empty());
}

TEST(ChromeTrace, WriteReplacesAFileWholeAndFailsNamingThePath) {
  const fs::path dir = scratch_dir("trace");
  const fs::path path = dir / "t.json";
  std::ofstream(path) << "old";
  ChromeTraceObserver trace;
  observe_run(trace, 0, 0, 1, getpid(), [] { return 0; });
  trace.write(path.string(), std::vector<std::string>{"m"});
  EXPECT_EQ(events_of(json::parse(slurp(path)), "X").size(), 1u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1)
      << "the temporary file is left behind";

  const std::string missing = (dir / "missing" / "t.json").string();
  try {
    trace.write(missing, std::vector<std::string>{"m"});
    FAIL() << "writing into a missing directory succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  // A directory in the way: the rename fails, the directory stays, nothing is left beside it.
  const fs::path blocked = dir / "blocked";
  fs::create_directory(blocked);
  std::ofstream(blocked / "keep") << "x";
  EXPECT_THROW(trace.write(blocked.string(), std::vector<std::string>{"m"}), Error);
  EXPECT_TRUE(fs::exists(blocked / "keep"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 2);
}

// run_job with a trace observer beside its own profile: 3 batches of 4 frames, 3 models.
struct Traced {
  RunReport report;
  json doc;
};

Traced run_traced(const std::string& strategy) {
  JobConfig c;
  c.videos = {kVideo};
  for (const std::string& p : small_zoo(scratch_dir("trace-zoo"), 3, 64))
    c.models.push_back(parse_model_arg(p));
  c.max_frames = 12;
  c.width = c.height = 64;
  c.batching.batch = 4;
  c.strategy = strategy;
  ChromeTraceObserver trace;
  Traced t;
  t.report = run_job(c, &trace);
  std::vector<std::string> names;
  for (const ModelSpec& m : c.models) names.push_back(m.name);
  t.doc = json::parse(chrome_trace_json(trace.intervals(), names));
  return t;
}

// One event per Run(): as many per model as the run's own profile counted.
void expect_one_event_per_run(const Traced& t) {
  std::map<std::string, int64_t> per_model;
  double first = INFINITY;
  for (const json& e : events_of(t.doc, "X")) {
    per_model[e.at("name")]++;
    first = std::min(first, e.at("ts").get<double>());
    EXPECT_GE(e.at("ts").get<double>(), 0);
    EXPECT_GT(e.at("dur").get<double>(), 0);
  }
  EXPECT_EQ(first, 0) << "ts is not relative to the first Run()";
  ASSERT_EQ(per_model.size(), t.report.models.size());
  for (const ModelTiming& m : t.report.models) {
    EXPECT_EQ(m.calls, 3) << m.name;
    EXPECT_EQ(per_model[m.name], m.calls) << m.name;
  }
}

TEST(ChromeTrace, CoroutinesRunOneAfterAnotherOnOneLane) {
  Traced t = run_traced("coroutines");
  expect_one_event_per_run(t);
  const std::vector<json> x = events_of(t.doc, "X");
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].at("tid"), 1);
    EXPECT_EQ(x[i].at("pid"), getpid());
    if (i > 0) {  // sorted by ts: each begins after the previous one ended
      EXPECT_GE(x[i].at("ts").get<double>(),
                x[i - 1].at("ts").get<double>() + x[i - 1].at("dur").get<double>())
          << "events " << i - 1 << " and " << i << " overlap";
    }
  }
}

// Each model on a lane of its own, and no lane shared between models.
void expect_lane_per_model(const Traced& t) {
  std::map<std::string, std::set<std::pair<int, int>>> lanes_of_model;
  std::map<std::pair<int, int>, std::set<std::string>> models_of_lane;
  for (const json& e : events_of(t.doc, "X")) {
    const std::pair<int, int> lane{e.at("pid").get<int>(), e.at("tid").get<int>()};
    lanes_of_model[e.at("name")].insert(lane);
    models_of_lane[lane].insert(e.at("name"));
  }
  EXPECT_EQ(models_of_lane.size(), 3u);
  for (const auto& [model, lanes] : lanes_of_model) EXPECT_EQ(lanes.size(), 1u) << model;
  for (const auto& [lane, models] : models_of_lane) EXPECT_EQ(models.size(), 1u);
}

TEST(ChromeTrace, ThreadsGiveEachModelItsOwnLane) {
  Traced t = run_traced("threads");
  expect_one_event_per_run(t);
  expect_lane_per_model(t);
}

TEST(ChromeTrace, ProcessesAreLanesOfTheirWorkerPids) {
  Traced t = run_traced("processes");
  expect_one_event_per_run(t);
  expect_lane_per_model(t);
  std::set<int> pids;
  for (const json& e : events_of(t.doc, "X")) pids.insert(e.at("pid").get<int>());
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_FALSE(pids.count(getpid())) << "processes ran a model in the parent";
}

TEST(TraceCommand, RunWritesOneEventPerRun) {
  const fs::path dir = scratch_dir("trace-cli");
  const std::vector<std::string> zoo = small_zoo(dir / "zoo", 2, 64);
  const fs::path trace = dir / "run.json";
  CommandResult r = run_cli({"run", "--video", kVideo, "--frames", "10", "--batch", "4", "--model",
                             zoo[0], "--model", zoo[1], "--size", "64x64", "--strategy", "threads",
                             "--quiet", "--trace", trace.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(slurp(trace));
  std::map<std::string, int> per_model;
  for (const json& e : events_of(doc, "X")) per_model[e.at("name")]++;
  // 10 frames in batches of 4: 3 batches x 2 models.
  EXPECT_EQ(per_model, (std::map<std::string, int>{{"zoo0", 3}, {"zoo1", 3}}));
}

TEST(TraceCommand, UnwritableTraceFailsBeforeRunning) {
  const fs::path dir = scratch_dir("trace-cli");
  const std::vector<std::string> zoo = small_zoo(dir / "zoo", 1, 64);
  const std::string bad = (dir / "missing" / "run.json").string();
  const fs::path out = dir / "out.jsonl";
  CommandResult r = run_cli({"run", "--video", kVideo, "--frames", "4", "--model", zoo[0],
                             "--quiet", "--out", out.string(), "--trace", bad});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "the run started";
}

TEST(TraceCommand, RunFailingMidwayTracesWhatRan) {
  // An image folder whose 7th image is corrupt, under --strict: 3 batches of 2 run, then the
  // run fails.
  const fs::path dir = scratch_dir("trace-cli");
  const std::vector<std::string> zoo = small_zoo(dir / "zoo", 1, 64);
  const fs::path frames = dir / "frames";
  fs::create_directories(frames);
  cv::VideoCapture cap(kVideo);
  cv::Mat f;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cap.read(f));
    cv::imwrite((frames / fmt::format("f{}.png", 100 + i)).string(), f);
  }
  std::ofstream(frames / "f106.png", std::ios::trunc) << "garbage, not a PNG";
  const fs::path trace = dir / "run.json";
  CommandResult r =
      run_cli({"run", "--video", frames.string(), "--model", zoo[0], "--size", "64x64", "--batch",
               "2", "--strategy", "serial", "-q", "--strict", "--trace", trace.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("f106.png"), std::string::npos) << r.err;
  ASSERT_TRUE(fs::exists(trace));
  EXPECT_EQ(events_of(json::parse(slurp(trace)), "X").size(), 3u);
}

TEST(TraceCommand, BenchWritesOneTracePerStrategy) {
  const fs::path dir = scratch_dir("trace-cli");
  const std::vector<std::string> zoo = small_zoo(dir / "zoo", 2, 64);
  const fs::path traces = dir / "traces";  // created by bench
  CommandResult r = run_cli({"bench", "--video", kVideo, "--model", zoo[0], "--model", zoo[1],
                             "--frames", "8", "--batch", "4", "--size", "64x64", "--sample", "1",
                             "--strategies", "coroutines,threads", "--trace", traces.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> files;
  for (const auto& f : fs::directory_iterator(traces)) files.insert(f.path().filename());
  EXPECT_EQ(files, (std::set<std::string>{"serial.json", "coroutines.json", "threads.json"}));
  for (const std::string& f : files) {
    const json doc = json::parse(slurp(traces / f));
    EXPECT_EQ(events_of(doc, "X").size(), 4u) << f;  // 2 batches x 2 models
  }
}

}  // namespace
}  // namespace mvinfer::testing
