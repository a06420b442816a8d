// Zoo: writes benchmark models: ResNet-like CNNs with random weights, a dynamic batch
// dimension, input "images" (N x C x H x W float32) and output "logits" (N x classes), checked
// with ONNX's checker. Models written by one call share one architecture (identical FLOPs) and
// differ in their weights, so "k models of similar size" can be reproduced on any machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mvinfer {

struct ZooOptions {
  int count = 4;
  int channels = 3, height = 256, width = 256;  // the input
  int width_mult = 32;   // channels of the first stage (doubled at every later stage)
  int depth = 2;         // residual blocks per stage
  int classes = 1000;
  uint64_t seed = 1;
  double cost_scale = 1.0;  // >1 makes a heavier variant (more channels), for uneven workloads
};

struct ZooModel {
  std::string path;
  std::string name;
  int64_t parameters = 0;
  double flops = 0;  // per image
};

// Writes `options.count` models into `dir` (created when missing) as zoo<i>.onnx.
// Throws Error{io} when `dir` cannot be written, Error{bad_flag} on nonsense options.
std::vector<ZooModel> write_zoo(const std::string& dir, const ZooOptions& options);

}  // namespace mvinfer
