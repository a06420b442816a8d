#include "mvinfer/core/limits.h"

#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <thread>

#include "mvinfer/core/error.h"

namespace mvinfer {

int max_threads(int machine_cores) { return kMaxThreadsPerCore * std::max(1, machine_cores); }

void check_threads(const std::string& what, int n) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (n > max_threads(cores))
    throw Error(ErrorCode::bad_flag,
                fmt::format("{} {}: expected at most {} ({} x the {} cores of this machine)", what,
                            n, max_threads(cores), kMaxThreadsPerCore, cores));
}

int malloc_arenas(int machine_cores) { return std::max(kMinMallocArenas, machine_cores); }

int malloc_arena_bound(const char* env_value, int machine_cores) {
  if (env_value != nullptr && *env_value != '\0') return 0;
  return malloc_arenas(machine_cores);
}

int bound_malloc_arenas(const char* env_value) {
  const int arenas =
      malloc_arena_bound(env_value, static_cast<int>(std::thread::hardware_concurrency()));
  return arenas > 0 && mallopt(M_ARENA_MAX, arenas) == 1 ? arenas : 0;
}

int64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

int64_t default_max_memory(int64_t physical) {
  return static_cast<int64_t>(kDefaultMemoryShare *
                              static_cast<double>(std::max<int64_t>(0, physical)));
}

int64_t parse_memory(const std::string& flag, const std::string& text, int64_t physical) {
  double v = -1;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  const std::string unit(p, end);
  double scale = -1;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "K" || unit == "KiB")
    scale = 1024.0;
  else if (unit == "M" || unit == "MiB")
    scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TiB")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "%" && physical > 0 && v <= 100)
    scale = static_cast<double>(physical) / 100;
  const double bytes = v * scale;
  if (ec != std::errc() || !std::isfinite(v) || v <= 0 || scale < 0 || bytes < 1 || bytes > 9e18)
    throw Error(ErrorCode::bad_flag,
                fmt::format("{} '{}': expected a size such as 512M, 8G or 75% (of this machine's "
                            "memory)",
                            flag, text));
  return static_cast<int64_t>(bytes);
}

std::string format_bytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024)
    return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024) return fmt::format("{:.0f} MiB", bytes / (1024.0 * 1024));
  return fmt::format("{:.0f} KiB", bytes / 1024.0);
}

double batch_bytes(std::span<const ModelSpec> models, int batch, bool keep_images, int frame_w,
                   int frame_h) {
  double bytes = 0;
  for (const ModelSpec& m : models) {
    if (!m.on.empty()) continue;  // dependents run on crops: small, counted per region
    const double rows = std::max(batch, static_cast<int>(std::max<int64_t>(0, m.model_batch)));
    bytes += rows * 3.0 * m.preprocess.width * m.preprocess.height * sizeof(float);
  }
  if (keep_images) bytes += static_cast<double>(batch) * 3.0 * frame_w * frame_h;
  return bytes;
}

double batches_held(bool all_up_front, int64_t total, int queue_depth, size_t units, int cores) {
  if (all_up_front) return total < 0 ? HUGE_VAL : static_cast<double>(total);
  return static_cast<double>(std::max(1, queue_depth) + 2) *
             static_cast<double>(std::max<size_t>(1, units)) +
         std::max(1, cores);
}

void check_memory(double need, int64_t limit, const std::string& what) {
  if (limit <= 0 || need <= static_cast<double>(limit)) return;
  throw Error(ErrorCode::bad_flag, Error::Option{"max_memory"},
              fmt::format(" {}: {} needs {} (expected at most that; lower --batch, --frames or "
                          "the input size, stream instead of preloading, or raise --max-memory)",
                          format_bytes(static_cast<double>(limit)), what,
                          std::isfinite(need) ? format_bytes(need) : "unbounded memory"));
}

}  // namespace mvinfer
