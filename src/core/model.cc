#include "mvinfer/core/model.h"

#include <fmt/format.h>
#include <onnxruntime_cxx_api.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/cuda_runtime.h"
#include "core/library_logs.h"
#include "core/ort_env.h"
#include "core/serial_worker.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/gpu_rules.h"

namespace mvinfer {
namespace {

// The ONNX Runtime build we use links Microsoft's telemetry SDK, which creates an empty
// $TMPDIR/mat-debug-<pid>.log and its session state $TMPDIR/.ses whenever an Env is created;
// DisableTelemetryEvents() afterwards does not prevent either. Both are removed at once, so a
// run leaves nothing behind (.ses only when this process created it: another program using the
// SDK may keep its own there). A forked worker that creates its Env cleans up after itself.
Ort::Env make_env() {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::filesystem::path tmp = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  std::error_code ec;
  const bool had_session_file = std::filesystem::exists(tmp / ".ses", ec);
  // ONNX Runtime 1.29's telemetry (Microsoft's 1DS SDK) writes an empty mat-debug-PID.log and
  // a .ses file into $TMPDIR when the environment is created unless this is set (a caller's
  // own value is kept); what it still writes is removed below.
  setenv("ORT_DISABLE_TELEMETRY", "1", 0);
  // FATAL only: load failures are reported by us, as one line, from the exception ONNX
  // Runtime throws; MVINFER_LIB_LOGS=1 shows its warnings.
  Ort::Env env(library_logs_enabled() ? ORT_LOGGING_LEVEL_WARNING : ORT_LOGGING_LEVEL_FATAL,
               "mvinfer");
  env.DisableTelemetryEvents();
  std::filesystem::remove(tmp / fmt::format("mat-debug-{}.log", getpid()), ec);
  if (!had_session_file) std::filesystem::remove(tmp / ".ses", ec);
  return env;
}

}  // namespace

Ort::Env& ort_env() {
  static Ort::Env env = make_env();  // one per process, by ONNX Runtime's design
  return env;
}

namespace {

const char* element_type_name(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
      return "uint16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
      return "int16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
      return "string";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return "bool";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
      return "uint32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
      return "uint64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return "bfloat16";
    default:
      return "other";
  }
}

TensorInfo describe(const std::string& name, const Ort::TypeInfo& type) {
  TensorInfo info;
  info.name = name;
  if (type.GetONNXType() != ONNX_TYPE_TENSOR) {
    info.element_type = "non-tensor";
    return info;
  }
  // Keep the TypeInfo alive while reading through this view (see DESIGN.md's pitfalls).
  auto tensor = type.GetTensorTypeAndShapeInfo();
  info.element_type = element_type_name(tensor.GetElementType());
  info.shape = tensor.GetShape();
  for (const char* d : tensor.GetSymbolicDimensions()) info.dim_names.emplace_back(d ? d : "");
  info.dim_names.resize(info.shape.size());
  return info;
}

// The first line of ONNX Runtime's message, without its "[ONNXRuntimeError] : 7 : ..." prefix.
std::string short_reason(const std::string& what) {
  std::string s = what.substr(0, what.find('\n'));
  if (auto p = s.rfind("] "); p != std::string::npos && s.starts_with("[ONNXRuntimeError]"))
    s = s.substr(p + 2);
  return s;
}

// ONNX Runtime's CUDA provider registered as a plugin library, once per process, and the device
// it lists. Only CUDA graphs need it: the ONNX Runtime we use (its CPU package, the GPU
// package's providers beside it) answers "CUDA execution provider is not enabled in this
// build" to the CUDA options of its C API (CreateCUDAProviderOptions), and the older options
// struct has no CUDA graph; a plugin takes the provider's options as strings, graphs included.
Ort::ConstEpDevice cuda_plugin_device() {
  static std::mutex mu;
  static std::optional<Ort::ConstEpDevice> device;
  static std::string why;
  std::lock_guard lock(mu);
  if (!device && why.empty()) {
    try {
      const std::string path = onnxruntime_library_dir() + "/libonnxruntime_providers_cuda.so";
      ort_env().RegisterExecutionProviderLibrary("mvinfer-cuda", path);
      for (const Ort::ConstEpDevice& d : ort_env().GetEpDevices())
        if (std::string_view(d.EpName()) == "CUDAExecutionProvider") {
          device = d;
          break;
        }
      if (!device) why = "it lists no CUDA device";
    } catch (const Ort::Exception& e) {
      why = short_reason(e.what());
    }
  }
  if (!device)
    throw Error(ErrorCode::bad_flag, Error::Option{"cuda_graph"},
                fmt::format(": ONNX Runtime's CUDA provider, loaded as a plugin for its CUDA "
                            "graphs, cannot be used ({})",
                            why));
  return *device;
}

// `stream`: on a GPU, the session's own CUDA stream (cuda_runtime.h).
Ort::SessionOptions make_session_options(const SessionSettings& s, cuda::Stream stream = nullptr) {
  Ort::SessionOptions o;
  o.SetIntraOpNumThreads(std::max(1, s.intra_threads));
  o.SetInterOpNumThreads(1);
  if (s.inspect_only) {
    o.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
    o.DisableCpuMemArena();
    return o;
  }
  o.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  o.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  o.AddConfigEntry("session.intra_op.allow_spinning", s.allow_spinning ? "1" : "0");
  o.AddConfigEntry("session.inter_op.allow_spinning", "0");
  if (s.provider == Provider::cpu) return o;
  // Reached only after choose_provider() found the provider library, CUDA, cuDNN and a GPU.
  // Copies run on the compute stream (ONNX Runtime's default; separate copy streams may race):
  // sessions overlap each other's copies and kernels on their own streams.
  if (s.cuda_graph) {
    std::unordered_map<std::string, std::string> options{
        {"device_id", "0"},
        {"arena_extend_strategy", "kSameAsRequested"},
        {"cudnn_conv_algo_search", "HEURISTIC"},
        {"do_copy_in_default_stream", "1"},
        {"enable_cuda_graph", "1"},
        {"has_user_compute_stream", "1"},
        {"user_compute_stream", std::to_string(reinterpret_cast<uintptr_t>(stream))}};
    if (s.gpu_mem_limit > 0) options["gpu_mem_limit"] = std::to_string(s.gpu_mem_limit);
    o.AppendExecutionProvider_V2(ort_env(), {cuda_plugin_device()}, options);
    return o;
  }
  if (s.provider == Provider::tensorrt) {
    OrtTensorRTProviderOptions trt{};
    trt.has_user_compute_stream = 1;
    trt.user_compute_stream = stream;
    trt.trt_max_partition_iterations = 1000;  // ONNX Runtime's defaults
    trt.trt_min_subgraph_size = 1;
    trt.trt_max_workspace_size = size_t{1} << 30;
    o.AppendExecutionProvider_TensorRT(trt);
  }
  // What TensorRT does not take falls to CUDA's provider, on the same stream.
  OrtCUDAProviderOptions cuda;
  cuda.device_id = 0;
  cuda.cudnn_conv_algo_search = OrtCudnnConvAlgoSearchHeuristic;
  if (s.gpu_mem_limit > 0) cuda.gpu_mem_limit = static_cast<size_t>(s.gpu_mem_limit);
  cuda.arena_extend_strategy = 1;  // kSameAsRequested
  cuda.do_copy_in_default_stream = 1;
  cuda.has_user_compute_stream = 1;
  cuda.user_compute_stream = stream;
  o.AppendExecutionProvider_CUDA(cuda);
  return o;
}

Ort::Session open_session(const std::string& path, const SessionSettings& settings,
                          cuda::Stream stream = nullptr) {
  if (const std::string problem = model_file_problem(path); !problem.empty())
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': not an ONNX model ({})", path, problem));
  try {
    return Ort::Session(ort_env(), path.c_str(), make_session_options(settings, stream));
  } catch (const Ort::Exception& e) {
    // A CUDA graph needs every node on CUDA's provider; ONNX Runtime refuses it otherwise.
    if (settings.cuda_graph)
      throw Error(ErrorCode::bad_model,
                  fmt::format("model '{}': cannot be run as a CUDA graph ({}); ", path,
                              short_reason(e.what())),
                  Error::Option{"cuda_graph"}, " is for models that run wholly on the GPU");
    throw Error(ErrorCode::bad_model, fmt::format("model '{}': not a loadable ONNX model ({})",
                                                  path, short_reason(e.what())));
  }
}

// Converts an ONNX Runtime output to our float32 Tensor.
template <typename T>
void copy_as_float(const Ort::Value& v, size_t n, std::vector<float>& out) {
  const T* p = v.GetTensorData<T>();
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(p[i]);
}

Tensor to_tensor(const Ort::Value& v, const std::string& model, const std::string& output) {
  auto info = v.GetTensorTypeAndShapeInfo();
  Tensor t;
  t.shape = info.GetShape();
  size_t n = info.GetElementCount();
  switch (info.GetElementType()) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: {
      const float* p = v.GetTensorData<float>();
      t.data.assign(p, p + n);
      break;
    }
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      copy_as_float<double>(v, n, t.data);
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      copy_as_float<int64_t>(v, n, t.data);
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      copy_as_float<int32_t>(v, n, t.data);
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      copy_as_float<uint8_t>(v, n, t.data);
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      copy_as_float<int8_t>(v, n, t.data);
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      copy_as_float<bool>(v, n, t.data);
      break;
    default:
      throw Error(ErrorCode::bad_model,
                  fmt::format("model '{}': output '{}' has element type {} (expected a numeric "
                              "tensor)",
                              model, output, element_type_name(info.GetElementType())));
  }
  return t;
}

}  // namespace

