#include "mvinfer/tools/onnx_graph.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "mvinfer/core/error.h"
#include "mvinfer/core/model.h"

namespace mvinfer {
namespace {

// ONNX stores raw tensor data little-endian; it is read with memcpy.
static_assert(std::endian::native == std::endian::little);

using Ints = std::vector<int64_t>;

const char* type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
      return "float32";
    case onnx::TensorProto::UINT8:
      return "uint8";
    case onnx::TensorProto::INT8:
      return "int8";
    case onnx::TensorProto::INT32:
      return "int32";
    case onnx::TensorProto::INT64:
      return "int64";
    case onnx::TensorProto::BOOL:
      return "bool";
    case onnx::TensorProto::FLOAT16:
      return "float16";
    case onnx::TensorProto::DOUBLE:
      return "float64";
    case onnx::TensorProto::STRING:
      return "string";
    case onnx::TensorProto::BFLOAT16:
      return "bfloat16";
    default:
      return "other";
  }
}

TensorInfo describe(const onnx::ValueInfoProto& v) {
  TensorInfo info;
  info.name = v.name();
  if (!v.type().has_tensor_type()) {
    info.element_type = "non-tensor";
    return info;
  }
  const auto& t = v.type().tensor_type();
  info.element_type = type_name(t.elem_type());
  for (const auto& d : t.shape().dim()) {
    info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    info.dim_names.push_back(d.has_dim_param() ? d.dim_param() : "");
  }
  return info;
}

onnx::ModelProto load_model(const std::string& path) {
  if (const std::string problem = model_file_problem(path); !problem.empty())
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': not an ONNX model ({})", path, problem));
  onnx::ModelProto model;
  std::ifstream in(path, std::ios::binary);
  if (!model.ParseFromIstream(&in) || !model.has_graph())
    throw Error(ErrorCode::bad_model, fmt::format("model '{}': not an ONNX model", path));
  return model;
}

// Fully known shapes of values after inference.
using Shapes = std::unordered_map<std::string, Ints>;

void collect(const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& values, Shapes& s) {
  for (const auto& v : values) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) continue;
    Ints dims;
    bool known = true;
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      known = known && d.has_dim_value();
      dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    if (known) s[v.name()] = std::move(dims);
  }
}

// Product of v[from:], saturated at the largest int64: a file may declare dims whose product
// does not fit (the overflow was undefined behaviour).
int64_t product(const Ints& v, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < v.size(); ++i)
    if (__builtin_mul_overflow(p, v[i], &p)) return std::numeric_limits<int64_t>::max();
  return p;
}

// total += n, saturated as product() is.
void add_saturated(int64_t& total, int64_t n) {
  if (__builtin_add_overflow(total, n, &total)) total = std::numeric_limits<int64_t>::max();
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) {
  const onnx::AttributeProto* a = find_attr(n, name);
  return a ? a->i() : fallback;
}

Ints attr_ints(const onnx::NodeProto& n, const char* name) {
  const onnx::AttributeProto* a = find_attr(n, name);
  return a ? Ints(a->ints().begin(), a->ints().end()) : Ints{};
}

std::optional<Ints> int_values(const onnx::TensorProto& t) {
  const std::string& raw = t.raw_data();
  if (t.data_type() == onnx::TensorProto::INT64) {
    if (!t.has_raw_data()) return Ints(t.int64_data().begin(), t.int64_data().end());
    Ints v(raw.size() / sizeof(int64_t));
    std::memcpy(v.data(), raw.data(), v.size() * sizeof(int64_t));
    return v;
  }
  if (t.data_type() == onnx::TensorProto::INT32) {
    if (!t.has_raw_data()) return Ints(t.int32_data().begin(), t.int32_data().end());
    std::vector<int32_t> v(raw.size() / sizeof(int32_t));
    std::memcpy(v.data(), raw.data(), v.size() * sizeof(int32_t));
    return Ints(v.begin(), v.end());
  }
  return std::nullopt;
}

// Integer tensors computed from shapes at run time: exporters write a Reshape whose target
// depends on the input size as Shape -> Slice -> Cast -> Concat -> Reshape. libonnx 1.12's
// data propagation does not cover the opset-9 forms PaddleOCR's exports use, so the few ops
// such chains are made of are evaluated here, on the shapes inference has settled so far.
// Values are kept flat: the chains compute 1-D tensors.
class ShapeValues {
 public:
  ShapeValues(const onnx::GraphProto& g, const Shapes& shapes, int64_t opset)
      : shapes_(shapes), opset_(opset) {
    for (const auto& t : g.initializer()) initializers_[t.name()] = &t;
    for (const auto& n : g.node())
      for (const auto& o : n.output()) producer_[o] = &n;
  }

