// Zoo models: valid ONNX, loadable by ONNX Runtime, finite outputs of the declared shape,
// same cost, different weights, reproducible from the seed.
#include "mvinfer/tools/zoo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "mvinfer/core/error.h"
#include "mvinfer/tools/onnx_graph.h"
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

std::vector<float> random_input(size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

TEST(Zoo, FilesPassTheCheckerAndDeclareTheirInputAndOutput) {
  ZooOptions o = small(2);
  o.channels = 1;
  o.height = 40;
  for (const ZooModel& m : write_zoo(scratch_dir("zoo").string(), o)) {
    EXPECT_NO_THROW(check_model(m.path)) << m.path;
    GraphStats s = inspect_graph(m.path);
    EXPECT_EQ(s.producer.rfind("mvinfer-zoo", 0), 0u) << s.producer;
    EXPECT_EQ(s.opset, 13);
    EXPECT_EQ(s.parameters, m.parameters);
    ASSERT_EQ(s.inputs.size(), 1u);
    EXPECT_EQ(s.inputs[0].name, "images");
    EXPECT_EQ(s.inputs[0].element_type, "float32");
    EXPECT_EQ(s.inputs[0].shape, (std::vector<int64_t>{-1, 1, 40, 48}));
    EXPECT_EQ(s.inputs[0].dim_names[0], "batch");
    ASSERT_EQ(s.outputs.size(), 1u);
    EXPECT_EQ(s.outputs[0].name, "logits");
    EXPECT_EQ(s.outputs[0].shape, (std::vector<int64_t>{-1, 12}));
  }
}

TEST(Zoo, ModelsRunInOnnxRuntimeAndDiffer) {
  fs::path dir = scratch_dir("zoo");
  std::vector<ZooModel> models = write_zoo(dir.string(), small(3));
  ASSERT_EQ(models.size(), 3u);
  std::vector<float> input = random_input(2 * 3 * 48 * 48);
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
  // Written aside and renamed: nothing but the models is left in the directory.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_EQ(e.path().extension(), ".onnx") << e.path();
    ++files;
  }
  EXPECT_EQ(files, 3);
}

TEST(Zoo, DefaultModelRunsWithModerateLogits) {
  // The size the benchmarks use: 3x256x256, 1000 classes.
  std::vector<ZooModel> m = write_zoo(scratch_dir("default").string(), ZooOptions{.count = 1});
  EXPECT_GT(m[0].flops, 1.0e9);
  EXPECT_LT(m[0].flops, 1.3e9);
  std::vector<float> input = random_input(2 * 3 * 256 * 256);
  DirectRun r = direct_onnx_run(m[0].path, input, {2, 3, 256, 256});
  EXPECT_EQ(r.shape, (std::vector<int64_t>{2, 1000}));
  for (float v : r.data) ASSERT_LT(std::abs(v), 100.0f);
}

TEST(Zoo, DeepModelsKeepTheirLogitsModerate) {
  // 400 residual blocks: a branch as large as the running sum would double its variance per
  // block and overflow to inf long before the head.
  ZooOptions o = small(1);
  o.height = o.width = 16;
  o.width_mult = 4;
  o.depth = 100;
  std::vector<ZooModel> m = write_zoo(scratch_dir("deep").string(), o);
  std::vector<float> input = random_input(3 * 16 * 16);
  DirectRun r = direct_onnx_run(m[0].path, input, {1, 3, 16, 16});
  ASSERT_EQ(r.data.size(), 12u);
  for (float v : r.data) ASSERT_LT(std::abs(v), 100.0f);
}

TEST(Zoo, SameSeedSameFilesOtherSeedOtherWeights) {
  fs::path a = scratch_dir("a"), b = scratch_dir("b"), c = scratch_dir("c");
  write_zoo(a.string(), small(2, 5));
  write_zoo(b.string(), small(2, 5));
  write_zoo(c.string(), small(2, 6));
  for (const char* f : {"zoo0.onnx", "zoo1.onnx"}) {
    EXPECT_EQ(slurp((a / f).string()), slurp((b / f).string())) << f;
    EXPECT_NE(slurp((a / f).string()), slurp((c / f).string())) << f;
  }
}

