// The CUDA runtime (libcudart.so.13), loaded at run time as NVML is (gpu_monitor.h): mvinfer
// neither links against CUDA nor needs its headers, so it builds and runs where there is none.
// The GPU paths use these few entry points for what ONNX Runtime's C API does not give: a
// stream of our own per session (handed to the CUDA provider as its compute stream), events on
// it that time each Run()'s GPU part, pinned host buffers the inputs are staged in, and device
// buffers at fixed addresses for CUDA graphs. The signatures are CUDA's own
// (cuda_runtime_api.h); handles are opaque pointers and cudaError_t is an int (0 = success).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace mvinfer::cuda {

using Stream = void*;
using Event = void*;

struct Api {
  int (*stream_create_with_flags)(Stream*, unsigned) = nullptr;
  int (*stream_destroy)(Stream) = nullptr;
  int (*stream_synchronize)(Stream) = nullptr;
  int (*event_create_with_flags)(Event*, unsigned) = nullptr;
  int (*event_record)(Event, Stream) = nullptr;
  int (*event_synchronize)(Event) = nullptr;
  int (*event_elapsed_time)(float*, Event, Event) = nullptr;
  int (*event_destroy)(Event) = nullptr;
  int (*host_alloc)(void**, size_t, unsigned) = nullptr;
  int (*free_host)(void*) = nullptr;
  int (*malloc)(void**, size_t) = nullptr;
  int (*free)(void*) = nullptr;
  int (*memcpy_async)(void*, const void*, size_t, int, Stream) = nullptr;
  int (*set_device)(int) = nullptr;
  const char* (*error_string)(int) = nullptr;
};

// CUDA's constants that we pass (driver_types.h).
constexpr unsigned kStreamNonBlocking = 0x01;
constexpr unsigned kEventDefault = 0x00;
constexpr unsigned kHostAllocPortable = 0x01;
constexpr int kMemcpyHostToDevice = 1;
constexpr int kMemcpyDeviceToHost = 2;

// The runtime's entry points, resolved once from libcudart.so.13 (find_cuda() has loaded it
// from wherever it found it). Throws Error{internal} naming what is missing: the GPU paths are
// reached only after choose_provider() found every library, so this is not a user's error.
const Api& api();
// Whether this process has called into the CUDA runtime through api(). CUDA cannot be used in
// a child forked after that (its contexts do not survive fork()).
bool used_in_this_process();
// Throws Error{internal} "CUDA: WHAT failed: <CUDA's message>" when `rc` is not success.
void check(int rc, std::string_view what);

// A stream of its own (non-blocking: it does not wait for the legacy default stream).
class OwnStream {
 public:
  OwnStream();
  ~OwnStream();
  OwnStream(const OwnStream&) = delete;
  OwnStream& operator=(const OwnStream&) = delete;
  Stream get() const { return stream_; }
  void synchronize() const;

 private:
  Stream stream_ = nullptr;
};

// Times the GPU work queued on `stream` between begin() and end(): two timing events.
class GpuTimer {
 public:
  GpuTimer();
  ~GpuTimer();
  GpuTimer(const GpuTimer&) = delete;
  GpuTimer& operator=(const GpuTimer&) = delete;
  void begin(Stream stream);
  void end(Stream stream);
  // Waits for the end event; the milliseconds between the two.
  double elapsed_ms();

 private:
  Event begin_ = nullptr, end_ = nullptr;
};

// Memory from CUDA, freed when destroyed: page-locked host memory (cudaHostAlloc, portable),
// whose copies to the device are DMA transfers that run asynchronously to the host and overlap
// other streams' kernels; or device memory at a fixed address (cudaMalloc), for the bound
// inputs and outputs of CUDA graphs.
class Memory {
 public:
  enum Kind { pinned_host, device };
  Memory(Kind kind, size_t bytes);
  ~Memory();
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  Kind kind_;
  void* data_ = nullptr;
  size_t bytes_ = 0;
};
struct PinnedBuffer : Memory {
  explicit PinnedBuffer(size_t bytes) : Memory(pinned_host, bytes) {}
};
struct DeviceBuffer : Memory {
  explicit DeviceBuffer(size_t bytes) : Memory(device, bytes) {}
};

}  // namespace mvinfer::cuda
