// The hardware view: what one core of this machine can do, to set achieved GFLOP/s against.
// Two figures: the arithmetic peak (a multiply-add loop that never leaves the registers, an
// upper bound no real kernel can pass) and a practical one (a large MatMul in ONNX Runtime).
#pragma once

#include <string>

namespace mvinfer {

struct FmaPeak {
  double gflops = 0;  // per core; a fused multiply-add counts 2 FLOPs per vector lane
  std::string isa;    // the instructions measured: "avx512f", "avx2+fma", "sse2" or "scalar"
};

// GFLOP/s of one core running independent multiply-add chains held in vector registers, with
// the widest instruction set this CPU supports (chosen at run time, as ONNX Runtime chooses
// its kernels), on the calling thread; best of a few repetitions. The loop is inline assembly
// so that the figure does not depend on the optimisation level the library was built with.
FmaPeak fma_peak_gflops();

// GFLOP/s of a float32 n x n x n MatMul in ONNX Runtime with one intra-op thread (best of a
// few runs after a warm-up): the practical single-core matrix-multiply figure.
double matmul_peak_gflops(int n = 1024);

}  // namespace mvinfer
