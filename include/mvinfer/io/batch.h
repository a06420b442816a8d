// Batch and BatchSource: frames grouped into model inputs.
//
// A Batch is B consecutive frames of one stream (or, with replicate, one frame repeated B
// times, the seed's protocol), preprocessed once per distinct PreprocessSpec and shared by every
// model that uses that spec: inputs[m] is model m's input tensor.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/core/tensor.h"
#include "mvinfer/io/frame_source.h"

namespace mvinfer {

struct FrameRef {
  int64_t index = 0;
  double timestamp_ms = 0;
  int stream = 0;
  int width = 0, height = 0;  // the original frame's size (decoders map results back to it)
};

struct Batch {
  int64_t seq = 0;  // 0, 1, 2, ... in the order results are emitted
  int stream = 0;   // the frames' stream, or -1 when a batch mixes streams
  std::vector<FrameRef> frames;
  // One per model, shared when specs match; null for a model that runs on regions (`on=`).
  std::vector<std::shared_ptr<const Tensor>> inputs;
  // The original frames (BGR), one per entry of `frames`, when BatchingOptions::keep_images:
  // dependent models crop them, the overlay draws on them.
  std::vector<cv::Mat> images;
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The next batch, or nullopt at the end. Called by one thread at a time.
  virtual std::optional<Batch> next() = 0;
  // How many batches next() will yield, when known; -1 otherwise.
  virtual int64_t batch_count_hint() const { return -1; }
  // The seq of the batch next() will return: results are emitted in seq order from here
  // (not 0 when an earlier run already took the first batches, as auto's probe does).
  virtual int64_t next_seq() const { return 0; }

  // The frame sources this source decodes, one per stream; empty when its batches are made
  // already (preloaded, or a slice of another source). When not empty, a strategy may decode
  // on threads of its own (the pipeline does) and use form()/make_batch() instead of next().
  virtual std::span<FrameSource* const> streams() const { return {}; }
  // next() in two halves, for sources with streams(): form() picks the next batch's frames,
  // pulled through `next_frame(stream, frame)` (false once that stream ended), and numbers
  // them in the order next() would; make_batch() preprocesses them and is thread-safe.
  struct Formed {
    int64_t seq;
    std::vector<Frame> frames;
  };
  virtual std::optional<Formed> form(const std::function<bool(size_t, Frame&)>& next_frame);
  virtual Batch make_batch(int64_t seq, const std::vector<Frame>& frames) const;
  // Frames per batch (the most a batch holds).
  virtual int batch_size() const { return 1; }
  // Whether any of streams() is live (a camera or a paced replay).
  bool has_live_stream() const;
};

struct BatchingOptions {
  int batch = 1;           // frames per batch (>= 1)
  bool replicate = false;  // one frame repeated `batch` times instead of consecutive frames
  // Several streams: form batches from frames of every stream (DeepStream's muxer) instead of
  // B consecutive frames of one stream at a time.
  bool across_streams = false;
  // Keep the original frames in Batch::images (dependent models, --overlay).
  bool keep_images = false;
  // The seq of the first batch: not 0 when the frames are a segment of a longer input.
  int64_t first_seq = 0;
};

// Decides which frames form the next batch when there are several streams: B consecutive
// frames of one stream, the streams taking turns (round robin); or, across_streams, one frame
// of each stream in turn until B. A stream that ends drops out. Used by one thread.
class BatchFormer {
 public:
  BatchFormer(size_t streams, BatchingOptions options);
  // `next_frame(stream, frame)` returns false once that stream has ended. Returns the frames of
  // the next batch; empty once every stream has ended.
  std::vector<Frame> next(const std::function<bool(size_t, Frame&)>& next_frame);

 private:
  BatchingOptions options_;
  std::vector<bool> ended_;
  size_t turn_ = 0;
};

// Reads frames from one or more FrameSources and preprocesses them for `models` (resolved
// specs). A last, short batch of a stream holds its remaining frames (a model whose batch dim is
// fixed pads its own last call: Model::run).
class Batcher : public BatchSource {
 public:
  Batcher(std::vector<FrameSource*> sources, std::span<const ModelSpec> models,
          BatchingOptions options);
  Batcher(FrameSource& source, std::span<const ModelSpec> models, BatchingOptions options)
      : Batcher(std::vector<FrameSource*>{&source}, models, options) {}
  std::optional<Batch> next() override;
  int64_t batch_count_hint() const override;
  int64_t next_seq() const override { return seq_; }

  std::span<FrameSource* const> streams() const override { return sources_; }
  std::optional<Formed> form(const std::function<bool(size_t, Frame&)>& next_frame) override;
  Batch make_batch(int64_t seq, const std::vector<Frame>& frames) const override;
  int batch_size() const override { return options_.batch; }
  const BatchingOptions& options() const { return options_; }

 private:
  std::vector<FrameSource*> sources_;
  std::vector<PreprocessSpec> specs_;  // distinct specs
  static constexpr size_t kNoInput = static_cast<size_t>(-1);
  std::vector<size_t> spec_of_model_;  // model index -> index into specs_, or kNoInput
  BatchingOptions options_;
  BatchFormer former_;
  int64_t seq_ = 0;
};

// Batches held in memory: decoded and preprocessed before timing starts.
class PreloadedBatches : public BatchSource {
 public:
  explicit PreloadedBatches(std::vector<Batch> batches) : batches_(std::move(batches)) {}
  std::optional<Batch> next() override;
  int64_t batch_count_hint() const override { return static_cast<int64_t>(batches_.size() - pos_); }
  int64_t next_seq() const override {
    return pos_ < batches_.size() ? batches_[pos_].seq
                                  : (batches_.empty() ? 0 : batches_.back().seq + 1);
  }
  void rewind() { pos_ = 0; }
  const std::vector<Batch>& batches() const { return batches_; }
  int64_t frame_count() const;

 private:
  std::vector<Batch> batches_;
  size_t pos_ = 0;
};

// `stop` (optional): a set flag ends the preloading early (the batches read so far are kept).
std::unique_ptr<PreloadedBatches> preload(BatchSource& source,
                                          const std::atomic<bool>* stop = nullptr);

}  // namespace mvinfer
