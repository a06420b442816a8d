// `mvinfer bench` writes the documented JSON shape and a well-formed SVG with one wall-time
// bar per strategy; every strategy's outputs match serial's; `--repeat N` gives N rounds of
// every figure, summarised by their median and min-max, and flags rounds that disagree.
#include "mvinfer/tools/bench.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace mvinfer::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Checks a JSON value against a shape: "int", "num", "str", "bool", "num|null", "str|null",
// an object of shapes, or an array holding one shape (for every element).
void expect_shape(const json& v, const json& shape, const std::string& path) {
  if (shape.is_string()) {
    const std::string s = shape;
    const bool nullable = s.ends_with("|null");
    if (nullable && v.is_null()) return;
    const std::string t = nullable ? s.substr(0, s.size() - 5) : s;
    if (t == "int")
      EXPECT_TRUE(v.is_number_integer()) << path << " = " << v;
    else if (t == "num")
      EXPECT_TRUE(v.is_number()) << path << " = " << v;
    else if (t == "str")
      EXPECT_TRUE(v.is_string()) << path << " = " << v;
    else if (t == "bool")
      EXPECT_TRUE(v.is_boolean()) << path << " = " << v;
    else
      FAIL() << "bad shape " << s;
  } else if (shape.is_object()) {
    ASSERT_TRUE(v.is_object()) << path;
    for (const auto& [key, sub] : shape.items()) {
      ASSERT_TRUE(v.contains(key)) << path << "." << key << " is missing";
      expect_shape(v[key], sub, path + "." + key);
    }
  } else if (shape.is_array()) {
    ASSERT_TRUE(v.is_array()) << path;
    for (size_t i = 0; i < v.size(); ++i)
      expect_shape(v[i], shape[0], path + "[" + std::to_string(i) + "]");
  }
}

