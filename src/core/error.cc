#include "mvinfer/core/error.h"

namespace mvinfer {

int exit_code(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_flag: return 2;
    case ErrorCode::bad_input: return 3;
    case ErrorCode::bad_model: return 4;
    case ErrorCode::io: return 5;
    case ErrorCode::worker: return 6;
    case ErrorCode::interrupted: return 130;
    case ErrorCode::internal: return 1;
  }
  return 1;
}

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_input: return "bad_input";
    case ErrorCode::bad_model: return "bad_model";
    case ErrorCode::bad_flag: return "bad_flag";
    case ErrorCode::io: return "io";
    case ErrorCode::worker: return "worker";
    case ErrorCode::interrupted: return "interrupted";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

}  // namespace mvinfer
