// Model: one ONNX Runtime session plus its input/output description and its preprocessing.
//
// A ModelSpec is what the user asked for (path + settings); resolve_model_spec() opens the file
// once, checks that its input can take 3-channel frames and fills in the concrete input size.
// Strategies receive specs, not sessions, and create a Model where they run it (a worker
// process creates its own). Model::run() may be called from several threads at once: ONNX
// Runtime allows concurrent Run() calls on one session.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mvinfer/core/decoder.h"
#include "mvinfer/core/provider.h"
#include "mvinfer/core/tensor.h"
#include "mvinfer/io/preprocess.h"

namespace mvinfer {

struct ModelSpec {
  std::string path;
  std::string name;  // shown in results; defaults to the file's stem, made unique
  PreprocessSpec preprocess;
  // Values for the input's dynamic dims, by symbolic name ("h" -> 48) or by position ("2" -> 48).
  std::map<std::string, int64_t> dims;
  // ONNX Runtime intra-op threads for this model's session; 0 = chosen by the strategy.
  int intra_threads = 0;
  // provider=: where this model runs (cpu, cuda, tensorrt or auto); "" = the run's --provider.
  std::string provider;
  // What `provider` resolved to (validate_job, by choose_provider()); nullopt = the run's.
  std::optional<Provider> runs_on;
  bool layout_given = false;  // layout= was given; otherwise it is read from the input's shape
  // What its outputs mean (decode=NAME and the decoder's options); "raw" = the tensor summary.
  DecoderSpec decoder;
  // Dependent model: the name of the model whose regions (detections) it runs on; empty for a
  // model that runs on frames.
  std::string on;
  // Runs on frames whose index is a multiple of this only (models that run on frames).
  int interval = 1;
  // Size rule for dynamic H/W (PaddleOCR's detector): the frame scaled so that its longer side
  // is at most max_side, each side rounded to a multiple of `multiple`. 0 = no rule.
  int max_side = 0;
  int multiple = 32;