void resolve_model_spec(ModelSpec& spec, int batch, int default_width, int default_height) {
  if (spec.name.empty()) spec.name = std::filesystem::path(spec.path).stem().string();
  SessionSettings inspect;
  inspect.inspect_only = true;
  Ort::Session session = open_session(spec.path, inspect);
  Ort::AllocatorWithDefaultOptions alloc;
  const std::string& m = spec.name;

  if (session.GetInputCount() != 1)
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': has {} inputs (expected exactly one image input)", m,
                            session.GetInputCount()));
  spec.input = describe(session.GetInputNameAllocated(0, alloc).get(), session.GetInputTypeInfo(0));
  spec.outputs.clear();
  for (size_t i = 0; i < session.GetOutputCount(); ++i)
    spec.outputs.push_back(
        describe(session.GetOutputNameAllocated(i, alloc).get(), session.GetOutputTypeInfo(i)));

  TensorInfo& in = spec.input;
  if (in.element_type != "float32" || in.shape.size() != 4)
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': input '{}' is {} {} (expected float32 N x 3 x H x W, or "
                            "N x H x W x 3 with layout=nhwc)",
                            m, in.name, in.element_type, format_shape(in)));
  // N x H x W x 3 is recognised from the shape; layout= wins.
  if (!spec.layout_given && in.shape[3] == 3 && in.shape[1] != 3)
    spec.preprocess.layout = Layout::nhwc;
  const bool nchw = spec.preprocess.layout == Layout::nchw;
  const size_t c_axis = nchw ? 1 : 3, h_axis = nchw ? 2 : 1, w_axis = nchw ? 3 : 2;
  if (in.shape[c_axis] >= 0 && in.shape[c_axis] != 3)
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': input '{}' has shape {} with {} channels at axis {} "
                            "(expected 3 to take colour frames{})",
                            m, in.name, format_shape(in), in.shape[c_axis], c_axis,
                            nchw ? "; for N x H x W x 3 inputs use layout=nhwc" : ""));
  // A fixed batch dim: runs are split into calls of that many rows (Model::run).
  spec.model_batch = in.shape[0] >= 0 ? in.shape[0] : 0;
  if (in.shape[0] == 0)
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': input '{}' has a batch dim of 0 ({})", m, in.name,
                            format_shape(in)));

  // Spatial dims: static value, else size= from the spec, else dim.NAME / dim.AXIS, else --size.
  auto resolve_dim = [&](size_t axis, int from_spec, int from_flag, const char* what) -> int {
    int64_t v = in.shape[axis];
    const std::string& dname = in.dim_names[axis];
    if (v >= 0) {
      if (from_spec > 0 && from_spec != v)
        throw Error(ErrorCode::bad_flag,
                    fmt::format("model '{}': size= gives {} {} but input '{}' is fixed at {} ({})",
                                m, what, from_spec, in.name, v, format_shape(in)));
      return static_cast<int>(v);
    }
    if (from_spec > 0) return from_spec;
    if (auto it = spec.dims.find(dname); !dname.empty() && it != spec.dims.end())
      return static_cast<int>(it->second);
    if (auto it = spec.dims.find(std::to_string(axis)); it != spec.dims.end())
      return static_cast<int>(it->second);
    if (from_flag > 0) return from_flag;
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': input '{}' ({}) has a dynamic {} dim '{}' that nothing "
                            "resolves (give ",
                            m, in.name, format_shape(in), what, dname.empty() ? "?" : dname),
                Error::Option{"size"},
                fmt::format(" WxH, or {}:size=WxH, or dim.{}=VALUE)", spec.path,
                            dname.empty() ? std::to_string(axis) : dname));
  };
  spec.preprocess.height = resolve_dim(h_axis, spec.preprocess.height, default_height, "height");
  spec.preprocess.width = resolve_dim(w_axis, spec.preprocess.width, default_width, "width");
  spec.batch = batch;
  if (spec.preprocess.height <= 0 || spec.preprocess.width <= 0)
    throw Error(ErrorCode::bad_flag, fmt::format("model '{}': size must be positive", m));
  spec.resolved = true;
}

