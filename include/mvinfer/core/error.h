// mvinfer::Error: the one exception type of the library. It carries an ErrorCode that the CLI
// maps to an exit code, and a one-line message that names the culprit (a file, a flag, a model)
// and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace mvinfer {

enum class ErrorCode {
  bad_input,    // a video/frame source that cannot be opened or decoded
  bad_model,    // not an ONNX file, or a model whose inputs cannot take the frames
  bad_flag,     // a nonsense command-line value or configuration entry
  io,           // an output that cannot be written
  worker,       // a worker (thread or process) failed or died
  interrupted,  // stopped by a signal (Ctrl-C)
  internal,     // a bug in mvinfer or an unexpected failure of a dependency
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Process exit code for an error: 2 bad flag, 3 bad input, 4 bad model, 5 io, 6 worker,
// 130 interrupted, 1 internal.
int exit_code(ErrorCode code) noexcept;
const char* to_string(ErrorCode code) noexcept;

}  // namespace mvinfer