// Minimal well-formedness: every tag closes, in order; attribute quotes balance.
bool well_formed_xml(const std::string& s, std::string* why) {
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = s.find('<', i)) != std::string::npos) {
    size_t j = s.find('>', i);
    if (j == std::string::npos) return *why = "unterminated tag", false;
    std::string tag = s.substr(i + 1, j - i - 1);
    i = j + 1;
    if (tag.starts_with("?") || tag.starts_with("!")) continue;
    if (std::count(tag.begin(), tag.end(), '"') % 2)
      return *why = "unbalanced quotes in <" + tag + ">", false;
    if (tag.ends_with("/")) continue;
    std::string name = tag.substr(tag.starts_with("/") ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \n\t"));
    if (tag.starts_with("/")) {
      if (stack.empty() || stack.back() != name) return *why = "unexpected </" + name + ">", false;
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  if (!stack.empty()) return *why = "unclosed <" + stack.back() + ">", false;
  return true;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = 0; (i = s.find(what, i)) != std::string::npos; i += what.size()) ++n;
  return n;
}

TEST(BenchCommand, JsonShapeSvgAndMatchingOutputs) {
  fs::path dir = scratch_dir("bench");
  std::vector<std::string> zoo = small_zoo(dir / "zoo", 2, 64);
  fs::path js = dir / "report.json", svg = dir / "report.svg";
  CommandResult r = run_cli({"bench",
                             "--video",
                             kVideo,
                             "--model",
                             zoo[0],
                             "--model",
                             zoo[1],
                             "--model",
                             cls_model() + ":size=192x48,color=bgr,mean=0.5,std=0.5",
                             "--frames",
                             "16",
                             "--batch",
                             "4",
                             "--size",
                             "64x64",
                             "--sample",
                             "2",
                             "--strategies",
                             "serial,threads,processes,coroutines,coroutines-async",
                             "--json",
                             js.string(),
                             "--svg",
                             svg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(slurp(js));
  const json model = {{"name", "str"},        {"calls", "int"},  {"run_s", "num"},
                      {"p50_ms", "num"},      {"p90_ms", "num"}, {"p99_ms", "num"},
                      {"interference", "num"}};
  const json shape = {{"machine", {{"cores", "int"}, {"cpu", "str"}, {"gpu", "str|null"}}},
                      {"workload",
                       {{"video", "str"},
                        {"frames", "int"},
                        {"batch", "int"},
                        {"size", json::array({"int"})},
                        {"models", json::array({{{"name", "str"}, {"path", "str"}}})}}},
                      {"limit", {{"work_s", "num"}, {"cores", "int"}, {"limit_s", "num"}}},
                      {"strategies", json::array({{{"name", "str"},
                                                   {"wall_s", "num"},
                                                   {"fps", "num"},
                                                   {"speedup_vs_serial", "num"},
                                                   {"limit_ratio", "num"},
                                                   {"peak_rss_mib", "num"},
                                                   {"cpu_util", "num"},
                                                   {"gpu_mem_mib", "num|null"},
                                                   {"gpu_util", "num|null"},
                                                   {"intra_threads", "int"},
                                                   {"outputs_match_serial", "bool"},
                                                   {"models", json::array({model})}}})}};
  expect_shape(j, shape, "report");
  ASSERT_EQ(j["strategies"].size(), 5u);
  EXPECT_EQ(j["workload"]["frames"], 16);
  EXPECT_EQ(j["workload"]["size"], json::array({64, 64}));
  EXPECT_EQ(j["workload"]["models"].size(), 3u);
  for (const json& s : j["strategies"]) {
    EXPECT_TRUE(s["outputs_match_serial"].get<bool>()) << s["name"];
    EXPECT_GT(s["wall_s"].get<double>(), 0);
    ASSERT_EQ(s["models"].size(), 3u);
    for (const json& m : s["models"]) EXPECT_EQ(m["calls"], 4) << s["name"] << " " << m["name"];
  }
  EXPECT_DOUBLE_EQ(j["strategies"][0]["speedup_vs_serial"].get<double>(), 1.0);
  // The limit is the single-thread work over the cores.
  EXPECT_NEAR(j["limit"]["limit_s"].get<double>(),
              j["limit"]["work_s"].get<double>() / j["limit"]["cores"].get<int>(), 1e-9);

  std::string text = slurp(svg), why;
  EXPECT_TRUE(well_formed_xml(text, &why)) << why;
  EXPECT_EQ(count(text, "class=\"wall\""), 5u);
  EXPECT_EQ(count(text, "class=\"limit\""), 1u);
  EXPECT_EQ(count(text, "class=\"run\""), 15u);
  // The timeline: one rect per Run(), 5 strategies x 3 models x 4 batches.
  EXPECT_EQ(count(text, "class=\"span\""), 60u);
  // The table on stdout has a row per strategy.
  for (const char* s : {"serial", "threads", "processes", "coroutines-async"})
    EXPECT_NE(r.out.find(s), std::string::npos) << r.out;
}

TEST(BenchRounds, SpreadIsTheRangeOverTheMedian) {
  const std::vector<double> steady{1.00, 1.04, 1.02};
  EXPECT_NEAR(spread(steady), 0.04 / 1.02, 1e-12);
  EXPECT_FALSE(is_unstable(steady));
  const std::vector<double> noisy{0.99, 1.31, 1.05};  // the spread seen between runs here
  EXPECT_NEAR(spread(noisy), 0.32 / 1.05, 1e-12);
  EXPECT_TRUE(is_unstable(noisy));
  // The threshold itself: 10% is still stable, just above it is not (halves add up exactly).
  EXPECT_FALSE(is_unstable(std::vector<double>{9.5, 10, 10.5}));
  EXPECT_TRUE(is_unstable(std::vector<double>{9.5, 10, 10.501}));
  EXPECT_EQ(spread(std::vector<double>{2.0}), 0);
  EXPECT_EQ(spread(std::vector<double>{}), 0);
}

TEST(BenchRounds, SummaryKeepsTheRoundsAndTakesTheMedian) {
  RoundStats odd = summarize({3, 1, 2});
  EXPECT_EQ(odd.values, (std::vector<double>{3, 1, 2}));  // round order kept
  EXPECT_EQ(odd.median, 2);
  EXPECT_EQ(odd.min, 1);
  EXPECT_EQ(odd.max, 3);
  EXPECT_TRUE(odd.unstable());
  RoundStats even = summarize({4, 1, 2, 10});
  EXPECT_EQ(even.median, 3);
  EXPECT_EQ(even.min, 1);
  EXPECT_EQ(even.max, 10);
}

// Every ratio in the JSON is a median over the rounds, each round's value computed within
// that round; the table shows median (min-max) and auto / best fixed.
TEST(BenchCommand, RepeatGivesRoundsOfEveryFigure) {
  fs::path dir = scratch_dir("bench");
  std::vector<std::string> zoo = small_zoo(dir / "zoo", 2, 64);
  fs::path js = dir / "report.json";
  CommandResult r = run_cli({"bench",
                             "--video",
                             kVideo,
                             "--model",
                             zoo[0],
                             "--model",
                             zoo[1],
                             "--frames",
                             "16",
                             "--batch",
                             "4",
                             "--size",
                             "64x64",
                             "--sample",
                             "2",
                             "--strategies",
                             "serial,threads,auto",
                             "--repeat",
                             "3",
                             "--json",
                             js.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(slurp(js));
  const json stats = {{"values", json::array({"num"})},
                      {"median", "num"},
                      {"min", "num"},
                      {"max", "num"},
                      {"spread", "num"},
                      {"unstable", "bool"}};
  const json shape = {{"machine",
                       {{"fma_gflops_per_core", "num"},
                        {"fma_isa", "str"},
                        {"matmul_gflops_per_core", "num"},
                        {"rounds", {{"fma_gflops_per_core", stats}}}}},
                      {"repeat", "int"},
                      {"limit", {{"rounds", {{"work_s", stats}, {"limit_s", stats}}}}},
                      {"strategies", json::array({{{"rounds",
                                                    {{"wall_s", stats},
                                                     {"fps", stats},
                                                     {"speedup_vs_serial", stats},
                                                     {"limit_ratio", stats},
                                                     {"gflops", stats},
                                                     {"peak_fraction", stats}}}}})},
                      {"auto_vs_best_fixed", stats}};
  expect_shape(j, shape, "report");
  EXPECT_EQ(j["repeat"], 3);
  const json& limit = j["limit"]["rounds"]["limit_s"];
  ASSERT_EQ(limit["values"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["limit"]["limit_s"].get<double>(), limit["median"].get<double>());
  const json& fma = j["machine"]["rounds"]["fma_gflops_per_core"];
  ASSERT_EQ(fma["values"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["machine"]["fma_gflops_per_core"].get<double>(), fma["median"].get<double>());
  const int cores = j["machine"]["cores"];
  ASSERT_EQ(j["strategies"].size(), 3u);
  for (const json& s : j["strategies"]) {
    const std::string name = s["name"];
    for (const auto& [figure, v] : s["rounds"].items()) {
      ASSERT_EQ(v["values"].size(), 3u) << name << " " << figure;
      const std::vector<double> values = v["values"];
      const double median = v["median"], lo = v["min"], hi = v["max"];
      EXPECT_DOUBLE_EQ(lo, *std::min_element(values.begin(), values.end())) << name << figure;
      EXPECT_DOUBLE_EQ(hi, *std::max_element(values.begin(), values.end())) << name << figure;
      EXPECT_LE(lo, median) << name << " " << figure;
      EXPECT_LE(median, hi) << name << " " << figure;
      EXPECT_EQ(v["unstable"].get<bool>(), is_unstable(values)) << name << " " << figure;
    }
    // The scalars are the medians.
    EXPECT_DOUBLE_EQ(s["wall_s"].get<double>(), s["rounds"]["wall_s"]["median"].get<double>());
    EXPECT_DOUBLE_EQ(s["fps"].get<double>(), s["rounds"]["fps"]["median"].get<double>());
    EXPECT_DOUBLE_EQ(s["limit_ratio"].get<double>(),
                     s["rounds"]["limit_ratio"]["median"].get<double>());
    EXPECT_DOUBLE_EQ(s["speedup_vs_serial"].get<double>(),
                     s["rounds"]["speedup_vs_serial"]["median"].get<double>());
    // Each round's ratios come from that round's own limit, serial run and wall time.
    for (size_t i = 0; i < 3; ++i) {
      const double wall = s["rounds"]["wall_s"]["values"][i];
      EXPECT_NEAR(s["rounds"]["limit_ratio"]["values"][i].get<double>(),
                  wall / limit["values"][i].get<double>(), 1e-9)
          << name << " round " << i;
      EXPECT_NEAR(s["rounds"]["speedup_vs_serial"]["values"][i].get<double>(),
                  j["strategies"][0]["rounds"]["wall_s"]["values"][i].get<double>() / wall, 1e-9)
          << name << " round " << i;
      const double gflops = s["rounds"]["gflops"]["values"][i];
      EXPECT_NEAR(s["rounds"]["peak_fraction"]["values"][i].get<double>(),
                  gflops / (cores * fma["values"][i].get<double>()), 1e-9);
    }
    EXPECT_LE(s["peak_fraction"].get<double>(), 1.0) << name;
    EXPECT_TRUE(s["outputs_match_serial"].get<bool>()) << name;
  }
  const json& a = j["auto_vs_best_fixed"];
  ASSERT_EQ(a["values"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const double best = std::min(j["strategies"][0]["rounds"]["wall_s"]["values"][i].get<double>(),
                                 j["strategies"][1]["rounds"]["wall_s"]["values"][i].get<double>());
    EXPECT_NEAR(a["values"][i].get<double>(),
                j["strategies"][2]["rounds"]["wall_s"]["values"][i].get<double>() / best, 1e-9);
  }
  // The table: median (min-max) cells, the FMA and MatMul lines, auto / best fixed.
  EXPECT_NE(r.out.find("over 3 interleaved rounds"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("peak: FMA loop"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MatMul in ONNX Runtime"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("auto / best fixed"), std::string::npos) << r.out;
  const std::string serial_speedup = "1.00 (1.00-1.00)";
  EXPECT_NE(r.out.find(serial_speedup), std::string::npos) << r.out;
}

TEST(BenchCommand, RepeatMustBePositive) {
  CommandResult r = run_cli({"bench", "--video", kVideo, "--zoo", "1", "--repeat", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--repeat"), std::string::npos) << r.err;
}

TEST(BenchCommand, UnwritableJsonFailsBeforeRunning) {
  fs::path dir = scratch_dir("bench");
  std::vector<std::string> zoo = small_zoo(dir / "zoo", 1, 64);
  std::string bad = (dir / "missing" / "r.json").string();
  CommandResult r = run_cli({"bench", "--video", kVideo, "--model", zoo[0], "--frames", "4",
                             "--size", "64x64", "--json", bad});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
}

// A graph: W is the work actually done. A model with interval=2 is called on every other frame
// only, its share of W is its calls' time, and processes (which cannot run it) is left out.
TEST(BenchGraph, LimitCountsTheWorkActuallyDone) {
  BenchConfig c;
  c.video = kMegamind;
  c.frames = 8;
  c.batching = {1, false};
  const std::string face = paddle_model("face_detection_front_128x128_barracuda.onnx");
  c.models = {parse_model_arg(face + ":name=every,resize=letterbox,decode=blazeface"),
              parse_model_arg(face + ":name=half,resize=letterbox,decode=blazeface,interval=2")};
  c.strategies = {"processes", "pipeline"};
  c.sample_batches = 2;
  std::vector<std::string> log;
  const BenchReport r = run_bench(c, [&](const std::string& s) { log.push_back(s); });
  std::vector<std::string> names;
  for (const BenchStrategyResult& s : r.strategies) names.push_back(s.report.strategy);
  EXPECT_EQ(names, (std::vector<std::string>{"serial", "pipeline"}));
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const std::string& s) {
    return s.find("processes: left out") != std::string::npos;
  }));
  for (const BenchStrategyResult& s : r.strategies) {
    ASSERT_EQ(s.report.models.size(), 2u);
    EXPECT_EQ(s.report.models[0].calls, 8) << s.report.strategy;
    EXPECT_EQ(s.report.models[1].calls, 4) << s.report.strategy;
    EXPECT_TRUE(s.outputs_match_serial) << s.report.strategy;
  }
  // W: both models' one-thread mean per call times their calls (8 and 4), as measured.
  ASSERT_EQ(r.alone_ms_1thread.size(), 2u);
  const double w = (8 * r.alone_ms_1thread[0] + 4 * r.alone_ms_1thread[1]) / 1e3;
  EXPECT_NEAR(r.work_s, w, 1e-6 + 1e-9 * w);
  EXPECT_EQ(r.frames, 8);
}

}  // namespace
}  // namespace mvinfer::testing
