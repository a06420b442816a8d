#include "mvinfer/io/batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "mvinfer/core/error.h"
#include "mvinfer/io/preprocess.h"

namespace mvinfer {

BatchFormer::BatchFormer(size_t streams, BatchingOptions options)
    : options_(options), ended_(streams, false) {}

std::vector<Frame> BatchFormer::next(const std::function<bool(size_t, Frame&)>& next_frame) {
  const size_t want = options_.replicate ? 1 : static_cast<size_t>(options_.batch);
  const size_t n = ended_.size();
  std::vector<Frame> frames;
  // Each pass looks at every stream once, starting with the one whose turn it is.
  for (size_t looked = 0; frames.size() < want && looked < n;) {
    const size_t s = turn_;
    if (ended_[s]) {
      turn_ = (turn_ + 1) % n;
      ++looked;
      continue;
    }
    Frame f;
    if (!next_frame(s, f)) {
      ended_[s] = true;
      if (!frames.empty() && !options_.across_streams) break;  // that stream's short last batch
      turn_ = (turn_ + 1) % n;
      ++looked;
      continue;
    }
    frames.push_back(std::move(f));
    looked = 0;
    // Across streams: the next frame comes from the next stream; otherwise stay on this one
    // until the batch is full.
    if (options_.across_streams || frames.size() == want) turn_ = (turn_ + 1) % n;
  }
  return frames;
}

Batcher::Batcher(std::vector<FrameSource*> sources, std::span<const ModelSpec> models,
                 BatchingOptions options)
    : sources_(std::move(sources)),
      options_(options),
      former_(sources_.size(), options),
      seq_(options.first_seq) {
  if (options_.batch < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"batch"},
                fmt::format(" {}: expected a positive integer", options_.batch));
  if (sources_.empty()) throw Error(ErrorCode::internal, "Batcher needs at least one source");
  for (const ModelSpec& m : models) {
    if (!m.resolved)
      throw Error(ErrorCode::internal, "Batcher needs resolved model specs: " + m.name);
    if (!m.on.empty()) {  // runs on its parent's regions: no frame input
      spec_of_model_.push_back(kNoInput);
      continue;
    }
    auto it = std::find(specs_.begin(), specs_.end(), m.preprocess);
    spec_of_model_.push_back(static_cast<size_t>(it - specs_.begin()));
    if (it == specs_.end()) specs_.push_back(m.preprocess);
  }
}

std::optional<BatchSource::Formed> BatchSource::form(const std::function<bool(size_t, Frame&)>&) {
  throw Error(ErrorCode::internal, "BatchSource::form: this source has no streams to decode");
}

Batch BatchSource::make_batch(int64_t, const std::vector<Frame>&) const {
  throw Error(ErrorCode::internal, "BatchSource::make_batch: this source has no streams to decode");
}

bool BatchSource::has_live_stream() const {
  for (const FrameSource* s : streams())
    if (s->is_live()) return true;
  return false;
}

std::optional<BatchSource::Formed> Batcher::form(
    const std::function<bool(size_t, Frame&)>& next_frame) {
  std::vector<Frame> frames = former_.next(next_frame);
  if (frames.empty()) return std::nullopt;
  return Formed{seq_++, std::move(frames)};
}

std::optional<Batch> Batcher::next() {
  std::optional<Formed> f = form([&](size_t s, Frame& frame) { return sources_[s]->next(frame); });
  if (!f) return std::nullopt;
  return make_batch(f->seq, f->frames);
}

int64_t Batcher::batch_count_hint() const {
  int64_t batches = 0;
  const int64_t per = options_.replicate ? 1 : options_.batch;
  for (const FrameSource* s : sources_) {
    const int64_t n = s->frame_count_hint();
    if (n < 0) return -1;
    batches += (n + per - 1) / per;
  }
  return batches;
}

Batch Batcher::make_batch(int64_t seq, const std::vector<Frame>& frames) const {
  Batch b;
  b.seq = seq;
  b.stream = frames.front().stream;
  for (const Frame& f : frames) {
    b.frames.push_back({f.index, f.timestamp_ms, f.stream, f.image.cols, f.image.rows});
    if (f.stream != b.stream) b.stream = -1;
    if (options_.keep_images) b.images.push_back(f.image);
  }
  const int64_t n_real = static_cast<int64_t>(frames.size());
  const int64_t rows = options_.replicate ? options_.batch : n_real;

  std::vector<std::shared_ptr<const Tensor>> per_spec;
  for (const PreprocessSpec& spec : specs_) {
    auto t = std::make_shared<Tensor>();
    t->shape = spec.shape(rows);
    const size_t per = static_cast<size_t>(spec.elements());
    t->data.resize(per * static_cast<size_t>(rows));
    for (int64_t r = 0; r < n_real; ++r)
      preprocess_frame(frames[static_cast<size_t>(r)].image, spec,
                       std::span<float>(t->data.data() + per * static_cast<size_t>(r), per));
    // Replicated rows repeat the frame.
    for (int64_t r = n_real; r < rows; ++r)
      std::memcpy(t->data.data() + per * static_cast<size_t>(r),
                  t->data.data() + per * static_cast<size_t>(n_real - 1), per * sizeof(float));
    per_spec.push_back(std::move(t));
  }
  for (size_t s : spec_of_model_) b.inputs.push_back(s == kNoInput ? nullptr : per_spec[s]);
  return b;
}

std::optional<Batch> PreloadedBatches::next() {
  if (pos_ >= batches_.size()) return std::nullopt;
  return batches_[pos_++];
}

int64_t PreloadedBatches::frame_count() const {
  int64_t n = 0;
  for (const Batch& b : batches_) n += static_cast<int64_t>(b.frames.size());
  return n;
}

std::unique_ptr<PreloadedBatches> preload(BatchSource& source, const std::atomic<bool>* stop) {
  std::vector<Batch> batches;
  while (!(stop && stop->load(std::memory_order_relaxed)))
    if (auto b = source.next())
      batches.push_back(std::move(*b));
    else
      break;
  return std::make_unique<PreloadedBatches>(std::move(batches));
}

}  // namespace mvinfer
