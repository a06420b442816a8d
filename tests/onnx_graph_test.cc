// Graph inspection and `mvinfer info` on the real PaddleOCR models, zoo models, and small
// models written here byte by byte.
#include "mvinfer/tools/onnx_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "mvinfer/core/error.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

// Protobuf's wire format, written by hand so that the test models owe nothing to the code
// under test (which reads them with libonnx).
class Pb {
 public:
  Pb& varint(int field, uint64_t v) {
    key(field, 0);
    put(v);
    return *this;
  }
  Pb& str(int field, const std::string& s) {
    key(field, 2);
    put(s.size());
    bytes_ += s;
    return *this;
  }
  Pb& msg(int field, const Pb& m) { return str(field, m.bytes_); }
  Pb& floats(int field, const std::vector<float>& v) {  // packed
    std::string raw(v.size() * sizeof(float), '\0');
    std::memcpy(raw.data(), v.data(), raw.size());
    return str(field, raw);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void key(int field, int wire_type) { put(static_cast<uint64_t>(field) << 3 | wire_type); }
  void put(uint64_t v) {
    for (; v >= 0x80; v >>= 7) bytes_ += static_cast<char>((v & 0x7f) | 0x80);
    bytes_ += static_cast<char>(v);
  }
  std::string bytes_;
};

// Field numbers from onnx.proto, one enum per message.
enum ModelField { kModelIrVersion = 1, kModelProducer = 2, kModelGraph = 7, kModelOpset = 8 };
enum OperatorSetIdField { kOpsetVersion = 2 };
enum GraphField {
  kGraphNode = 1,
  kGraphName = 2,
  kGraphInit = 5,
  kGraphInput = 11,
  kGraphOutput = 12
};
enum NodeField { kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttr = 5 };
enum AttributeField {
  kAttrName = 1,
  kAttrInt = 3,
  kAttrInts = 8,
  kAttrType = 20,
  kAttrTypeInt = 2,
  kAttrTypeInts = 7
};
enum TensorField {
  kTensorDims = 1,
  kTensorType = 2,
  kTensorFloats = 4,
  kTensorInt64s = 7,
  kTensorName = 8,
  kFloat = 1,
  kInt64 = 7
};
enum ValueInfoField { kValueName = 1, kValueType = 2 };
enum TypeField { kTypeTensor = 1, kTensorElemType = 1, kTensorShape = 2 };
enum ShapeField { kShapeDim = 1, kDimValue = 1, kDimParam = 2 };

// A float tensor value; a dim is a number or, when negative, the name in `names`.
Pb value_info(const std::string& name, std::vector<int64_t> dims,
              std::vector<std::string> names = {}) {
  Pb shape;
  for (size_t i = 0; i < dims.size(); ++i) {
    Pb d;
    if (dims[i] >= 0)
      d.varint(kDimValue, static_cast<uint64_t>(dims[i]));
    else if (i < names.size())
      d.str(kDimParam, names[i]);
    shape.msg(kShapeDim, d);
  }
  Pb tensor;
  tensor.varint(kTensorElemType, kFloat).msg(kTensorShape, shape);
  Pb type;
  type.msg(kTypeTensor, tensor);
  Pb v;
  v.str(kValueName, name).msg(kValueType, type);
  return v;
}

// A float tensor value of unknown shape.
Pb untyped_shape(const std::string& name) {
  Pb tensor, type, v;
  tensor.varint(kTensorElemType, kFloat);
  type.msg(kTypeTensor, tensor);
  v.str(kValueName, name).msg(kValueType, type);
  return v;
}

Pb initializer(const std::string& name, std::vector<int64_t> dims) {
  Pb t;
  int64_t n = 1;
  for (int64_t d : dims) {
    t.varint(kTensorDims, static_cast<uint64_t>(d));
    n *= d;
  }
  t.varint(kTensorType, kFloat)
      .floats(kTensorFloats, std::vector<float>(static_cast<size_t>(n), 0.5f));
  return t.str(kTensorName, name);
}

Pb int64_initializer(const std::string& name, std::vector<int64_t> values) {
  Pb t;
  t.varint(kTensorDims, values.size()).varint(kTensorType, kInt64);
  for (int64_t v : values) t.varint(kTensorInt64s, static_cast<uint64_t>(v));
  return t.str(kTensorName, name);
}

Pb node(const std::string& op, std::vector<std::string> in, const std::string& out) {
  Pb n;
  for (const auto& i : in) n.str(kNodeInput, i);
  return n.str(kNodeOutput, out).str(kNodeOpType, op);
}

Pb int_attr(const std::string& name, int64_t v) {
  return Pb()
      .str(kAttrName, name)
      .varint(kAttrInt, static_cast<uint64_t>(v))
      .varint(kAttrType, kAttrTypeInt);
}

Pb ints_attr(const std::string& name, std::vector<int64_t> values) {
  Pb a;
  a.str(kAttrName, name);
  for (int64_t v : values) a.varint(kAttrInts, static_cast<uint64_t>(v));
  return a.varint(kAttrType, kAttrTypeInts);
}

// A Constant node `out` holding `values` (value_ints).
Pb ints_constant(const std::string& out, std::vector<int64_t> values) {
  return node("Constant", {}, out).msg(kNodeAttr, ints_attr("value_ints", std::move(values)));
}

std::string write_model(const fs::path& file, const Pb& graph, int opset_version = 13) {
  Pb opset, model;
  opset.varint(kOpsetVersion, static_cast<uint64_t>(opset_version));
  model.varint(kModelIrVersion, 7).str(kModelProducer, "by-hand").msg(kModelGraph, graph);
  model.msg(kModelOpset, opset);
  std::ofstream(file, std::ios::binary) << model.bytes();
  return file.string();
}

TEST(Graph, PaddleClassifierDescription) {
  GraphStats s = inspect_graph(cls_model());
  EXPECT_GT(s.opset, 0);
  EXPECT_GT(s.parameters, 100000);  // weights live in Constant nodes in this export
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].name, "x");
  EXPECT_EQ(s.inputs[0].element_type, "float32");
  // This export leaves H and W dynamic too (PaddleOCR feeds it 48x192 crops).
  EXPECT_EQ(s.inputs[0].shape, (std::vector<int64_t>{-1, 3, -1, -1}));
  ASSERT_EQ(s.inputs[0].dim_names.size(), 4u);
  EXPECT_FALSE(s.inputs[0].dim_names[2].empty());
  ASSERT_EQ(s.outputs.size(), 1u);
  EXPECT_EQ(s.outputs[0].shape.back(), 2);  // two orientations
  EXPECT_GT(s.file_bytes, 0);
  EXPECT_NO_THROW(check_model(cls_model()));
  // Nothing given: no value is assumed for any dynamic dim, so no FLOPs are counted.
  ASSERT_EQ(s.dynamic_dims.size(), 3u);
  for (const DynamicDim& d : s.dynamic_dims) {
    EXPECT_EQ(d.input, "x");
    EXPECT_FALSE(d.given);
    EXPECT_EQ(d.value, 0);
  }
  EXPECT_EQ(s.dynamic_dims[1].position, 2);
  EXPECT_EQ(s.flops, -1);
  // One dim missing is enough to count nothing.
  EXPECT_EQ(inspect_graph(cls_model(), {{"0", 1}, {"2", 48}}).flops, -1);
}

