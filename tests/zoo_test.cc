// Zoo models: valid ONNX, loadable by ONNX Runtime, finite outputs of the declared shape,
// same cost, different weights, reproducible from the seed.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "mvinfer/error.h"
#include "mvinfer/onnx_graph.h"
#include "mvinfer/zoo.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

ZooOptions small(int count, uint64_t seed = 7) {
  ZooOptions o;
  o.count = count;
  o.height = o.width = 48;
  o.width_mult = 8;
  o.depth = 1;
  o.classes = 12;
  o.seed = seed;
  return o;
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Zoo, ModelsRunInOnnxRuntimeAndDiffer) {
  fs::path dir = scratch_dir("zoo");
  std::vector<ZooModel> models = write_zoo(dir.string(), small(3));
  ASSERT_EQ(models.size(), 3u);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> input(2 * 3 * 48 * 48);
  for (float& v : input) v = u(rng);
  std::vector<std::vector<float>> outputs;
  for (const ZooModel& m : models) {
    EXPECT_TRUE(fs::exists(m.path));
    DirectRun r = direct_onnx_run(m.path, input, {2, 3, 48, 48});
    EXPECT_EQ(r.input_name, "images");
    EXPECT_EQ(r.output_name, "logits");
    EXPECT_EQ(r.shape, (std::vector<int64_t>{2, 12})) << m.name;
    outputs.push_back(r.data);
    for (float v : outputs.back()) ASSERT_TRUE(std::isfinite(v)) << m.name;
  }
  EXPECT_NE(outputs[0], outputs[1]);
  EXPECT_NE(outputs[1], outputs[2]);
  // Same architecture: equal cost and size.
  EXPECT_EQ(models[0].flops, models[2].flops);
  EXPECT_EQ(models[0].parameters, models[1].parameters);
  EXPECT_GT(models[0].flops, 0);
}

TEST(Zoo, SameSeedSameFilesOtherSeedOtherWeights) {
  fs::path a = scratch_dir("a"), b = scratch_dir("b"), c = scratch_dir("c");
  write_zoo(a.string(), small(1, 5));
  write_zoo(b.string(), small(1, 5));
  write_zoo(c.string(), small(1, 6));
  EXPECT_EQ(slurp((a / "zoo0.onnx").string()), slurp((b / "zoo0.onnx").string()));
  EXPECT_NE(slurp((a / "zoo0.onnx").string()), slurp((c / "zoo0.onnx").string()));
}

TEST(Zoo, FlopsMatchAHandCount) {
  // 16x16 input, width 4, depth 1, 5 classes. Stem conv 3->4 3x3 s2: 8x8 out; max-pool: 4x4.
  // Stage 0 (4 ch, 4x4): two 3x3 convs 4->4. Stage s>0 halves the size (2x2, 1x1, 1x1) and
  // doubles the channels, with a 1x1 projection on the skip. Head Gemm 32->5.
  ZooOptions o;
  o.count = 1;
  o.height = o.width = 16;
  o.width_mult = 4;
  o.depth = 1;
  o.classes = 5;
  double macs = 8 * 8 * 4 * (3 * 9);             // stem
  macs += 2 * (4 * 4 * 4 * (4 * 9));             // stage 0
  auto stage = [&](int hw, int cin, int cout) {  // first conv strided, second, projection
    macs += hw * hw * cout * (cin * 9) + hw * hw * cout * (cout * 9) + hw * hw * cout * cin;
  };
  stage(2, 4, 8);
  stage(1, 8, 16);
  stage(1, 16, 32);
  macs += 32 * 5;
  std::vector<ZooModel> m = write_zoo(scratch_dir("z").string(), o);
  EXPECT_DOUBLE_EQ(m[0].flops, 2 * macs);
}

TEST(Zoo, NonsenseOptionsAreBadFlags) {
  ZooOptions o = small(0);
  EXPECT_THROW(write_zoo(scratch_dir("z").string(), o), Error);
  try {
    write_zoo("/proc/no/such/place", small(1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_NE(std::string(e.what()).find("/proc/no/such/place"), std::string::npos);
  }
}

TEST(ZooCommand, WritesModelsAndRejectsABadInput) {
  fs::path dir = scratch_dir("cli");
  CommandResult r = run_cli({"zoo", "--out", dir.string(), "--count", "2", "--input", "3x32x32",
                             "--width", "8", "--depth", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "zoo1.onnx"));
  EXPECT_NE(r.out.find("GFLOPs"), std::string::npos) << r.out;
  r = run_cli({"zoo", "--out", dir.string(), "--input", "3x32"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--input"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mvinfer::testing
