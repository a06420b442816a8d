// Small parsing helpers shared by the subcommands.
#pragma once

#include <string>

namespace mvinfer::cli {

// "WxH" -> width, height; throws Error{bad_flag} naming `flag`.
void parse_size(const std::string& flag, const std::string& value, int& width, int& height);
// "auto" -> 0, else a positive integer; throws Error{bad_flag} naming `flag`.
int parse_auto_int(const std::string& flag, const std::string& value);

// "5%", "10s" or "5%,10s" -> fraction and seconds (each left as it was when not given);
// throws Error{bad_flag} naming `flag`.
void parse_probe(const std::string& flag, const std::string& value, double& fraction,
                 double& seconds);

}  // namespace mvinfer::cli