// Calls inspect_graph(), which must throw a bad_flag Error about option "dim" naming `key` and
// listing every dynamic dim of the model.
void expect_bad_dim(const std::string& path, const std::map<std::string, int64_t>& dims,
                    const std::string& mention) {
  std::string listed;
  for (const DynamicDim& d : inspect_graph(path).dynamic_dims)
    listed += (listed.empty() ? "" : ", ") + to_string(d);
  try {
    inspect_graph(path, dims);
    ADD_FAILURE() << mention << " accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::bad_flag) << what;
    EXPECT_EQ(e.option(), "dim") << what;
    EXPECT_TRUE(what.starts_with("dim " + mention + ": model '" + path + "'")) << what;
    EXPECT_NE(what.find("(its dynamic dims: " + (listed.empty() ? "none" : listed) + ")"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find("--"), std::string::npos) << what;
  }
}

TEST(Graph, DimsTheModelDoesNotHaveAreBadFlags) {
  // The classifier: x [N, 3, H, W] with N, H and W dynamic.
  expect_bad_dim(cls_model(), {{"0", 1}, {"2", 48}, {"3", 192}, {"height", 48}}, "height=48");
  expect_bad_dim(cls_model(), {{"4", 2}}, "4=2");  // no input has a 5th dim
  expect_bad_dim(cls_model(), {{"1", 4}}, "1=4");  // channels are fixed at 3
  const std::vector<std::string> zoo = small_zoo(scratch_dir("zoo"), 1, 64);
  expect_bad_dim(zoo[0], {{"0", 1}, {"2", 65}}, "2=65");
  expect_bad_dim(zoo[0], {{"batch", 1}, {"N", 1}}, "N=1");
  try {
    inspect_graph(cls_model(), {{"1", 4}});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 'x' is fixed at 3 at position 1"),
              std::string::npos)
        << e.what();
  }
}