  std::optional<Ints> value(const std::string& name, int depth = 0) {
    if (auto it = memo_.find(name); it != memo_.end()) return it->second;
    if (depth >= 64) return std::nullopt;  // not remembered: nearer the root it may resolve
    std::optional<Ints> v;
    if (auto it = initializers_.find(name); it != initializers_.end())
      v = int_values(*it->second);
    else if (auto jt = producer_.find(name); jt != producer_.end())
      v = evaluate(*jt->second, depth);
    memo_[name] = v;
    return v;
  }

 private:
  std::optional<Ints> evaluate(const onnx::NodeProto& n, int depth) {
    auto in = [&](int i) -> std::optional<Ints> {
      if (i >= n.input_size() || n.input(i).empty()) return std::nullopt;
      return value(n.input(i), depth + 1);
    };
    const std::string& op = n.op_type();
    if (op == "Constant") {
      if (const auto* a = find_attr(n, "value"); a && a->has_t()) return int_values(a->t());
      if (const auto* a = find_attr(n, "value_ints"))
        return Ints(a->ints().begin(), a->ints().end());
      if (const auto* a = find_attr(n, "value_int")) return Ints{a->i()};
      return std::nullopt;
    }
    if (op == "Shape") {
      if (n.input_size() < 1) return std::nullopt;  // malformed (found by fuzzing)
      auto it = shapes_.find(n.input(0));
      if (it == shapes_.end()) return std::nullopt;
      const Ints& s = it->second;
      const auto rank = static_cast<int64_t>(s.size());
      auto clamp = [&](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
      const int64_t start = clamp(attr_int(n, "start", 0)), end = clamp(attr_int(n, "end", rank));
      if (end <= start) return Ints{};
      return Ints(s.begin() + start, s.begin() + end);
    }
    if (op == "Cast" || op == "Identity") return in(0);
    if (op == "Squeeze" || op == "Unsqueeze") {
      // Between a scalar and a one-element vector the flat values are the same.
      std::optional<Ints> v = in(0);
      return v && v->size() <= 1 ? v : std::nullopt;
    }
    if (op == "Concat") {
      Ints out;
      for (int i = 0; i < n.input_size(); ++i) {
        std::optional<Ints> v = in(i);
        if (!v) return std::nullopt;
        out.insert(out.end(), v->begin(), v->end());
      }
      return out;
    }
    if (op == "Gather") {
      std::optional<Ints> data = in(0), indices = in(1);
      if (!data || !indices || attr_int(n, "axis", 0) != 0) return std::nullopt;
      const auto size = static_cast<int64_t>(data->size());
      Ints out;
      for (int64_t i : *indices) {
        if (i < 0) i += size;
        if (i < 0 || i >= size) return std::nullopt;
        out.push_back((*data)[static_cast<size_t>(i)]);
      }
      return out;
    }
    if (op == "Slice") return slice(n, in);
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      std::optional<Ints> a = in(0), b = in(1);
      if (!a || !b || (a->size() != b->size() && a->size() != 1 && b->size() != 1))
        return std::nullopt;
      // Broadcasting an empty tensor gives an empty one (it read element 0 of it: fuzz_onnx_model).
      if (a->empty() || b->empty()) return Ints{};
      Ints out(std::max(a->size(), b->size()));
      for (size_t i = 0; i < out.size(); ++i) {
        const int64_t x = (*a)[a->size() == 1 ? 0 : i], y = (*b)[b->size() == 1 ? 0 : i];
        // Beyond int64 (or a division by zero) is no shape: the value stays unknown.
        int64_t& r = out[i];
        if (op == "Div") {
          if (y == 0 || (y == -1 && x == std::numeric_limits<int64_t>::min())) return std::nullopt;
          r = x / y;
        } else if (op == "Add"   ? __builtin_add_overflow(x, y, &r)
                   : op == "Sub" ? __builtin_sub_overflow(x, y, &r)
                                 : __builtin_mul_overflow(x, y, &r)) {
          return std::nullopt;
        }
      }
      return out;
    }
    return std::nullopt;
  }

