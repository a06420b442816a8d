// Processes the distributed tests own: a redis-server of their own and mvinfer workers. Each is
// stopped (SIGKILL when it does not stop), reaped and its files removed by its destructor, so a
// failing test leaves nothing running.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// Skips a test that needs redis-server where it is not installed, saying so.
#define SKIP_WITHOUT_REDIS()                                                                    \
  if (::mvinfer::testing::redis_server_path().empty())                                          \
  GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server; scripts/setup " \
                  "does it)"

namespace mvinfer::testing {

// redis-server's path, or empty when it is not installed (the tests then skip, saying so).
std::string redis_server_path();

// A loopback port nothing listens on now.
int free_port();

// redis-server on a free loopback port with `--dir` a fresh temporary directory, removed by the
// destructor. `aof`: --appendonly yes with fsync on every write, so a restart keeps everything.
class RedisServer {
 public:
  // `password`: --requirepass, and start() authenticates with it. `cluster`: --cluster-enabled
  // (RedisCluster gives it slots and joins it to the others).
  explicit RedisServer(bool aof = false, std::string password = "", bool cluster = false);
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer();

  int port() const { return port_; }
  int cluster_port() const { return cluster_port_; }  // the cluster bus (0: not a cluster node)
  std::string address() const;                        // "127.0.0.1:PORT"
  void stop();   // SIGTERM (Redis writes its data and exits), reaped
  void start();  // again, on the same port and directory; returns once it answers PING

 private:
  int port_;
  bool aof_;
  std::string password_;
  bool cluster_;
  int cluster_port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

// A Redis Cluster of `masters` nodes (no replicas) on loopback ports: node i owns the slots
// [i * 16384 / masters, (i + 1) * 16384 / masters). The constructor returns once every node
// says cluster_state:ok and knows every other.
class RedisCluster {
 public:
  explicit RedisCluster(int masters = 3);
  RedisServer& node(size_t i) { return *nodes_.at(i); }
  size_t size() const { return nodes_.size(); }
  size_t owner_of_slot(int slot) const;
  size_t owner_of_key(std::string_view key) const;  // by its hash slot

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

// `mvinfer ARGS` started in the background, stderr and stdout to files in `dir`.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& dir,
        const std::string& tag);
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits up to `timeout_s`: the exit code, 128 + N when killed by signal N, or -1 on timeout.
  int wait(double timeout_s);
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path out_, err_;
  bool reaped_ = false;
};

}  // namespace mvinfer::testing