TEST(Graph, PositionsOfStaticDimsWithTheirOwnValueAreAccepted) {
  // bench passes the batch, H and W by position whether the model's are dynamic or not.
  const std::vector<std::string> zoo = small_zoo(scratch_dir("zoo"), 1, 64);
  const GraphStats one = inspect_graph(zoo[0], {{"0", 1}, {"2", 64}, {"3", 64}});
  const GraphStats four = inspect_graph(zoo[0], {{"0", 4}, {"1", 3}, {"2", 64}, {"3", 64}});
  ASSERT_GT(one.flops, 0);
  EXPECT_NEAR(four.flops / one.flops, 4.0, 1e-9);
  ASSERT_EQ(one.dynamic_dims.size(), 1u);
  EXPECT_TRUE(one.dynamic_dims[0].given);
  EXPECT_EQ(inspect_graph(zoo[0], {{"batch", 1}}).flops, one.flops);
  EXPECT_EQ(inspect_graph(zoo[0]).flops, -1);
  EXPECT_EQ(to_string(one.dynamic_dims[0]), "batch (images position 0)");
}

TEST(Graph, ClassifierFlopsThroughAComputedReshape) {
  // The head reshapes to a shape computed at run time; the MatMul after it is still counted.
  GraphStats s = inspect_graph(cls_model(), {{"0", 1}, {"2", 48}, {"3", 192}});
  EXPECT_GT(s.flops, 1e7);
  EXPECT_LT(s.flops, 1e9);
  for (const DynamicDim& d : s.dynamic_dims) EXPECT_TRUE(d.given) << d.position;
  GraphStats four = inspect_graph(cls_model(), {{"0", 4}, {"2", 48}, {"3", 192}});
  EXPECT_NEAR(four.flops / s.flops, 4.0, 0.01);
}

TEST(Graph, RecognizerFlopsThroughChainsOfComputedReshapes) {
  // Shape -> Slice -> Cast -> Concat -> Reshape, six times in a row, in opset 9: shape
  // inference alone leaves everything after the first unknown.
  const std::string rec = paddle_model("ch_PP-OCRv4_rec_infer.onnx");
  GraphStats s = inspect_graph(rec, {{"0", 1}, {"3", 320}});
  ASSERT_GT(s.flops, 0);
  EXPECT_GT(s.flops, 1e8);
  EXPECT_LT(s.flops, 1e10);
  GraphStats wide = inspect_graph(rec, {{"0", 1}, {"3", 640}});
  EXPECT_NEAR(wide.flops / s.flops, 2.0, 0.1);
}

TEST(Graph, DetectorFlopsGrowWithTheInputArea) {
  const std::string det = paddle_model("ch_PP-OCRv4_det_infer.onnx");
  GraphStats small = inspect_graph(det, {{"0", 1}, {"2", 128}, {"3", 128}});
  GraphStats big = inspect_graph(det, {{"0", 1}, {"2", 256}, {"3", 256}});
  ASSERT_GT(small.flops, 0);
  EXPECT_NEAR(big.flops / small.flops, 4.0, 0.2);
}

