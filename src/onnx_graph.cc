#include "mvinfer/onnx_graph.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "mvinfer/error.h"

namespace mvinfer {
namespace {

const char* type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return "float32";
    case onnx::TensorProto::UINT8: return "uint8";
    case onnx::TensorProto::INT8: return "int8";
    case onnx::TensorProto::INT32: return "int32";
    case onnx::TensorProto::INT64: return "int64";
    case onnx::TensorProto::BOOL: return "bool";
    case onnx::TensorProto::FLOAT16: return "float16";
    case onnx::TensorProto::DOUBLE: return "float64";
    case onnx::TensorProto::STRING: return "string";
    case onnx::TensorProto::BFLOAT16: return "bfloat16";
    default: return "other";
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

// Known shape of a value after inference, or empty.
using Shapes = std::unordered_map<std::string, std::vector<int64_t>>;

void collect(const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& values, Shapes& s) {
  for (const auto& v : values) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) continue;
    std::vector<int64_t> dims;
    bool known = true;
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      known = known && d.has_dim_value();
      dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    if (known) s[v.name()] = std::move(dims);
  }
}

// Product of v[from:].
int64_t product(const std::vector<int64_t>& v, size_t from = 0) {
  if (from >= v.size()) return 1;
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from), v.end(), int64_t{1},
                         std::multiplies<>());
}

int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

// Multiply-adds of Conv, Gemm and MatMul; -1 when a needed shape is unknown.
double count_macs(const onnx::GraphProto& g, const Shapes& s) {
  double macs = 0;
  auto shape = [&](const std::string& name) -> const std::vector<int64_t>* {
    auto it = s.find(name);
    return it == s.end() ? nullptr : &it->second;
  };
  // Element count of a value whose shape inference could not settle (a Reshape to a computed
  // shape, as in PaddleOCR's exports): ops that only rearrange keep their input's count.
  std::unordered_map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : g.node())
    for (const auto& o : n.output()) producer[o] = &n;
  std::function<int64_t(const std::string&, int)> elements = [&](const std::string& name,
                                                                 int depth) -> int64_t {
    if (const auto* sh = shape(name)) return product(*sh);
    auto it = producer.find(name);
    if (depth > 16 || it == producer.end()) return -1;
    const std::string& op = it->second->op_type();
    if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
        op == "Transpose" || op == "Identity")
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
    if (n.op_type() == "Conv" || n.op_type() == "ConvTranspose") {
      const auto* w = n.input_size() > 1 ? shape(n.input(1)) : nullptr;
      const auto* y = shape(n.output(0));
      const auto* x = shape(n.input(0));
      if (!w || !y || !x || w->size() < 3) return -1;
      if (n.op_type() == "Conv")
        macs += static_cast<double>(product(*y)) * static_cast<double>(product(*w, 1));
      else  // every input element spreads over Cout/group x kernel
        macs += static_cast<double>(product(*x)) * static_cast<double>(product(*w, 1));
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

}  // namespace

GraphStats inspect_graph(const std::string& path, const std::map<std::string, int64_t>& dims) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(ErrorCode::bad_model, fmt::format("model '{}': no such file", path));
  onnx::ModelProto model;
  {
    std::ifstream in(path, std::ios::binary);
    if (!model.ParseFromIstream(&in) || !model.has_graph())
      throw Error(ErrorCode::bad_model, fmt::format("model '{}': not an ONNX model", path));
  }
  GraphStats st;
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
    int64_t n = 1;
    for (int64_t d : t.dims()) n *= d;
    st.parameters += n;
  }
  // Some exporters (PaddleOCR's) keep weights in Constant nodes instead of initializers.
  Shapes constants;
  for (const auto& n : g.node())
    if (n.op_type() == "Constant" && n.output_size() == 1)
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t()) {
          constants[n.output(0)] = {a.t().dims().begin(), a.t().dims().end()};
          st.parameters += product(constants[n.output(0)]);
        }
  for (const auto& v : g.input())
    if (!initializers.count(v.name())) st.inputs.push_back(describe(v));
  for (const auto& v : g.output()) st.outputs.push_back(describe(v));

  // Concrete input dims for shape inference: by name, by position, else 1.
  for (auto& v : *g.mutable_input()) {
    if (initializers.count(v.name()) || !v.type().has_tensor_type()) continue;
    auto* shape = v.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int i = 0; i < shape->dim_size(); ++i) {
      auto* d = shape->mutable_dim(i);
      if (d->has_dim_value()) continue;
      int64_t value = 1;
      if (auto it = dims.find(d->dim_param()); d->has_dim_param() && it != dims.end()) value = it->second;
      else if (auto jt = dims.find(std::to_string(i)); jt != dims.end()) value = jt->second;
      d->set_dim_value(value);
    }
  }
  try {
    onnx::shape_inference::InferShapes(model);
    Shapes shapes = constants;
    collect(g.input(), shapes);
    collect(g.value_info(), shapes);
    collect(g.output(), shapes);
    for (const auto& t : g.initializer()) shapes[t.name()] = {t.dims().begin(), t.dims().end()};
    const double macs = count_macs(g, shapes);
    st.flops = macs < 0 ? -1 : 2 * macs;
  } catch (const std::exception&) {
    st.flops = -1;  // shapes could not be inferred; the rest of the description stands
  }
  return st;
}

}  // namespace mvinfer
