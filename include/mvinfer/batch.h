// Batch and BatchSource: frames grouped into model inputs.
//
// A Batch is B consecutive frames of one stream (or, with replicate, one frame repeated B
// times, the seed's protocol), preprocessed once per distinct PreprocessSpec and shared by every
// model that uses that spec: inputs[m] is model m's input tensor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mvinfer/frame_source.h"
#include "mvinfer/model.h"
#include "mvinfer/tensor.h"

namespace mvinfer {

struct FrameRef {
  int64_t index = 0;
  double timestamp_ms = 0;
};

struct Batch {
  int64_t seq = 0;  // 0, 1, 2, ... in the order results are emitted
  int stream = 0;
  std::vector<FrameRef> frames;
  std::vector<std::shared_ptr<const Tensor>> inputs;  // one per model, shared when specs match
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The next batch, or nullopt at the end. Called by one thread at a time.
  virtual std::optional<Batch> next() = 0;
};

struct BatchingOptions {
  int batch = 1;           // frames per batch (>= 1)
  bool replicate = false;  // one frame repeated `batch` times instead of consecutive frames
  // Pad a last, short batch to `batch` rows by repeating its last frame (for models whose batch
  // dim is fixed); Batch::frames still lists only the real frames.
  bool pad_last = false;
};

// Reads frames from a FrameSource and preprocesses them for `models` (resolved specs).
// A last, short batch holds the remaining frames (padded when options.pad_last).
class Batcher : public BatchSource {
 public:
  Batcher(FrameSource& source, std::span<const ModelSpec> models, BatchingOptions options);
  std::optional<Batch> next() override;

 private:
  FrameSource& source_;
  std::vector<PreprocessSpec> specs_;   // distinct specs
  std::vector<size_t> spec_of_model_;   // model index -> index into specs_
  BatchingOptions options_;
  int64_t seq_ = 0;
};

// Batches held in memory: decoded and preprocessed before timing starts.
class PreloadedBatches : public BatchSource {
 public:
  explicit PreloadedBatches(std::vector<Batch> batches) : batches_(std::move(batches)) {}
  std::optional<Batch> next() override;
  void rewind() { pos_ = 0; }
  const std::vector<Batch>& batches() const { return batches_; }
  int64_t frame_count() const;

 private:
  std::vector<Batch> batches_;
  size_t pos_ = 0;
};

std::unique_ptr<PreloadedBatches> preload(BatchSource& source);

}  // namespace mvinfer