TEST(Graph, InitializersListedAsInputsAreNotInputs) {
  // y = x W^T + b with x [n, 4], W [3, 4]; W and b are also graph inputs (as before IR 4).
  Pb g;
  g.msg(
      kGraphNode,
      node("Gemm", {"x", "W", "b"}, "y")
          .msg(kNodeAttr,
               Pb().str(kAttrName, "transB").varint(kAttrInt, 1).varint(kAttrType, kAttrTypeInt)));
  g.str(kGraphName, "gemm");
  g.msg(kGraphInit, initializer("W", {3, 4})).msg(kGraphInit, initializer("b", {3}));
  g.msg(kGraphInput, value_info("x", {-1, 4}, {"n"}));
  g.msg(kGraphInput, value_info("W", {3, 4})).msg(kGraphInput, value_info("b", {3}));
  g.msg(kGraphOutput, value_info("y", {-1, 3}, {"n"}));
  const std::string path = write_model(scratch_dir("gemm") / "gemm.onnx", g);

  GraphStats s = inspect_graph(path, {{"n", 5}});
  EXPECT_EQ(s.producer, "by-hand");
  EXPECT_EQ(s.opset, 13);
  EXPECT_EQ(s.ir_version, 7);
  EXPECT_EQ(s.parameters, 15);
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].name, "x");
  EXPECT_EQ(s.inputs[0].shape, (std::vector<int64_t>{-1, 4}));
  EXPECT_EQ(s.inputs[0].dim_names, (std::vector<std::string>{"n", ""}));
  ASSERT_EQ(s.dynamic_dims.size(), 1u);
  EXPECT_TRUE(s.dynamic_dims[0].given);
  EXPECT_EQ(s.dynamic_dims[0].value, 5);
  EXPECT_DOUBLE_EQ(s.flops, 2.0 * 5 * 4 * 3);
  EXPECT_DOUBLE_EQ(inspect_graph(path, {{"0", 2}}).flops, 2.0 * 2 * 4 * 3);  // by position
  EXPECT_NO_THROW(check_model(path));
}

TEST(Graph, NoFlopsWhileAnyDynamicDimLacksAValue) {
  // y = x W^T with x [n, 4], and an unrelated input z [m] passed through: the count could be
  // made without m, but a dim without a value is never given one.
  Pb g;
  g.msg(
      kGraphNode,
      node("Gemm", {"x", "W"}, "y")
          .msg(kNodeAttr,
               Pb().str(kAttrName, "transB").varint(kAttrInt, 1).varint(kAttrType, kAttrTypeInt)));
  g.msg(kGraphNode, node("Identity", {"z"}, "w")).str(kGraphName, "two");
  g.msg(kGraphInit, initializer("W", {3, 4}));
  g.msg(kGraphInput, value_info("x", {-1, 4}, {"n"}));
  g.msg(kGraphInput, value_info("z", {-1}, {"m"}));
  g.msg(kGraphOutput, value_info("y", {-1, 3}, {"n"}));
  g.msg(kGraphOutput, value_info("w", {-1}, {"m"}));
  const std::string path = write_model(scratch_dir("two") / "two.onnx", g);
  GraphStats s = inspect_graph(path, {{"n", 5}});
  EXPECT_EQ(s.flops, -1);
  ASSERT_EQ(s.dynamic_dims.size(), 2u);
  EXPECT_TRUE(s.dynamic_dims[0].given);
  EXPECT_EQ(s.dynamic_dims[0].value, 5);
  EXPECT_FALSE(s.dynamic_dims[1].given);
  EXPECT_EQ(s.dynamic_dims[1].value, 0);
  EXPECT_EQ(to_string(s.dynamic_dims[1]), "m (z position 0)");
  EXPECT_DOUBLE_EQ(inspect_graph(path, {{"n", 5}, {"m", 2}}).flops, 2.0 * 5 * 4 * 3);
}

TEST(Graph, UnknownShapesGiveNoFlopsAndNoCrash) {
  // A Conv whose weight is an input of unknown shape: its output size cannot be inferred.
  Pb g;
  g.msg(kGraphNode, node("Conv", {"x", "w"}, "y")).str(kGraphName, "conv");
  g.msg(kGraphInput, value_info("x", {1, 3, 8, 8})).msg(kGraphInput, untyped_shape("w"));
  g.msg(kGraphOutput, untyped_shape("y"));
  const std::string path = write_model(scratch_dir("conv") / "conv.onnx", g);
  GraphStats s = inspect_graph(path);
  EXPECT_EQ(s.flops, -1);
  EXPECT_EQ(s.inputs.size(), 2u);
  EXPECT_TRUE(s.inputs[1].shape.empty());
}