  // Slice of a 1-D tensor, with numpy's clamping; attributes before opset 10, inputs since.
  std::optional<Ints> slice(const onnx::NodeProto& n,
                            const std::function<std::optional<Ints>(int)>& in) {
    std::optional<Ints> data = in(0);
    if (!data) return std::nullopt;
    Ints starts, ends, axes, steps;
    if (opset_ < 10) {
      starts = attr_ints(n, "starts");
      ends = attr_ints(n, "ends");
      axes = attr_ints(n, "axes");
    } else {
      std::optional<Ints> s = in(1), e = in(2);
      if (!s || !e) return std::nullopt;
      starts = *s;
      ends = *e;
      if (n.input_size() > 3 && !n.input(3).empty()) {
        std::optional<Ints> a = in(3);
        if (!a) return std::nullopt;
        axes = *a;
      }
      if (n.input_size() > 4 && !n.input(4).empty()) {
        std::optional<Ints> st = in(4);
        if (!st) return std::nullopt;
        steps = *st;
      }
    }
    if (starts.size() != 1 || ends.size() != 1) return std::nullopt;
    if (!axes.empty() && (axes.size() != 1 || (axes[0] != 0 && axes[0] != -1))) return std::nullopt;
    const int64_t step = steps.empty() ? 1 : steps[0];
    if (step == 0 || steps.size() > 1) return std::nullopt;
    const auto size = static_cast<int64_t>(data->size());
    int64_t s = starts[0] < 0 ? starts[0] + size : starts[0];
    int64_t e = ends[0] < 0 ? ends[0] + size : ends[0];
    Ints out;
    if (step > 0) {
      s = std::clamp(s, int64_t{0}, size);
      e = std::clamp(e, int64_t{0}, size);
      for (int64_t i = s; i < e;) {
        out.push_back((*data)[static_cast<size_t>(i)]);
        if (__builtin_add_overflow(i, step, &i)) break;  // past e, and past int64
      }
    } else {
      s = std::clamp(s, int64_t{-1}, size - 1);
      e = std::clamp(e, int64_t{-1}, size - 1);
      for (int64_t i = s; i > e; i += step) out.push_back((*data)[static_cast<size_t>(i)]);
    }
    return out;
  }

  const Shapes& shapes_;
  int64_t opset_;
  std::unordered_map<std::string, const onnx::TensorProto*> initializers_;
  std::unordered_map<std::string, const onnx::NodeProto*> producer_;
  std::unordered_map<std::string, std::optional<Ints>> memo_;
};

// Inputs (first, last) of an op that hold a shape, axes or indices as int64.
std::optional<std::pair<int, int>> shape_inputs(const std::string& op, int64_t opset) {
  if (op == "Reshape" || op == "Expand" || op == "Tile") return std::pair{1, 1};
  if (op == "ConstantOfShape") return std::pair{0, 0};
  if (op == "Slice" && opset >= 10) return std::pair{1, 4};
  if ((op == "Squeeze" || op == "Unsqueeze") && opset >= 13) return std::pair{1, 1};
  return std::nullopt;
}

// Replaces the computed shape inputs of nodes whose outputs inference left unknown by
// initializers holding their values, so that the next round of inference can use them.
// Returns the number replaced.
int resolve_computed_shapes(onnx::GraphProto& g, const Shapes& shapes, int64_t opset) {
  ShapeValues values(g, shapes, opset);
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  std::vector<std::pair<std::string, Ints>> resolved;
  int replaced = 0;
  for (auto& n : *g.mutable_node()) {
    const auto range = shape_inputs(n.op_type(), opset);
    if (!range || n.output_size() == 0 || shapes.count(n.output(0))) continue;
    for (int i = range->first; i <= range->second && i < n.input_size(); ++i) {
      if (n.input(i).empty() || initializers.count(n.input(i))) continue;
      std::optional<Ints> v = values.value(n.input(i));
      if (!v) continue;
      const std::string name = n.input(i) + ":mvinfer.resolved";
      if (initializers.insert(name).second) resolved.emplace_back(name, *v);
      n.set_input(i, name);
      ++replaced;
    }
  }
  for (auto& [name, v] : resolved) {
    onnx::TensorProto* t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
  }
  return replaced;
}

