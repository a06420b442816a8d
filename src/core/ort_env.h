// The process's ONNX Runtime environment (one per process, by that library's design).
#pragma once

#include <onnxruntime_cxx_api.h>

namespace mvinfer {
Ort::Env& ort_env();
}
