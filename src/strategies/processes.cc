// processes: one worker process per model (the seed's multiprocessing design, done properly).
//
// The parent writes every batch's input tensors once into one POSIX shared-memory segment
// (never copied or serialised per access, unlike the seed's Manager().list), then forks one
// worker per model. Each worker creates its own session, reads its inputs straight from the
// shared memory, and streams back (seq, Run() begin/end, outputs) over a pipe; the parent puts
// the results in frame order and replays the timings to the observer.
//
// Cleanup is by ownership: the segment is unlinked as soon as it is mapped (the mapping
// survives fork), so nothing is ever left in /dev/shm; each worker is a ChildProcess that is
// killed and reaped in its destructor; workers ignore SIGINT (the parent decides) and die with
// the parent (PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "core/cuda_runtime.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "shared.h"
#include "strategies.h"

namespace mvinfer::strategies {
namespace {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// A POSIX shared-memory segment, mapped read-write. Unlinked right after mapping: children
// inherit the mapping through fork, and no name is left behind even if we are SIGKILLed.
class SharedMemory {
 public:
  explicit SharedMemory(size_t bytes) : size_(std::max<size_t>(bytes, 1)) {
    static std::atomic<int> counter{0};
    const std::string name = fmt::format("/mvinfer-{}-{}", getpid(), counter++);
    UniqueFd fd(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
    if (fd.get() < 0)
      throw Error(ErrorCode::internal, fmt::format("shm_open {}: {}", name, std::strerror(errno)));
    const bool sized = ftruncate(fd.get(), static_cast<off_t>(size_)) == 0;
    void* p =
        sized ? mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0) : MAP_FAILED;
    const int err = errno;
    shm_unlink(name.c_str());
    if (p == MAP_FAILED)
      throw Error(ErrorCode::internal,
                  fmt::format("shared memory of {} bytes: {}", size_, std::strerror(err)));
    data_ = static_cast<std::byte*>(p);
  }
  ~SharedMemory() { munmap(data_, size_); }
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  std::byte* data() const { return data_; }

 private:
  size_t size_;
  std::byte* data_ = nullptr;
};

// A forked worker: killed (SIGKILL) and reaped when destroyed before it was reaped.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(ChildProcess&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), status_(o.status_), usage_(o.usage_) {}
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      reap();
    }
  }
  pid_t pid() const { return pid_ > 0 ? pid_ : reaped_pid_; }
  // Waits for the worker to end; returns its wait status.
  int reap() {
    if (pid_ > 0) {
      while (wait4(pid_, &status_, 0, &usage_) < 0 && errno == EINTR) {
      }
      reaped_pid_ = std::exchange(pid_, -1);
    }
    return status_;
  }
  void kill_now() {
    if (pid_ > 0) kill(pid_, SIGKILL);
  }
  // The worker's peak RSS (shared pages included), once reaped.
  double peak_rss_mib() const { return static_cast<double>(usage_.ru_maxrss) / 1024.0; }

 private:
  pid_t pid_;
  pid_t reaped_pid_ = -1;
  int status_ = 0;
  rusage usage_{};
};

// Where batch b's input for model m lies in the shared memory.
struct InputSlot {
  size_t offset = 0;  // bytes
  size_t elements = 0;
  std::vector<int64_t> shape;
};

// Records on a worker's pipe. All integers native-endian (same machine).
enum RecordKind : uint32_t { kResult = 1, kError = 2, kDone = 3 };

void write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(3);  // the parent is gone: nothing left to report to
    p += w;
    n -= static_cast<size_t>(w);
  }
}

template <typename T>
void put(std::string& buf, const T& v) {
  buf.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// Memory only this process holds (private pages, "USS"), in MiB. A forked worker's RSS also
// counts every page it shares with the parent (the parent's heap, the shared frames), so
// summing RSS over workers would count those pages once per worker.
double unique_memory_mib() {
  std::ifstream in("/proc/self/smaps_rollup");
  double kib = 0;
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("Private_Clean:") || line.starts_with("Private_Dirty:"))
      kib += std::stod(line.substr(line.find(':') + 1));
  return kib / 1024.0;
}