// Multiply-adds of Conv, ConvTranspose, Gemm and MatMul; -1 when a needed shape is unknown.
double count_macs(const onnx::GraphProto& g, const Shapes& s) {
  double macs = 0;
  auto shape = [&](const std::string& name) -> const Ints* {
    auto it = s.find(name);
    return it == s.end() ? nullptr : &it->second;
  };
  // Element count of a value whose shape inference could not settle: ops that only rearrange
  // keep their input's count.
  std::unordered_map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : g.node())
    for (const auto& o : n.output()) producer[o] = &n;
  std::function<int64_t(const std::string&, int)> elements = [&](const std::string& name,
                                                                 int depth) -> int64_t {
    if (const auto* sh = shape(name)) return product(*sh);
    auto it = producer.find(name);
    if (depth > 16 || it == producer.end()) return -1;
    const std::string& op = it->second->op_type();
    if ((op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
         op == "Transpose" || op == "Identity") &&
        it->second->input_size() > 0)
      return elements(it->second->input(0), depth + 1);
    return -1;
  };
  // A x B with B a known [K, N] matrix: rows(A) x K x N = elements(A) x N.
  auto matmul_by_weight = [&](const onnx::NodeProto& n, bool transposed_b) -> double {
    const auto* b = n.input_size() > 1 ? shape(n.input(1)) : nullptr;
    const int64_t a = elements(n.input(0), 0);
    if (!b || b->size() != 2 || a < 0) return -1;
    return static_cast<double>(a) * static_cast<double>(transposed_b ? (*b)[0] : (*b)[1]);
  };
  for (const auto& n : g.node()) {
    const std::string& op = n.op_type();
    if (op != "Conv" && op != "ConvTranspose" && op != "Gemm" && op != "MatMul") continue;
    // One of them without its data input or its output cannot be counted (found by fuzzing:
    // reading output 0 of a MatMul that has none); ONNX Runtime refuses such a model too.
    if (n.input_size() < 1 || n.output_size() < 1) return -1;
    if (n.op_type() == "Conv" || n.op_type() == "ConvTranspose") {
      const auto* w = n.input_size() > 1 ? shape(n.input(1)) : nullptr;
      const auto* y = shape(n.output(0));
      const auto* x = shape(n.input(0));
      if (!w || !y || !x || w->size() < 3) return -1;
      // Conv: every output element sums Cin/group x kernel products (W is Cout x Cin/group x
      // k...); ConvTranspose: every input element spreads over Cout/group x kernel (W is Cin x
      // Cout/group x k...).
      const Ints& counted = n.op_type() == "Conv" ? *y : *x;
      macs += static_cast<double>(product(counted)) * static_cast<double>(product(*w, 1));
    } else if (n.op_type() == "Gemm") {
      const auto* a = shape(n.input(0));
      const auto* y = shape(n.output(0));
      if (a && y && a->size() == 2) {
        const int64_t k = attr_int(n, "transA", 0) ? (*a)[0] : (*a)[1];
        macs += static_cast<double>(product(*y)) * static_cast<double>(k);
      } else if (attr_int(n, "transA", 0) == 0) {
        const double m = matmul_by_weight(n, attr_int(n, "transB", 0) != 0);
        if (m < 0) return -1;
        macs += m;
      } else {
        return -1;
      }
    } else if (n.op_type() == "MatMul") {
      const auto* a = shape(n.input(0));
      const auto* y = shape(n.output(0));
      if (a && y && !a->empty()) {
        macs += static_cast<double>(product(*y)) * static_cast<double>(a->back());
      } else {
        const double m = matmul_by_weight(n, false);
        if (m < 0) return -1;
        macs += m;
      }
    }
  }
  return macs;
}

// libonnx 1.12's shape inference trusts, for a few ops, that inputs have the ranks and
// attributes the op takes, and reads past the end of a shape (or divides by zero) otherwise: a
// malformed model crashed the process (a Conv on an input declared rank 3 with 4-D weights, in
// convPoolShapeInference). Running each op's inference alone (every version of every op), in a
// child process, on inputs of every rank 0-5, with its INT attributes at -9, -1, 0, 1 or 9 and
// its INTS attributes 1-3 long, crashed it for Conv, ConvInteger, QLinearConv and ConvTranspose
// (input and weight ranks, kernel attributes), the pooling ops (a zero stride or kernel),
// LayerNormalization (an axis out of range), GatherND (a negative batch_dims), STFT (signal
// rank), Scan (no body), and the opset 1-6 versions of Gemm, RNN, GRU and LSTM (input ranks);
// the later Gemm and MatMul fail cleanly, and are checked too, as ONNX Runtime refuses them.
// So every node is checked as inference reaches it, with the shapes inferred so far, before
// libonnx sees it.

