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

RedisServer::RedisServer(bool aof, std::string password)
    : port_(free_port()), aof_(aof), password_(std::move(password)) {
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
