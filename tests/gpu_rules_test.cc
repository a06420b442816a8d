// The GPU paths' rules on synthetic declarations (gpu_rules.h), the limit rule of bench on a
// GPU, and how session settings follow them. No GPU needed: these run everywhere.
#include "mvinfer/core/gpu_rules.h"

#include <gtest/gtest.h>

#include "mvinfer/core/strategy.h"
#include "mvinfer/tools/bench.h"

namespace mvinfer::testing {
namespace {

TensorInfo info(const std::string& name, std::vector<int64_t> shape,
                std::vector<std::string> dim_names, const std::string& type = "float32") {
  TensorInfo t;
  t.name = name;
  t.element_type = type;
  t.shape = std::move(shape);
  t.dim_names = std::move(dim_names);
  t.dim_names.resize(t.shape.size());
  return t;
}

const TensorInfo kInput = info("images", {-1, 3, 64, 64}, {"N"});

TEST(GpuRules, AnOutputShapeIsKnownWhenItsOnlyDynamicDimIsTheInputsBatch) {
  using Shape = std::vector<int64_t>;
  EXPECT_EQ(output_shape_for(info("logits", {-1, 1000}, {"N"}), kInput, 4), Shape({4, 1000}));
  EXPECT_EQ(output_shape_for(info("fixed", {1, 10}, {}), kInput, 4), Shape({1, 10}));
  // Detections: a count of their own, named or not.
  EXPECT_EQ(output_shape_for(info("boxes", {-1, 6}, {"num_boxes"}), kInput, 4), std::nullopt);
  EXPECT_EQ(output_shape_for(info("boxes", {-1, 6}, {}), info("x", {-1, 3, 8, 8}, {}), 4),
            std::nullopt);
  // The batch name elsewhere than the first dim, or a second dynamic dim.
  EXPECT_EQ(output_shape_for(info("t", {1, -1}, {"", "N"}), kInput, 4), std::nullopt);
  EXPECT_EQ(output_shape_for(info("map", {-1, 1, -1, -1}, {"N", "", "h", "w"}), kInput, 4),
            std::nullopt);
  // A fixed-batch input: an output's dynamic dim is not its batch.
  EXPECT_EQ(output_shape_for(info("t", {-1, 10}, {"N"}), info("x", {4, 3, 8, 8}, {"N"}), 4),
            std::nullopt);
}

ModelSpec graphable() {
  ModelSpec s;
  s.name = "cls";
  s.batch = 4;
  s.input = kInput;
  s.outputs = {info("logits", {-1, 1000}, {"N"}), info("feat", {1, 16}, {})};
  s.resolved = true;
  return s;
}

TEST(GpuRules, CudaGraphsNeedTheSameShapesOnEveryCall) {
  EXPECT_EQ(cuda_graph_blocker(graphable()), "");
  ModelSpec s = graphable();
  s.on = "det";
  EXPECT_NE(cuda_graph_blocker(s).find("regions of 'det'"), std::string::npos);
  s = graphable();
  s.max_side = 960;
  EXPECT_NE(cuda_graph_blocker(s).find("max_side"), std::string::npos);
  s = graphable();
  s.outputs.push_back(info("boxes", {-1, 6}, {"num_boxes"}));
  EXPECT_EQ(cuda_graph_blocker(s),
            "output 'boxes' (num_boxesx6) has a shape that depends on the data");
  s = graphable();
  s.outputs[1].element_type = "int64";
  EXPECT_NE(cuda_graph_blocker(s).find("output 'feat' is int64"), std::string::npos);
  // A fixed batch of the model's own: its outputs' shapes are static.
  s = graphable();
  s.input.shape[0] = 1;
  s.model_batch = 1;
  s.outputs = {info("logits", {1, 1000}, {})};
  EXPECT_EQ(cuda_graph_blocker(s), "");
}

TEST(GpuRules, EachArenaGetsItsShareOfTheDevice) {
  constexpr uint64_t GiB = uint64_t{1} << 30, MiB = uint64_t{1} << 20;
  EXPECT_EQ(gpu_arena_limit(80 * GiB, 4), 16 * GiB);    // 0.8 x 80 / 4
  EXPECT_EQ(gpu_arena_limit(10 * GiB, 0), 8 * GiB);     // no sessions counts as one
  EXPECT_EQ(gpu_arena_limit(1 * GiB, 8), 256 * MiB);    // the floor: 102 MiB would be too little
  EXPECT_EQ(gpu_arena_limit(100 * MiB, 4), 100 * MiB);  // a small device: all of it at most
  EXPECT_EQ(gpu_arena_limit(0, 4), 0u);                 // unknown: no limit
}

TEST(GpuRules, TheLimitIsTheLargerOfTheCpusAndTheGpusShare) {
  EXPECT_DOUBLE_EQ(limit_seconds(8, 2, 0), 4);  // CPU only: W / cores
  EXPECT_DOUBLE_EQ(limit_seconds(0, 2, 3), 3);  // GPU only: its time on one device
  EXPECT_DOUBLE_EQ(limit_seconds(8, 2, 5), 5);  // both at once: the slower side
  EXPECT_DOUBLE_EQ(limit_seconds(8, 2, 3), 4);
  EXPECT_DOUBLE_EQ(limit_seconds(8, 0, 0), 8);  // no cores counts as one
}

TEST(GpuRules, SessionsFollowTheirModelsProviderAndTheGraphRule) {
  StrategyOptions gpu;
  gpu.provider = Provider::cuda;
  gpu.cuda_graph = true;
  ModelSpec s = graphable();
  EXPECT_EQ(session_settings_for(s, 2, gpu).provider, Provider::cuda);
  EXPECT_TRUE(session_settings_for(s, 2, gpu).cuda_graph);
  s.runs_on = Provider::cpu;  // its own provider=cpu wins
  EXPECT_EQ(session_settings_for(s, 2, gpu).provider, Provider::cpu);
  EXPECT_FALSE(session_settings_for(s, 2, gpu).cuda_graph);
  s = graphable();
  s.on = "det";
  EXPECT_FALSE(session_settings_for(s, 2, gpu).cuda_graph);
  StrategyOptions cpu;
  cpu.cuda_graph = true;
  EXPECT_FALSE(session_settings_for(graphable(), 2, cpu).cuda_graph);
}

}  // namespace
}  // namespace mvinfer::testing