std::pair<int, int> size_by_max_side(int max_side, int multiple, int frame_width,
                                     int frame_height) {
  const double ratio =
      std::min(1.0, static_cast<double>(max_side) / std::max(frame_width, frame_height));
  auto side = [&](int v) {
    const long k = std::lround(v * ratio / multiple);
    return static_cast<int>(std::max(1L, k) * multiple);
  };
  return {side(frame_width), side(frame_height)};
}

void make_names_unique(std::span<ModelSpec> specs) {
  std::set<std::string> seen;
  for (ModelSpec& s : specs) {
    if (s.name.empty()) s.name = std::filesystem::path(s.path).stem().string();
    std::string base = s.name;
    for (int k = 2; !seen.insert(s.name).second; ++k) s.name = fmt::format("{}#{}", base, k);
  }
}

namespace {

// Pinned host buffers for the calls in flight on one session: taken for a call, given back
// after it, so a steady run allocates none (cudaHostAlloc is slow: it maps pages for DMA).
class PinnedPool {
 public:
  std::unique_ptr<cuda::PinnedBuffer> take(size_t bytes) {
    {
      std::lock_guard lock(mu_);
      for (auto it = free_.begin(); it != free_.end(); ++it)
        if ((*it)->bytes() >= bytes) {
          std::unique_ptr<cuda::PinnedBuffer> b = std::move(*it);
          free_.erase(it);
          return b;
        }
    }
    return std::make_unique<cuda::PinnedBuffer>(std::max<size_t>(bytes, 64));
  }
  void give(std::unique_ptr<cuda::PinnedBuffer> b) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<cuda::PinnedBuffer>> free_;
};

// CUDA graphs are captured in CUDA's global capture mode (ONNX Runtime's choice): while one is
// captured, another thread's CUDA call that may synchronise (an allocation, a session being
// created) breaks the capture. So every GPU call of ours holds this shared, and a capture holds
// it alone (it happens once per graph model, when its session is created).
std::shared_mutex& gpu_activity() {
  static std::shared_mutex m;
  return m;
}

// A session on the GPU: its own stream, the GPU time of its calls, the pinned buffers, its
// worker thread, and for a CUDA graph the device buffers the graph reads and writes (fixed
// addresses) with their binding, made once.
struct GpuState {
  cuda::OwnStream stream;
  std::atomic<int64_t> gpu_ns{0};
  PinnedPool pinned;
  Ort::MemoryInfo host = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  // CUDA graph only:
  int64_t graph_rows = 0;
  std::unique_ptr<cuda::DeviceBuffer> device_in;
  std::vector<std::unique_ptr<cuda::DeviceBuffer>> device_out;
  std::vector<std::vector<int64_t>> out_shapes;
  std::unique_ptr<cuda::PinnedBuffer> host_in;
  std::vector<std::unique_ptr<cuda::PinnedBuffer>> host_out;
  Ort::IoBinding binding{nullptr};
  std::unique_ptr<SerialWorker> worker = std::make_unique<SerialWorker>();

