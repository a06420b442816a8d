#include "mvinfer/tools/zoo.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <variant>

#include "mvinfer/core/error.h"
#include "mvinfer/tools/onnx_graph.h"

namespace mvinfer {
namespace {

// Builds one ResNet-like graph node by node; weights come from the model's own generator.
class GraphBuilder {
 public:
  // Without `weights` the initializers get their dims but no data: the architecture and its
  // parameter count, cheap enough to check the options before generating anything.
  GraphBuilder(onnx::GraphProto& g, uint64_t seed, bool weights)
      : g_(g), rng_(seed), weights_(weights) {}

  std::string conv(const std::string& x, int cin, int cout, int k, int stride, bool bias = false) {
    const std::string name = fresh("conv");
    const float he = std::sqrt(2.0f / static_cast<float>(cin * k * k));
    add_normal(name + ".w", {cout, cin, k, k}, he);
    onnx::NodeProto* n = node("Conv", {x, name + ".w"}, name);
    if (bias) {
      add_uniform(name + ".b", {cout}, -0.05f, 0.05f);
      n->add_input(name + ".b");
    }
    ints(n, "kernel_shape", {k, k});
    ints(n, "strides", {stride, stride});
    ints(n, "pads", {k / 2, k / 2, k / 2, k / 2});
    return name;
  }
  // `gain` scales gamma: the running statistics are random, not the activations' own, so BN
  // does not normalise and the caller keeps the residual sum from growing with depth.
  std::string bn(const std::string& x, int c, float gain = 1.0f) {
    const std::string name = fresh("bn");
    add_uniform(name + ".scale", {c}, 0.8f * gain, 1.2f * gain);
    add_uniform(name + ".bias", {c}, -0.1f, 0.1f);
    add_uniform(name + ".mean", {c}, -0.1f, 0.1f);
    add_uniform(name + ".var", {c}, 0.5f, 1.5f);
    node("BatchNormalization", {x, name + ".scale", name + ".bias", name + ".mean", name + ".var"},
         name);
    return name;
  }
  std::string relu(const std::string& x) { return unary("Relu", x); }
  std::string add(const std::string& a, const std::string& b) {
    const std::string name = fresh("add");
    node("Add", {a, b}, name);
    return name;
  }
  std::string maxpool(const std::string& x) {
    const std::string name = fresh("pool");
    onnx::NodeProto* n = node("MaxPool", {x}, name);
    ints(n, "kernel_shape", {3, 3});
    ints(n, "strides", {2, 2});
    ints(n, "pads", {1, 1, 1, 1});
    return name;
  }
  std::string unary(const char* op, const std::string& x) {
    const std::string name = fresh(op);
    node(op, {x}, name);
    return name;
  }
  std::string gemm(const std::string& x, int in, int out, const std::string& name) {
    add_normal(name + ".w", {out, in}, std::sqrt(1.0f / static_cast<float>(in)));
    add_uniform(name + ".b", {out}, -0.05f, 0.05f);
    onnx::NodeProto* n = node("Gemm", {x, name + ".w", name + ".b"}, name);
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("transB");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(1);
    return name;
  }
  // `x` reshaped to the constant `shape`: works only when `x` has that many elements.
  std::string reshape(const std::string& x, const std::vector<int64_t>& shape,
                      const std::string& name) {
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(name + ".shape");
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(shape.size()));
    for (int64_t d : shape) t->add_int64_data(d);
    node("Reshape", {x, name + ".shape"}, name);
    return name;
  }
  int64_t parameters() const { return parameters_; }

