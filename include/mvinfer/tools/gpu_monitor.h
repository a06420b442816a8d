// GpuMonitor: GPU memory and utilisation through NVML, loaded at run time with dlopen so that
// mvinfer neither links against nor needs the NVIDIA driver. Without an NVIDIA GPU (or
// without libnvidia-ml.so.1) available() is false and every figure is "n/a".
//
// start() begins sampling device 0 every 20 ms on a thread of its own; stop() ends it and
// returns the peak memory used and the mean utilisation seen meanwhile.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace mvinfer {

class GpuMonitor {
 public:
  GpuMonitor();
  ~GpuMonitor();
  GpuMonitor(const GpuMonitor&) = delete;
  GpuMonitor& operator=(const GpuMonitor&) = delete;

  bool available() const { return nvml_ != nullptr; }
  // The device's name, e.g. "NVIDIA H100 80GB HBM3"; nullopt without a GPU.
  std::optional<std::string> name() const { return name_; }

  struct Memory {
    uint64_t total_bytes = 0, free_bytes = 0;
  };
  // Device 0's memory now; nullopt without a GPU.
  std::optional<Memory> memory() const;

  struct Usage {
    std::optional<double> memory_mib;  // peak used while sampling
    std::optional<double> util_pct;    // mean GPU utilisation while sampling
  };
  void start();
  Usage stop();

 private:
  struct Nvml;
  std::unique_ptr<Nvml> nvml_;
  std::optional<std::string> name_;
  std::jthread sampler_;
  std::atomic<double> peak_mib_{0};
  std::atomic<double> util_sum_{0};
  std::atomic<int> samples_{0};
};

}  // namespace mvinfer