  void add_time(double ms) { gpu_ns += static_cast<int64_t>(ms * 1e6); }
};

size_t element_count(std::span<const int64_t> shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(std::max<int64_t>(d, 0));
  return n;
}

}  // namespace

struct Model::Impl {
  ModelSpec spec;
  SessionSettings settings;
  std::unique_ptr<GpuState> gpu;  // on a GPU only; before the session: it outlives it (its stream)
  mutable Ort::Session session{nullptr};  // Run() is thread-safe; the C++ API calls it non-const
  Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<std::string> output_names;
  std::vector<const char*> output_ptrs;
  const char* input_ptr = nullptr;

  Ort::Value wrap(std::span<const float> data, std::span<const int64_t> shape) const {
    // ONNX Runtime only reads the input; it is not copied.
    return Ort::Value::CreateTensor<float>(memory, const_cast<float*>(data.data()), data.size(),
                                           shape.data(), shape.size());
  }
  std::vector<Tensor> convert(const Ort::Value* values, size_t n) const {
    std::vector<Tensor> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(to_tensor(values[i], spec.name, output_names[i]));
    return out;
  }

  ~Impl() {
    if (!gpu) return;
    gpu->worker.reset();                     // its queued calls done, before the session goes
    gpu->binding = Ort::IoBinding(nullptr);  // before the session it belongs to
  }

