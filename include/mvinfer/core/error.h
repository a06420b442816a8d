// mvinfer::Error: the one exception type of the library. It carries an ErrorCode that the CLI
// maps to an exit code, and a one-line message that names the culprit (a file, a setting, a
// model) and what was expected.
//
// A setting is named as the library names it ("batch 0: expected a positive integer"): a
// library user has no command-line flags. An error about one setting records which one
// (option()) and where the message names it, so that a front end can name it its own way: the
// CLI prints "--batch 0: expected a positive integer".
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

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
  // The library's name of a setting: a field or parameter name ("batch", "out_jsonl",
  // "live_fps").
  struct Option {
    std::string name;
  };

  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // An error about `option`, named first: the message is its name followed by `rest`
  // (Option{"batch"}, " 0: expected a positive integer").
  Error(ErrorCode code, Option option, std::string_view rest) : Error(code, {}, option, rest) {}
  // The same, named inside the message: `before`, the name, `rest`.
  Error(ErrorCode code, std::string_view before, Option option, std::string_view rest);

  ErrorCode code() const noexcept { return code_; }
  // The setting the error is about; empty when it is about none.
  const std::string& option() const noexcept { return option_; }
  // what(), with the setting named `name` where it names option() (what() when option() is
  // empty): the CLI passes the flag, "--batch".
  std::string message_naming_option(std::string_view name) const;

 private:
  ErrorCode code_;
  std::string option_;
  size_t option_at_ = 0;  // where what() names option_
};

// Process exit code for an error: 2 bad flag, 3 bad input, 4 bad model, 5 io, 6 worker,
// 130 interrupted, 1 internal.
int exit_code(ErrorCode code) noexcept;
const char* to_string(ErrorCode code) noexcept;

}  // namespace mvinfer
