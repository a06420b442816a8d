#include "mvinfer/tools/hardware.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/ort_env.h"
#include "mvinfer/core/error.h"

namespace mvinfer {
namespace {

// Independent multiply-add chains per loop iteration. A chain can issue only once its previous
// result is ready (FMA latency 4-5 cycles) and a core retires 2 vector FMAs per cycle, so at
// least 10 chains are needed to keep both units busy; 12 fit beside the two operands in the 16
// AVX2 registers, 24 in AVX-512's 32.
constexpr int kAvx2Chains = 12;
constexpr int kAvx512Chains = 24;
constexpr int kSseChains = 12;
// About 10^7 vector instructions per repetition (1-3 ms), repeated for kMeasureSeconds: on a
// machine shared with other work the best repetition is one the scheduler did not interrupt,
// which is what the core itself can do.
constexpr uint64_t kVectorOps = 10'000'000;
constexpr double kMeasureSeconds = 0.4;
constexpr int kMinRepetitions = 10;

// Each loop runs `iterations` times over its chains. Inline assembly, not intrinsics: the
// accumulators must stay in registers even in an -O0 or sanitizer build, and `asm volatile`
// keeps the compiler from dropping a loop whose results nobody reads.
#if defined(__x86_64__)
#define MVINFER_STR2(x) #x
#define MVINFER_STR(x) MVINFER_STR2(x)
// acc_i = x * y + acc_i, with x = y = 0.5: the values grow slowly and never reach a
// denormal, infinity or NaN, which could take a slow path.
#define MVINFER_FMA_Y(i) "vfmadd231ps %%ymm15, %%ymm14, %%ymm" MVINFER_STR(i) "\n\t"
#define MVINFER_FMA_Z(i) "vfmadd231ps %%zmm31, %%zmm30, %%zmm" MVINFER_STR(i) "\n\t"

__attribute__((target("avx2,fma"))) void fma_loop_avx2(uint64_t iterations) {
  const float half = 0.5f;
  asm volatile(
      "vbroadcastss %[h], %%ymm14\n\t"
      "vbroadcastss %[h], %%ymm15\n\t"
      "vmovaps %%ymm14, %%ymm0\n\tvmovaps %%ymm14, %%ymm1\n\tvmovaps %%ymm14, %%ymm2\n\t"
      "vmovaps %%ymm14, %%ymm3\n\tvmovaps %%ymm14, %%ymm4\n\tvmovaps %%ymm14, %%ymm5\n\t"
      "vmovaps %%ymm14, %%ymm6\n\tvmovaps %%ymm14, %%ymm7\n\tvmovaps %%ymm14, %%ymm8\n\t"
      "vmovaps %%ymm14, %%ymm9\n\tvmovaps %%ymm14, %%ymm10\n\tvmovaps %%ymm14, %%ymm11\n\t"
      "1:\n\t"
      MVINFER_FMA_Y(0) MVINFER_FMA_Y(1) MVINFER_FMA_Y(2) MVINFER_FMA_Y(3)
      MVINFER_FMA_Y(4) MVINFER_FMA_Y(5) MVINFER_FMA_Y(6) MVINFER_FMA_Y(7)
      MVINFER_FMA_Y(8) MVINFER_FMA_Y(9) MVINFER_FMA_Y(10) MVINFER_FMA_Y(11)
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(iterations)
      : [h] "m"(half)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm14", "xmm15", "cc");
}

__attribute__((target("avx512f"))) void fma_loop_avx512(uint64_t iterations) {
  const float half = 0.5f;
  asm volatile(
      "vbroadcastss %[h], %%zmm30\n\t"
      "vbroadcastss %[h], %%zmm31\n\t"
      "vmovaps %%zmm30, %%zmm0\n\tvmovaps %%zmm30, %%zmm1\n\tvmovaps %%zmm30, %%zmm2\n\t"
      "vmovaps %%zmm30, %%zmm3\n\tvmovaps %%zmm30, %%zmm4\n\tvmovaps %%zmm30, %%zmm5\n\t"
      "vmovaps %%zmm30, %%zmm6\n\tvmovaps %%zmm30, %%zmm7\n\tvmovaps %%zmm30, %%zmm8\n\t"
      "vmovaps %%zmm30, %%zmm9\n\tvmovaps %%zmm30, %%zmm10\n\tvmovaps %%zmm30, %%zmm11\n\t"
      "vmovaps %%zmm30, %%zmm12\n\tvmovaps %%zmm30, %%zmm13\n\tvmovaps %%zmm30, %%zmm14\n\t"
      "vmovaps %%zmm30, %%zmm15\n\tvmovaps %%zmm30, %%zmm16\n\tvmovaps %%zmm30, %%zmm17\n\t"
      "vmovaps %%zmm30, %%zmm18\n\tvmovaps %%zmm30, %%zmm19\n\tvmovaps %%zmm30, %%zmm20\n\t"
      "vmovaps %%zmm30, %%zmm21\n\tvmovaps %%zmm30, %%zmm22\n\tvmovaps %%zmm30, %%zmm23\n\t"
      "1:\n\t"
      MVINFER_FMA_Z(0) MVINFER_FMA_Z(1) MVINFER_FMA_Z(2) MVINFER_FMA_Z(3)
      MVINFER_FMA_Z(4) MVINFER_FMA_Z(5) MVINFER_FMA_Z(6) MVINFER_FMA_Z(7)
      MVINFER_FMA_Z(8) MVINFER_FMA_Z(9) MVINFER_FMA_Z(10) MVINFER_FMA_Z(11)
      MVINFER_FMA_Z(12) MVINFER_FMA_Z(13) MVINFER_FMA_Z(14) MVINFER_FMA_Z(15)
      MVINFER_FMA_Z(16) MVINFER_FMA_Z(17) MVINFER_FMA_Z(18) MVINFER_FMA_Z(19)
      MVINFER_FMA_Z(20) MVINFER_FMA_Z(21) MVINFER_FMA_Z(22) MVINFER_FMA_Z(23)
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(iterations)
      : [h] "m"(half)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18",
        "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm30", "xmm31", "cc");
}

// SSE2 (every x86-64) has no fused multiply-add: six chains multiply by 1 and six add 0, each
// instruction one FLOP per lane; a core issues a multiply and an add per cycle.
void mul_add_loop_sse2(uint64_t iterations) {
  const float one = 1.0f, zero = 0.0f;
  asm volatile(
      "movss %[one], %%xmm15\n\tshufps $0, %%xmm15, %%xmm15\n\t"
      "movss %[zero], %%xmm14\n\tshufps $0, %%xmm14, %%xmm14\n\t"
      "movaps %%xmm15, %%xmm0\n\tmovaps %%xmm15, %%xmm1\n\tmovaps %%xmm15, %%xmm2\n\t"
      "movaps %%xmm15, %%xmm3\n\tmovaps %%xmm15, %%xmm4\n\tmovaps %%xmm15, %%xmm5\n\t"
      "movaps %%xmm15, %%xmm6\n\tmovaps %%xmm15, %%xmm7\n\tmovaps %%xmm15, %%xmm8\n\t"
      "movaps %%xmm15, %%xmm9\n\tmovaps %%xmm15, %%xmm10\n\tmovaps %%xmm15, %%xmm11\n\t"
      "1:\n\t"
      "mulps %%xmm15, %%xmm0\n\taddps %%xmm14, %%xmm6\n\t"
      "mulps %%xmm15, %%xmm1\n\taddps %%xmm14, %%xmm7\n\t"
      "mulps %%xmm15, %%xmm2\n\taddps %%xmm14, %%xmm8\n\t"
      "mulps %%xmm15, %%xmm3\n\taddps %%xmm14, %%xmm9\n\t"
      "mulps %%xmm15, %%xmm4\n\taddps %%xmm14, %%xmm10\n\t"
      "mulps %%xmm15, %%xmm5\n\taddps %%xmm14, %%xmm11\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      : [n] "+r"(iterations)
      : [one] "m"(one), [zero] "m"(zero)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm14", "xmm15", "cc");
}
#endif

// Other architectures: scalar chains in plain C++; the result is returned so that the
// compiler must compute it.
constexpr int kScalarChains = 8;
[[maybe_unused]] float fma_loop_scalar(uint64_t iterations) {
  float acc[kScalarChains];
  std::fill(std::begin(acc), std::end(acc), 0.5f);
  volatile float operand = 0.5f;
  const float x = operand;
  for (uint64_t i = 0; i < iterations; ++i)
    for (float& a : acc) a = std::fma(x, x, a);
  float sum = 0;
  for (float a : acc) sum += a;
  return sum;
}

// Best GFLOP/s of `loop(iterations)`, which performs `flops_per_iteration` each time round.
template <typename Loop>
double best_gflops(Loop loop, uint64_t iterations, double flops_per_iteration) {
  using Clock = std::chrono::steady_clock;
  double best = 1e30;
  const auto start = Clock::now();
  for (int i = 0; i < kMinRepetitions ||
                  std::chrono::duration<double>(Clock::now() - start).count() < kMeasureSeconds;
       ++i) {
    const auto t0 = Clock::now();
    loop(iterations);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return flops_per_iteration * static_cast<double>(iterations) / best / 1e9;
}

}  // namespace

FmaPeak fma_peak_gflops() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {best_gflops(fma_loop_avx512, kVectorOps / kAvx512Chains, kAvx512Chains * 16 * 2.0),
            "avx512f"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {best_gflops(fma_loop_avx2, kVectorOps / kAvx2Chains, kAvx2Chains * 8 * 2.0),
            "avx2+fma"};
  return {best_gflops(mul_add_loop_sse2, kVectorOps / kSseChains, kSseChains * 4.0), "sse2"};
#else
  volatile float sink = 0;
  auto loop = [&](uint64_t n) { sink = sink + fma_loop_scalar(n); };
  return {best_gflops(loop, kVectorOps / kScalarChains, kScalarChains * 2.0), "scalar"};
#endif
}

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
