// The single-core FMA peak is an upper bound: neither ONNX Runtime's 1024^3 MatMul nor a
// whole zoo model on one intra-op thread gets past it, and it names the instructions it ran.
#include "mvinfer/tools/hardware.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "mvinfer/core/model.h"
#include "mvinfer/tools/zoo.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

TEST(Hardware, FmaPeakMeasuresTheWidestInstructionSetOfThisCpu) {
  const FmaPeak p = fma_peak_gflops();
  EXPECT_GT(p.gflops, 0);
#if defined(__x86_64__)
  __builtin_cpu_init();
  const char* expected = __builtin_cpu_supports("avx512f") ? "avx512f"
                         : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                             ? "avx2+fma"
                             : "sse2";
  EXPECT_EQ(p.isa, expected);
#else
  EXPECT_EQ(p.isa, "scalar");
#endif
}

// GFLOP/s of the best of a few single-thread Run() calls of a default zoo model (3x256x256,
// 1.14 GFLOPs per image), batch 1.
double zoo_model_gflops(const ZooModel& zoo, int calls) {
  ModelSpec spec = parse_model_arg(zoo.path);
  resolve_model_spec(spec, 1);
  Model model(spec, SessionSettings{1, false});
  const Tensor input = Tensor::zeros({1, 3, 256, 256});
  model.run(input);  // the first Run() allocates the arena
  double best = 1e30;
  for (int i = 0; i < calls; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    model.run(input);
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return zoo.flops / best / 1e9;
}

TEST(Hardware, FmaPeakBoundsMatMulAndAZooModelOnOneThread) {
  ZooOptions o;
  o.count = 1;
  const std::vector<ZooModel> zoo = write_zoo(scratch_dir("hardware").string(), o);
  ASSERT_EQ(zoo.size(), 1u);
  ASSERT_GT(zoo[0].flops, 1e9);
  // Interleaved and best of each, so that a busy spell of the machine does not land on one
  // figure only.
  double fma = 0, matmul = 0, model = 0;
  for (int round = 0; round < 3; ++round) {
    fma = std::max(fma, fma_peak_gflops().gflops);
    matmul = std::max(matmul, matmul_peak_gflops());
    model = std::max(model, zoo_model_gflops(zoo[0], 10));
  }
  std::printf("one core: FMA loop %.1f, MatMul %.1f, zoo model %.1f GFLOP/s\n", fma, matmul, model);
  EXPECT_GE(fma, matmul) << "MatMul " << matmul << " GFLOP/s";
  EXPECT_GE(fma, model) << "zoo model " << model << " GFLOP/s";
  EXPECT_GT(model, 0.2 * fma) << "the zoo model ran implausibly slowly: " << model;
}

}  // namespace
}  // namespace mvinfer::testing
