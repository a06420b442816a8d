// Graph: the run's models as a per-frame graph (DeepStream's primary and secondary inference).
//
// A model on frames (a "root") takes its row of Batch::inputs, on every frame or, with
// interval=N, on the frames whose index is a multiple of N. A dependent model (`on=NAME`) runs
// on the regions its parent found in those frames: the parent's decoder must yield regions
// (detections, cut out of the original frame with crop_polygon()), or pass on the regions it was
// given (ppocr-cls, which turns upside-down ones the right way up). A root and its dependents form
// a unit; strategies schedule units, so independent units run in parallel and a dependent model
// runs as soon as its parent's result is there, on the same worker.
//
// Crops are preprocessed as their model's spec says (typically resize=pad or pad-grow, height
// fixed, aspect kept) and batched: every region of a batch's frames in calls of up to
// kRegionsPerCall rows, sorted by aspect ratio so that a pad-grow call pads little.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "mvinfer/core/decoder.h"
#include "mvinfer/core/model.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/io/batch.h"

namespace mvinfer {

// What one model produced for one batch.
struct ModelResult {
  // The raw outputs, first dim = rows run (frames for a root, regions for a dependent; a root's
  // replicated or padded rows included).
  std::vector<Tensor> outputs;
  // Per row: the index into Batch::frames of the frame it came from. A root that skipped frames
  // (interval=N) lists the frames it saw.
  std::vector<size_t> rows;
  // Dependents, per row: which detection of that frame (in the order of the detector's result).
  std::vector<int> regions;
  // The frames (indices into Batch::frames) the model saw: a root's rows; for a dependent, the
  // frames its root ran on (regions or not).
  std::vector<size_t> frames;
  // Per row, when the model has a decoder; empty otherwise.
  std::vector<Prediction> predictions;
};

// `result` without its raw outputs (what sinks that keep predictions hold on to).
ModelResult without_outputs(const ModelResult& result);

// The result of a model on frames that ran on every frame of `batch`, without a decoder.
ModelResult raw_result(const Batch& batch, std::vector<Tensor> outputs);

// The most regions one call of a dependent model takes.
inline constexpr size_t kRegionsPerCall = 16;
// A pad-grow input grows to the widest region of the call, up to this many pixels.
inline constexpr int kMaxGrowWidth = 2048;

// Checks the `on=` links (known names, no cycles, parents whose decoder yields or passes on
// regions, dependents of dependents only below a region-passing model) and reorders `specs` so
// that each root is followed by its dependents (depth first, parents first), the given order
// kept otherwise; fills ModelSpec::parent. Throws Error{bad_flag} naming the model.
void order_graph(std::vector<ModelSpec>& specs);
// Whether any model runs on regions, or skips frames.
bool has_dependents(std::span<const ModelSpec> specs);
bool has_intervals(std::span<const ModelSpec> specs);

// Per model, the index of its unit: the position of its root among the roots (specs ordered by
// order_graph()). What strategies schedule and cost is per unit.
std::vector<size_t> unit_of(std::span<const ModelSpec> specs);

// The frame rows of `batch` a root runs on (all of them, or every interval-th frame's).
std::vector<size_t> rows_for(const ModelSpec& spec, const Batch& batch);

class Graph {
 public:
  // `models[i]` runs `specs[i]` (ordered by order_graph); both must outlive the Graph.
  // Creates each model's decoder. Throws Error{bad_flag} for an unknown decoder or option.
  Graph(std::span<const ModelSpec> specs, std::vector<const Model*> models);
  ~Graph();
  Graph(Graph&&) noexcept;

  // The roots, in order: the units strategies schedule.
  const std::vector<size_t>& roots() const { return roots_; }
  // The models of the unit of `root`: the root, then its dependents depth first.
  const std::vector<size_t>& unit(size_t root) const;

  using Emit = std::function<void(size_t model, ModelResult result)>;
  // Runs the unit of `root` on `batch` and emits one result per model of the unit, parents
  // first. Every Run() is reported to `observer`. Thread-safe.
  void run_unit(size_t root, const Batch& batch, Observer& observer, int pid,
                const Emit& emit) const;

  // The same in two halves, for strategies that run the root's session themselves:
  // root_input() gives the rows it runs on and its input (the batch's own tensor when every row
  // is run; null when no frame of this batch is due), finish_unit() decodes the root's outputs
  // and runs the dependents.
  struct RootInput {
    std::vector<size_t> rows;
    std::shared_ptr<const Tensor> input;
  };
  RootInput root_input(size_t root, const Batch& batch) const;
  void finish_unit(size_t root, const Batch& batch, std::vector<size_t> rows,
                   std::vector<Tensor> outputs, Observer& observer, int pid,
                   const Emit& emit) const;

 private:
  struct Region;
  ModelResult decode_rows(size_t model, std::vector<size_t> rows, std::vector<Tensor> outputs,
                          const std::vector<InputMapping>& mappings) const;
  void run_children(size_t model, const Batch& batch, const std::vector<size_t>& seen,
                    const std::vector<Region>& regions, Observer& observer, int pid,
                    const Emit& emit) const;

  std::span<const ModelSpec> specs_;
  std::vector<const Model*> models_;
  std::vector<std::unique_ptr<Decoder>> decoders_;
  std::vector<std::vector<size_t>> children_;
  std::vector<size_t> roots_;
  std::vector<std::vector<size_t>> units_;  // by model index; filled for roots
};

}  // namespace mvinfer
