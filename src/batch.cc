#include "mvinfer/batch.h"

#include <algorithm>
#include <cstring>

#include "mvinfer/error.h"
#include "mvinfer/preprocess.h"

namespace mvinfer {

Batcher::Batcher(FrameSource& source, std::span<const ModelSpec> models, BatchingOptions options)
    : source_(source), options_(options) {
  if (options_.batch < 1)
    throw Error(ErrorCode::bad_flag, "--batch must be at least 1");
  for (const ModelSpec& m : models) {
    if (!m.resolved)
      throw Error(ErrorCode::internal, "Batcher needs resolved model specs: " + m.name);
    auto it = std::find(specs_.begin(), specs_.end(), m.preprocess);
    spec_of_model_.push_back(static_cast<size_t>(it - specs_.begin()));
    if (it == specs_.end()) specs_.push_back(m.preprocess);
  }
}

std::optional<Batch> Batcher::next() {
  const int want = options_.replicate ? 1 : options_.batch;
  std::vector<Frame> frames;
  frames.reserve(static_cast<size_t>(want));
  for (Frame f; static_cast<int>(frames.size()) < want && source_.next(f);) frames.push_back(f);
  if (frames.empty()) return std::nullopt;

  Batch b;
  b.seq = seq_++;
  b.stream = frames.front().stream;
  for (const Frame& f : frames) b.frames.push_back({f.index, f.timestamp_ms});
  const int64_t n_real = static_cast<int64_t>(frames.size());
  const int64_t rows = (options_.replicate || options_.pad_last) ? options_.batch : n_real;

  std::vector<std::shared_ptr<const Tensor>> per_spec;
  for (const PreprocessSpec& spec : specs_) {
    auto t = std::make_shared<Tensor>();
    t->shape = spec.layout == Layout::nchw
                   ? std::vector<int64_t>{rows, 3, spec.height, spec.width}
                   : std::vector<int64_t>{rows, spec.height, spec.width, 3};
    const size_t per = static_cast<size_t>(spec.elements());
    t->data.resize(per * static_cast<size_t>(rows));
    for (int64_t r = 0; r < n_real; ++r)
      preprocess_frame(frames[static_cast<size_t>(r)].image, spec,
                       std::span<float>(t->data.data() + per * static_cast<size_t>(r), per));
    // Replicated or padded rows repeat the last real frame.
    for (int64_t r = n_real; r < rows; ++r)
      std::memcpy(t->data.data() + per * static_cast<size_t>(r),
                  t->data.data() + per * static_cast<size_t>(n_real - 1), per * sizeof(float));
    per_spec.push_back(std::move(t));
  }
  for (size_t s : spec_of_model_) b.inputs.push_back(per_spec[s]);
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

std::unique_ptr<PreloadedBatches> preload(BatchSource& source) {
  std::vector<Batch> batches;
  while (auto b = source.next()) batches.push_back(std::move(*b));
  return std::make_unique<PreloadedBatches>(std::move(batches));
}

}  // namespace mvinfer
