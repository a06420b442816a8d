#include "mvinfer/dist/redis.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <sstream>
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
// CLUSTERDOWN: the cluster is failing a node over (or lost a slot's every copy).
bool transient(const std::string& error) {
  return error.starts_with("LOADING") || error.starts_with("BUSY ") ||
         error.starts_with("TRYAGAIN") || error.starts_with("MASTERDOWN") ||
         error.starts_with("CLUSTERDOWN");
}

constexpr int kSlots = 16384;
// More MOVED/ASK replies than this for one command: the cluster is being resharded under us,
// or its nodes disagree; the last reply is then the error.
constexpr int kMaxRedirects = 8;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster's slots use.
uint16_t crc16(std::string_view bytes) {
  uint16_t crc = 0;
  for (const char ch : bytes) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(ch) << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

// `s` is all digits of an int in [lo, hi]: from_chars rejects signs, spaces and overflow.
bool int_in(std::string_view s, int lo, int hi, int& v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && v >= lo && v <= hi;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Sends `args` binary-safe on `c`; the reply, or nullptr when the connection broke.
redisReply* send(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

timeval to_timeval(double s) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(s);
  tv.tv_usec = static_cast<suseconds_t>((s - std::floor(s)) * 1e6);
  return tv;
}

}  // namespace

int redis_key_slot(std::string_view key) {
  if (const size_t open = key.find('{'); open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % kSlots;
}

std::optional<std::string> redis_command_key(const std::vector<std::string>& args) {
  if (args.empty()) return std::nullopt;
  const std::string name = upper(args[0]);
  if (name == "EVAL" || name == "EVALSHA" || name == "FCALL") {
    if (args.size() > 3 && args[2] != "0") return args[3];
    return std::nullopt;
  }
  if (name == "XREADGROUP" || name == "XREAD") {
    for (size_t i = 1; i + 1 < args.size(); ++i)
      if (upper(args[i]) == "STREAMS") return args[i + 1];
    return std::nullopt;
  }
  if (name == "XGROUP" || name == "XINFO" || name == "OBJECT" || name == "MEMORY")
    return args.size() > 2 ? std::optional<std::string>(args[2]) : std::nullopt;
  for (const char* keyless : {"PING", "SCAN", "CLUSTER", "INFO", "AUTH", "ASKING", "SCRIPT",
                              "DBSIZE", "FLUSHALL", "FLUSHDB", "KEYS", "CONFIG", "SHUTDOWN",
                              "HELLO", "SELECT", "TIME", "ECHO", "CLIENT", "READONLY"})
    if (name == keyless) return std::nullopt;
  return args.size() > 1 ? std::optional<std::string>(args[1]) : std::nullopt;
}

std::optional<RedisRedirect> parse_redis_redirect(std::string_view error) {
  RedisRedirect r;
  if (error.starts_with("MOVED ")) {
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    r.ask = true;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const size_t space = error.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view slot = error.substr(0, space), endpoint = error.substr(space + 1);
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  if (!int_in(slot, 0, kSlots - 1, r.slot) || !int_in(endpoint.substr(colon + 1), 1, 65535, r.port))
    return std::nullopt;
  r.host = std::string(endpoint.substr(0, colon));
  return r;
}

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
  if (a.host.empty()) throw bad("no host");
  if (!int_in(t.substr(colon + 1), 1, 65535, a.port))
    throw bad("the port is not a number from 1 to 65535");
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
  nodes_.push_back(Node{options_.address, nullptr});
  connect_with_retries(nodes_[0], options_.connect_tries, 0, "");
}

RedisClient::RedisClient(RedisClient&& o) noexcept
    : options_(std::move(o.options_)),
      nodes_(std::move(o.nodes_)),
      slot_node_(std::move(o.slot_node_)),
      reconnects_(o.reconnects_),
      redirects_(o.redirects_) {
  o.nodes_.clear();
}

RedisClient& RedisClient::operator=(RedisClient&& o) noexcept {
  if (this != &o) {
    close_all();
    options_ = std::move(o.options_);
    nodes_ = std::move(o.nodes_);
    slot_node_ = std::move(o.slot_node_);
    reconnects_ = o.reconnects_;
    redirects_ = o.redirects_;
    o.nodes_.clear();
  }
  return *this;
}

RedisClient::~RedisClient() { close_all(); }

void RedisClient::close_all() {
  for (Node& n : nodes_)
    if (n.ctx) redisFree(n.ctx);
  nodes_.clear();
}

bool RedisClient::try_connect(Node& node, std::string& why) {
  if (node.ctx) {
    redisFree(node.ctx);
    node.ctx = nullptr;
  }
  const timeval tv = to_timeval(options_.timeout_s);
  redisContext* c = redisConnectWithTimeout(node.address.host.c_str(), node.address.port, tv);
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
  if (!node.address.password.empty()) {
    std::vector<std::string> args{"AUTH"};
    if (!node.address.user.empty()) args.push_back(node.address.user);
    args.push_back(node.address.password);
    redisReply* r = send(c, args);
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
                              node.address.text(), said));
    }
  }
  node.ctx = c;
  return true;
}

