#include "mvinfer/tools/gpu_monitor.h"

#include <dlfcn.h>

#include <chrono>

namespace mvinfer {

// The few NVML entry points we use, with NVML's C signatures (nvml.h), resolved by name.
struct GpuMonitor::Nvml {
  using Device = void*;
  struct Memory {
    unsigned long long total, free, used;
  };
  struct Utilization {
    unsigned int gpu, memory;
  };
  void* lib = nullptr;
  int (*init)() = nullptr;
  int (*shutdown)() = nullptr;
  int (*handle_by_index)(unsigned int, Device*) = nullptr;
  int (*get_name)(Device, char*, unsigned int) = nullptr;
  int (*memory_info)(Device, Memory*) = nullptr;
  int (*utilization)(Device, Utilization*) = nullptr;
  Device device = nullptr;

  ~Nvml() {
    if (shutdown) shutdown();
    if (lib) dlclose(lib);
  }
  template <typename F>
  bool load(F& f, const char* symbol) {
    f = reinterpret_cast<F>(dlsym(lib, symbol));
    return f != nullptr;
  }
};

GpuMonitor::GpuMonitor() {
  auto n = std::make_unique<Nvml>();
  n->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!n->lib) return;
  if (!n->load(n->init, "nvmlInit_v2") || !n->load(n->shutdown, "nvmlShutdown") ||
      !n->load(n->handle_by_index, "nvmlDeviceGetHandleByIndex_v2") ||
      !n->load(n->get_name, "nvmlDeviceGetName") ||
      !n->load(n->memory_info, "nvmlDeviceGetMemoryInfo") ||
      !n->load(n->utilization, "nvmlDeviceGetUtilizationRates"))
    return;
  if (n->init() != 0) {
    n->shutdown = nullptr;  // not initialised: nothing to shut down
    return;
  }
  if (n->handle_by_index(0, &n->device) != 0) return;
  char buf[96] = {};
  if (n->get_name(n->device, buf, sizeof buf) == 0) name_ = buf;
  nvml_ = std::move(n);
}

GpuMonitor::~GpuMonitor() { stop(); }

std::optional<GpuMonitor::Memory> GpuMonitor::memory() const {
  Nvml::Memory m{};
  if (!nvml_ || nvml_->memory_info(nvml_->device, &m) != 0) return std::nullopt;
  return Memory{m.total, m.free};
}

void GpuMonitor::start() {
  if (!nvml_) return;
  stop();
  peak_mib_ = 0;
  util_sum_ = 0;
  samples_ = 0;
  sampler_ = std::jthread([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      Nvml::Memory mem{};
      Nvml::Utilization util{};
      if (nvml_->memory_info(nvml_->device, &mem) == 0)
        peak_mib_ = std::max(peak_mib_.load(), static_cast<double>(mem.used) / (1 << 20));
      if (nvml_->utilization(nvml_->device, &util) == 0) {
        util_sum_ = util_sum_.load() + util.gpu;
        ++samples_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
}

GpuMonitor::Usage GpuMonitor::stop() {
  if (!sampler_.joinable()) return {};
  sampler_.request_stop();
  sampler_.join();
  Usage u;
  u.memory_mib = peak_mib_.load();
  if (samples_ > 0) u.util_pct = util_sum_.load() / samples_;
  return u;
}

}  // namespace mvinfer