  // Filled by resolve_model_spec():
  int batch = 1;                    // rows per input tensor (--batch)
  TensorInfo input;                 // the (single) image input, as declared
  std::vector<TensorInfo> outputs;  // as declared
  // The model's own fixed batch size (its input's first dim), 0 when dynamic: Model::run()
  // splits larger inputs into calls of this many rows.
  int64_t model_batch = 0;
  bool resolved = false;
  // Filled by order_graph(): the index of the model named by `on`, -1 for a model on frames.
  int parent = -1;
};

// Parses "PATH" or "PATH:key=value,key=value". Keys: name, size (WxH), width, height,
// color (rgb|bgr), layout (nchw|nhwc), resize (stretch|letterbox|pad|pad-grow), scale,
// mean (a/b/c or one value), std (a/b/c or one), threads, provider (cpu|cuda|tensorrt|auto),
// dim.NAME (value of a dynamic dim),
// decode (decoder name), on (the model it depends on), interval, max_side, multiple, and the
// decoders' options
// (labels, topk, softmax, threshold, iou, box_threshold, unclip_ratio, max_candidates, dict).
// Throws Error{bad_flag} naming the bad key.
ModelSpec parse_model_arg(const std::string& arg);

// Why `path` cannot be a model file ("no such file", "a folder, not a file"); empty when it is a
// regular file (whose content may still be no model).
std::string model_file_problem(const std::string& path);

// Loads a YAML or JSON file: {models: [{path:, name:, size:, color:, layout:, scale:, mean:, std:,
// threads:, provider:, dims: {name: value}, decode:, on:, interval:, labels:, dict:, ...}]}: the
// same keys
// as the command line. Relative paths (the model, labels, dictionaries) are relative to the file.
// Throws Error{bad_flag} naming the file and entry.
std::vector<ModelSpec> load_model_config(const std::string& file);
// The same from the file's text, already read: `file` names it in messages, and relative paths
// are relative to its folder.
std::vector<ModelSpec> parse_model_config(const std::string& text, const std::string& file);

// Checks the model file and fills spec.input/outputs and spec.preprocess.width/height:
// the size comes from, in order, the spec (size=), `default_size` (--size, when given and
// the model's H/W are dynamic), or the model's static H/W. Without layout=, an input whose last
// dim is 3 and second is not is taken as N x H x W x 3. A fixed batch dim other than `batch` is
// kept in model_batch (runs are split into calls of that size). Throws Error{bad_model} naming
// the model (and the input) when the file is not ONNX, has no 4-D float input with 3 channels,
// or has a dynamic dim nothing resolves.
void resolve_model_spec(ModelSpec& spec, int batch, int default_width = 0, int default_height = 0);

// The input size the max_side rule gives for a frame of frame_width x frame_height.
std::pair<int, int> size_by_max_side(int max_side, int multiple, int frame_width, int frame_height);

// Gives every spec a distinct name (appending #2, #3 ... to repeats).
void make_names_unique(std::span<ModelSpec> specs);

struct SessionSettings {
  int intra_threads = 1;
  bool allow_spinning = false;  // ONNX Runtime's spin-wait of idle intra-op threads
  // Where the session runs (provider.h). On a GPU: CUDA's execution provider on device 0 with
  // a stream of the session's own (ours, so that its GPU time is measured with events on it), a
  // memory arena that grows by what is asked and at most gpu_mem_limit (so that several
  // sessions share the device) and cuDNN's convolution search by heuristics, once per shape.
  // Inputs are staged in pinned host memory and bound with IOBinding, as are outputs whose
  // shape is known before the call (output_shape_for, gpu_rules.h).
  Provider provider = Provider::cpu;
  uint64_t gpu_mem_limit = 0;  // bytes; 0 = no limit (gpu_arena_limit() in gpu_rules.h)
  // On CUDA's provider: the Run() is captured once as a CUDA graph and replayed, over device
  // buffers at fixed addresses (the spec must pass cuda_graph_blocker(); calls are serialised).
  // The provider is then loaded as a plugin library (the only way this ONNX Runtime takes the
  // graph option): an Error{bad_flag} about option "cuda_graph" when it lists no device.
  bool cuda_graph = false;
  // A session opened only to read the model's inputs and outputs (resolve_model_spec): on the
  // CPU, without graph optimisation or a memory arena, which a session that runs needs and
  // one closed at once does not (a third of the time of opening one, on the fuzz corpus).
  bool inspect_only = false;
};

class Model {
 public:
  // Creates the session. `spec` must be resolved.
  Model(const ModelSpec& spec, const SessionSettings& settings);
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  const ModelSpec& spec() const;
  const SessionSettings& settings() const;
  // Runs the model on one input batch (shape N x 3 x H x W or N x H x W x 3) and returns its
  // outputs in declaration order, converted to float32. Thread-safe. A model with a fixed batch
  // (spec().model_batch) is called on chunks of that many rows (the last one padded by
  // repeating its last row) and the outputs are joined along their first dim, padding dropped.
  std::vector<Tensor> run(const Tensor& input) const;
  // The same over memory the caller owns (e.g. shared memory), without copying it.
  std::vector<Tensor> run(std::span<const float> data, std::span<const int64_t> shape) const;

  // One Run() on zeros of the input's full shape: the first Run() of a session allocates its
  // memory arena and is slower than the rest, so timing starts after this.
  void warm_up() const;

  // On a GPU: the GPU time of every Run() so far (CUDA events on the session's stream around
  // each call, so the time the GPU waited for launches inside a call counts); nullopt on the CPU.
  std::optional<double> gpu_seconds() const;
  // On a GPU: the session's own CUDA stream (a cudaStream_t); null on the CPU.
  void* cuda_stream() const;

  // Starts an asynchronous run (ONNX Runtime RunAsync; needs intra_threads >= 2). `done` is
  // called once, on one of the session's intra-op threads, with the outputs or an exception.
  // `input` must stay alive until `done` is called.
  using Callback = std::function<void(std::vector<Tensor> outputs, std::exception_ptr error)>;
  void run_async(const Tensor& input, Callback done) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mvinfer
