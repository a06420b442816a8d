// Small parsing helpers shared by the subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "mvinfer/core/error.h"
#include "mvinfer/dist/redis.h"

namespace mvinfer::cli {

// The flag that sets a library option: "--" and the name with '-' for '_' ("live_fps" ->
// "--live-fps"), except where the CLI names it otherwise (zoo's width_mult is --width).
std::string flag_of(std::string_view option);
// An Error's message as the CLI prints it: the setting it is about named by its flag.
std::string cli_message(const Error& e);

// The one line a flag-parsing error prints (without "mvinfer: error: "). CLI11 checks required
// flags before it reports words it did not expect, so `run --turbo` would say "--video is
// required": an unexpected word is named first, and an unknown command lists the known ones.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e);

// "auto" -> 0, else a positive integer; throws Error{bad_flag} naming `flag`.
int parse_auto_int(const std::string& flag, const std::string& value);

// CLI11 checks with one-line messages that say what was expected (CLI11's PositiveNumber
// prints the range up to the largest double, and lets NaN through).
// Upper bounds of the CLI's counts: far beyond any real use, low enough that nothing
// overflows or allocates absurdly before the memory check (limits.h) can say what is needed.
inline constexpr int64_t kMaxFrames = 1'000'000'000'000;
inline constexpr int64_t kMaxBatch = 65536;
inline constexpr int64_t kMaxLoop = 1'000'000;
inline constexpr int64_t kMaxQueueDepth = 4096;
inline constexpr double kMinLiveFps = 0.001, kMaxLiveFps = 100000;
// An integer from 1 to `max`.
CLI::Validator positive_integer(int64_t max);
// A finite number from `lo` to `hi`.
CLI::Validator number_in(double lo, double hi);

// "5%", "10s" or "5%,10s" -> fraction and seconds (each left as it was when not given);
// throws Error{bad_flag} naming `flag`.
void parse_probe(const std::string& flag, const std::string& value, double& fraction,
                 double& seconds);

// Installs the SIGINT/SIGTERM handler the long-running commands share and returns the flag it
// sets: the command polls it and stops cleanly; a second signal ends the process at once.
const std::atomic<bool>& stop_on_signals();

// --redis and --redis-wait, shared by submit, worker, collect and status.
struct RedisFlags {
  std::string address = "127.0.0.1:6379";
  double wait_s = 60;
};
void add_redis_flags(CLI::App* app, RedisFlags& flags);
RedisOptions redis_options(const RedisFlags& flags);  // throws Error{bad_flag} naming --redis

}  // namespace mvinfer::cli
