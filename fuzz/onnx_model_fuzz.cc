// Fuzz target: ONNX model bytes through what `info` and `run` do with a model file:
//   - info: inspect_graph() (libonnx: parse, shape inference, FLOPs), again with the dynamic
//     batch set to 1 as `info` does, once more with every dynamic dim given (the FLOPs count
//     that `bench` makes), and check_model() (ONNX's checker);
//   - run: resolve_models() on `PATH` (ONNX Runtime opens the model; the input spec is resolved
//     for a batch of 2 and --size 64x64).
// Both take a path, so the bytes are written to a file in a directory of the process's own.
// mvinfer::Error is the expected way to refuse a model; anything else is a finding.
//
// Environment: MVINFER_FUZZ_SKIP_INSPECT=1 leaves out the libonnx half (inspect_graph,
// check_model), MVINFER_FUZZ_SKIP_ORT=1 the ONNX Runtime half, which is most of the time of one
// input (libonnx's shape inference crashed on malformed nodes, a Conv on a rank-3 input, until
// inspect_graph checked them first; the switch isolates such a half if it happens again).
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/job.h"
#include "mvinfer/core/model.h"
#include "mvinfer/tools/onnx_graph.h"

namespace {

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v && std::string(v) == "1";
}

bool skip_inspect = false, skip_ort = false;

void info(const std::string& path) {
  using mvinfer::DynamicDim;
  std::map<std::string, int64_t> dims;
  mvinfer::GraphStats s = mvinfer::inspect_graph(path, dims);
  bool batch_missing = false;
  for (const DynamicDim& d : s.dynamic_dims) batch_missing = batch_missing || d.position == 0;
  if (batch_missing) {
    dims.emplace("0", 1);
    s = mvinfer::inspect_graph(path, dims);
  }
  // Every dynamic dim given, by name or position: shape inference and the FLOPs count run.
  bool missing = false;
  for (const DynamicDim& d : s.dynamic_dims)
    if (!d.given) {
      dims.emplace(d.name.empty() ? std::to_string(d.position) : d.name, d.position == 0 ? 1 : 32);
      missing = true;
    }
  if (missing) mvinfer::inspect_graph(path, dims);
  try {
    mvinfer::check_model(path);
  } catch (const mvinfer::Error&) {
    // `info` prints the checker's complaint and goes on.
  }
}

void resolve(const std::string& path) {
  std::vector<mvinfer::ModelSpec> models{mvinfer::parse_model_arg(path)};
  mvinfer::BatchingOptions batching;
  batching.batch = 2;
  mvinfer::resolve_models(models, batching, 64, 64);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  skip_inspect = env_set("MVINFER_FUZZ_SKIP_INSPECT");
  skip_ort = env_set("MVINFER_FUZZ_SKIP_ORT");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = (mvinfer::fuzz::temp_dir() / "model.onnx").string();
  mvinfer::fuzz::write_file(path, std::span(data, size));
  if (!skip_inspect) try {
      info(path);
    } catch (const mvinfer::Error&) {
    }
  if (!skip_ort) try {
      resolve(path);
    } catch (const mvinfer::Error&) {
    }
  return 0;
}
