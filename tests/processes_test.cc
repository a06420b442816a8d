// The processes strategy cleans up after itself: after a normal run, a failed run and a
// worker killed mid-run, no worker process and no shared-memory object is left, and a dead
// worker is reported with its model and its signal.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "mvinfer/core/error.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"
#include "mvinfer/tools/zoo.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

// "" when `pid` is gone; otherwise what is left of it: still running, or a zombie that its
// parent never reaped (kill(pid, 0) succeeds on both).
std::string leftover(int pid) {
  errno = 0;
  if (kill(pid, 0) == -1 && errno == ESRCH) return "";
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(stat, line);
  // The state follows the ")" that closes the command name (which may itself hold spaces).
  const size_t paren = line.rfind(')');
  const char state = paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : '?';
  return fmt::format("worker pid {} is still there (state {}{})", pid, state,
                     state == 'Z' ? ": a zombie nobody reaped" : "");
}

void expect_all_gone(const std::set<int>& pids) {
  for (int pid : pids) EXPECT_EQ(leftover(pid), "");
}

// The pid of every process that ran a model (for `processes`, the workers).
class PidRecorder : public Observer {
 public:
  void on_run_begin(const RunEvent& e) override { pids.insert(e.pid); }
  std::set<int> pids;
};

bool has_children() {
  // -1/ECHILD: no child at all, running or zombie.
  errno = 0;
  return !(waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD);
}

std::vector<std::string> our_shm_objects() {
  std::vector<std::string> found;
  const std::string prefix = fmt::format("mvinfer-{}-", getpid());
  for (const auto& e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().starts_with(prefix)) found.push_back(e.path().string());
  return found;
}

struct Fixture {
  std::vector<ModelSpec> specs;
  std::unique_ptr<PreloadedBatches> batches;
};

Fixture make(const fs::path& dir, int frames) {
  Fixture f;
  for (const std::string& p : small_zoo(dir, 2, 64)) f.specs.push_back(parse_model_arg(p));
  for (ModelSpec& s : f.specs) resolve_model_spec(s, 1, 64, 64);
  auto source = open_frame_source(kVideo, frames);
  Batcher batcher(*source, f.specs, {1, false, false});
  f.batches = preload(batcher);
  return f;
}

// Kills the worker of `model` with SIGKILL as soon as its first result reaches the parent.
class KillWorker : public Observer {
 public:
  explicit KillWorker(size_t model) : model_(model) {}
  void on_run_end(const RunEvent& e) override {
    if (e.model == model_ && !killed_) {
      killed_ = true;
      kill(e.pid, SIGKILL);
    }
  }

 private:
  size_t model_;
  bool killed_ = false;
};

TEST(Processes, NormalRunLeavesNothingBehind) {
  Fixture f = make(scratch_dir("zoo"), 12);
  CollectingSink sink;
  ProfileObserver profile;
  make_strategy("processes", {})->run(*f.batches, f.specs, sink, profile);
  EXPECT_EQ(sink.entries().size(), 24u);
  // Every Run() happened in a worker, one per model.
  std::set<int> pids;
  for (const RunInterval& r : profile.intervals()) {
    EXPECT_NE(r.pid, getpid());
    pids.insert(r.pid);
  }
  EXPECT_EQ(pids.size(), 2u);
  expect_all_gone(pids);
  EXPECT_FALSE(has_children());
  EXPECT_EQ(our_shm_objects(), std::vector<std::string>{});
}

TEST(Processes, FailedWorkerIsReportedAndCleanedUp) {
  fs::path dir = scratch_dir("bad");
  Fixture f = make(dir, 6);
  // The worker for the second model finds garbage where its model was.
  std::ofstream(dir / "garbage.onnx") << "not a model";
  f.specs[1].path = (dir / "garbage.onnx").string();
  CollectingSink sink;
  PidRecorder pids;  // model 0's worker, if it ran before the failure was seen
  try {
    make_strategy("processes", {})->run(*f.batches, f.specs, sink, pids);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_model);
    EXPECT_NE(std::string(e.what()).find("garbage.onnx"), std::string::npos) << e.what();
  }
  expect_all_gone(pids.pids);
  EXPECT_FALSE(has_children());
  EXPECT_EQ(our_shm_objects(), std::vector<std::string>{});
}

TEST(Processes, WorkerKilledMidRunIsNamedWithItsSignal) {
  Fixture f = make(scratch_dir("zoo"), 300);
  CollectingSink sink;
  KillWorker killer(1);
  PidRecorder pids;
  ObserverList observers({&pids, &killer});
  try {
    make_strategy("processes", {})->run(*f.batches, f.specs, sink, observers);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::worker);
    EXPECT_NE(what.find("'zoo1'"), std::string::npos) << what;
    EXPECT_NE(what.find("signal 9"), std::string::npos) << what;
  }
  EXPECT_LT(sink.entries().size(), 600u);
  EXPECT_GE(pids.pids.size(), 1u);  // at least the killed one ran
  expect_all_gone(pids.pids);
  EXPECT_FALSE(has_children());
  EXPECT_EQ(our_shm_objects(), std::vector<std::string>{});
}

TEST(Processes, CliReportsAKilledWorker) {
  // The same through the CLI, with the kill coming from outside: a worker that dies makes
  // `run` exit with the worker code and a one-line message naming model and signal.
  //
  // The CLI must reap its own workers. Workers it left behind would be re-parented when it
  // exits, and die with it (PR_SET_PDEATHSIG): to still see them, this test becomes their
  // subreaper, so that a worker the CLI did not reap stays here as a zombie.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  struct NoLongerSubreaper {
    ~NoLongerSubreaper() { prctl(PR_SET_CHILD_SUBREAPER, 0); }
  } restore;
  fs::path dir = scratch_dir("cli");
  ZooOptions o;  // big enough that the run lasts seconds, long after the kill
  o.count = 2;
  o.height = o.width = 128;
  std::vector<ZooModel> zoo = write_zoo(dir.string(), o);
  std::string cmd = fmt::format(
      "exec 2>&1; {} run --video {} --model {} --model {} --batch 4 --strategy processes -q & "
      "parent=$!; for i in $(seq 1 200); do kids=$(cat /proc/$parent/task/*/children 2>/dev/null); "
      "set -- $kids; [ $# -ge 2 ] && break; sleep 0.05; done; echo \"workers $1 $2\"; "
      "sleep 0.3; kill -9 $2; wait $parent; echo \"exit=$?\"",
      kCli, kVideo, zoo[0].path, zoo[1].path);
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  EXPECT_NE(out.find("exit=6"), std::string::npos) << out;
  EXPECT_NE(out.find("worker process for model 'zoo"), std::string::npos) << out;
  EXPECT_NE(out.find("signal 9"), std::string::npos) << out;

  int a = 0, b = 0;
  const size_t at = out.find("workers ");
  ASSERT_NE(at, std::string::npos) << out;
  ASSERT_EQ(std::sscanf(out.c_str() + at, "workers %d %d", &a, &b), 2) << out;
  expect_all_gone({a, b});
  // Anything else the CLI left (and died with it) would be a zombie of ours now.
  EXPECT_FALSE(has_children()) << out;
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

}  // namespace
}  // namespace mvinfer::testing
