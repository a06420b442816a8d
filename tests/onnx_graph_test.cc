// Graph inspection and `mvinfer info` on the real PaddleOCR models and zoo models.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "mvinfer/error.h"
#include "mvinfer/onnx_graph.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

TEST(Graph, PaddleClassifierDescription) {
  GraphStats s = inspect_graph(cls_model());
  EXPECT_GT(s.opset, 0);
  EXPECT_GT(s.parameters, 100000);  // weights live in Constant nodes in this export
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].name, "x");
  EXPECT_EQ(s.inputs[0].element_type, "float32");
  ASSERT_EQ(s.inputs[0].shape.size(), 4u);
  EXPECT_EQ(s.inputs[0].shape[1], 3);
  EXPECT_EQ(s.inputs[0].shape[0], -1);
  ASSERT_EQ(s.outputs.size(), 1u);
  EXPECT_GT(s.file_bytes, 0);
}

TEST(Graph, ClassifierFlopsThroughAComputedReshape) {
  // The head reshapes to a shape computed at run time; the MatMul after it is still counted.
  GraphStats s = inspect_graph(cls_model(), {{"0", 1}, {"2", 48}, {"3", 192}});
  EXPECT_GT(s.flops, 1e7);
  EXPECT_LT(s.flops, 1e9);
  GraphStats four = inspect_graph(cls_model(), {{"0", 4}, {"2", 48}, {"3", 192}});
  EXPECT_NEAR(four.flops / s.flops, 4.0, 0.01);
}

TEST(Graph, DetectorFlopsGrowWithTheInputArea) {
  const std::string det = paddle_model("ch_PP-OCRv4_det_infer.onnx");
  GraphStats small = inspect_graph(det, {{"0", 1}, {"2", 128}, {"3", 128}});
  GraphStats big = inspect_graph(det, {{"0", 1}, {"2", 256}, {"3", 256}});
  ASSERT_GT(small.flops, 0);
  EXPECT_NEAR(big.flops / small.flops, 4.0, 0.2);
}

TEST(Graph, NotAnOnnxFile) {
  std::filesystem::path p = scratch_dir("x") / "fake.onnx";
  std::ofstream(p) << "plain text";
  try {
    inspect_graph(p.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_model);
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos);
  }
}

TEST(InfoCommand, DescribesAZooModel) {
  std::vector<std::string> zoo = small_zoo(scratch_dir("zoo"), 1, 64);
  CommandResult r = run_cli({"info", zoo[0]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"images", "float32", "batchx3x64x64", "logits", "batchx10", "opset:      13",
                        "mvinfer-zoo", "parameters", "FLOPs"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " missing in\n" << r.out;
}

TEST(InfoCommand, TextFileIsOneLineError) {
  std::filesystem::path p = scratch_dir("x") / "notes.txt";
  std::ofstream(p) << "hello";
  CommandResult r = run_cli({"info", p.string()});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(p.string()), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mvinfer::testing
