#include "redis_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/dist/redis.h"
#include "test_support.h"

extern char** environ;

namespace mvinfer::testing {
namespace {

pid_t spawn(const std::string& path, std::vector<std::string> args, const std::string& out,
            const std::string& err) {
  args.insert(args.begin(), path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + path);
  return pid;
}

// Waits for `pid` up to `timeout_s`; the wait status, or -1 when it is still running.
int wait_for(pid_t pid, double timeout_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return 0;
    if (std::chrono::steady_clock::now() >= end) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void kill_and_reap(pid_t pid, int first_signal, double grace_s) {
  if (pid <= 0) return;
  ::kill(pid, first_signal);
  if (wait_for(pid, grace_s) == -1) {
    ::kill(pid, SIGKILL);
    wait_for(pid, 30);
  }
}

}  // namespace

std::string redis_server_path() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/usr/sbin");
  for (std::string d; std::getline(dirs, d, ':');) {
    const std::string p = d + "/redis-server";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("no free loopback port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

RedisServer::RedisServer(bool aof, std::string password, bool cluster)
    : port_(free_port()),
      aof_(aof),
      password_(std::move(password)),
      cluster_(cluster),
      cluster_port_(cluster ? free_port() : 0) {
  dir_ = scratch_dir("redis-" + std::to_string(port_));
  start();
}

RedisServer::~RedisServer() {
  kill_and_reap(pid_, SIGKILL, 5);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

void RedisServer::start() {
  std::vector<std::string> args{"--port",        std::to_string(port_),
                                "--bind",        "127.0.0.1",
                                "--dir",         dir_.string(),
                                "--save",        "",
                                "--daemonize",   "no",
                                "--appendonly",  aof_ ? "yes" : "no",
                                "--appendfsync", "always",
                                "--logfile",     (dir_ / "redis.log").string()};
  if (!password_.empty()) args.insert(args.end(), {"--requirepass", password_});
  if (cluster_)
    args.insert(args.end(), {"--cluster-enabled", "yes", "--cluster-config-file",
                             (dir_ / "nodes.conf").string(), "--cluster-node-timeout", "5000",
                             // the bus port: by default port + 10000, past 65535 for high ports
                             "--cluster-port", std::to_string(cluster_port_)});
  pid_ = spawn(redis_server_path(), args, (dir_ / "stdout").string(), (dir_ / "stderr").string());
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    try {
      RedisOptions o;
      o.address = parse_redis_address(address());
      o.address.password = password_;
      o.connect_tries = 1;
      o.reconnect_s = 0.5;
      RedisClient c(o);
      if (c.command({"PING"}).str == "PONG") return;
    } catch (const Error&) {
    }
    if (std::chrono::steady_clock::now() >= end)
      throw std::runtime_error("redis-server did not answer on " + address());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void RedisServer::stop() {
  kill_and_reap(pid_, SIGTERM, 10);
  pid_ = -1;
}

RedisCluster::RedisCluster(int masters) {
  for (int i = 0; i < masters; ++i)
    nodes_.push_back(std::make_unique<RedisServer>(false, "", true));
  auto client = [](const RedisServer& s) {
    RedisOptions o;
    o.address = parse_redis_address(s.address());
    return RedisClient(o);
  };
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const int first = static_cast<int>(i * 16384 / nodes_.size());
    const int last = static_cast<int>((i + 1) * 16384 / nodes_.size()) - 1;
    RedisClient c = client(*nodes_[i]);
    c.command({"CLUSTER", "ADDSLOTSRANGE", std::to_string(first), std::to_string(last)});
    if (i > 0)
      c.command({"CLUSTER", "MEET", "127.0.0.1", std::to_string(nodes_[0]->port()),
                 std::to_string(nodes_[0]->cluster_port())});
  }
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& n : nodes_) {
    RedisClient c = client(*n);
    for (;;) {
      const std::string info = c.command({"CLUSTER", "INFO"}).str;
      const std::string nodes = c.command({"CLUSTER", "NODES"}).str;
      size_t connected = 0;
      for (size_t at = nodes.find(" connected"); at != std::string::npos;
           at = nodes.find(" connected", at + 1))
        ++connected;
      if (info.find("cluster_state:ok") != std::string::npos && connected == nodes_.size()) break;
      if (std::chrono::steady_clock::now() >= end)
        throw std::runtime_error("the cluster did not form: " + info + "\n" + nodes);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

size_t RedisCluster::owner_of_slot(int slot) const {
  size_t owner = 0;  // the last node whose first slot is at or before `slot`
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (static_cast<int>(i * 16384 / nodes_.size()) <= slot) owner = i;
  return owner;
}

size_t RedisCluster::owner_of_key(std::string_view key) const {
  return owner_of_slot(redis_key_slot(key));
}

Child::Child(const std::vector<std::string>& args, const std::filesystem::path& dir,
             const std::string& tag)
    : out_(dir / (tag + ".stdout")), err_(dir / (tag + ".stderr")) {
  pid_ = spawn(kCli, args, out_.string(), err_.string());
}

Child::~Child() {
  if (!reaped_) kill_and_reap(pid_, SIGKILL, 5);
}

void Child::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int Child::wait(double timeout_s) {
  const int status = wait_for(pid_, timeout_s);
  if (status == -1) return -1;
  reaped_ = true;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string Child::err() const {
  std::ifstream in(err_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace mvinfer::testing
