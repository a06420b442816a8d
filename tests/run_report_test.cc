// The numbers a RunReport is made of: nearest-rank percentiles and per-model timings built
// from recorded Run() intervals, and what the summary says about short inputs.
#include "mvinfer/core/run_report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace mvinfer {
namespace {

using std::chrono::milliseconds;

TEST(Percentile, NearestRankOnUnsortedValues) {
  // Sorted: 10 20 30 40 50 60 70 80 90 100.
  const std::vector<double> v = {70, 10, 100, 40, 90, 20, 60, 30, 80, 50};
  EXPECT_EQ(percentile(v, 50), 50);   // rank ceil(5) = 5
  EXPECT_EQ(percentile(v, 51), 60);   // rank ceil(5.1) = 6: never interpolated
  EXPECT_EQ(percentile(v, 90), 90);   // rank 9
  EXPECT_EQ(percentile(v, 99), 100);  // rank ceil(9.9) = 10
  EXPECT_EQ(percentile(v, 10), 10);
  EXPECT_EQ(percentile(v, 11), 20);
}

TEST(Percentile, EndsAndEdgeCases) {
  const std::vector<double> v = {3, 1, 2};
  EXPECT_EQ(percentile(v, 0), 1);    // the smallest value, not an out-of-range rank 0
  EXPECT_EQ(percentile(v, 100), 3);  // the largest
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({}, 0), 0);
  EXPECT_EQ(percentile({}, 100), 0);
  EXPECT_EQ(percentile({42}, 0), 42);
  EXPECT_EQ(percentile({42}, 100), 42);
  // Nearest rank of 2 values: p50 is the first, anything above the second.
  EXPECT_EQ(percentile({5, 1}, 50), 1);
  EXPECT_EQ(percentile({5, 1}, 50.1), 5);
}

std::vector<ModelSpec> specs_named(const std::vector<std::string>& names) {
  std::vector<ModelSpec> specs;
  for (const std::string& n : names) {
    ModelSpec s;
    s.name = n;
    specs.push_back(std::move(s));
  }
  return specs;
}

RunInterval interval(size_t model, int64_t batch, int begin_ms, int length_ms) {
  RunInterval r;
  r.model = model;
  r.batch = batch;
  r.frames = 4;
  r.begin = Clock::time_point(milliseconds(begin_ms));
  r.end = r.begin + milliseconds(length_ms);
  return r;
}

TEST(ModelTimings, PerModelTotalsMeansAndPercentilesInSpecOrder) {
  const std::vector<ModelSpec> specs = specs_named({"a", "b", "idle"});
  // Model a: 10, 20, 30, 40 ms; model b: 100 ms and 300 ms; interleaved and out of order.
  const std::vector<RunInterval> intervals = {
      interval(0, 2, 1000, 30), interval(1, 0, 0, 100),   interval(0, 0, 0, 10),
      interval(0, 3, 2000, 40), interval(1, 1, 500, 300), interval(0, 1, 50, 20),
      interval(7, 0, 0, 999),  // a model index outside the specs is ignored
  };
  const std::vector<ModelTiming> t = model_timings(intervals, specs);
  ASSERT_EQ(t.size(), 3u);

  EXPECT_EQ(t[0].name, "a");
  EXPECT_EQ(t[0].calls, 4);
  EXPECT_NEAR(t[0].run_s, 0.100, 1e-9);
  EXPECT_NEAR(t[0].mean_ms, 25, 1e-6);
  EXPECT_NEAR(t[0].p50_ms, 20, 1e-6);
  EXPECT_NEAR(t[0].p90_ms, 40, 1e-6);
  EXPECT_NEAR(t[0].p99_ms, 40, 1e-6);

  EXPECT_EQ(t[1].name, "b");
  EXPECT_EQ(t[1].calls, 2);
  EXPECT_NEAR(t[1].run_s, 0.400, 1e-9);
  EXPECT_NEAR(t[1].mean_ms, 200, 1e-6);
  EXPECT_NEAR(t[1].p50_ms, 100, 1e-6);
  EXPECT_NEAR(t[1].p99_ms, 300, 1e-6);

  // A model that never ran is listed with zeros, not left out.
  EXPECT_EQ(t[2].name, "idle");
  EXPECT_EQ(t[2].calls, 0);
  EXPECT_EQ(t[2].run_s, 0);
  EXPECT_EQ(t[2].mean_ms, 0);
  EXPECT_EQ(t[2].p50_ms, 0);
}

TEST(ModelTimings, NoIntervalsNoModels) {
  EXPECT_TRUE(model_timings({}, {}).empty());
  const std::vector<ModelTiming> t = model_timings({}, specs_named({"m"}));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].calls, 0);
}

TEST(Summary, SaysWhenAnInputWasShortOrHadUndecodableFrames) {
  RunReport r;
  r.strategy = "serial";
  r.frames = 97;
  StreamReport whole{"whole.avi", 795, 0, 0, 795, 795, 0};
  EXPECT_EQ(format_summary(r).find("input:"), std::string::npos);
  r.streams = {whole};
  EXPECT_EQ(format_summary(r).find("input:"), std::string::npos) << format_summary(r);
  StreamReport cut{"cut.avi", 97, 0, 0, 97, 795, 0};
  StreamReport damaged{"frames", 9, 0, 0, 9, 10, 1};
  StreamReport live{"rtsp://cam", 5, 0, 0, 5, -1, 2};
  r.streams = {whole, cut, damaged, live};
  const std::string s = format_summary(r);
  EXPECT_TRUE(
      s.ends_with(" | input: cut.avi 97 of 795 frames read; frames 9 of 10 frames read, 1 "
                  "undecodable skipped; rtsp://cam 5 frames read, 2 undecodable skipped"))
      << s;
}

TEST(Summary, NamesTheGpusMemoryAndUseWhenAModelRanOnIt) {
  RunReport r;
  r.strategy = "threads";
  r.peak_rss_mib = 400;
  r.cpu_util = 31;
  EXPECT_EQ(format_summary(r).find("GPU"), std::string::npos) << format_summary(r);
  r.gpu_mem_mib = 1843.4;
  r.gpu_util = 71.6;
  EXPECT_NE(format_summary(r).find(" | peak RSS 400 MiB, CPU 31%, GPU 1843 MiB 72% busy"),
            std::string::npos)
      << format_summary(r);
  r.gpu_util.reset();  // NVML gave no utilisation
  EXPECT_NE(format_summary(r).find("CPU 31%, GPU 1843 MiB"), std::string::npos);
}

}  // namespace
}  // namespace mvinfer
