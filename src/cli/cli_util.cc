#include "cli_util.h"

#include <charconv>

#include <fmt/format.h>

#include "mvinfer/core/error.h"

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

void parse_probe(const std::string& flag, const std::string& value, double& fraction,
                 double& seconds) {
  size_t start = 0;
  while (start < value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    const std::string part = value.substr(start, end - start);
    double v = -1;
    const char unit = part.empty() ? '\0' : part.back();
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size() - 1, v);
    const bool number = ec == std::errc() && p == part.data() + part.size() - 1 && v >= 0;
    if (number && unit == '%' && v <= 100) fraction = v / 100;
    else if (number && unit == 's') seconds = v;
    else
      throw Error(ErrorCode::bad_flag,
                  fmt::format("{} '{}': expected a share of the frames and/or seconds, e.g. "
                              "5%,10s", flag, value));
    start = end + 1;
  }
}

}  // namespace mvinfer::cli