[[noreturn]] void worker_main(int fd, const ModelSpec& spec, const SessionSettings& settings,
                              size_t model, const std::vector<std::vector<InputSlot>>& slots,
                              const std::byte* shm, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(3);
  signal(SIGINT, SIG_IGN);  // Ctrl-C is the parent's to handle
  signal(SIGPIPE, SIG_DFL);
  std::string buf;
  try {
    Model m(spec, settings);
    for (size_t b = 0; b < slots.size(); ++b) {
      const InputSlot& s = slots[b][model];
      std::span<const float> data(reinterpret_cast<const float*>(shm + s.offset), s.elements);
      const int64_t t0 = Clock::now().time_since_epoch().count();
      std::vector<Tensor> out = m.run(data, s.shape);
      const int64_t t1 = Clock::now().time_since_epoch().count();
      buf.clear();
      put(buf, kResult);
      put(buf, static_cast<int64_t>(b));
      put(buf, t0);
      put(buf, t1);
      put(buf, static_cast<uint32_t>(out.size()));
      for (const Tensor& t : out) {
        put(buf, static_cast<uint32_t>(t.shape.size()));
        for (int64_t d : t.shape) put(buf, d);
        put(buf, static_cast<uint64_t>(t.data.size()));
        buf.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
      }
      write_all(fd, buf.data(), buf.size());
    }
    buf.clear();
    put(buf, kDone);
    put(buf, unique_memory_mib());
    write_all(fd, buf.data(), buf.size());
    _exit(0);
  } catch (const Error& e) {
    buf.clear();
    put(buf, kError);
    put(buf, static_cast<uint32_t>(e.code()));
    const std::string what = e.what();
    put(buf, static_cast<uint32_t>(what.size()));
    buf += what;
  } catch (const std::exception& e) {
    buf.clear();
    put(buf, kError);
    put(buf, static_cast<uint32_t>(ErrorCode::internal));
    const std::string what = fmt::format("model '{}': {}", spec.name, e.what());
    put(buf, static_cast<uint32_t>(what.size()));
    buf += what;
  }
  write_all(fd, buf.data(), buf.size());
  _exit(1);
}

// CUDA does not survive fork(): a worker forked after this process used CUDA cannot use it.
// Refused up front, naming why, rather than failing in every worker.
void check_gpu_fork(std::span<const ModelSpec> specs, const std::vector<SessionSettings>& plan) {
  for (size_t m = 0; m < specs.size(); ++m)
    if (plan[m].provider != Provider::cpu && cuda::used_in_this_process())
      throw Error(ErrorCode::bad_flag,
                  fmt::format("strategy processes: model '{}' is on the GPU, and this process "
                              "has used CUDA already (an earlier run in it), which a forked "
                              "worker cannot use; run processes first in its own process",
                              specs[m].name));
}

// Incremental parser of one worker's pipe.
struct WorkerStream {
  std::string buf;
  bool done = false, eof = false;
  double unique_mib = 0;  // from the worker's last record
  std::optional<Error> error;

  template <typename T>
  bool take(size_t& pos, T& v) const {
    if (buf.size() - pos < sizeof(T)) return false;
    std::memcpy(&v, buf.data() + pos, sizeof(T));
    pos += sizeof(T);
    return true;
  }
};

struct Result {
  int64_t batch;  // index into the run's batches (not seq)
  int64_t begin_ns, end_ns;
  std::vector<Tensor> outputs;
};