  // On a GPU, without a graph: the input staged in pinned memory, the outputs whose shape is
  // known bound to pinned buffers (the others to host memory ONNX Runtime allocates), events
  // on the session's stream around the call.
  std::vector<Tensor> run_gpu(std::span<const float> data, std::span<const int64_t> shape) const {
    GpuState& g = *gpu;
    const int64_t rows = shape.empty() ? 0 : shape[0];
    std::unique_ptr<cuda::PinnedBuffer> in = g.pinned.take(data.size_bytes());
    std::memcpy(in->data(), data.data(), data.size_bytes());
    Ort::IoBinding binding(session);
    const Ort::Value input = Ort::Value::CreateTensor<float>(
        g.host, static_cast<float*>(in->data()), data.size(), shape.data(), shape.size());
    binding.BindInput(input_ptr, input);
    std::vector<std::unique_ptr<cuda::PinnedBuffer>> outs;
    std::vector<Ort::Value> bound;
    for (size_t i = 0; i < spec.outputs.size(); ++i) {
      const TensorInfo& o = spec.outputs[i];
      std::optional<std::vector<int64_t>> known;
      if (o.element_type == "float32") known = output_shape_for(o, spec.input, rows);
      if (!known) {
        binding.BindOutput(output_ptrs[i], g.host);
        continue;
      }
      const size_t n = element_count(*known);
      outs.push_back(g.pinned.take(n * sizeof(float)));
      bound.push_back(Ort::Value::CreateTensor<float>(
          g.host, static_cast<float*>(outs.back()->data()), n, known->data(), known->size()));
      binding.BindOutput(output_ptrs[i], bound.back());
    }
    cuda::GpuTimer timer;
    timer.begin(g.stream.get());
    session.Run(Ort::RunOptions{nullptr}, binding);
    timer.end(g.stream.get());
    binding.SynchronizeOutputs();
    g.add_time(timer.elapsed_ms());
    std::vector<Ort::Value> values = binding.GetOutputValues();
    std::vector<Tensor> result = convert(values.data(), values.size());
    g.pinned.give(std::move(in));
    for (auto& b : outs) g.pinned.give(std::move(b));
    return result;
  }

