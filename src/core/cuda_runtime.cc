#include "core/cuda_runtime.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <atomic>

#include "mvinfer/core/error.h"

namespace mvinfer::cuda {
namespace {

std::atomic<bool> g_used{false};

// Resolves every entry point or names the first one missing.
std::string load(Api& a) {
  // RTLD_NOLOAD first: find_cuda() loaded it (from the loader's path or a folder it searched).
  void* lib = dlopen("libcudart.so.13", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  if (!lib) lib = dlopen("libcudart.so.13", RTLD_NOW | RTLD_GLOBAL);
  if (!lib) return "libcudart.so.13 is not loaded and not on the loader's path";
  std::string missing;
  auto get = [&](auto& f, const char* name) {
    f = reinterpret_cast<std::remove_reference_t<decltype(f)>>(dlsym(lib, name));
    if (!f && missing.empty()) missing = fmt::format("libcudart.so.13 has no {}", name);
  };
  get(a.stream_create_with_flags, "cudaStreamCreateWithFlags");
  get(a.stream_destroy, "cudaStreamDestroy");
  get(a.stream_synchronize, "cudaStreamSynchronize");
  get(a.event_create_with_flags, "cudaEventCreateWithFlags");
  get(a.event_record, "cudaEventRecord");
  get(a.event_synchronize, "cudaEventSynchronize");
  get(a.event_elapsed_time, "cudaEventElapsedTime");
  get(a.event_destroy, "cudaEventDestroy");
  get(a.host_alloc, "cudaHostAlloc");
  get(a.free_host, "cudaFreeHost");
  get(a.malloc, "cudaMalloc");
  get(a.free, "cudaFree");
  get(a.memcpy_async, "cudaMemcpyAsync");
  get(a.set_device, "cudaSetDevice");
  get(a.error_string, "cudaGetErrorString");
  return missing;
}

}  // namespace

const Api& api() {
  static Api a;
  static const std::string why = load(a);
  if (!why.empty()) throw Error(ErrorCode::internal, "CUDA runtime: " + why);
  if (!g_used.exchange(true)) check(a.set_device(0), "cudaSetDevice(0)");
  return a;
}

bool used_in_this_process() { return g_used.load(); }

void check(int rc, std::string_view what) {
  if (rc == 0) return;
  const Api& a = api();
  throw Error(ErrorCode::internal,
              fmt::format("CUDA: {} failed: {} (error {})", what, a.error_string(rc), rc));
}

OwnStream::OwnStream() {
  check(api().stream_create_with_flags(&stream_, kStreamNonBlocking), "cudaStreamCreateWithFlags");
}
OwnStream::~OwnStream() {
  if (stream_) api().stream_destroy(stream_);
}
void OwnStream::synchronize() const {
  check(api().stream_synchronize(stream_), "cudaStreamSynchronize");
}

GpuTimer::GpuTimer() {
  const Api& a = api();
  check(a.event_create_with_flags(&begin_, kEventDefault), "cudaEventCreateWithFlags");
  const int rc = a.event_create_with_flags(&end_, kEventDefault);
  if (rc != 0) a.event_destroy(begin_);
  check(rc, "cudaEventCreateWithFlags");
}
GpuTimer::~GpuTimer() {
  const Api& a = api();
  a.event_destroy(begin_);
  a.event_destroy(end_);
}
void GpuTimer::begin(Stream stream) {
  check(api().event_record(begin_, stream), "cudaEventRecord");
}
void GpuTimer::end(Stream stream) { check(api().event_record(end_, stream), "cudaEventRecord"); }
double GpuTimer::elapsed_ms() {
  const Api& a = api();
  check(a.event_synchronize(end_), "cudaEventSynchronize");
  float ms = 0;
  check(a.event_elapsed_time(&ms, begin_, end_), "cudaEventElapsedTime");
  return ms;
}

Memory::Memory(Kind kind, size_t bytes) : kind_(kind), bytes_(bytes) {
  if (kind == pinned_host)
    check(api().host_alloc(&data_, bytes, kHostAllocPortable),
          fmt::format("cudaHostAlloc of {} bytes", bytes));
  else
    check(api().malloc(&data_, bytes), fmt::format("cudaMalloc of {} bytes", bytes));
}
Memory::~Memory() {
  if (data_) (kind_ == pinned_host ? api().free_host : api().free)(data_);
}

}  // namespace mvinfer::cuda