// A node as the checks see it: its op, attributes, and its inputs' names and ranks (-1: absent
// or not known yet).
struct NodeView {
  const std::string& op;
  std::function<const onnx::AttributeProto*(const std::string&)> attribute;
  std::function<int(int)> rank;
  std::function<std::string(int)> name;
};

// The convolution-like ops: their data input and weights (-1: none).
struct ConvInputs {
  const char* op;
  int x, w;
};
constexpr ConvInputs kConvLike[] = {
    {"Conv", 0, 1},         {"ConvInteger", 0, 1}, {"QLinearConv", 0, 3}, {"ConvTranspose", 0, 1},
    {"AveragePool", 0, -1}, {"MaxPool", 0, -1},    {"LpPool", 0, -1},     {"MaxUnpool", 0, -1},
};

// What is wrong with a node, for libonnx 1.12's inference and for ONNX Runtime: "input 'x' has
// rank 3, expected ..."; nullopt when nothing is.
std::optional<std::string> check_node(const NodeView& n) {
  const auto has_rank = [&](int i, int r,
                            const std::string& expected) -> std::optional<std::string> {
    if (r < 0) return std::nullopt;
    return fmt::format("input '{}' has rank {}, expected {}", n.name(i), r, expected);
  };
  for (const ConvInputs& c : kConvLike) {
    if (n.op != c.op) continue;
    const int x = n.rank(c.x), w = c.w < 0 ? -1 : n.rank(c.w);
    if (x >= 0 && x < 3) return has_rank(c.x, x, "3 or more (N x C x at least one spatial dim)");
    if (w >= 0 && w < 3) return has_rank(c.w, w, "3 or more (two channel dims, then the kernel)");
    if (x >= 0 && w >= 0 && w != x)
      return fmt::format(
          "input '{}' has rank {} and its weights '{}' rank {}, expected equal ranks", n.name(c.x),
          x, n.name(c.w), w);
    const int spatial = std::max(x, w) - 2;  // not known while neither rank is
    for (const char* name : {"kernel_shape", "strides", "dilations"}) {
      const onnx::AttributeProto* a = n.attribute(name);
      if (a == nullptr) continue;
      if ((spatial > 0 && a->ints_size() != spatial) ||
          std::any_of(a->ints().begin(), a->ints().end(), [](int64_t v) { return v <= 0; }))
        return fmt::format("attribute '{}' is [{}], expected {}", name, fmt::join(a->ints(), ", "),
                           spatial > 0
                               ? fmt::format("{} positive values, one per spatial dim", spatial)
                               : "positive values");
    }
    return std::nullopt;
  }
  if (n.op == "Gemm") {
    for (int i : {0, 1})
      if (const int r = n.rank(i); r >= 0 && r != 2) return has_rank(i, r, "2 (a matrix)");
  } else if (n.op == "MatMul" || n.op == "MatMulInteger") {
    for (int i : {0, 1})
      if (n.rank(i) == 0) return has_rank(i, 0, "1 or more");
  } else if (n.op == "LayerNormalization") {
    const int r = n.rank(0);
    const onnx::AttributeProto* a = n.attribute("axis");
    const int64_t axis = a ? a->i() : -1;
    if (r == 0) return has_rank(0, r, "1 or more");
    if (r > 0 && (axis < -r || axis >= r))
      return fmt::format(
          "attribute 'axis' is {}, expected an axis of input '{}' (rank {}): {} to {}", axis,
          n.name(0), r, -r, r - 1);
  } else if (n.op == "RNN" || n.op == "GRU" || n.op == "LSTM") {
    for (int i : {0, 1, 2})  // X, W, R
      if (const int r = n.rank(i); r >= 0 && r != 3) return has_rank(i, r, "3");
  } else if (n.op == "GatherND") {
    const onnx::AttributeProto* a = n.attribute("batch_dims");
    const int64_t batch_dims = a ? a->i() : 0;
    const int data = n.rank(0), indices = n.rank(1);
    const int least = data < 0 ? indices : indices < 0 ? data : std::min(data, indices);
    if (batch_dims < 0 || (least >= 0 && batch_dims >= least))
      return fmt::format("attribute 'batch_dims' is {}, expected 0 to {}", batch_dims,
                         least >= 0 ? std::to_string(least - 1) : "the inputs' rank - 1");
  } else if (n.op == "STFT") {
    if (const int r = n.rank(0); r >= 0 && r != 3)
      return has_rank(0, r, "3 (batch x signal length x 1 or 2)");
  }
  return std::nullopt;
}