 private:
  std::string fresh(const std::string& kind) { return fmt::format("{}{}", kind, counter_++); }
  onnx::NodeProto* node(const char* op, const std::vector<std::string>& in,
                        const std::string& out) {
    onnx::NodeProto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(out);
    for (const std::string& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void ints(onnx::NodeProto* n, const char* name, std::initializer_list<int64_t> v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  onnx::TensorProto* initializer(const std::string& name, std::initializer_list<int64_t> dims) {
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) {
      t->add_dims(d);
      n *= d;
    }
    parameters_ += n;
    if (weights_) t->mutable_float_data()->Reserve(static_cast<int>(n));
    return t;
  }
  void add_normal(const std::string& name, std::initializer_list<int64_t> dims, float sd) {
    onnx::TensorProto* t = initializer(name, dims);
    if (!weights_) return;
    std::normal_distribution<float> d(0.0f, sd);
    for (int64_t i = 0, n = count(dims); i < n; ++i) t->add_float_data(d(rng_));
  }
  void add_uniform(const std::string& name, std::initializer_list<int64_t> dims, float lo,
                   float hi) {
    onnx::TensorProto* t = initializer(name, dims);
    if (!weights_) return;
    std::uniform_real_distribution<float> d(lo, hi);
    for (int64_t i = 0, n = count(dims); i < n; ++i) t->add_float_data(d(rng_));
  }
  static int64_t count(std::initializer_list<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }

  onnx::GraphProto& g_;
  std::mt19937_64 rng_;
  bool weights_;
  int counter_ = 0;
  int64_t parameters_ = 0;
};

void set_shape(onnx::ValueInfoProto* v, const std::string& name,
               const std::vector<std::variant<int64_t, std::string>>& dims) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (const auto& d : dims) {
    onnx::TensorShapeProto_Dimension* dim = t->mutable_shape()->add_dim();
    if (std::holds_alternative<int64_t>(d))
      dim->set_dim_value(std::get<int64_t>(d));
    else
      dim->set_dim_param(std::get<std::string>(d));
  }
}

onnx::ModelProto build(const ZooOptions& o, int index, bool weights, int64_t* parameters) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("mvinfer-zoo");
  model.set_producer_version("0.1.0");
  model.set_doc_string(fmt::format(
      "mvinfer zoo model {} (seed {}): random weights, ResNet-like{}", index, o.seed,
      o.only_batch > 0 ? fmt::format("; fails in Run() on batches other than {}", o.only_batch)
                       : ""));
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name(fmt::format("zoo{}", index));
  set_shape(g.add_input(), "images",
            {std::string("batch"), int64_t{o.channels}, int64_t{o.height}, int64_t{o.width}});

  // Not seed + index: seeds 1 and 2 would then share all but one model.
  GraphBuilder b(g, o.seed * 1000003ULL + static_cast<uint64_t>(index), weights);
  // Each block adds its branch to the running sum. A branch as large as the sum doubles its
  // variance per block (logits of 1e16 at depth 30, inf past depth 60); at 1/sqrt(blocks) the
  // variance grows by about (1 + 1/blocks) per block, about e over the whole net, at any depth.
  const float branch_gain = 1.0f / std::sqrt(static_cast<float>(4 * o.depth));
  int c = o.width_mult;
  std::string x = b.maxpool(b.relu(b.bn(b.conv("images", o.channels, c, 3, 2), c)));
  for (int stage = 0; stage < 4; ++stage) {
    const int cout = o.width_mult << stage;
    for (int block = 0; block < o.depth; ++block) {
      const int stride = (stage > 0 && block == 0) ? 2 : 1;
      std::string y = b.relu(b.bn(b.conv(x, c, cout, 3, stride), cout));
      y = b.bn(b.conv(y, cout, cout, 3, 1), cout, branch_gain);
      std::string skip = (stride != 1 || c != cout) ? b.bn(b.conv(x, c, cout, 1, stride), cout) : x;
      x = b.relu(b.add(y, skip));
      c = cout;
    }
  }
  x = b.unary("Flatten", b.unary("GlobalAveragePool", x));
  std::string logits = b.gemm(x, c, o.classes, o.only_batch > 0 ? "head" : "logits");
  // The declared output keeps its dynamic batch dim: only Run() finds out.
  if (o.only_batch > 0) logits = b.reshape(logits, {o.only_batch, o.classes}, "logits");
  set_shape(g.add_output(), logits, {std::string("batch"), int64_t{o.classes}});
  *parameters = b.parameters();
  return model;
}

}  // namespace

