// Every strategy in the table, with several thread budgets, gives the outputs of an independent
// direct ONNX Runtime loop on the same real frames (vtest.avi, two zoo models and the PaddleOCR
// classifier), in frame order.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "mvinfer/core/error.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"
#include "test_support.h"

namespace mvinfer::testing {

// Real frames preprocessed for the models once; each strategy reads the same batches.
struct Workload {
  std::vector<ModelSpec> specs;
  std::unique_ptr<PreloadedBatches> batches;
};

Workload make_workload(const std::filesystem::path& dir, int frames, int batch) {
  Workload w;
  for (const std::string& p : small_zoo(dir, 2, 64)) w.specs.push_back(parse_model_arg(p));
  w.specs.push_back(
      parse_model_arg(cls_model() + ":name=cls,size=192x48,color=bgr,mean=0.5,std=0.5"));
  make_names_unique(w.specs);
  for (ModelSpec& s : w.specs) resolve_model_spec(s, batch, 64, 64);
  auto source = open_frame_source(kVideo, frames);
  Batcher batcher(*source, w.specs, {batch, false, false});
  w.batches = preload(batcher);
  return w;
}

CollectingSink run_strategy(const std::string& name, Workload& w, int threads,
                            Observer* observer = nullptr, StrategyStats* stats = nullptr,
                            StrategyOptions o = {}) {
  o.intra_threads = threads;
  auto strategy = make_strategy(name, o);
  CollectingSink sink;
  ProfileObserver profile;
  w.batches->rewind();
  StrategyStats got = strategy->run(*w.batches, w.specs, sink, observer ? *observer : profile);
  if (stats) *stats = got;
  return sink;
}

// The reference: each model's session created directly in ONNX Runtime (one intra-op thread,
// nothing of mvinfer's scheduling involved), run on every batch's input in frame order.
struct Reference {
  struct Entry {
    int64_t batch;
    size_t model;
    DirectRun out;
  };
  std::vector<Entry> entries;  // in (batch, model) order
};

Reference direct_reference(const Workload& w) {
  const std::vector<Batch>& batches = w.batches->batches();
  std::vector<std::vector<DirectRun>> per_model;
  for (size_t m = 0; m < w.specs.size(); ++m) {
    std::vector<DirectInput> inputs;
    for (const Batch& b : batches) inputs.push_back({b.inputs[m]->data, b.inputs[m]->shape});
    per_model.push_back(direct_onnx_runs(w.specs[m].path, inputs));
  }
  Reference r;
  for (size_t b = 0; b < batches.size(); ++b)
    for (size_t m = 0; m < w.specs.size(); ++m)
      r.entries.push_back({batches[b].seq, m, per_model[m][b]});
  return r;
}

void expect_matches_reference(const CollectingSink& got, const Reference& want,
                              const std::string& what) {
  ASSERT_EQ(got.entries().size(), want.entries.size()) << what;
  for (size_t i = 0; i < want.entries.size(); ++i) {
    const auto& g = got.entries()[i];
    const auto& e = want.entries[i];
    ASSERT_EQ(g.batch, e.batch) << what << " entry " << i << " out of frame order";
    ASSERT_EQ(g.model, e.model) << what << " entry " << i << " out of model order";
    ASSERT_FALSE(g.outputs.empty()) << what;
    ASSERT_EQ(g.outputs[0].shape, e.out.shape) << what;
    for (size_t k = 0; k < e.out.data.size(); ++k)
      ASSERT_NEAR(g.outputs[0].data[k], e.out.data[k],
                  1e-5f * std::max(1.0f, std::fabs(e.out.data[k])))
          << what << " batch " << e.batch << " model " << e.model << " element " << k;
  }
}

// Outputs agree element by element (different thread splits may round differently).
void expect_same_outputs(const CollectingSink& got, const CollectingSink& want,
                         const std::string& what) {
  ASSERT_EQ(got.entries().size(), want.entries().size()) << what;
  for (size_t i = 0; i < want.entries().size(); ++i) {
    const auto& g = got.entries()[i];
    const auto& e = want.entries()[i];
    ASSERT_EQ(g.batch, e.batch) << what << " entry " << i << " out of frame order";
    ASSERT_EQ(g.model, e.model) << what << " entry " << i << " out of model order";
    ASSERT_EQ(g.outputs.size(), e.outputs.size());
    for (size_t o = 0; o < e.outputs.size(); ++o) {
      ASSERT_EQ(g.outputs[o].shape, e.outputs[o].shape) << what;
      for (size_t k = 0; k < e.outputs[o].data.size(); ++k)
        ASSERT_NEAR(g.outputs[o].data[k], e.outputs[o].data[k],
                    1e-5f * std::max(1.0f, std::fabs(e.outputs[o].data[k])))
            << what << " batch " << e.batch << " model " << e.model << " element " << k;
    }
  }
}

// Every strategy in the table, by name; or all but serial, where serial is the reference.
std::vector<std::string> all_strategies() { return strategy_names(); }
std::vector<std::string> all_but_serial() {
  std::vector<std::string> names = strategy_names();
  std::erase(names, "serial");
  return names;
}

std::string param_name(std::string n) {
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

class Conformance : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(Conformance, SameOutputsAsADirectOnnxRuntimeLoopInFrameOrder) {
  const auto& [name, threads] = GetParam();
  // 40 frames in batches of 2: 20 batches. auto may probe half of them (1 + 2 + 2 + 4
  // batches; fewer when its rules decide after serial's probe), so its winner runs the rest.
  Workload w = make_workload(scratch_dir("zoo"), 40, 2);
  const Reference want = direct_reference(w);
  ASSERT_EQ(want.entries.size(), 20u * 3u);
  StrategyOptions o;
  o.probe_fraction = 0.5;
  o.probe_seconds = 1e6;
  StrategyStats stats;
  CollectingSink got = run_strategy(name, w, threads, nullptr, &stats, o);
  expect_matches_reference(got, want, name + " x" + std::to_string(threads));
  if (name == "auto") {  // serial was probed, then the winner ran the rest
    EXPECT_NE(stats.settings.find("probe frames/s: serial"), std::string::npos) << stats.settings;
  }
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, Conformance,
                         ::testing::Combine(::testing::ValuesIn(all_strategies()),
                                            ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return param_name(std::get<0>(info.param) + "_x" +
                                             std::to_string(std::get<1>(info.param)));
                         });

// Several streams, decoded by the strategy itself (no preloading): every strategy gives
// serial's results in the same interleaving, batched per stream or across streams.
class MultiStream : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

CollectingSink run_streams(const std::string& name, std::vector<ModelSpec>& specs, bool across) {
  std::vector<std::unique_ptr<FrameSource>> sources;
  std::vector<FrameSource*> raw;
  const char* videos[] = {kVideo, "/usr/share/doc/opencv-doc/examples/data/tree.avi",
                          "/usr/share/doc/opencv-doc/examples/data/Megamind.avi"};
  for (int i = 0; i < 3; ++i) {
    sources.push_back(open_frame_source(videos[i], 7 + 2 * i, i));  // 7, 9, 11 frames
    raw.push_back(sources.back().get());
  }
  BatchingOptions b{3, false, across};
  Batcher batcher(raw, specs, b);
  StrategyOptions o;
  o.intra_threads = 1;
  CollectingSink sink;
  ProfileObserver profile;
  make_strategy(name, o)->run(batcher, specs, sink, profile);
  return sink;
}

TEST_P(MultiStream, SameOutputsAsSerial) {
  const auto& [name, across] = GetParam();
  std::vector<ModelSpec> specs;
  for (const std::string& p : small_zoo(scratch_dir("zoo"), 2, 64))
    specs.push_back(parse_model_arg(p));
  for (ModelSpec& s : specs) resolve_model_spec(s, 3, 64, 64);
  CollectingSink serial = run_streams("serial", specs, across);
  // 27 frames: per stream 7 -> 3 batches, 9 -> 3, 11 -> 4; across streams 27 / 3 = 9.
  ASSERT_EQ(serial.entries().size(), (across ? 9u : 10u) * 2u);
  std::set<int> streams;
  for (const auto& e : serial.entries())
    for (const FrameRef& f : e.frames) streams.insert(f.stream);
  EXPECT_EQ(streams, (std::set<int>{0, 1, 2}));
  if (!across) {  // round robin: the first three batches come from streams 0, 1, 2
    EXPECT_EQ(serial.entries()[0].frames[0].stream, 0);
    EXPECT_EQ(serial.entries()[2].frames[0].stream, 1);
    EXPECT_EQ(serial.entries()[4].frames[0].stream, 2);
  } else {  // one frame of each stream in turn
    EXPECT_EQ(serial.entries()[0].frames[1].stream, 1);
    EXPECT_EQ(serial.entries()[0].frames[2].stream, 2);
  }
  expect_same_outputs(run_streams(name, specs, across), serial, name);
}

INSTANTIATE_TEST_SUITE_P(Strategies, MultiStream,
                         ::testing::Combine(::testing::ValuesIn(all_but_serial()),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return param_name(std::get<0>(info.param) +
                                             (std::get<1>(info.param) ? "_across" : "_per_stream"));
                         });

TEST(Coroutines, RunOnOneThreadOneModelAfterAnother) {
  Workload w = make_workload(scratch_dir("zoo"), 16, 2);
  ProfileObserver profile;
  run_strategy("coroutines", w, 1, &profile);
  std::vector<RunInterval> runs = profile.intervals();
  ASSERT_EQ(runs.size(), 8u * 3u);
  for (const RunInterval& r : runs) EXPECT_EQ(r.thread, std::this_thread::get_id());
  // Run() blocks, so no two Run()s overlap.
  for (const RunInterval& a : runs)
    for (const RunInterval& b : runs)
      if (&a != &b) {
        EXPECT_TRUE(a.end <= b.begin || b.end <= a.begin);
      }
  // A coroutine runs at most queue_depth (4) batches ahead of the slowest before it waits:
  // when any Run() on batch i begins, every model has finished batch i - 4.
  const int64_t lead = StrategyOptions{}.queue_depth;
  for (const RunInterval& a : runs)
    for (size_t m = 0; m < 3; ++m) {
      bool finished = a.batch - lead < 0;
      for (const RunInterval& b : runs)
        if (b.model == m && b.batch == a.batch - lead && b.end <= a.begin) finished = true;
      EXPECT_TRUE(finished) << "model " << a.model << " began batch " << a.batch << " before model "
                            << m << " finished batch " << a.batch - lead;
    }
}

TEST(CoroutinesAsync, RunsOfDifferentModelsOverlap) {
  Workload w = make_workload(scratch_dir("zoo"), 16, 4);
  ProfileObserver profile;
  run_strategy("coroutines-async", w, 2, &profile);
  std::vector<RunInterval> runs = profile.intervals();
  ASSERT_EQ(runs.size(), 4u * 3u);
  int overlaps = 0;
  for (const RunInterval& a : runs)
    for (const RunInterval& b : runs)
      if (a.model < b.model && a.begin < b.end && b.begin < a.end) ++overlaps;
  EXPECT_GT(overlaps, 0) << "no two models' Run() intervals intersect";
}

TEST(Threads, ModelsRunOnTheirOwnThreads) {
  Workload w = make_workload(scratch_dir("zoo"), 8, 4);
  ProfileObserver profile;
  run_strategy("threads", w, 1, &profile);
  std::map<size_t, std::set<std::thread::id>> threads;
  for (const RunInterval& r : profile.intervals()) threads[r.model].insert(r.thread);
  ASSERT_EQ(threads.size(), 3u);
  std::set<std::thread::id> all;
  for (auto& [m, ids] : threads) {
    EXPECT_EQ(ids.size(), 1u);
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), 3u);
  EXPECT_EQ(all.count(std::this_thread::get_id()), 0u);
}

}  // namespace mvinfer::testing
