// Result sinks: what they own cannot be copied, and NpySink names its files as documented.
#include "mvinfer/io/result_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "npy.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

// A copy of a JsonlSink would close its file a second time; a copy through ResultSink& slices.
template <typename T>
constexpr bool kCopyable = std::is_copy_constructible_v<T> || std::is_copy_assignable_v<T>;
static_assert(!kCopyable<NullSink>);
static_assert(!kCopyable<JsonlSink>);
static_assert(!kCopyable<NpySink>);
static_assert(!kCopyable<CollectingSink>);
static_assert(!kCopyable<SinkList>);
// An open file does not move either (hold a JsonlSink by unique_ptr) ...
static_assert(!std::is_move_constructible_v<JsonlSink> && !std::is_move_assignable_v<JsonlSink>);
// ... but sinks that own only values do: tests return a CollectingSink by value.
static_assert(std::is_nothrow_move_constructible_v<CollectingSink>);
static_assert(std::is_move_assignable_v<CollectingSink>);
static_assert(std::is_move_constructible_v<NpySink> && std::is_move_constructible_v<SinkList>);

TEST(CollectingSink, MovesItsEntries) {
  CollectingSink a;
  Batch b;
  b.seq = 3;
  b.frames = {FrameRef{7, 280, 0}};
  const std::vector<Tensor> out{Tensor::zeros({1, 2})};
  a.consume(b, 1, raw_result(b, out));
  CollectingSink moved = std::move(a);
  ASSERT_EQ(moved.entries().size(), 1u);
  EXPECT_EQ(moved.entries()[0].batch, 3);
  EXPECT_EQ(moved.entries()[0].model, 1u);
  EXPECT_EQ(moved.entries()[0].frames[0].index, 7);
}

TEST(JsonlSink, SummarizesEmptyOutputsOfAnyShape) {
  // Found by fuzz/decoder_fuzz.cc: a raw output of 0 x 2^60 (no values) made the summary ask for
  // 2^63 bytes of sort indices.
  const fs::path path = scratch_dir("jsonl") / "r.jsonl";
  {
    JsonlSink sink(path.string(), {"v.avi"});
    ModelSpec m;
    m.name = "m";
    m.outputs = {TensorInfo{"wide", "float32", {0, -1}, {"", "c"}},
                 TensorInfo{"rows", "float32", {2, 3}, {"", ""}}};
    sink.begin(std::span<const ModelSpec>(&m, 1));
    Batch b;
    b.frames = {FrameRef{0, 0, 0}};
    const std::vector<Tensor> out{Tensor{{0, int64_t{1} << 60}, {}},
                                  Tensor{{2, 3}, {0.1f, 0.7f, 0.2f, 0.5f, 0.4f, 0.1f}}};
    sink.consume(b, 0, raw_result(b, out));
    sink.commit();
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find(R"({"name":"wide","shape":[0,1152921504606846976],"argmax":[],"top5":[]})"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("argmax":[1,0])"), std::string::npos) << line;
}

TEST(NpySink, NamesFilesByStreamBatchAndOutput) {
  const fs::path dir = scratch_dir("npy");
  NpySink sink(dir.string());
  ModelSpec m;
  m.name = "my model/v2";
  m.outputs = {TensorInfo{"logits", "float32", {1, 2}, {"", ""}},
               TensorInfo{"feat map", "float32", {1}, {""}}};
  sink.begin(std::span<const ModelSpec>(&m, 1));
  Batch b;
  b.seq = 12;
  b.stream = 1;
  Tensor logits{{1, 2}, {0.5f, -1.0f}};
  Tensor feat{{1}, {3.0f}};
  sink.consume(b, 0, raw_result(b, {logits, feat}));
  b.seq = 1234567;
  b.stream = -1;  // a batch formed across streams
  sink.consume(b, 0, raw_result(b, {logits, feat}));
  sink.end();

  const fs::path model_dir = dir / "my_model_v2";
  EXPECT_EQ(read_npy((model_dir / "s1_b000012_logits.npy").string()).data, logits.data);
  EXPECT_EQ(read_npy((model_dir / "s1_b000012_feat_map.npy").string()).data, feat.data);
  EXPECT_TRUE(fs::exists(model_dir / "s-1_b1234567_logits.npy"));
  EXPECT_TRUE(fs::exists(model_dir / "s-1_b1234567_feat_map.npy"));
  EXPECT_EQ(std::distance(fs::directory_iterator(model_dir), fs::directory_iterator()), 4);
}

}  // namespace
}  // namespace mvinfer::testing
