#include "mvinfer/tools/hardware.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "mvinfer/core/error.h"
#include "core/ort_env.h"

namespace mvinfer {

double matmul_peak_gflops(int n) {
  // A one-node graph Y = A x B, both inputs fed at run time (no constant folding).
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("matmul_probe");
  const std::string names[] = {"A", "B", "Y"};
  for (const std::string& name : names) {
    onnx::ValueInfoProto* v = name == "Y" ? g->add_output() : g->add_input();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(n);
    t->mutable_shape()->add_dim()->set_dim_value(n);
  }
  onnx::NodeProto* node = g->add_node();
  node->set_op_type("MatMul");
  node->add_input(names[0]);
  node->add_input(names[1]);
  node->add_output(names[2]);
  const std::string bytes = m.SerializeAsString();

  Ort::SessionOptions o;
  o.SetIntraOpNumThreads(1);
  o.AddConfigEntry("session.intra_op.allow_spinning", "0");
  Ort::Session session(ort_env(), bytes.data(), bytes.size(), o);
  std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a.size(), 0.25f);
  const int64_t shape[2] = {n, n};
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value in[2] = {Ort::Value::CreateTensor<float>(mem, a.data(), a.size(), shape, 2),
                      Ort::Value::CreateTensor<float>(mem, b.data(), b.size(), shape, 2)};
  const char* in_names[] = {"A", "B"};
  const char* out_names[] = {"Y"};
  double best = 1e30;
  for (int i = 0; i < 12; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    session.Run(Ort::RunOptions{nullptr}, in_names, in, 2, out_names, 1);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i > 0) best = std::min(best, s);  // the first run warms up
  }
  return 2.0 * n * n * static_cast<double>(n) / best / 1e9;
}

}  // namespace mvinfer
