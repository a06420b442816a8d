#include "mvinfer/dist/redis.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/dist/rules.h"

namespace mvinfer {
namespace {

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:  // hiredis 0.14 speaks RESP2 only: maps and sets come as arrays
      out.type = RedisReply::Type::array;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      break;  // nil
  }
  return out;
}

// Error replies that mean "not now" rather than "wrong": the server is reading its data back
// after a restart, or a script is running long ("BUSY ...", not "BUSYGROUP", which says a
// consumer group exists already and was retried for the whole reconnect window).
bool transient(const std::string& error) {
  return error.starts_with("LOADING") || error.starts_with("BUSY ") ||
         error.starts_with("TRYAGAIN") || error.starts_with("MASTERDOWN");
}

timeval to_timeval(double s) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(s);
  tv.tv_usec = static_cast<suseconds_t>((s - std::floor(s)) * 1e6);
  return tv;
}

}  // namespace

std::string RedisAddress::text() const { return fmt::format("{}:{}", host, port); }

RedisAddress parse_redis_address(std::string_view text) {
  // The address as given, but for a password in it.
  std::string shown(text);
  if (const size_t at = shown.rfind('@'); at != std::string::npos) {
    const size_t from = shown.starts_with("redis://") ? 8 : 0;
    shown.replace(from, at - from, "***");
  }
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::bad_flag, Error::Option{"redis"},
                 fmt::format(" '{}': {} (expected HOST:PORT, e.g. 127.0.0.1:6379)", shown, why));
  };
  std::string_view t = text;
  if (t.starts_with("redis://")) t.remove_prefix(8);
  RedisAddress a;
  if (const size_t at = t.rfind('@'); at != std::string_view::npos) {
    const std::string_view cred = t.substr(0, at);
    const size_t colon = cred.find(':');
    a.user =
        std::string(colon == std::string_view::npos ? std::string_view{} : cred.substr(0, colon));
    a.password = std::string(colon == std::string_view::npos ? cred : cred.substr(colon + 1));
    t.remove_prefix(at + 1);
  }
  if (t.empty()) throw bad("no host");
  const size_t colon = t.rfind(':');
  if (colon == std::string_view::npos) {
    a.host = std::string(t);
    return a;
  }
  a.host = std::string(t.substr(0, colon));
  std::string_view port = t.substr(colon + 1);
  int p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (a.host.empty()) throw bad("no host");
  if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
    throw bad("the port is not a number from 1 to 65535");
  a.port = p;
  return a;
}

int64_t RedisReply::as_int() const {
  if (type == Type::integer) return integer;
  int64_t v = 0;
  if (type == Type::string || type == Type::status) {
    const auto [end, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
    if (ec == std::errc() && end == str.data() + str.size()) return v;
  }
  if (type == Type::nil) return 0;
  throw Error(ErrorCode::internal, fmt::format("redis: expected an integer reply, got '{}'", str));
}

std::string RedisReply::field(std::string_view name) const {
  for (size_t i = 0; i + 1 < elements.size(); i += 2)
    if (elements[i].str == name) return elements[i + 1].str;
  return {};
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {
  connect_with_retries(options_.connect_tries, 0, "");
}

RedisClient::RedisClient(RedisClient&& o) noexcept
    : options_(std::move(o.options_)), ctx_(o.ctx_), reconnects_(o.reconnects_) {
  o.ctx_ = nullptr;
}

RedisClient& RedisClient::operator=(RedisClient&& o) noexcept {
  if (this != &o) {
    if (ctx_) redisFree(ctx_);
    options_ = std::move(o.options_);
    ctx_ = o.ctx_;
    reconnects_ = o.reconnects_;
    o.ctx_ = nullptr;
  }
  return *this;
}

RedisClient::~RedisClient() {
  if (ctx_) redisFree(ctx_);
}

bool RedisClient::try_connect(std::string& why) {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  const timeval tv = to_timeval(options_.timeout_s);
  redisContext* c =
      redisConnectWithTimeout(options_.address.host.c_str(), options_.address.port, tv);
  if (c == nullptr) {
    why = "out of memory";
    return false;
  }
  if (c->err) {
    why = c->errstr;
    redisFree(c);
    return false;
  }
  redisSetTimeout(c, tv);
  redisEnableKeepAlive(c);
  if (!options_.address.password.empty()) {
    std::vector<std::string> args{"AUTH"};
    if (!options_.address.user.empty()) args.push_back(options_.address.user);
    args.push_back(options_.address.password);
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r == nullptr) {
      why = c->errstr;
      redisFree(c);
      return false;
    }
    const bool refused = r->type == REDIS_REPLY_ERROR;
    const std::string said = refused ? std::string(r->str, r->len) : "";
    freeReplyObject(r);
    if (refused) {
      redisFree(c);
      // Not a connection to retry: the same password will be refused again.
      throw Error(ErrorCode::bad_flag, Error::Option{"redis"},
                  fmt::format(" {}: authentication refused: {} (expected the server's "
                              "password in redis://[USER]:PASSWORD@HOST:PORT)",
                              options_.address.text(), said));
    }
  }
  ctx_ = c;
  return true;
}

// Tries until connected: `tries` attempts, or (when window_s > 0) for window_s seconds.
void RedisClient::connect_with_retries(int tries, double window_s, const std::string& lost) {
  const auto start = std::chrono::steady_clock::now();
  std::string why;
  for (int attempt = 0;; ++attempt) {
    if (try_connect(why)) return;
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool give_up = window_s > 0 ? waited >= window_s : attempt + 1 >= tries;
    if (give_up) {
      if (!lost.empty())
        throw Error(ErrorCode::io,
                    fmt::format("redis {}: connection lost ({}) and not back after {:.0f} s: {} "
                                "(expected the server to come back)",
                                options_.address.text(), lost, waited, why));
      throw Error(ErrorCode::io,
                  fmt::format("redis {}: cannot connect after {} tries: {} (expected a Redis "
                              "server listening there)",
                              options_.address.text(), attempt + 1, why));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(dist::retry_delay_ms(attempt)));
  }
}

RedisReply RedisClient::command(const std::vector<std::string>& args, bool errors_ok) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    if (ctx_ == nullptr) connect_with_retries(0, options_.reconnect_s, "no connection");
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r == nullptr) {  // the connection broke: reconnect and send it again
      const std::string lost = ctx_->errstr;
      const double left =
          options_.reconnect_s -
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      connect_with_retries(0, std::max(0.001, left), lost);
      ++reconnects_;
      continue;
    }
    RedisReply reply = copy_reply(r);
    freeReplyObject(r);
    if (reply.type != RedisReply::Type::error) return reply;
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (transient(reply.str) && waited < options_.reconnect_s) {
      std::this_thread::sleep_for(std::chrono::milliseconds(dist::retry_delay_ms(attempt)));
      continue;
    }
    if (errors_ok) return reply;
    throw Error(ErrorCode::internal, fmt::format("redis {}: {}: {}", options_.address.text(),
                                                 args.empty() ? "" : args.front(), reply.str));
  }
}

RedisReply RedisClient::eval(std::string_view script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args) {
  std::vector<std::string> argv{"EVAL", std::string(script), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return command(argv);
}

}  // namespace mvinfer
