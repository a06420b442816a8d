// Where models run: ONNX Runtime's CPU provider, or its CUDA (or TensorRT) execution provider
// on an NVIDIA GPU. The CUDA provider library comes from `scripts/setup --gpu`; CUDA 13, cuDNN 9
// and the driver come from the machine, found where users have them (find_cuda()). The choice
// is a rule on what was found (choose_provider, unit-tested on synthetic findings).
#pragma once

#include <string>
#include <vector>

namespace mvinfer {

enum class Provider { cpu, cuda, tensorrt };
const char* to_string(Provider p);

// The libraries the CUDA provider needs, in the order they are looked for: the driver, the
// CUDA 13 runtime and maths libraries the provider links, and cuDNN 9, which it loads itself.
std::vector<std::string> cuda_libraries();

// What the TensorRT provider needs besides them: TensorRT 10's runtime and ONNX parser (looked
// for where the CUDA libraries are, and in NVIDIA's `tensorrt_libs` wheel).
std::vector<std::string> tensorrt_libraries();

// The folder of the loaded libonnxruntime.so, where ONNX Runtime looks for its providers.
std::string onnxruntime_library_dir();

struct CudaFindings {
  bool provider_library = false;      // libonnxruntime_providers_cuda.so beside libonnxruntime.so
  std::string provider_dir;           // where it was looked for
  std::string missing;                // the first of cuda_libraries() not found; "" = all found
  std::string tensorrt_missing;       // the first of tensorrt_libraries() not found (tensorrt only)
  std::vector<std::string> searched;  // the folders looked in, besides the loader's own path
  std::string device;                 // the first GPU's name; "" = no device (NVML)
};

// Looks for everything the CUDA provider needs, in order: the loader's path (LD_LIBRARY_PATH,
// ldconfig), $MVINFER_CUDA_LIBS (folders separated by ':'), /usr/local/cuda*/lib64 (and
// targets/x86_64-linux/lib), and NVIDIA's Python wheels (nvidia/*/lib in the active python3's
// site-packages, a virtualenv's or conda's). Each library found is loaded (RTLD_GLOBAL) so the
// provider's own dependencies resolve to it. Counting devices uses NVML, which creates no CUDA
// context (forked workers can still use the GPU).
CudaFindings find_cuda();
// The folders find_cuda() searches besides the loader's path, in order.
std::vector<std::string> cuda_search_dirs();

struct ProviderChoice {
  Provider provider = Provider::cpu;
  std::string reason;  // one line for the summary
};
// Rule `choose_provider`: `requested` is cpu, cuda, tensorrt or auto.
//   cpu: the CPU. cuda / tensorrt: the GPU when the provider library, every library and a
//   device were found (and for tensorrt, TensorRT's runtime); else Error{bad_flag} (exit 2)
//   naming the first thing missing and where it was looked for. auto: the GPU (CUDA) on the same
//   condition, else the CPU, saying why.
// Throws Error{bad_flag} about option "provider" for another value.
ProviderChoice choose_provider(const std::string& requested, const CudaFindings& found);
// find_cuda() only when the request needs it (not for cpu).
ProviderChoice resolve_provider(const std::string& requested);

}  // namespace mvinfer