// Graphs of one or two nodes that libonnx 1.12's shape inference crashed on (reading past the
// end of a shape: SIGSEGV; a zero stride: SIGFPE), and two it fails on cleanly but ONNX
// Runtime refuses (MaxPool, Gemm): inspect_graph() must throw a one-line bad_model Error
// naming the file, the node and what it expected.
struct MalformedCase {
  const char* name;
  Pb graph;
  std::vector<std::string> mentions;
  int opset = 13;
};

std::vector<MalformedCase> malformed_cases() {
  std::vector<MalformedCase> cases;
  {  // The reported crash: x declared rank 3, the weights 4-D, no kernel_shape.
    Pb g;
    g.msg(kGraphNode, node("Conv", {"x", "w"}, "y").str(kNodeName, "conv")).str(kGraphName, "c");
    g.msg(kGraphInit, initializer("w", {4, 3, 3, 3}));
    g.msg(kGraphInput, value_info("x", {1, 3, 8})).msg(kGraphOutput, untyped_shape("y"));
    cases.push_back({"conv_rank3_input",
                     g,
                     {"node 'conv' (Conv)", "input 'x' has rank 3", "weights 'w' rank 4"}});
  }
  {  // The same, where x's rank is inferred: a Reshape to 3 dims feeds the Conv.
    Pb g;
    g.msg(kGraphNode, node("Reshape", {"x", "shape"}, "r"));
    g.msg(kGraphNode, node("Conv", {"r", "w"}, "y").str(kNodeName, "conv")).str(kGraphName, "c");
    g.msg(kGraphInit, int64_initializer("shape", {1, 3, 64}));
    g.msg(kGraphInit, initializer("w", {4, 3, 3, 3}));
    g.msg(kGraphInput, value_info("x", {1, 3, 8, 8})).msg(kGraphOutput, untyped_shape("y"));
    cases.push_back({"conv_inferred_rank3", g, {"node 'conv' (Conv)", "input 'r' has rank 3"}});
  }
  {  // 2-D weights for a transposed convolution on a 4-D input.
    Pb g;
    g.msg(kGraphNode, node("ConvTranspose", {"x", "w"}, "y")).str(kGraphName, "c");
    g.msg(kGraphInit, initializer("w", {3, 4}));
    g.msg(kGraphInput, value_info("x", {1, 3, 8, 8})).msg(kGraphOutput, untyped_shape("y"));
    cases.push_back({"conv_transpose_2d_weights",
                     g,
                     {"the ConvTranspose node writing 'y'", "input 'w' has rank 2, expected 3"}});
  }
  {  // A zero stride: a division by zero in the output size.
    Pb g;
    g.msg(kGraphNode, node("Conv", {"x", "w"}, "y").msg(kNodeAttr, ints_attr("strides", {0, 1})));
    g.str(kGraphName, "c").msg(kGraphInit, initializer("w", {4, 3, 3, 3}));
    g.msg(kGraphInput, value_info("x", {1, 3, 8, 8})).msg(kGraphOutput, untyped_shape("y"));
    cases.push_back({"conv_zero_stride", g, {"attribute 'strides' is [0, 1]", "positive"}});
  }
  {  // LayerNormalization over an axis its input does not have, with its Mean output.
    Pb g;
    g.msg(kGraphNode, node("LayerNormalization", {"x", "s"}, "y")
                          .str(kNodeOutput, "mean")
                          .msg(kNodeAttr, int_attr("axis", -5)));
    g.str(kGraphName, "c").msg(kGraphInit, initializer("s", {4}));
    g.msg(kGraphInput, value_info("x", {2, 4})).msg(kGraphOutput, untyped_shape("y"));
    cases.push_back({"layer_norm_axis", g, {"attribute 'axis' is -5", "-2 to 1"}, 17});
  }
  {  // A Scan without its body graph (nor num_scan_inputs).
    Pb g;
    g.msg(kGraphNode, node("Scan", {"x", "z"}, "y")).str(kGraphName, "c");
    g.msg(kGraphInput, value_info("x", {2, 4})).msg(kGraphInput, value_info("z", {2, 4}));
    g.msg(kGraphOutput, untyped_shape("y"));
    cases.push_back(
        {"scan_without_body", g, {"the Scan node writing 'y'", "attribute 'body' is missing"}});
  }
  {  // Pooling and Gemm fail cleanly in libonnx, but ONNX Runtime refuses them too.
    Pb g;
    g.msg(kGraphNode, node("MaxPool", {"x"}, "y").msg(kNodeAttr, ints_attr("kernel_shape", {2})));
    g.str(kGraphName, "c").msg(kGraphInput, value_info("x", {3, 8}));
    g.msg(kGraphOutput, untyped_shape("y"));
    cases.push_back(
        {"max_pool_rank2", g, {"MaxPool node", "input 'x' has rank 2, expected 3 or more"}});
  }
  {
    Pb g;
    g.msg(kGraphNode, node("Gemm", {"a", "b"}, "y")).str(kGraphName, "c");
    g.msg(kGraphInit, initializer("b", {4, 3}));
    g.msg(kGraphInput, value_info("a", {1, 2, 4})).msg(kGraphOutput, untyped_shape("y"));
    cases.push_back({"gemm_rank3", g, {"Gemm node", "input 'a' has rank 3, expected 2"}});
  }
  return cases;
}

