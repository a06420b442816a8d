// The hardware view: what one core of this machine can do in ONNX Runtime, to set achieved
// GFLOP/s against.
#pragma once

namespace mvinfer {

// GFLOP/s of a float32 n x n x n MatMul in ONNX Runtime with one intra-op thread (best of a
// few runs after a warm-up): the practical single-core matrix-multiply peak.
double matmul_peak_gflops(int n = 1024);

}  // namespace mvinfer