// Parses whole records at the front of s.buf; stops at an incomplete one.
std::vector<Result> parse(WorkerStream& s) {
  std::vector<Result> results;
  size_t pos = 0;
  for (;;) {
    size_t p = pos;
    uint32_t kind = 0;
    if (!s.take(p, kind)) break;
    if (kind == kDone) {
      if (!s.take(p, s.unique_mib)) break;
      s.done = true;
      pos = p;
      continue;
    }
    if (kind == kError) {
      uint32_t code = 0, len = 0;
      if (!s.take(p, code) || !s.take(p, len) || s.buf.size() - p < len) break;
      s.error = Error(static_cast<ErrorCode>(code), s.buf.substr(p, len));
      pos = p + len;
      continue;
    }
    Result r;
    uint32_t n = 0;
    if (!s.take(p, r.batch) || !s.take(p, r.begin_ns) || !s.take(p, r.end_ns) || !s.take(p, n))
      break;
    bool whole = true;
    for (uint32_t i = 0; i < n && whole; ++i) {
      Tensor t;
      uint32_t rank = 0;
      uint64_t count = 0;
      whole = s.take(p, rank);
      for (uint32_t d = 0; whole && d < rank; ++d) {
        int64_t dim = 0;
        whole = s.take(p, dim);
        t.shape.push_back(dim);
      }
      whole = whole && s.take(p, count) && s.buf.size() - p >= count * sizeof(float);
      if (whole) {
        t.data.resize(count);
        std::memcpy(t.data.data(), s.buf.data() + p, count * sizeof(float));
        p += count * sizeof(float);
        r.outputs.push_back(std::move(t));
      }
    }
    if (!whole) break;
    results.push_back(std::move(r));
    pos = p;
  }
  s.buf.erase(0, pos);
  return results;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return "ended";
}

class Processes : public StrategyBase {
 public:
  explicit Processes(const StrategyOptions& options) : StrategyBase(options) {}
  std::string_view name() const override { return "processes"; }
  SessionPlan session_plan(std::span<const ModelSpec> specs) const override {
    return {static_cast<int>(specs.size()), 1};
  }
  void prepare(std::span<const ModelSpec>) override {}  // sessions live in the workers

  StrategyStats run(BatchSource& source, std::span<const ModelSpec> specs, ResultSink& sink,
                    Observer& observer) override {
    check_strategy_runs(name(), specs);
    StrategyStats stats = plan_sessions(specs);
    check_gpu_fork(specs, stats.sessions);
    stats.settings += ", one worker process per model, inputs in shared memory";
    const Graph graph(specs, std::vector<const Model*>(specs.size(), nullptr));
    const std::vector<SessionSettings>& plan = stats.sessions;

    // Every batch's inputs go into shared memory once; models that share a preprocessing
    // share the bytes too.
    std::vector<std::shared_ptr<const Batch>> batches;
    // A stop request ends the reading at once; a source that fails ends it too. Either way
    // the batches read so far still run (and are emitted) before the error is raised.
    std::exception_ptr source_error;
    try {
      while (!stop_requested())
        if (auto b = source.next())
          batches.push_back(std::make_shared<const Batch>(std::move(*b)));
        else
          break;
    } catch (...) {
      source_error = std::current_exception();
    }
    std::vector<std::vector<InputSlot>> slots(batches.size());
    std::map<const Tensor*, size_t> placed;
    size_t bytes = 0;
    for (size_t b = 0; b < batches.size(); ++b)
      for (size_t m = 0; m < specs.size(); ++m) {
        const Tensor* t = batches[b]->inputs[m].get();
        auto [it, fresh] = placed.try_emplace(t, bytes);
        if (fresh) bytes += (t->data.size() * sizeof(float) + 63) / 64 * 64;
        slots[b].push_back({it->second, t->data.size(), t->shape});
      }
    SharedMemory shm(bytes);
    for (auto [t, offset] : placed)
      std::memcpy(shm.data() + offset, t->data.data(), t->data.size() * sizeof(float));

    // Fork the workers. Each pipe's write end lives only in its worker.
    std::vector<ChildProcess> workers;
    std::vector<UniqueFd> pipes;
    const pid_t self = getpid();
    for (size_t m = 0; m < specs.size(); ++m) {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0)
        throw Error(ErrorCode::internal, fmt::format("pipe: {}", std::strerror(errno)));
      UniqueFd read_end(fds[0]), write_end(fds[1]);
      std::fflush(nullptr);  // nothing buffered is written twice
      pid_t pid = fork();
      if (pid < 0) throw Error(ErrorCode::internal, fmt::format("fork: {}", std::strerror(errno)));
      if (pid == 0) {
        for (UniqueFd& p : pipes) p.reset();
        read_end.reset();
        worker_main(write_end.get(), specs[m], plan[m], m, slots, shm.data(), self);
      }
      workers.emplace_back(pid);
      pipes.push_back(std::move(read_end));
    }