TEST(Graph, MalformedNodesAreBadModelsNotCrashes) {
  const fs::path dir = scratch_dir("malformed");
  for (const MalformedCase& c : malformed_cases()) {
    const std::string path = write_model(dir / (std::string(c.name) + ".onnx"), c.graph, c.opset);
    try {
      inspect_graph(path);
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.code(), ErrorCode::bad_model) << c.name << ": " << what;
      EXPECT_TRUE(what.starts_with("model '" + path + "': ")) << c.name << ": " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << c.name << ": " << what;
      for (const std::string& m : c.mentions)
        EXPECT_NE(what.find(m), std::string::npos) << c.name << ": " << what << " lacks " << m;
    }
  }
}

TEST(Graph, OneDimensionalConvAndPoolingAreWellFormed) {
  // N x C x L: rank 3 is the least a convolution or pooling takes, and its FLOPs are counted.
  Pb g;
  g.msg(kGraphNode, node("Conv", {"x", "w"}, "c"));
  g.msg(kGraphNode, node("MaxPool", {"c"}, "y").msg(kNodeAttr, ints_attr("kernel_shape", {2})));
  g.str(kGraphName, "c1d").msg(kGraphInit, initializer("w", {4, 3, 3}));
  g.msg(kGraphInput, value_info("x", {1, 3, 8})).msg(kGraphOutput, untyped_shape("y"));
  const std::string path = write_model(scratch_dir("c1d") / "c1d.onnx", g);
  EXPECT_DOUBLE_EQ(inspect_graph(path).flops, 2.0 * 4 * 6 * 3 * 3);  // y: 1 x 4 x 6
}

TEST(GraphInfoCommand, MalformedModelIsOneLineErrorNotACrash) {
  const fs::path dir = scratch_dir("malformed");
  const MalformedCase c = malformed_cases().front();
  const std::string path = write_model(dir / "conv.onnx", c.graph);
  CommandResult r = run_cli({"info", path});
  EXPECT_EQ(r.signal, 0) << "crashed: " << r.err;
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.err.starts_with("mvinfer: error: model '" + path + "': node 'conv' (Conv)"))
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// Seen reading the code the onnx_model fuzz target runs, and confirmed through it (under UBSan)
// with models made like these: dims whose product, and shape arithmetic whose result, do not
// fit int64 were undefined behaviour; INT64_MIN / -1 killed the process (SIGFPE), and a Slice
// step past int64 read outside its data. Now the count saturates and such shapes stay unknown.
TEST(Graph, CountsAndShapeArithmeticBeyondInt64) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  struct Case {
    const char* op;
    int64_t a, b;
  };
  for (const Case& c : {Case{"Add", kMax, 1}, Case{"Sub", kMin, 1}, Case{"Mul", kMax / 2, 4},
                        Case{"Div", kMin, -1}, Case{"Slice", 1, kMax}}) {
    Pb g;
    g.msg(kGraphNode, ints_constant("a", {c.a})).msg(kGraphNode, ints_constant("b", {c.b}));
    if (std::string(c.op) == "Slice")  // [7, 8, 9][1::kMax]: the index steps past int64
      g.msg(kGraphNode, ints_constant("d", {7, 8, 9}))
          .msg(kGraphNode, ints_constant("e", {3}))
          .msg(kGraphNode, node("Slice", {"d", "a", "e", "", "b"}, "s"));
    else
      g.msg(kGraphNode, node(c.op, {"a", "b"}, "s"));
    g.msg(kGraphNode, node("Reshape", {"x", "s"}, "y")).str(kGraphName, "shape");
    // A weight that declares 2^40 x 2^40 elements (and holds none).
    g.msg(kGraphInit, Pb().varint(kTensorDims, uint64_t{1} << 40)
                          .varint(kTensorDims, uint64_t{1} << 40)
                          .varint(kTensorType, kFloat)
                          .str(kTensorName, "w"));
    g.msg(kGraphInput, value_info("x", {1, 4})).msg(kGraphOutput, untyped_shape("y"));
    const std::string path = write_model(scratch_dir("int64") / (std::string(c.op) + ".onnx"), g);
    const GraphStats s = inspect_graph(path);
    EXPECT_EQ(s.parameters, kMax) << c.op;
    EXPECT_EQ(s.flops, 0) << c.op;  // no Conv, Gemm or MatMul
  }
}

