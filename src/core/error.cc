#include "mvinfer/core/error.h"

#include <utility>

namespace mvinfer {

Error::Error(ErrorCode code, std::string_view before, Option option, std::string_view rest)
    : std::runtime_error(std::string(before) + option.name + std::string(rest)),
      code_(code),
      option_(std::move(option.name)),
      option_at_(before.size()) {}

std::string Error::message_naming_option(std::string_view name) const {
  std::string message = what();
  if (!option_.empty()) message.replace(option_at_, option_.size(), name);
  return message;
}

int exit_code(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_flag:
      return 2;
    case ErrorCode::bad_input:
      return 3;
    case ErrorCode::bad_model:
      return 4;
    case ErrorCode::io:
      return 5;
    case ErrorCode::worker:
      return 6;
    case ErrorCode::interrupted:
      return 130;
    case ErrorCode::internal:
      return 1;
  }
  return 1;
}

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_input:
      return "bad_input";
    case ErrorCode::bad_model:
      return "bad_model";
    case ErrorCode::bad_flag:
      return "bad_flag";
    case ErrorCode::io:
      return "io";
    case ErrorCode::worker:
      return "worker";
    case ErrorCode::interrupted:
      return "interrupted";
    case ErrorCode::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace mvinfer
