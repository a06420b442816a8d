// A model that throws in Run() partway through, under every strategy and core budget: the run
// ends (no hang: CTest's timeout), the error names the model, nothing is left running (threads,
// worker processes), the results emitted before the failure are whole and in frame order, and
// the CLI exits with the bad-model code and one line on stderr.
//
// The broken model is a zoo model that only takes batches of 4 (ZooOptions::only_batch) while
// declaring a dynamic batch dim: 10 frames at batch 4 make batches of 4, 4 and 2, and it fails
// on the last one, after the first two batches' results were written.
#include <dirent.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"
#include "mvinfer/tools/zoo.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kFrames = 10, kBatch = 4;
// The batches of 4, 4 and 2 frames, and which (batch, model) results can come before the
// failure: every model on the full batches, then the good model on the short one.
constexpr int kBatches = 3;
const int kBatchFrames[kBatches] = {4, 4, 2};

struct Models {
  std::string ok, broken;  // file stems "ok" and "broken" are also the model names
};

Models write_models(const fs::path& dir) {
  Models m;
  m.ok = (dir / "ok.onnx").string();
  fs::rename(small_zoo(dir / "ok", 1, 64)[0], m.ok);
  ZooOptions o;  // small_zoo's shape, failing on batches other than 4
  o.count = 1;
  o.height = o.width = 64;
  o.width_mult = 8;
  o.depth = 1;
  o.classes = 10;
  o.only_batch = kBatch;
  m.broken = (dir / "broken.onnx").string();
  fs::rename(write_zoo((dir / "broken").string(), o)[0].path, m.broken);
  return m;
}

int thread_count() {
  int n = 0;
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

// Threads end shortly after they are joined; give the kernel a moment to drop them.
int settled_thread_count(int want) {
  int n = thread_count();
  for (int i = 0; i < 100 && n != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    n = thread_count();
  }
  return n;
}

bool has_children() {
  errno = 0;
  return !(waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD);
}

std::string test_name(const ::testing::TestParamInfo<std::tuple<std::string, int>>& info) {
  std::string n = std::get<0>(info.param) + "_cores" + std::to_string(std::get<1>(info.param));
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

class ModelFailure : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(ModelFailure, LibraryRunEndsWithTheErrorAndLeavesNothingRunning) {
  const auto& [name, cores] = GetParam();
  const Models files = write_models(scratch_dir("models"));
  std::vector<ModelSpec> specs = {parse_model_arg(files.ok), parse_model_arg(files.broken)};
  for (ModelSpec& s : specs) resolve_model_spec(s, kBatch, 64, 64);
  std::unique_ptr<PreloadedBatches> batches;
  {
    auto source = open_frame_source(kVideo, kFrames);
    Batcher batcher(*source, specs, {kBatch, false, false});
    batches = preload(batcher);
  }
  ASSERT_EQ(batches->batches().size(), static_cast<size_t>(kBatches));

  // What the process has before any strategy ran (ONNX Runtime's environment included).
  {
    NullSink sink;
    ProfileObserver profile;
    make_strategy("serial", {})->run(*batches, std::span(specs).first(1), sink, profile);
    batches->rewind();
  }
  const int threads_before = thread_count();
  ASSERT_FALSE(has_children());

  StrategyOptions options;
  options.cores = cores;
  CollectingSink sink;
  ProfileObserver profile;
  {
    std::unique_ptr<Strategy> strategy = make_strategy(name, options);
    try {
      strategy->run(*batches, specs, sink, profile);
      FAIL() << name << " ran a broken model to the end";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_model) << e.what();
      EXPECT_NE(std::string(e.what()).find("'broken'"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(settled_thread_count(threads_before), threads_before) << "threads left running";
  EXPECT_FALSE(has_children()) << "worker processes left (running or unreaped)";

  // Emitted: a prefix of (0, ok), (0, broken), (1, ok), (1, broken), (2, ok).
  const auto& got = sink.entries();
  ASSERT_LE(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].batch, static_cast<int64_t>(i / 2)) << "entry " << i;
    EXPECT_EQ(got[i].model, i % 2) << "entry " << i;
    ASSERT_EQ(got[i].outputs.size(), 1u);
    EXPECT_EQ(got[i].outputs[0].shape, (std::vector<int64_t>{kBatchFrames[got[i].batch], 10}));
  }
}

// The JSON Lines of a failed run: every line parses, they come in frame order, and none is
// cut short. Returns how many there are.
size_t check_results_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!text.empty()) {
    EXPECT_EQ(text.back(), '\n') << "last line cut short:\n" << text;
  }
  const std::vector<std::string> lines = read_lines(file);
  EXPECT_LE(lines.size(), 5u);
  const char* names[] = {"ok", "broken"};
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(lines[i]);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "line " << i + 1 << " is not JSON (" << e.what() << "): " << lines[i];
      continue;
    }
    const int batch = static_cast<int>(i / 2);
    EXPECT_EQ(j.value("batch", -1), batch) << lines[i];
    EXPECT_EQ(j.value("model", ""), names[i % 2]) << lines[i];
    std::vector<int> frames;
    for (int f = 0; f < kBatchFrames[batch]; ++f) frames.push_back(batch * kBatch + f);
    EXPECT_EQ(j["frames"], nlohmann::json(frames)) << lines[i];
    EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json({kBatchFrames[batch], 10})) << lines[i];
  }
  return lines.size();
}

TEST_P(ModelFailure, CliExitsWithTheBadModelCodeAndKeepsWhatWasWritten) {
  const auto& [name, cores] = GetParam();
  const fs::path dir = scratch_dir("run");
  const Models files = write_models(dir);
  const fs::path out = dir / "results.jsonl";
  const CommandResult r = run_cli({"run",
                                   "--strategy",
                                   name,
                                   "--cores",
                                   std::to_string(cores),
                                   "--model",
                                   files.ok,
                                   "--model",
                                   files.broken,
                                   "--video",
                                   kVideo,
                                   "--size",
                                   "64x64",
                                   "--frames",
                                   std::to_string(kFrames),
                                   "--batch",
                                   std::to_string(kBatch),
                                   "--out",
                                   out.string(),
                                   "-q"});
  EXPECT_EQ(r.signal, 0) << "crashed\n" << r.err;
  EXPECT_EQ(r.exit_code, 4) << r.err;  // README: "4 (bad model)"
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line:\n" << r.err;
  EXPECT_TRUE(r.err.starts_with("mvinfer: error: ")) << r.err;
  EXPECT_NE(r.err.find("'broken'"), std::string::npos) << r.err;
  const size_t lines = check_results_file(out);
  // One thread runs the models in order: everything before the failure was emitted.
  if (name == "serial" || name == "coroutines") {
    EXPECT_EQ(lines, 5u);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, ModelFailure,
                         ::testing::Combine(::testing::ValuesIn(strategy_names()),
                                            ::testing::Values(1, 2, 4)),
                         test_name);

}  // namespace
}  // namespace mvinfer::testing