// Found by fuzz_onnx_model (UBSan): shape arithmetic between an empty value and a one-element
// one read element 0 of the empty one (a null reference; SIGSEGV without sanitizers).
TEST(Graph, ShapeArithmeticWithAnEmptyValue) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"})
    for (const bool empty_first : {true, false}) {
      Pb g;
      g.msg(kGraphNode, ints_constant("a", {})).msg(kGraphNode, ints_constant("b", {2}));
      g.msg(kGraphNode, node(op,
                             empty_first ? std::vector<std::string>{"a", "b"}
                                         : std::vector<std::string>{"b", "a"},
                             "s"));
      g.msg(kGraphNode, node("Reshape", {"x", "s"}, "y")).str(kGraphName, "shape");
      g.msg(kGraphInput, value_info("x", {1, 4})).msg(kGraphOutput, untyped_shape("y"));
      const std::string path = write_model(
          scratch_dir("empty") / (std::string(op) + (empty_first ? "_ab" : "_ba") + ".onnx"), g);
      try {
        const GraphStats s = inspect_graph(path);
        EXPECT_EQ(s.flops, 0) << op;
      } catch (const Error& e) {  // a Reshape to an empty shape may be refused, never a crash
        EXPECT_EQ(e.code(), ErrorCode::bad_model) << op << ": " << e.what();
      }
    }
}

TEST(Graph, AShapeOfAValueNothingDeclaresIsNotACrash) {
  // Found by fuzz_onnx_model: a Shape node reading a value that is not a graph input, not an
  // initializer and no node's output. libonnx 1.12's Shape inference (opset 15 on, with its
  // start/end attributes) read that input's type through a null pointer: SIGSEGV in `info`.
  for (const int opset : {13, 15, 17}) {
    Pb g;
    g.msg(kGraphNode, node("Shape", {"x"}, "s")).msg(kGraphNode, ints_constant("i", {0}));
    g.msg(kGraphNode, node("Gather", {"s", "i"}, "n")).str(kGraphName, "undeclared");
    g.msg(kGraphOutput, value_info("n", {1}));
    const std::string path = write_model(
        scratch_dir("undeclared") / ("opset" + std::to_string(opset) + ".onnx"), g, opset);
    const GraphStats s = inspect_graph(path);
    EXPECT_TRUE(s.inputs.empty());
    ASSERT_EQ(s.outputs.size(), 1u);
    // The checker names it; so does ONNX Runtime, which refuses such a model.
    try {
      check_model(path);
      ADD_FAILURE() << "opset " << opset << ": the checker accepted it";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_model);
      EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
    }
  }
}