// Tries until connected: `tries` attempts, or (when window_s > 0) for window_s seconds.
void RedisClient::connect_with_retries(Node& node, int tries, double window_s,
                                       const std::string& lost) {
  const auto start = std::chrono::steady_clock::now();
  std::string why;
  for (int attempt = 0;; ++attempt) {
    if (try_connect(node, why)) return;
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool give_up = window_s > 0 ? waited >= window_s : attempt + 1 >= tries;
    if (give_up) {
      if (!lost.empty())
        throw Error(ErrorCode::io,
                    fmt::format("redis {}: connection lost ({}) and not back after {:.0f} s: {} "
                                "(expected the server to come back)",
                                node.address.text(), lost, waited, why));
      throw Error(ErrorCode::io,
                  fmt::format("redis {}: cannot connect after {} tries: {} (expected a Redis "
                              "server listening there)",
                              node.address.text(), attempt + 1, why));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(dist::retry_delay_ms(attempt)));
  }
}

// The node at host:port (an empty host: `from`'s, as Redis 7 may say), added when new.
size_t RedisClient::node_for(const std::string& host, int port, const Node& from) {
  const std::string h = host.empty() ? from.address.host : host;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].address.host == h && nodes_[i].address.port == port) return i;
  Node n{options_.address, nullptr};  // the credentials of the seed
  n.address.host = h;
  n.address.port = port;
  nodes_.push_back(std::move(n));
  return nodes_.size() - 1;
}

RedisReply RedisClient::command(const std::vector<std::string>& args, bool errors_ok) {
  size_t at = 0;  // the node to send it to: the slot's when a MOVED told us, else the seed
  if (!slot_node_.empty())
    if (const std::optional<std::string> key = redis_command_key(args)) {
      const int16_t known = slot_node_[static_cast<size_t>(redis_key_slot(*key))];
      if (known >= 0) at = static_cast<size_t>(known);
    }
  bool asking = false;  // send ASKING first: an ASK redirection is being followed
  int redirected = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    Node& node = nodes_[at];
    if (node.ctx == nullptr) connect_with_retries(node, 0, options_.reconnect_s, "no connection");
    if (asking)
      if (redisReply* r = send(node.ctx, {"ASKING"})) freeReplyObject(r);
    redisReply* r = send(node.ctx, args);
    if (r == nullptr) {  // the connection broke: reconnect and send it again
      const std::string lost = node.ctx->errstr;
      const double left =
          options_.reconnect_s -
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      connect_with_retries(node, 0, std::max(0.001, left), lost);
      ++reconnects_;
      continue;
    }
    RedisReply reply = copy_reply(r);
    freeReplyObject(r);
    if (reply.type != RedisReply::Type::error) return reply;
    asking = false;
    if (const std::optional<RedisRedirect> to = parse_redis_redirect(reply.str);
        to && redirected < kMaxRedirects) {
      ++redirected;
      ++redirects_;
      at = node_for(to->host, to->port, node);
      if (to->ask) {
        asking = true;
      } else {
        if (slot_node_.empty()) slot_node_.assign(kSlots, -1);
        slot_node_[static_cast<size_t>(to->slot)] = static_cast<int16_t>(at);
      }
      continue;
    }
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (transient(reply.str) && waited < options_.reconnect_s) {
      std::this_thread::sleep_for(std::chrono::milliseconds(dist::retry_delay_ms(attempt)));
      continue;
    }
    if (errors_ok) return reply;
    throw Error(ErrorCode::internal, fmt::format("redis {}: {}: {}", nodes_[at].address.text(),
                                                 args.empty() ? "" : args.front(), reply.str));
  }
}

std::vector<RedisAddress> RedisClient::masters() {
  const RedisReply r = command({"CLUSTER", "NODES"}, /*errors_ok=*/true);
  if (r.type == RedisReply::Type::error) return {options_.address};  // not a cluster
  std::vector<RedisAddress> out;
  std::istringstream lines(r.str);
  for (std::string line; std::getline(lines, line);) {
    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <state> <slots>...
    std::istringstream f(line);
    std::string id, endpoint, flags;
    if (!(f >> id >> endpoint >> flags)) continue;
    if (flags.find("master") == std::string::npos || flags.find("fail") != std::string::npos ||
        flags.find("noaddr") != std::string::npos)
      continue;
    endpoint = endpoint.substr(0, endpoint.find('@'));
    const size_t colon = endpoint.rfind(':');
    if (colon == std::string::npos) continue;
    RedisAddress a = options_.address;
    a.host = colon == 0 ? nodes_[0].address.host : endpoint.substr(0, colon);
    if (int_in(std::string_view(endpoint).substr(colon + 1), 1, 65535, a.port))
      out.push_back(std::move(a));
  }
  if (out.empty()) out.push_back(options_.address);
  return out;
}

RedisClient RedisClient::on_node(const RedisAddress& node) const {
  RedisOptions o = options_;
  o.address = node;
  return RedisClient(std::move(o));
}

RedisReply RedisClient::eval(std::string_view script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args) {
  std::vector<std::string> argv{"EVAL", std::string(script), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return command(argv);
}

}  // namespace mvinfer