  // A CUDA graph's buffers and binding: the full batch's input and every output on the device
  // at fixed addresses, with pinned host copies; bound once (cuda_graph_blocker() passed).
  void set_up_graph() {
    GpuState& g = *gpu;
    g.graph_rows = spec.model_batch > 0 ? spec.model_batch : spec.batch;
    const Ort::MemoryInfo device("Cuda", OrtDeviceAllocator, 0, OrtMemTypeDefault);
    g.binding = Ort::IoBinding(session);
    const std::vector<int64_t> in_shape = spec.preprocess.shape(g.graph_rows);
    const size_t n_in = element_count(in_shape);
    g.device_in = std::make_unique<cuda::DeviceBuffer>(n_in * sizeof(float));
    g.host_in = std::make_unique<cuda::PinnedBuffer>(n_in * sizeof(float));
    g.binding.BindInput(
        input_ptr, Ort::Value::CreateTensor<float>(device, static_cast<float*>(g.device_in->data()),
                                                   n_in, in_shape.data(), in_shape.size()));
    for (size_t i = 0; i < spec.outputs.size(); ++i) {
      const std::optional<std::vector<int64_t>> known =
          output_shape_for(spec.outputs[i], spec.input, g.graph_rows);
      if (!known)
        throw Error(ErrorCode::internal, fmt::format("model '{}': no fixed shape for output '{}'",
                                                     spec.name, output_names[i]));
      const size_t n = element_count(*known);
      g.out_shapes.push_back(*known);
      g.device_out.push_back(std::make_unique<cuda::DeviceBuffer>(n * sizeof(float)));
      g.host_out.push_back(std::make_unique<cuda::PinnedBuffer>(n * sizeof(float)));
      g.binding.BindOutput(output_ptrs[i], Ort::Value::CreateTensor<float>(
                                               device, static_cast<float*>(g.device_out[i]->data()),
                                               n, known->data(), known->size()));
    }
  }

  // A CUDA graph's call: rows copied into the bound input (a short batch padded by repeating
  // its last row), the graph replayed, the outputs copied back, all on the session's stream;
  // outputs whose first dim is the batch are cut back to `rows`. Runs on the worker thread
  // only (one call at a time, as a graph's replays must be).
  std::vector<Tensor> run_graph(std::span<const float> data, std::span<const int64_t> shape) const {
    GpuState& g = *gpu;
    const int64_t rows = shape.empty() ? 0 : shape[0];
    if (rows <= 0 || rows > g.graph_rows)
      throw Error(ErrorCode::internal, fmt::format("model '{}': {} rows for a CUDA graph of {}",
                                                   spec.name, rows, g.graph_rows));
    const size_t per = data.size() / static_cast<size_t>(rows);
    auto* staged = static_cast<float*>(g.host_in->data());
    std::memcpy(staged, data.data(), data.size_bytes());
    for (int64_t r = rows; r < g.graph_rows; ++r)
      std::memcpy(staged + static_cast<size_t>(r) * per, data.data() + (rows - 1) * per,
                  per * sizeof(float));
    const cuda::Api& api = cuda::api();
    const cuda::Stream st = g.stream.get();
    cuda::GpuTimer timer;
    timer.begin(st);
    cuda::check(api.memcpy_async(g.device_in->data(), staged, per * g.graph_rows * sizeof(float),
                                 cuda::kMemcpyHostToDevice, st),
                "cudaMemcpyAsync of the input");
    session.Run(Ort::RunOptions{nullptr}, g.binding);
    for (size_t i = 0; i < g.device_out.size(); ++i)
      cuda::check(api.memcpy_async(g.host_out[i]->data(), g.device_out[i]->data(),
                                   g.device_out[i]->bytes(), cuda::kMemcpyDeviceToHost, st),
                  "cudaMemcpyAsync of an output");
    timer.end(st);
    g.add_time(timer.elapsed_ms());  // waits for the end event: the copies are done
    std::vector<Tensor> result;
    for (size_t i = 0; i < g.out_shapes.size(); ++i) {
      Tensor t;
      t.shape = g.out_shapes[i];
      size_t n = element_count(t.shape);
      if (spec.outputs[i].shape[0] < 0) {  // the batch dim: the padding rows dropped
        n = n / static_cast<size_t>(g.graph_rows) * static_cast<size_t>(rows);
        t.shape[0] = rows;
      }
      const auto* p = static_cast<const float*>(g.host_out[i]->data());
      t.data.assign(p, p + n);
      result.push_back(std::move(t));
    }
    return result;
  }

  // One RunAsync call in flight: owns its input view, its outputs and the user's callback.
  struct AsyncCall {
    const Impl* model;
    Ort::Value input{nullptr};
    std::vector<Ort::Value> outputs;
    Model::Callback done;
  };
};

