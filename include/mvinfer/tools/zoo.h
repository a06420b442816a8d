// Zoo: writes benchmark models: ResNet-like CNNs with random weights, a dynamic batch
// dimension, input "images" (N x C x H x W float32) and output "logits" (N x classes), checked
// with ONNX's checker. Models written by one call share one architecture (identical FLOPs) and
// differ in their weights, so "k models of similar size" can be reproduced on any machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mvinfer {

// Architecture: stem (3x3 conv stride 2, BN, Relu, 3x3 max-pool stride 2), 4 stages of `depth`
// residual blocks (two 3x3 conv + BN, skip Add, Relu; stages 2-4 halve the resolution and
// project the skip with a 1x1 conv), global average pool, Gemm head. Cost grows with the
// square of width_mult: a model about 3x heavier has width_mult x 1.73. The defaults cost
// 1.14 GFLOPs per image at 3x256x256 (3.06 M parameters): about 40 ms per single-thread
// ONNX Runtime Run() of a batch of 4 on the development machine.
struct ZooOptions {
  int count = 4;
  int channels = 3, height = 256, width = 256;  // the input
  int width_mult = 32;  // channels of the first stage (doubled at every later stage)
  int depth = 2;        // residual blocks per stage
  int classes = 1000;
  uint64_t seed = 1;  // model i's weights come from (seed, i) alone
  // For failure tests: a model that fails in Run() on a batch of another size. When > 0 the
  // input's batch dim is still declared dynamic (so batches are not padded to it), but the
  // logits are reshaped to a constant [only_batch, classes]. 0: an ordinary model.
  int only_batch = 0;
};

struct ZooModel {
  std::string path;
  std::string name;
  int64_t parameters = 0;
  double flops = 0;  // per image
};

// Writes `options.count` models into `dir` (created when missing) as zoo<i>.onnx, replacing
// files of those names. The same options give byte-identical files (with one standard library:
// its normal distribution is implementation-defined). Throws Error{io} naming `dir` when it
// cannot be written, Error{bad_flag} on nonsense options (count outside 1-1000, H or W below
// 8, more parameters than an ONNX file can hold, only_batch outside 0-65536, ...).
std::vector<ZooModel> write_zoo(const std::string& dir, const ZooOptions& options);

}  // namespace mvinfer
