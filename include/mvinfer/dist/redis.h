// RedisClient: one connection to a Redis server through hiredis, owned (move-only; the
// destructor closes it). Commands are argument vectors sent binary-safe (redisCommandArgv), and
// replies are copied out into RedisReply, so no hiredis object outlives a call.
//
// A connection that breaks (the server restarted, a network blip) is re-established with
// back-off (retry_delay_ms() in dist/rules.h) for up to RedisOptions::reconnect_s, and the
// command is sent again; so are replies that say the server is not ready yet (LOADING while it
// reads its append-only file back). A command may therefore run twice when its reply was lost:
// everything mvinfer sends is written to tolerate that (first result wins, duplicates counted).
//
// Redis Cluster: a command whose key lives on another node is answered `MOVED SLOT HOST:PORT`;
// the client then remembers that slot's node, connects there (one connection per node, kept)
// and sends the command again, so later commands of that slot go straight there. `ASK` (a slot
// being migrated) is followed once, after ASKING, without remembering it. Every key of a job
// has the job's name as its hash tag, so a job's commands and scripts go to one node.
// Used by one thread at a time; a second thread opens its own client.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace mvinfer {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  // AUTH after every connection when not empty (a user of Redis 6's ACLs, or the default user).
  std::string user, password;
  std::string text() const;  // "host:port": never the password
};

// "HOST:PORT", "HOST" (port 6379) or "redis://[[USER]:PASSWORD@]HOST[:PORT]"; throws
// Error{bad_flag} about option "redis".
RedisAddress parse_redis_address(std::string_view text);

// Redis Cluster's hash slot of `key` (CRC16 of its hash tag, the part inside the first {...} when
// that is not empty, else of the whole key, modulo 16384), as CLUSTER KEYSLOT computes it.
int redis_key_slot(std::string_view key);

// The key that decides which cluster node a command goes to: the first key of EVAL, the stream
// of XREADGROUP/XREAD, the key of XGROUP/XINFO subcommands, else the first argument; none for
// commands without a key (PING, SCAN, CLUSTER, INFO, ...).
std::optional<std::string> redis_command_key(const std::vector<std::string>& args);

// A cluster redirection: "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381" (an empty
// host, as Redis 7 may send, means the host of the node that answered: `host` stays empty).
struct RedisRedirect {
  bool ask = false;
  int slot = 0;
  std::string host;
  int port = 0;
};
std::optional<RedisRedirect> parse_redis_redirect(std::string_view error);

struct RedisOptions {
  RedisAddress address;
  // A first connection that cannot be made fails after this many tries (a wrong address should
  // say so at once); an established one that breaks is retried for reconnect_s seconds.
  int connect_tries = 3;
  double reconnect_s = 60;
  double timeout_s = 10;  // connecting, and each reply (commands that block wait less than this)
};

struct RedisReply {
  enum class Type { nil, integer, string, status, array, error };
  Type type = Type::nil;
  int64_t integer = 0;
  std::string str;  // string, status and error replies
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::nil; }
  // The reply as an integer: an integer reply, or a string of digits. Error{internal} otherwise.
  int64_t as_int() const;
  // A flat array of field, value, field, value... (HGETALL, a stream entry's fields): the value
  // of `field`, or empty.
  std::string field(std::string_view name) const;
};

class RedisClient {
 public:
  // Connects, or throws Error{io} naming the address and why after connect_tries.
  explicit RedisClient(RedisOptions options);
  RedisClient(RedisClient&& other) noexcept;
  RedisClient& operator=(RedisClient&& other) noexcept;
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;
  ~RedisClient();

  // Sends `args` and returns the reply. An error reply is thrown as Error{internal} naming the
  // command (mvinfer sends only commands it expects to succeed), except when `errors_ok`: then
  // it is returned. A connection lost is retried as above, then Error{io}.
  RedisReply command(const std::vector<std::string>& args, bool errors_ok = false);
  // EVAL of `script` with `keys` and `args`.
  RedisReply eval(std::string_view script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args);

  // The address given (a cluster's seed node).
  const RedisAddress& address() const { return options_.address; }
  int reconnects() const { return reconnects_; }  // connections re-established so far
  int redirects() const { return redirects_; }    // MOVED and ASK replies followed so far

  // The nodes that hold keys: a cluster's masters (CLUSTER NODES), or the one server when it is
  // not a cluster. Commands without a key (SCAN) see one node's keys only: run them on each.
  std::vector<RedisAddress> masters();
  // A new client with these options, on `node` (password and timeouts as this one's).
  RedisClient on_node(const RedisAddress& node) const;

 private:
  struct Node {
    RedisAddress address;
    redisContext* ctx = nullptr;
  };
  void connect_with_retries(Node& node, int tries, double window_s, const std::string& why);
  bool try_connect(Node& node, std::string& why);
  size_t node_for(const std::string& host, int port, const Node& from);
  void close_all();

  RedisOptions options_;
  std::vector<Node> nodes_;         // [0]: options_.address; others learnt from MOVED/ASK
  std::vector<int16_t> slot_node_;  // slot -> index in nodes_ once a MOVED said so, else -1
  int reconnects_ = 0;
  int redirects_ = 0;
};

}  // namespace mvinfer
