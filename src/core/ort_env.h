// The process's ONNX Runtime environment (one per process, by that library's design), created
// on first use with telemetry events off, and the files ONNX Runtime's telemetry SDK writes
// into $TMPDIR on creation removed.
#pragma once

#include <onnxruntime_cxx_api.h>

namespace mvinfer {
Ort::Env& ort_env();
}