Model::Model(const ModelSpec& spec, const SessionSettings& settings) : impl_(new Impl) {
  if (!spec.resolved)
    throw Error(ErrorCode::internal, fmt::format("model '{}': spec not resolved", spec.name));
  impl_->spec = spec;
  impl_->settings = settings;
  if (settings.provider == Provider::cpu) impl_->settings.cuda_graph = false;
  if (impl_->settings.cuda_graph) {
    if (const std::string why = cuda_graph_blocker(spec); !why.empty())
      throw Error(ErrorCode::internal,
                  fmt::format("model '{}': a CUDA graph was asked for, but {}", spec.name, why));
  }
  for (const TensorInfo& o : impl_->spec.outputs) impl_->output_names.push_back(o.name);
  for (const std::string& n : impl_->output_names) impl_->output_ptrs.push_back(n.c_str());
  impl_->input_ptr = impl_->spec.input.name.c_str();
  if (settings.provider == Provider::cpu) {
    impl_->session = open_session(spec.path, impl_->settings);
    return;
  }
  {
    std::shared_lock lock(gpu_activity());
    impl_->gpu = std::make_unique<GpuState>();
    impl_->session = open_session(spec.path, impl_->settings, impl_->gpu->stream.get());
    if (impl_->settings.cuda_graph) impl_->set_up_graph();
  }
  if (impl_->settings.cuda_graph) {
    // ONNX Runtime runs a graph model normally once (its memory is allocated then), captures
    // it on the next call and replays it from then on: both happen here, on the worker, with
    // no other GPU call of ours in flight.
    std::unique_lock alone(gpu_activity());
    const Tensor zeros = Tensor::zeros(spec.preprocess.shape(impl_->gpu->graph_rows));
    for (int i = 0; i < 3; ++i)
      impl_->gpu->worker->call([&] { return impl_->run_graph(zeros.data, zeros.shape); });
  }
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

const ModelSpec& Model::spec() const { return impl_->spec; }
const SessionSettings& Model::settings() const { return impl_->settings; }

std::optional<double> Model::gpu_seconds() const {
  if (!impl_->gpu) return std::nullopt;
  return static_cast<double>(impl_->gpu->gpu_ns.load()) / 1e9;
}

void* Model::cuda_stream() const { return impl_->gpu ? impl_->gpu->stream.get() : nullptr; }

std::vector<Tensor> Model::run(const Tensor& input) const { return run(input.data, input.shape); }

void Model::warm_up() const {
  const PreprocessSpec& p = impl_->spec.preprocess;
  const int64_t rows = impl_->spec.model_batch > 0 ? impl_->spec.model_batch : impl_->spec.batch;
  run(Tensor::zeros(p.shape(rows)));
}

std::vector<Tensor> Model::run(std::span<const float> data, std::span<const int64_t> shape) const {
  const Impl& m = *impl_;
  const int64_t fixed = m.spec.model_batch;
  if (fixed > 0 && !shape.empty() && shape[0] != fixed) {
    // Calls of the model's own batch size, straight over the caller's rows; only a last, short
    // call is copied, padded by repeating its last row.
    const int64_t rows = shape[0];
    if (rows <= 0) return {};
    const size_t per = data.size() / static_cast<size_t>(rows);
    const size_t call = per * static_cast<size_t>(fixed);
    std::vector<int64_t> chunk_shape(shape.begin(), shape.end());
    chunk_shape[0] = fixed;
    std::vector<float> padded;
    std::vector<Tensor> joined;
    for (int64_t first = 0; first < rows; first += fixed) {
      const int64_t real = std::min(fixed, rows - first);
      std::span<const float> chunk = data.subspan(per * static_cast<size_t>(first));
      if (real < fixed) {
        padded.assign(chunk.begin(), chunk.end());
        for (int64_t r = real; r < fixed; ++r)
          padded.insert(padded.end(), chunk.end() - static_cast<ptrdiff_t>(per), chunk.end());
        chunk = padded;
      }
      std::vector<Tensor> out = run(chunk.first(call), chunk_shape);
      if (joined.empty()) {
        joined.resize(out.size());
        for (size_t k = 0; k < out.size(); ++k) {
          joined[k].shape = out[k].shape;
          if (!joined[k].shape.empty()) joined[k].shape[0] = 0;
        }
      }
      for (size_t k = 0; k < out.size(); ++k) {
        Tensor& o = out[k];
        if (o.shape.empty() || o.shape[0] != fixed)
          throw Error(
              ErrorCode::bad_model,
              fmt::format("model '{}': output '{}' has shape {}, whose first dim is not "
                          "the model's batch of {} (cannot split a batch of {} into calls)",
                          m.spec.name, m.output_names[k], format_shape(o.shape), fixed, rows));
        const size_t row = o.data.size() / static_cast<size_t>(fixed);
        joined[k].data.insert(joined[k].data.end(), o.data.begin(),
                              o.data.begin() + static_cast<ptrdiff_t>(row * real));
        joined[k].shape[0] += real;
      }
    }
    return joined;
  }
  try {
    if (m.gpu) {
      std::shared_lock lock(gpu_activity());
      if (m.settings.cuda_graph)
        return m.gpu->worker->call([&] { return m.run_graph(data, shape); });
      return m.run_gpu(data, shape);
    }
    Ort::Value in = m.wrap(data, shape);
    std::vector<Ort::Value> out = m.session.Run(Ort::RunOptions{nullptr}, &m.input_ptr, &in, 1,
                                                m.output_ptrs.data(), m.output_ptrs.size());
    return m.convert(out.data(), out.size());
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::bad_model,
                fmt::format("model '{}': run failed on input {} ({})", m.spec.name,
                            format_shape({shape.begin(), shape.end()}), short_reason(e.what())));
  }
}

