#include "cli_util.h"

#include <charconv>

#include <fmt/format.h>

#include "mvinfer/error.h"

namespace mvinfer::cli {

static bool positive(const std::string& s, int& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v > 0;
}

void parse_size(const std::string& flag, const std::string& value, int& width, int& height) {
  auto x = value.find('x');
  if (x == std::string::npos || !positive(value.substr(0, x), width) ||
      !positive(value.substr(x + 1), height))
    throw Error(ErrorCode::bad_flag,
                fmt::format("{} '{}': expected WxH with positive integers, e.g. 256x256", flag, value));
}

int parse_auto_int(const std::string& flag, const std::string& value) {
  if (value == "auto") return 0;
  int v = 0;
  if (!positive(value, v))
    throw Error(ErrorCode::bad_flag,
                fmt::format("{} '{}': expected 'auto' or a positive integer", flag, value));
  return v;
}

}  // namespace mvinfer::cli
