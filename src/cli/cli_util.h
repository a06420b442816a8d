// Small parsing helpers shared by the subcommands.
#pragma once

#include <string>
#include <string_view>

#include "mvinfer/core/error.h"

namespace mvinfer::cli {

// The flag that sets a library option: "--" and the name with '-' for '_' ("live_fps" ->
// "--live-fps"), except where the CLI names it otherwise (zoo's width_mult is --width).
std::string flag_of(std::string_view option);
// An Error's message as the CLI prints it: the setting it is about named by its flag.
std::string cli_message(const Error& e);

// "auto" -> 0, else a positive integer; throws Error{bad_flag} naming `flag`.
int parse_auto_int(const std::string& flag, const std::string& value);

// "5%", "10s" or "5%,10s" -> fraction and seconds (each left as it was when not given);
// throws Error{bad_flag} naming `flag`.
void parse_probe(const std::string& flag, const std::string& value, double& fraction,
                 double& seconds);

}  // namespace mvinfer::cli