TEST(Graph, ANodeWithoutItsInputOrOutputIsNotACrash) {
  // Found by fuzz_onnx_model (mutations of make_seeds' shape_chain model): graph inspection read
  // input 0 of a Shape node that has none, whose value a Reshape's shape asked for, and output
  // 0 of a MatMul that has none, whose FLOPs it counted (UBSan: a null pointer in protobuf's
  // RepeatedPtrField; SIGSEGV in `info` without sanitizers).
  Pb shape;
  shape.msg(kGraphNode, Pb().str(kNodeOutput, "s").str(kNodeOpType, "Shape"));
  shape.msg(kGraphNode, node("Reshape", {"x", "s"}, "y")).str(kGraphName, "shape_without_input");
  shape.msg(kGraphInput, value_info("x", {1, 4})).msg(kGraphOutput, untyped_shape("y"));
  Pb matmul;
  // Its input from an op no opset has (the fuzzer's was a mangled "Mul"): inference gives it no
  // type, so it passes the MatMul by, and the FLOPs count looks at it.
  matmul.msg(kGraphNode, node("NoSuchOp", {"x"}, "r"));
  matmul.msg(kGraphNode, Pb().str(kNodeInput, "r").str(kNodeOpType, "MatMul"));
  matmul.msg(kGraphNode, node("Relu", {"x"}, "y")).str(kGraphName, "matmul_without_output");
  matmul.msg(kGraphInput, value_info("x", {1, 4})).msg(kGraphOutput, value_info("y", {1, 4}));
  const fs::path dir = scratch_dir("malformed");
  for (const auto& [name, graph] :
       {std::pair{"shape_without_input", shape}, {"matmul_without_output", matmul}}) {
    const std::string path = write_model(dir / (std::string(name) + ".onnx"), graph);
    try {
      const GraphStats s = inspect_graph(path);
      EXPECT_EQ(s.inputs.size(), 1u) << name;
    } catch (const Error& e) {  // refusing it is fine, crashing is not
      EXPECT_EQ(e.code(), ErrorCode::bad_model) << name << ": " << e.what();
    }
  }
}

TEST(Graph, NotAnOnnxFile) {
  fs::path p = scratch_dir("x") / "fake.onnx";
  std::ofstream(p) << "plain text";
  for (const fs::path& f : {p, p.parent_path() / "missing.onnx", p.parent_path()}) {
    try {
      inspect_graph(f.string());
      ADD_FAILURE() << f;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_model);
      EXPECT_NE(std::string(e.what()).find(f.string()), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("not an ONNX model"), std::string::npos);
      if (f == p.parent_path()) {
        EXPECT_NE(std::string(e.what()).find("(a folder, not a file)"), std::string::npos);
      }
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
    EXPECT_THROW(check_model(f.string()), Error);
  }
}

TEST(Graph, CheckerComplaintsAreOneLine) {
  // A node of an op no opset has.
  Pb g;
  g.msg(kGraphNode, node("NoSuchOp", {"x"}, "y")).str(kGraphName, "bad");
  g.msg(kGraphInput, value_info("x", {1})).msg(kGraphOutput, value_info("y", {1}));
  const std::string path = write_model(scratch_dir("bad") / "bad.onnx", g);
  try {
    check_model(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_model);
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("NoSuchOp"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(GraphInfoCommand, DescribesAZooModel) {
  std::vector<std::string> zoo = small_zoo(scratch_dir("zoo"), 1, 64);
  CommandResult r = run_cli({"info", zoo[0]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s :
       {"images", "float32", "batchx3x64x64", "logits", "batchx10", "opset:      13", "mvinfer-zoo",
        "checker:    passes", "parameters", "per call with batch=1"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " missing in\n" << r.out;
}

TEST(GraphInfoCommand, DynamicSizesNeedDims) {
  const std::string det = paddle_model("ch_PP-OCRv4_det_infer.onnx");
  CommandResult r = run_cli({"info", det});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FLOPs:      n/a"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--dim"), std::string::npos) << r.out;
  r = run_cli({"info", det, "--dim", "2=256", "--dim", "3=256"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("G per call with"), std::string::npos) << r.out;
  r = run_cli({"info", det, "--dim", "height=256"});
  EXPECT_EQ(r.exit_code, 2);
  // inspect_graph's error, about its option "dim", under the CLI's flag.
  EXPECT_TRUE(r.err.starts_with("mvinfer: error: --dim height=256: model '" + det +
                                "' has no input dim of that name or position (its dynamic dims: "))
      << r.err;
  r = run_cli({"info", det, "--dim", "2=big"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--dim"), std::string::npos) << r.err;
}

TEST(GraphInfoCommand, TextFileIsOneLineError) {
  fs::path p = scratch_dir("x") / "notes.txt";
  std::ofstream(p) << "hello";
  for (const fs::path& f : {p, p.parent_path() / "missing.onnx"}) {
    CommandResult r = run_cli({"info", f.string()});
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(f.string()), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace mvinfer::testing
