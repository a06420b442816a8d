#include "cli_util.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "mvinfer/core/error.h"
#include "mvinfer/io/frame_source.h"

namespace mvinfer::cli {

static bool positive(const std::string& s, int& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v > 0;
}

std::string flag_of(std::string_view option) {
  // Library names the CLI spells otherwise.
  static constexpr std::pair<std::string_view, std::string_view> kRenamed[] = {
      {"width_mult", "--width"},               // zoo
      {"dir", "--out"},                        // zoo
      {"out_jsonl", "--out"},                  // run
      {"save_tensors_dir", "--save-tensors"},  // run
      {"videos", "--video"},                   // run
      {"models", "--model or --config"},       // run, bench
  };
  for (const auto& [name, flag] : kRenamed)
    if (option == name) return std::string(flag);
  std::string flag = "--" + std::string(option);
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::RequiredError*>(&e) == nullptr &&
      dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr)
    return e.what();
  const std::vector<std::string> unexpected = app.remaining(true);
  if (unexpected.empty()) return e.what();
  if (app.get_subcommands().empty() && !unexpected[0].starts_with('-')) {
    std::string known;
    for (const CLI::App* sub : app.get_subcommands({}))
      known += (known.empty() ? "" : ", ") + sub->get_name();
    return fmt::format("unknown command '{}': expected one of {}", unexpected[0], known);
  }
  std::string words;
  for (const std::string& w : unexpected) words += (words.empty() ? "" : " ") + w;
  return fmt::format("{} not expected: {}", unexpected.size() == 1 ? "argument" : "arguments",
                     words);
}

std::string cli_message(const Error& e) {
  return e.option().empty() ? e.what() : e.message_naming_option(flag_of(e.option()));
}

int parse_auto_int(const std::string& flag, const std::string& value) {
  if (value == "auto") return 0;
  int v = 0;
  if (!positive(value, v))
    throw Error(ErrorCode::bad_flag,
                fmt::format("{} '{}': expected 'auto' or a positive integer", flag, value));
  return v;
}

CLI::Validator positive_integer(int64_t max) {
  return CLI::Validator(
      [max](std::string& s) -> std::string {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size() && v >= 1 && v <= max) return "";
        return fmt::format("'{}': expected an integer from 1 to {}", s, max);
      },
      fmt::format("INT in [1, {}]", max));
}

CLI::Validator number_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        double v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size() && std::isfinite(v) && v >= lo && v <= hi)
          return "";
        return fmt::format("'{}': expected a number from {:g} to {:g}", s, lo, hi);
      },
      fmt::format("NUMBER in [{:g}, {:g}]", lo, hi));
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
    if (number && unit == '%' && v <= 100)
      fraction = v / 100;
    else if (number && unit == 's')
      seconds = v;
    else
      throw Error(ErrorCode::bad_flag,
                  fmt::format("{} '{}': expected a share of the frames and/or seconds, e.g. "
                              "5%,10s",
                              flag, value));
    start = end + 1;
  }
}

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int sig) {
  g_stop.store(true);
  signal(sig, SIG_DFL);  // a second one ends the process at once
}
}  // namespace

const std::atomic<bool>& stop_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  set_stream_stop(&g_stop);  // FFmpeg's waits on a stream URL notice it too
  return g_stop;
}

void add_redis_flags(CLI::App* app, RedisFlags& flags) {
  if (const char* env = std::getenv("MVINFER_REDIS"); env && *env) flags.address = env;
  app->add_option("--redis", flags.address,
                  "Redis server HOST:PORT (default $MVINFER_REDIS, else 127.0.0.1:6379)");
  app->add_option("--redis-wait", flags.wait_s,
                  "Seconds to keep reconnecting when the connection to Redis breaks")
      ->default_val(60)
      ->check(number_in(0.1, 86400));
}

RedisOptions redis_options(const RedisFlags& flags) {
  RedisOptions o;
  o.address = parse_redis_address(flags.address);
  o.reconnect_s = flags.wait_s;
  return o;
}

}  // namespace mvinfer::cli