// A required attribute missing (Scan without its body crashed inference): the schema says which.
std::optional<std::string> missing_attribute(
    const onnx::OpSchema& schema,
    const std::function<const onnx::AttributeProto*(const std::string&)>& attribute) {
  for (const auto& [name, a] : schema.attributes())
    if (a.required && attribute(name) == nullptr)
      return fmt::format("attribute '{}' is missing, expected it (the op requires it)", name);
  return std::nullopt;
}

// Whether a node's input that its op requires has no type at all: a value no node writes and the
// graph does not declare (found by fuzz_onnx_model: libonnx 1.12's Shape-15 read such an input's
// type through a null pointer), or the output of a node inference could not type (an op of a
// domain libonnx does not know). Inference cannot use the node either way; ONNX Runtime and the
// checker name the first kind, so it is not reported here. Inputs past the op's formal ones are
// left to the checker.
template <typename Context>
bool untyped_required_input(const onnx::OpSchema& s, const Context& ctx) {
  const auto& formal = s.inputs();
  for (size_t i = 0; i < ctx.getNumInputs(); ++i) {
    if (ctx.getInputType(i) != nullptr) continue;
    if (i < formal.size()) {
      if (formal[i].GetOption() != onnx::OpSchema::Optional) return true;
    } else if (!formal.empty() && formal.back().GetOption() == onnx::OpSchema::Variadic) {
      return true;
    }
  }
  return false;
}

// The schema registry inference runs with: each op's schema, its inference function preceded by
// the checks above. A node that fails them is skipped by inference (as any node whose
// inference fails) and remembered, so that inspect_graph() can name it afterwards. A node with
// an untyped input is skipped too, by inference and data propagation alike, and not remembered.
class CheckedSchemas final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int max_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* s =
        onnx::OpSchemaRegistry::Instance()->GetSchema(key, max_version, domain);
    if (s == nullptr || !s->has_type_and_shape_inference_function()) return s;
    auto [it, fresh] = checked_.try_emplace(s, nullptr);
    if (fresh) {
      auto copy = std::make_unique<onnx::OpSchema>(*s);
      copy->TypeAndShapeInferenceFunction(
          [this, s, infer = s->GetTypeAndShapeInferenceFunction()](onnx::InferenceContext& ctx) {
            auto attribute = [&](const std::string& name) { return ctx.getAttribute(name); };
            auto rank = [&](int i) {
              if (i < 0 || static_cast<size_t>(i) >= ctx.getNumInputs()) return -1;
              const onnx::TypeProto* t = ctx.getInputType(static_cast<size_t>(i));
              if (t == nullptr || !t->has_tensor_type() || !t->tensor_type().has_shape()) return -1;
              return t->tensor_type().shape().dim_size();
            };
            auto name = [](int i) { return fmt::format("#{}", i); };
            if ((s->domain().empty() && missing_attribute(*s, attribute)) ||
                check_node(NodeView{s->Name(), attribute, rank, name})) {
              found_ = true;
              fail_shape_inference("malformed node");  // skipped, like any failed inference
            }
            if (untyped_required_input(*s, ctx)) fail_shape_inference("an input has no type");
            infer(ctx);
          });
      if (s->has_data_propagation_function())
        copy->PartialDataPropagationFunction(
            [s, propagate = s->GetDataPropagationFunction()](onnx::DataPropagationContext& ctx) {
              if (!untyped_required_input(*s, ctx)) propagate(ctx);
            });
      it->second = std::move(copy);
    }
    return it->second.get();
  }
  // Whether a node failed the checks.
  bool found() const { return found_; }

 private:
  mutable std::unordered_map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> checked_;
  mutable bool found_ = false;
};