    OrderedEmitter emitter(sink, specs.size(), batches.empty() ? 0 : batches.front()->seq);
    std::vector<WorkerStream> streams(specs.size());
    std::optional<Error> failure;
    size_t open = specs.size();
    char chunk[1 << 16];
    while (open > 0 && !failure) {
      if (stop_requested()) break;
      std::vector<pollfd> fds;
      std::vector<size_t> which;
      for (size_t m = 0; m < streams.size(); ++m)
        if (!streams[m].eof) {
          fds.push_back({pipes[m].get(), POLLIN, 0});
          which.push_back(m);
        }
      int ready = poll(fds.data(), fds.size(), 100);
      if (ready < 0 && errno != EINTR)
        throw Error(ErrorCode::internal, fmt::format("poll: {}", std::strerror(errno)));
      for (size_t k = 0; k < fds.size() && ready > 0; ++k) {
        if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const size_t m = which[k];
        WorkerStream& s = streams[m];
        ssize_t got = ::read(fds[k].fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR) continue;
        if (got > 0) {
          s.buf.append(chunk, static_cast<size_t>(got));
          for (Result& r : parse(s)) {
            const std::shared_ptr<const Batch>& b = batches[static_cast<size_t>(r.batch)];
            RunEvent e{m,
                       b->seq,
                       static_cast<int64_t>(b->frames.size()),
                       Clock::time_point(Clock::duration(r.begin_ns)),
                       {},
                       workers[m].pid()};
            observer.on_run_begin(e);
            e.time = Clock::time_point(Clock::duration(r.end_ns));
            observer.on_run_end(e);
            // Decoding happens here, in the parent (no dependents: nothing else to run).
            graph.finish_unit(
                m, *b, rows_for(specs[m], *b), std::move(r.outputs), observer, getpid(),
                [&](size_t model, ModelResult res) { emitter.submit(b, model, std::move(res)); });
          }
          if (s.error) failure = *s.error;
          continue;
        }
        // End of the pipe: the worker finished or died.
        s.eof = true;
        --open;
        const int status = workers[m].reap();
        if (!s.done && !s.error && !failure)
          failure = Error(ErrorCode::worker,
                          fmt::format("worker process for model '{}' (pid {}) {} before finishing",
                                      specs[m].name, workers[m].pid(), describe_status(status)));
      }
    }
    // On failure or stop, the rest are killed; all are reaped either way.
    for (size_t m = 0; m < workers.size(); ++m) {
      if (failure || stop_requested()) workers[m].kill_now();
      workers[m].reap();
      // A worker's own memory; what it shares with the parent is in the parent's RSS.
      stats.worker_private_mib +=
          streams[m].done ? streams[m].unique_mib : workers[m].peak_rss_mib();
    }
    if (failure) throw *failure;
    if (source_error) std::rethrow_exception(source_error);
    stats.max_pending_results = emitter.max_pending();
    return stats;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_processes(const StrategyOptions& options) {
  return std::make_unique<Processes>(options);
}

}  // namespace mvinfer::strategies
