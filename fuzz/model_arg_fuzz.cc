// Fuzz target: a `--model PATH:key=value,...` argument through parse_model_arg(), then the
// checks `run` makes before opening the model. mvinfer::Error is the expected way to refuse an
// input; any other exception, a crash or a sanitizer report is a finding.
#include <cstdint>
#include <string>
#include <vector>

#include "model_settings.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string arg(reinterpret_cast<const char*>(data), size);
  try {
    std::vector<mvinfer::ModelSpec> specs{mvinfer::parse_model_arg(arg)};
    mvinfer::fuzz::check_settings(specs);
  } catch (const mvinfer::Error&) {
  }
  return 0;
}
