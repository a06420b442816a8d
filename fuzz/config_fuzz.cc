// Fuzz target: a YAML or JSON model config (`--config FILE`), parsed from memory by
// parse_model_config() (what load_model_config() does after reading the file), then the checks
// `run` makes before opening any model. mvinfer::Error is the expected way to refuse an input;
// any other exception (yaml-cpp's own, which escaped for keys and values of the wrong shape
// until the config was read through scalar()), a crash or a sanitizer report is a finding.
#include <cstdint>
#include <string>
#include <vector>

#include "model_settings.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // A path that exists nowhere: relative model paths are joined to it, never opened.
    std::vector<mvinfer::ModelSpec> specs =
        mvinfer::parse_model_config(text, "/nonexistent/mvinfer-fuzz/config.yaml");
    mvinfer::fuzz::check_settings(specs);
  } catch (const mvinfer::Error&) {
  }
  return 0;
}