void Model::run_async(const Tensor& input, Callback done) const {
  if (impl_->gpu) {
    // RunAsync takes no IOBinding, and a CUDA graph replays only over its bound buffers: on a
    // GPU the call goes to the session's worker thread, which reports as RunAsync's callback
    // does.
    impl_->gpu->worker->post([this, &input, done = std::move(done)] {
      std::vector<Tensor> out;
      std::exception_ptr error;
      try {
        std::shared_lock lock(gpu_activity());
        out = impl_->settings.cuda_graph ? impl_->run_graph(input.data, input.shape)
                                         : impl_->run_gpu(input.data, input.shape);
      } catch (const Ort::Exception& e) {
        error = std::make_exception_ptr(
            Error(ErrorCode::bad_model,
                  fmt::format("model '{}': run failed on input {} ({})", impl_->spec.name,
                              format_shape(input.shape), short_reason(e.what()))));
      } catch (...) {
        error = std::current_exception();
      }
      done(std::move(out), error);
    });
    return;
  }
  using AsyncCall = Impl::AsyncCall;
  auto call = std::make_unique<AsyncCall>();
  call->model = impl_.get();
  call->input = impl_->wrap(input.data, input.shape);
  for (size_t i = 0; i < impl_->output_ptrs.size(); ++i) call->outputs.emplace_back(nullptr);
  call->done = std::move(done);
  auto on_done = [](void* user, OrtValue** /*outputs*/, size_t n, OrtStatusPtr status) {
    std::unique_ptr<AsyncCall> c(static_cast<AsyncCall*>(user));
    Ort::Status st(status);
    std::vector<Tensor> result;
    std::exception_ptr error;
    try {
      if (!st.IsOK())
        throw Error(ErrorCode::bad_model,
                    fmt::format("model '{}': async run failed ({})", c->model->spec.name,
                                short_reason(st.GetErrorMessage())));
      // The outputs were written into c->outputs, which owns them.
      result = c->model->convert(c->outputs.data(), n);
    } catch (...) {
      error = std::current_exception();
    }
    c->done(std::move(result), error);
  };
  const Impl& m = *impl_;
  AsyncCall* raw = call.get();
  try {
    m.session.RunAsync(Ort::RunOptions{nullptr}, &m.input_ptr, &raw->input, 1, m.output_ptrs.data(),
                       raw->outputs.data(), raw->outputs.size(), on_done, raw);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::bad_model, fmt::format("model '{}': cannot start an async run ({})",
                                                  m.spec.name, short_reason(e.what())));
  }
  call.release();  // owned by the callback from here on
}

}  // namespace mvinfer
