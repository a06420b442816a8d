// Small parsing helpers shared by the subcommands.
#pragma once

#include <string>

namespace mvinfer::cli {

// "WxH" -> width, height; throws Error{bad_flag} naming `flag`.
void parse_size(const std::string& flag, const std::string& value, int& width, int& height);
// "auto" -> 0, else a positive integer; throws Error{bad_flag} naming `flag`.
int parse_auto_int(const std::string& flag, const std::string& value);

}  // namespace mvinfer::cli
