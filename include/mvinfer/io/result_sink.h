// ResultSink: receives every (batch, model, result) of a run, in frame order: batches by
// ascending Batch::seq and, within a batch, models by ascending index. Strategies guarantee
// that order and call consume() from one thread at a time.
//
// Lifecycle: whoever owns the run (run_job, bench) calls begin() once before Strategy::run(),
// and end() once after it, also after a failure, so what was written stays valid; strategies
// only call consume(), once per (batch, model).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mvinfer/core/graph.h"
#include "mvinfer/core/model.h"
#include "mvinfer/core/tensor.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/line_file.h"

namespace mvinfer {

// Sinks are not copyable: a copy would share (and close twice) what the original owns, and a
// copy through a ResultSink& would slice. Sinks that own nothing but values can be moved.
class ResultSink {
 public:
  ResultSink() = default;
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;
  virtual ~ResultSink() = default;
  virtual void begin(std::span<const ModelSpec> /*models*/) {}
  virtual void consume(const Batch& batch, size_t model, const ModelResult& result) = 0;
  virtual void end() {}

 protected:
  // For the derived classes' moves only: moving through a ResultSink& would slice.
  ResultSink(ResultSink&&) = default;
  ResultSink& operator=(ResultSink&&) = default;
};

// Discards everything (benchmarks).
class NullSink : public ResultSink {
 public:
  void consume(const Batch&, size_t, const ModelResult&) override {}
};

// One JSON object per line per (batch, model), the schema in the README ("Results"):
// {"batch":0,"stream":0,"source":"vtest.avi","frames":[0,1],"timestamps_ms":[0,40],
//  "model":"zoo0", then either
//  "outputs":[{"name":"logits","shape":[2,1000],"argmax":[..],"top5":[[[i,score]..]..]}]
// for a model without a decoder (2-D outputs get per-row argmax and top-5; other outputs
// min/max/mean), or "results":[{"frame":0, ...prediction}] with one entry per frame (per region
// for a dependent model, with "region": the detection's index) for a model with one.
// "frames" lists the frames the model saw (interval=N skips some). The file is a LineFile
// (line_file.h): whole lines only, an existing file replaced from the first result on, never
// written through a symbolic link. Neither copyable nor movable: it owns an open file (hold it
// by std::unique_ptr to pass it around).
class JsonlSink : public ResultSink {
 public:
  // Opens a temporary file beside `path` now ("-" = standard output); throws Error{io} about
  // option "out_jsonl" when it cannot be written.
  JsonlSink(const std::string& path, std::vector<std::string> source_names);
  // Hands each line (with its '\n') and the batch it is of to `on_line` instead of a file
  // (a live job's worker publishes them per batch).
  using LineHandler = std::function<void(const Batch& batch, std::string line)>;
  JsonlSink(LineHandler on_line, std::vector<std::string> source_names);
  JsonlSink(JsonlSink&&) = delete;
  JsonlSink& operator=(JsonlSink&&) = delete;
  ~JsonlSink() override;
  void begin(std::span<const ModelSpec> models) override;
  void consume(const Batch& batch, size_t model, const ModelResult& result) override;
  // After a run that ended normally: the file is in place (empty if there were no results),
  // and was not deleted or replaced during the run. Throws Error{io}.
  void commit();

 private:
  std::vector<std::string> sources_;
  std::vector<std::string> model_names_;
  std::vector<std::vector<std::string>> output_names_;
  std::vector<bool> decoded_;       // per model: has a decoder (results) or not (outputs)
  std::unique_ptr<LineFile> file_;  // null with a LineHandler
  LineHandler on_line_;
};

// Writes every output as NumPy .npy (float32, C order):
// DIR/<model>/s<stream>_b<seq>_<output>.npy, with Batch::stream (-1 for a batch formed across
// streams), Batch::seq in 6 digits at least, and '/', '\' and ' ' in the model and output names
// written as '_': e.g. out/zoo0/s0_b000012_logits.npy.
class NpySink : public ResultSink {
 public:
  explicit NpySink(std::string dir);  // creates DIR; Error{io} about "save_tensors_dir" if not
  void begin(std::span<const ModelSpec> models) override;
  void consume(const Batch& batch, size_t model, const ModelResult& result) override;

 private:
  std::string dir_;
  std::vector<std::string> model_names_;
  std::vector<std::vector<std::string>> output_names_;
};

// Keeps every output in memory (tests and output comparison between strategies).
class CollectingSink : public ResultSink {
 public:
  struct Entry {
    int64_t batch;
    size_t model;
    std::vector<FrameRef> frames;
    std::vector<Tensor> outputs;
    ModelResult result;  // outputs moved out
  };
  void consume(const Batch& batch, size_t model, const ModelResult& result) override;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Forwards to several sinks.
class SinkList : public ResultSink {
 public:
  explicit SinkList(std::vector<ResultSink*> sinks) : sinks_(std::move(sinks)) {}
  void begin(std::span<const ModelSpec> models) override;
  void consume(const Batch& batch, size_t model, const ModelResult& result) override;
  void end() override;

 private:
  std::vector<ResultSink*> sinks_;
};

// Writes `t` as a .npy file (float32). Throws Error{io}.
void write_npy(const std::string& path, const Tensor& t);

}  // namespace mvinfer
