#include "mvinfer/core/provider.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "mvinfer/core/error.h"
#include "mvinfer/tools/gpu_monitor.h"

namespace mvinfer {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> glob_dirs(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (glob(pattern.c_str(), GLOB_ONLYDIR | GLOB_NOSORT, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

// The active python3's site-packages folders (none when there is no python3).
std::vector<std::string> python_site_packages() {
  std::vector<std::string> out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(
      popen("python3 -c 'import site; print(\"\\n\".join(site.getsitepackages() + "
            "[site.getusersitepackages()]))' 2>/dev/null",
            "r"),
      pclose);
  if (!p) return out;
  std::array<char, 4096> line{};
  while (std::fgets(line.data(), line.size(), p.get())) {
    std::string s(line.data());
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// Loads `lib` from the loader's path or the first of `dirs` holding it (RTLD_GLOBAL, so that
// libraries loaded later resolve their dependencies to it); whether it loaded.
bool load_from(const std::string& lib, const std::vector<std::string>& dirs) {
  void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_GLOBAL);
  for (size_t i = 0; !h && i < dirs.size(); ++i) {
    const fs::path p = fs::path(dirs[i]) / lib;
    std::error_code ec;
    if (fs::exists(p, ec)) h = dlopen(p.c_str(), RTLD_NOW | RTLD_GLOBAL);
  }
  return h != nullptr;
}

}  // namespace

std::string onnxruntime_library_dir() {
  Dl_info info{};
  void* sym = dlsym(RTLD_DEFAULT, "OrtGetApiBase");
  if (sym && dladdr(sym, &info) && info.dli_fname)
    return fs::path(info.dli_fname).parent_path().string();
  return {};
}

const char* to_string(Provider p) {
  switch (p) {
    case Provider::cuda:
      return "cuda";
    case Provider::tensorrt:
      return "tensorrt";
    case Provider::cpu:
      break;
  }
  return "cpu";
}

std::vector<std::string> cuda_libraries() {
  return {"libcuda.so.1",    "libcudart.so.13", "libcublasLt.so.13",
          "libcublas.so.13", "libcurand.so.10", "libcudnn.so.9"};
}

std::vector<std::string> tensorrt_libraries() {
  return {"libnvinfer.so.10", "libnvonnxparser.so.10"};
}

std::vector<std::string> cuda_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("MVINFER_CUDA_LIBS")) {
    std::string s(env);
    for (size_t start = 0; start <= s.size();) {
      size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) dirs.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  for (const std::string& d : glob_dirs("/usr/local/cuda*/lib64")) dirs.push_back(d);
  for (const std::string& d : glob_dirs("/usr/local/cuda*/targets/x86_64-linux/lib"))
    dirs.push_back(d);
  std::vector<std::string> sites = python_site_packages();
  for (const char* env : {"VIRTUAL_ENV", "CONDA_PREFIX"})
    if (const char* v = std::getenv(env))
      for (const std::string& d : glob_dirs(std::string(v) + "/lib/python3*/site-packages"))
        sites.push_back(d);
  for (const std::string& site : sites) {
    for (const std::string& d : glob_dirs(site + "/nvidia/*/lib")) dirs.push_back(d);
    for (const std::string& d : glob_dirs(site + "/tensorrt_libs")) dirs.push_back(d);
  }
  return dirs;
}

CudaFindings find_cuda() {
  CudaFindings f;
  f.provider_dir = onnxruntime_library_dir();
  f.provider_library = !f.provider_dir.empty() &&
                       fs::exists(fs::path(f.provider_dir) / "libonnxruntime_providers_cuda.so");
  f.searched = cuda_search_dirs();
  for (const std::string& lib : cuda_libraries())
    if (!load_from(lib, f.searched)) {
      f.missing = lib;
      break;
    }
  for (const std::string& lib : tensorrt_libraries())
    if (f.missing.empty() && f.tensorrt_missing.empty() && !load_from(lib, f.searched))
      f.tensorrt_missing = lib;
  GpuMonitor nvml;
  if (nvml.name()) f.device = *nvml.name();
  return f;
}

ProviderChoice choose_provider(const std::string& requested, const CudaFindings& f) {
  if (requested == "cpu") return {Provider::cpu, "cpu: as asked (--provider cpu)"};
  const bool gpu_asked = requested == "cuda" || requested == "tensorrt";
  if (!gpu_asked && requested != "auto")
    throw Error(ErrorCode::bad_flag, Error::Option{"provider"},
                fmt::format(" '{}': expected cpu, cuda, tensorrt or auto", requested));
  std::string why;
  if (!f.provider_library)
    why = fmt::format(
        "ONNX Runtime's CUDA provider (libonnxruntime_providers_cuda.so) is not "
        "in {} (run `make gpu`)",
        f.provider_dir.empty() ? "ONNX Runtime's folder" : f.provider_dir);
  else if (!f.missing.empty())
    why = fmt::format("{} not found{}; looked in the loader's path{}{} (set MVINFER_CUDA_LIBS)",
                      f.missing, f.missing == "libcuda.so.1" ? " (the NVIDIA driver)" : "",
                      f.searched.empty() ? "" : ", ", fmt::join(f.searched, ", "));
  else if (f.device.empty())
    why = "no NVIDIA GPU found (NVML lists no device)";
  else if (requested == "tensorrt" && !f.tensorrt_missing.empty())
    why = fmt::format(
        "{} not found (TensorRT 10, which ONNX Runtime's TensorRT provider needs); "
        "looked in the loader's path{}{} (set MVINFER_CUDA_LIBS)",
        f.tensorrt_missing, f.searched.empty() ? "" : ", ", fmt::join(f.searched, ", "));
  if (why.empty()) {
    const Provider p = requested == "tensorrt" ? Provider::tensorrt : Provider::cuda;
    return {p, fmt::format("{}: {} on {}", to_string(p),
                           requested == "auto" ? "found a GPU" : "as asked", f.device)};
  }
  if (gpu_asked)
    throw Error(ErrorCode::bad_flag, Error::Option{"provider"},
                fmt::format(" {}: {}", requested, why));
  return {Provider::cpu, "cpu: " + why};
}

ProviderChoice resolve_provider(const std::string& requested) {
  if (requested == "cpu") return choose_provider(requested, {});
  return choose_provider(requested, find_cuda());
}

}  // namespace mvinfer