std::vector<ZooModel> write_zoo(const std::string& dir, const ZooOptions& o) {
  if (o.count < 1 || o.count > 1000)
    throw Error(ErrorCode::bad_flag, Error::Option{"count"},
                fmt::format(" {}: expected 1 to 1000", o.count));
  if (o.channels < 1 || o.channels > 4096 || o.height < 8 || o.width < 8 || o.height > 65536 ||
      o.width > 65536)
    throw Error(ErrorCode::bad_flag, Error::Option{"input"},
                fmt::format(" {}x{}x{}: expected CxHxW with C from 1 to 4096 and H, W from "
                            "8 to 65536",
                            o.channels, o.height, o.width));
  if (o.width_mult < 1 || o.width_mult > 4096)
    throw Error(ErrorCode::bad_flag, Error::Option{"width_mult"},
                fmt::format(" {}: expected 1 to 4096", o.width_mult));
  if (o.depth < 1 || o.depth > 1000)
    throw Error(ErrorCode::bad_flag, Error::Option{"depth"},
                fmt::format(" {}: expected 1 to 1000", o.depth));
  if (o.classes < 1 || o.classes > 1000000)
    throw Error(ErrorCode::bad_flag, Error::Option{"classes"},
                fmt::format(" {}: expected 1 to 1000000", o.classes));
  if (o.only_batch < 0 || o.only_batch > 65536)
    throw Error(ErrorCode::bad_flag, Error::Option{"only_batch"},
                fmt::format(" {}: expected 0 (any batch) to 65536", o.only_batch));
  int64_t parameters = 0;
  build(o, 0, /*weights=*/false, &parameters);
  // Protobuf cannot serialise a message of 2 GiB or more; the weights are almost all of it.
  constexpr int64_t kMaxParameters = 500'000'000;
  if (parameters > kMaxParameters)
    throw Error(ErrorCode::bad_flag, Error::Option{"width_mult"},
                fmt::format(" {} with depth {} and classes {}: {:.0f} M parameters, more than "
                            "the {} M an ONNX file can hold",
                            o.width_mult, o.depth, o.classes, static_cast<double>(parameters) / 1e6,
                            kMaxParameters / 1'000'000));

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw Error(ErrorCode::io, Error::Option{"dir"},
                fmt::format(" '{}': cannot create directory ({})", dir,
                            ec ? ec.message() : "not a directory"));
  std::vector<ZooModel> out;
  for (int i = 0; i < o.count; ++i) {
    ZooModel z;
    z.name = fmt::format("zoo{}", i);
    z.path = (std::filesystem::path(dir) / (z.name + ".onnx")).string();
    onnx::ModelProto model = build(o, i, /*weights=*/true, &z.parameters);
    try {
      onnx::checker::check_model(model);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::internal,
                  fmt::format("zoo model {} fails ONNX's checker: {}", i, e.what()));
    }
    // Written aside and renamed, so that a failed write never leaves a truncated model where
    // a good one (from an earlier call) was.
    const std::string part = z.path + ".part";
    {
      std::ofstream f(part, std::ios::binary | std::ios::trunc);
      if (!f || !model.SerializeToOstream(&f) || !f.flush()) {
        const std::string why = std::strerror(errno);
        std::filesystem::remove(part, ec);
        throw Error(ErrorCode::io, Error::Option{"dir"},
                    fmt::format(" '{}': cannot write {} ({})", dir, z.path, why));
      }
    }
    std::filesystem::rename(part, z.path, ec);
    if (ec) {
      const std::string why = ec.message();
      std::filesystem::remove(part, ec);
      throw Error(ErrorCode::io, Error::Option{"dir"},
                  fmt::format(" '{}': cannot write {} ({})", dir, z.path, why));
    }
    // Shapes are inferred at the one batch size the model takes, then counted per image.
    const int64_t batch = o.only_batch > 0 ? o.only_batch : 1;
    z.flops = inspect_graph(z.path, {{"batch", batch}}).flops;
    if (z.flops > 0) z.flops /= static_cast<double>(batch);
    out.push_back(std::move(z));
  }
  return out;
}

}  // namespace mvinfer