// Names the first node of `g` (in a subgraph too) that fails the checks, with the ranks
// inference settled; "" when none does (the node was inside a function's body).
std::string first_malformed(const onnx::GraphProto& g, int64_t opset,
                            const std::string& prefix = "") {
  std::unordered_map<std::string, int> ranks;
  auto note = [&](const onnx::ValueInfoProto& v) {
    if (v.type().has_tensor_type() && v.type().tensor_type().has_shape())
      ranks[v.name()] = v.type().tensor_type().shape().dim_size();
  };
  for (const auto& v : g.input()) note(v);
  for (const auto& v : g.value_info()) note(v);
  for (const auto& v : g.output()) note(v);
  for (const auto& t : g.initializer()) ranks[t.name()] = t.dims_size();
  for (const auto& n : g.node()) {
    if (n.op_type() == "Constant" && n.output_size() == 1)
      if (const auto* a = find_attr(n, "value"); a && a->has_t())
        ranks[n.output(0)] = a->t().dims_size();
    auto attribute = [&](const std::string& name) { return find_attr(n, name.c_str()); };
    auto rank = [&](int i) {
      if (i < 0 || i >= n.input_size() || n.input(i).empty()) return -1;
      auto it = ranks.find(n.input(i));
      return it == ranks.end() ? -1 : it->second;
    };
    auto name = [&](int i) { return i >= 0 && i < n.input_size() ? n.input(i) : ""; };
    std::optional<std::string> m;
    if (n.domain().empty() || n.domain() == "ai.onnx")
      if (const auto* s = onnx::OpSchemaRegistry::Schema(n.op_type(), static_cast<int>(opset)))
        m = missing_attribute(*s, attribute);
    if (!m) m = check_node(NodeView{n.op_type(), attribute, rank, name});
    const std::string node = n.name().empty() || n.output_size() == 0
                                 ? fmt::format("{}the {} node writing '{}'", prefix, n.op_type(),
                                               n.output_size() ? n.output(0) : "")
                                 : fmt::format("{}node '{}' ({})", prefix, n.name(), n.op_type());
    if (m) return fmt::format("{}: {}", node, *m);
    for (const auto& a : n.attribute())
      if (a.has_g())
        if (std::string inner =
                first_malformed(a.g(), opset, fmt::format("{}, {}: ", node, a.name()));
            !inner.empty())
          return inner;
  }
  return "";
}

// The checker's complaints span lines (message, then context); errors here are one line.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = std::isspace(static_cast<unsigned char>(c));
    if (!space)
      out += c;
    else if (!out.empty() && out.back() != ' ')
      out += ' ';
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The dims of a tensor-typed value, with their positions (none for other values).
std::vector<std::pair<int, const onnx::TensorShapeProto_Dimension*>> enumerate_dims(
    const onnx::ValueInfoProto& v) {
  std::vector<std::pair<int, const onnx::TensorShapeProto_Dimension*>> out;
  if (!v.type().has_tensor_type()) return out;
  const auto& shape = v.type().tensor_type().shape();
  for (int i = 0; i < shape.dim_size(); ++i) out.emplace_back(i, &shape.dim(i));
  return out;
}

// Every key of `dims` must reach a dim of an input: a misspelt one would otherwise leave the
// dim it meant without a value, unnoticed.
void check_dim_keys(const std::string& path, const onnx::GraphProto& g,
                    const std::set<std::string>& initializers,
                    const std::map<std::string, int64_t>& dims) {
  std::string dynamic;  // the model's dynamic dims, for the messages
  for (const auto& v : g.input())
    if (!initializers.count(v.name()))
      for (const auto& [position, d] : enumerate_dims(v))
        if (!d->has_dim_value())
          dynamic += (dynamic.empty() ? "" : ", ") +
                     to_string(DynamicDim{v.name(), position, d->dim_param(), 0, false});
  if (dynamic.empty()) dynamic = "none";
  for (const auto& [key, value] : dims) {
    bool dynamic_reached = false, static_reached = false;
    std::string fixed;  // a static dim at that position with another value
    for (const auto& v : g.input()) {
      if (initializers.count(v.name())) continue;
      for (const auto& [position, d] : enumerate_dims(v)) {
        const bool by_position = std::to_string(position) == key;
        if (!d->has_dim_value()) {
          dynamic_reached = dynamic_reached || by_position || d->dim_param() == key;
        } else if (by_position) {
          static_reached = true;
          if (d->dim_value() != value && fixed.empty())
            fixed = fmt::format("input '{}' is fixed at {} at position {}", v.name(),
                                d->dim_value(), position);
        }
      }
    }
    // A key that only reaches static dims must agree with them: it changes nothing.
    if (dynamic_reached || (static_reached && fixed.empty())) continue;
    throw Error(
        ErrorCode::bad_flag, Error::Option{"dim"},
        fmt::format(" {}={}: model '{}' {} (its dynamic dims: {})", key, value, path,
                    fixed.empty() ? "has no input dim of that name or position" : fixed, dynamic));
  }
}

}  // namespace

std::string to_string(const DynamicDim& d) {
  return d.name.empty() ? fmt::format("{} position {}", d.input, d.position)
                        : fmt::format("{} ({} position {})", d.name, d.input, d.position);
}