TEST(Zoo, FlopsAndParametersMatchAHandCount) {
  // 16x16 input, width 4, depth 1, 5 classes. Stem conv 3->4 3x3 s2: 8x8 out; max-pool: 4x4.
  // Stage 0 (4 ch, 4x4): two 3x3 convs 4->4. Stage s>0 halves the size (2x2, 1x1, 1x1) and
  // doubles the channels, with a 1x1 projection on the skip. Head Gemm 32->5.
  ZooOptions o;
  o.count = 2;
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
  // Parameters: conv weights, 4 per channel for each BN (scale, bias, mean, var), Gemm W + b.
  int64_t params = 4 * 3 * 9 + 4 * 4;  // stem
  params += 2 * (4 * 4 * 9 + 4 * 4);   // stage 0
  for (int cin : {4, 8, 16}) {         // stages 1-3
    const int cout = 2 * cin;
    params += cout * cin * 9 + cout * cout * 9 + cout * cin;  // convs and projection
    params += 3 * 4 * cout;                                   // their BNs
  }
  params += 32 * 5 + 5;
  std::vector<ZooModel> m = write_zoo(scratch_dir("z").string(), o);
  EXPECT_DOUBLE_EQ(m[0].flops, 2 * macs);
  EXPECT_DOUBLE_EQ(m[1].flops, 2 * macs);
  EXPECT_EQ(m[0].parameters, params);
  EXPECT_EQ(inspect_graph(m[0].path).parameters, params);
}

TEST(Zoo, NonsenseOptionsAreBadFlagsNamingTheOption) {
  // Named as the library names them: a library user has no flags.
  auto expect_bad = [](ZooOptions o, const std::string& option, const std::string& mention) {
    try {
      write_zoo(scratch_dir("z").string(), o);
      ADD_FAILURE() << option << " accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.code(), ErrorCode::bad_flag) << what;
      EXPECT_EQ(e.option(), option) << what;
      EXPECT_TRUE(what.starts_with(option + " ")) << what;
      EXPECT_NE(what.find(mention), std::string::npos) << what;
      EXPECT_EQ(what.find("--"), std::string::npos) << what;
    }
  };
  ZooOptions o = small(0);
  expect_bad(o, "count", "count 0: expected 1 to 1000");
  o = small(1);
  o.height = 7;
  expect_bad(o, "input", "CxHxW");
  o = small(1);
  o.width_mult = 0;
  expect_bad(o, "width_mult", "width_mult 0");
  o = small(1);
  o.depth = 0;
  expect_bad(o, "depth", "depth 0");
  o = small(1);
  o.classes = 0;
  expect_bad(o, "classes", "classes 0");
  o = small(1);
  o.width_mult = 2048;  // some 3 G parameters: more than a protobuf file can hold
  expect_bad(o, "width_mult", "parameters");

  try {
    write_zoo("/proc/no/such/place", small(1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_EQ(e.option(), "dir");
    EXPECT_NE(std::string(e.what()).find("/proc/no/such/place"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("--"), std::string::npos) << e.what();
  }
}

TEST(ZooCommand, WritesModelsAndRejectsABadInput) {
  fs::path dir = scratch_dir("cli");
  CommandResult r = run_cli({"zoo", "--out", dir.string(), "--count", "2", "--input", "3x32x32",
                             "--width", "8", "--depth", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "zoo1.onnx"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
  EXPECT_NE(r.out.find((dir / "zoo0.onnx").string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GFLOPs"), std::string::npos) << r.out;
  for (const char* bad : {"3x32", "3x32x32x", "3xAx32", "0x32x32", "3x4x4"}) {
    r = run_cli({"zoo", "--out", dir.string(), "--input", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("--input"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("CxHxW"), std::string::npos) << r.err;
  }
  // Library errors about a setting come out under the CLI's flag for it.
  r = run_cli({"zoo", "--out", dir.string(), "--width", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("mvinfer: error: --width 0: expected 1 to 4096"), std::string::npos)
      << r.err;
  r = run_cli({"zoo", "--out", "/proc/no/such/place"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("mvinfer: error: --out '/proc/no/such/place': cannot create directory"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace mvinfer::testing