GraphStats inspect_graph(const std::string& path, const std::map<std::string, int64_t>& dims) {
  onnx::ModelProto model = load_model(path);
  GraphStats st;
  std::error_code ec;
  st.file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  st.producer = model.producer_name();
  if (!model.producer_version().empty()) st.producer += " " + model.producer_version();
  st.ir_version = model.ir_version();
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") st.opset = o.version();
  onnx::GraphProto& g = *model.mutable_graph();
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) {
    initializers.insert(t.name());
    add_saturated(st.parameters, product(Ints(t.dims().begin(), t.dims().end())));
  }
  // Some exporters (PaddleOCR's) keep weights in Constant nodes instead of initializers.
  Shapes constants;
  for (const auto& n : g.node())
    if (n.op_type() == "Constant" && n.output_size() == 1)
      if (const auto* a = find_attr(n, "value"); a && a->has_t()) {
        constants[n.output(0)] = Ints(a->t().dims().begin(), a->t().dims().end());
        add_saturated(st.parameters, product(constants[n.output(0)]));
      }
  for (const auto& v : g.input())
    if (!initializers.count(v.name())) st.inputs.push_back(describe(v));
  for (const auto& v : g.output()) st.outputs.push_back(describe(v));

  // Concrete input dims for shape inference: by name, else by position, else none.
  check_dim_keys(path, g, initializers, dims);
  bool all_given = true;
  for (auto& v : *g.mutable_input()) {
    // An input of unknown shape stays so (mutable_shape() would make it a scalar).
    if (initializers.count(v.name()) || !v.type().has_tensor_type() ||
        !v.type().tensor_type().has_shape())
      continue;
    auto* shape = v.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int i = 0; i < shape->dim_size(); ++i) {
      auto* d = shape->mutable_dim(i);
      if (d->has_dim_value()) continue;
      DynamicDim dd{v.name(), i, d->has_dim_param() ? d->dim_param() : "", 0, false};
      auto it = dd.name.empty() ? dims.end() : dims.find(dd.name);
      if (it == dims.end()) it = dims.find(std::to_string(i));
      if (it != dims.end()) {
        dd.value = it->second;
        dd.given = true;
        d->set_dim_value(dd.value);
      }
      all_given = all_given && dd.given;
      st.dynamic_dims.push_back(std::move(dd));
    }
  }
  // A FLOPs count with a guessed dim would look as real as any other.
  if (!all_given) return st;
  std::string malformed;  // the node inference refused to look at, named
  try {
    // Each round settles at least one computed shape; a chain of N such reshapes takes N + 1.
    constexpr int kMaxRounds = 32;
    const onnx::ShapeInferenceOptions options(/*check_type=*/false, /*strict_mode=*/0,
                                              /*data_prop=*/true);
    // Shapes the file itself declares for inner values stay: inference may not derive them.
    const auto declared = g.value_info();
    Shapes shapes;
    CheckedSchemas schemas;
    for (int round = 0; round < kMaxRounds; ++round) {
      *g.mutable_value_info() = declared;
      onnx::shape_inference::InferShapes(model, &schemas, options);
      if (schemas.found()) {
        malformed = first_malformed(g, st.opset);
        if (malformed.empty())
          malformed =
              "a node inside a function's body has inputs or attributes its op does not take";
        break;
      }
      shapes = constants;
      collect(g.input(), shapes);
      collect(g.value_info(), shapes);
      collect(g.output(), shapes);
      for (const auto& t : g.initializer())
        shapes[t.name()] = Ints(t.dims().begin(), t.dims().end());
      if (resolve_computed_shapes(g, shapes, st.opset) == 0) break;
    }
    const double macs = count_macs(g, shapes);
    st.flops = macs < 0 ? -1 : 2 * macs;
  } catch (const std::exception&) {
    st.flops = -1;  // shapes could not be inferred; the rest of the description stands
  }
  // ONNX Runtime refuses such a model too (`run` fails on it with the same exit code).
  if (!malformed.empty())
    throw Error(ErrorCode::bad_model, fmt::format("model '{}': {}", path, malformed));
  return st;
}

void check_model(const std::string& path) {
  load_model(path);  // a file that is no model at all gets the same error as everywhere else
  try {
    onnx::checker::check_model(path);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': fails ONNX's checker: {}", path, one_line(e.what())));
  }
}

}  // namespace mvinfer
