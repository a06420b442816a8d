// submit / worker / collect / status end to end: a real redis-server on a loopback port, worker
// processes of the built mvinfer, real videos (vtest.avi, Megamind.avi) and tiny zoo models.
// The collected lines must equal a single-machine `run` of each video, line for line, whatever
// happened to the workers or to Redis in between.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/dist/job_spec.h"
#include "mvinfer/dist/redis.h"
#include "mvinfer/dist/results_dir.h"
#include "mvinfer/dist/rules.h"
#include "redis_server.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

bool wait_until(const std::function<bool()>& done, double timeout_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

RedisClient client(const RedisServer& s) {
  RedisOptions o;
  o.address = parse_redis_address(s.address());
  return RedisClient(o);
}

// Segments a consumer holds (delivered, not acknowledged).
int64_t held_by(RedisClient& c, const std::string& job, const std::string& consumer,
                const std::string& group = dist::kGroup) {
  const RedisReply r =
      c.command({"XPENDING", dist::JobKeys(job).tasks, group, "-", "+", "100", consumer}, true);
  return r.type == RedisReply::Type::array ? static_cast<int64_t>(r.elements.size()) : 0;
}

int64_t stored(RedisClient& c, const std::string& job) {
  return c.command({"HLEN", dist::JobKeys(job).results}).as_int();
}

// "N taken over" from a worker's summary line.
int taken_over(const std::string& err) {
  const size_t at = err.rfind(" taken over");
  if (at == std::string::npos) return -1;
  const size_t start = err.rfind(' ', at - 1);
  return std::stoi(err.substr(start + 1, at - start - 1));
}

struct Fixture {
  std::filesystem::path dir;
  std::vector<std::string> models;  // --model arguments
  std::vector<std::string> model_flags() const {
    std::vector<std::string> f;
    for (const std::string& m : models) f.insert(f.end(), {"--model", m});
    return f;
  }
};

Fixture make_fixture(int size = 32) {
  Fixture s;
  s.dir = scratch_dir("dist");
  s.models = small_zoo(s.dir / "zoo", 2, size);
  return s;
}

// The single-machine `run` of each video, concatenated in the order given.
std::vector<std::string> expected_lines(const Fixture& s, const std::vector<std::string>& videos,
                                        int frames, int batch,
                                        const std::vector<std::string>& extra = {}) {
  std::vector<std::string> all;
  for (const std::string& v : videos) {
    std::vector<std::string> args{"run",
                                  "--video",
                                  v,
                                  "--frames",
                                  std::to_string(frames),
                                  "--batch",
                                  std::to_string(batch),
                                  "--strategy",
                                  "serial",
                                  "--out",
                                  (s.dir / "run.jsonl").string(),
                                  "-q"};
    for (const std::string& f : s.model_flags()) args.push_back(f);
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (std::string& l : read_lines(s.dir / "run.jsonl")) all.push_back(std::move(l));
  }
  return all;
}

CommandResult submit(const Fixture& s, const RedisServer& server, const std::string& job,
                     const std::vector<std::string>& videos, int frames, int batch,
                     int segment_frames, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"submit",
                                "--redis",
                                server.address(),
                                "--job",
                                job,
                                "--frames",
                                std::to_string(frames),
                                "--batch",
                                std::to_string(batch),
                                "--segment-frames",
                                std::to_string(segment_frames),
                                "--strategy",
                                "serial"};
  for (const std::string& v : videos) args.insert(args.end(), {"--video", v});
  for (const std::string& f : s.model_flags()) args.push_back(f);
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

// A worker of the jobs given, in that order.
std::vector<std::string> worker_args(const RedisServer& server,
                                     const std::vector<std::string>& jobs,
                                     const std::string& name) {
  std::vector<std::string> args{"worker",       "--redis", server.address(), "--name", name,
                                "--redis-wait", "30"};
  for (const std::string& j : jobs) args.insert(args.end(), {"--job", j});
  return args;
}
std::vector<std::string> worker_args(const RedisServer& server, const std::string& job,
                                     const std::string& name) {
  return worker_args(server, std::vector<std::string>{job}, name);
}

// The jobs' lines collected, in the order of the ids given.
std::vector<std::string> collect(const Fixture& s, const RedisServer& server,
                                 const std::vector<std::string>& jobs) {
  std::vector<std::string> args{"collect", "--redis", server.address(), "--out",
                                (s.dir / "collected.jsonl").string()};
  for (const std::string& j : jobs) args.insert(args.end(), {"--job", j});
  const CommandResult r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return read_lines(s.dir / "collected.jsonl");
}
std::vector<std::string> collect(const Fixture& s, const RedisServer& server,
                                 const std::string& job) {
  return collect(s, server, std::vector<std::string>{job});
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void expect_same_lines(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "line " << i;
}

TEST(DistWorker, ThreeWorkersTwoVideosFortySegmentsEqualRun) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture();
  const std::vector<std::string> videos{kVideo, kMegamind};
  const CommandResult sub = submit(s, server, "two", videos, 80, 2, 4);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_NE(sub.err.find("job two: 40 segments of 4 frames over 2 videos"), std::string::npos)
      << sub.err;
  // A job id per video, in the order given.
  EXPECT_EQ(sub.out, "two-1\ntwo-2\n");
  const std::vector<std::string> jobs{"two-1", "two-2"};
  const std::filesystem::path followed = s.dir / "followed.jsonl";
  {
    // collect --follow, started before any worker, writes the segments in order as they come.
    Child follow({"collect", "--redis", server.address(), "--job", "two-1", "--job", "two-2",
                  "--out", followed.string(), "--follow"},
                 s.dir, "follow");
    Child a(worker_args(server, jobs, "a"), s.dir, "a");
    Child b(worker_args(server, jobs, "b"), s.dir, "b");
    Child c(worker_args(server, jobs, "c"), s.dir, "c");
    EXPECT_EQ(a.wait(120), 0) << a.err();
    EXPECT_EQ(b.wait(120), 0) << b.err();
    EXPECT_EQ(c.wait(120), 0) << c.err();
    EXPECT_EQ(follow.wait(30), 0) << follow.err();
  }
  const std::vector<std::string> vtest = expected_lines(s, {kVideo}, 80, 2);
  const std::vector<std::string> megamind = expected_lines(s, {kMegamind}, 80, 2);
  expect_same_lines(collect(s, server, jobs), concat(vtest, megamind));
  expect_same_lines(read_lines(followed), concat(vtest, megamind));
  // The order of the ids given, whatever the order of submit.
  expect_same_lines(collect(s, server, std::vector<std::string>{"two-2", "two-1"}),
                    concat(megamind, vtest));
  expect_same_lines(collect(s, server, "two-2"), megamind);
  // --as-one-run: what one `run --video vtest.avi --video Megamind.avi` writes.
  std::vector<std::string> run_args{"run",
                                    "--video",
                                    kVideo,
                                    "--video",
                                    kMegamind,
                                    "--frames",
                                    "80",
                                    "--batch",
                                    "2",
                                    "--strategy",
                                    "serial",
                                    "--out",
                                    (s.dir / "one_run.jsonl").string(),
                                    "-q"};
  for (const std::string& f : s.model_flags()) run_args.push_back(f);
  const CommandResult one = run_cli(run_args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CommandResult as_one =
      run_cli({"collect", "--redis", server.address(), "--job", "two-1", "--job", "two-2", "--out",
               (s.dir / "as_one.jsonl").string(), "--as-one-run"});
  ASSERT_EQ(as_one.exit_code, 0) << as_one.err;
  expect_same_lines(read_lines(s.dir / "as_one.jsonl"), read_lines(s.dir / "one_run.jsonl"));
  // status: each job (20 segments of 4 frames per video), the three workers listed in each.
  const CommandResult st = run_cli({"status", "--redis", server.address()});
  EXPECT_EQ(st.exit_code, 0) << st.err;
  for (const std::string& job : jobs)
    EXPECT_NE(st.out.find("job " + job +
                          ": 20 segments: 20 done, 0 running, 0 queued, 0 dead; 0 duplicates"),
              std::string::npos)
        << st.out;
  EXPECT_EQ(std::count(st.out.begin(), st.out.end(), '\n'), 2 + 2 * 3) << st.out;
}

TEST(DistWorker, SigkilledWorkersSegmentIsTakenOverAndDuplicatesDropped) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture(64);
  const CommandResult sub = submit(s, server, "kill", {kVideo}, 48, 4, 16, {"--claim-ms", "800"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  RedisClient redis = client(server);
  {
    // Killed while it holds a segment: the segment stays pending under its name.
    Child doomed(worker_args(server, "kill", "doomed"), s.dir, "doomed");
    ASSERT_TRUE(wait_until([&] { return held_by(redis, "kill", "doomed") == 1; }, 30));
    doomed.signal(SIGKILL);
    EXPECT_EQ(doomed.wait(10), 128 + SIGKILL);
  }
  EXPECT_EQ(held_by(redis, "kill", "doomed"), 1);
  {
    // Stopped (as a hung host) while it holds a segment: taken over after the claim time, then
    // resumed, it finishes the segment again, and its copy is dropped.
    Child stalled(worker_args(server, "kill", "stalled"), s.dir, "stalled");
    ASSERT_TRUE(wait_until([&] { return held_by(redis, "kill", "stalled") == 1; }, 30));
    stalled.signal(SIGSTOP);
    Child rescuer(worker_args(server, "kill", "rescuer"), s.dir, "rescuer");
    EXPECT_EQ(rescuer.wait(120), 0) << rescuer.err();
    EXPECT_EQ(held_by(redis, "kill", "doomed"), 0);
    stalled.signal(SIGCONT);
    EXPECT_EQ(stalled.wait(60), 0) << stalled.err();
    EXPECT_NE(stalled.err().find("a duplicate, dropped"), std::string::npos) << stalled.err();
    // Both segments were taken over (by the rescuer, or the first by the stalled worker before
    // it stalled).
    EXPECT_EQ(taken_over(stalled.err()) + taken_over(rescuer.err()), 2)
        << stalled.err() << rescuer.err();
  }
  EXPECT_EQ(stored(redis, "kill"), 3);
  EXPECT_EQ(redis.command({"HGET", dist::JobKeys("kill").stats, "duplicates"}).as_int(), 1);
  expect_same_lines(collect(s, server, "kill"), expected_lines(s, {kVideo}, 48, 4));
  const CommandResult st = run_cli({"status", "--redis", server.address(), "--job", "kill"});
  EXPECT_NE(st.out.find("1 duplicates dropped"), std::string::npos) << st.out;
}

TEST(DistWorker, RedisRestartedMidRunWithAofCompletes) {
  SKIP_WITHOUT_REDIS();
  RedisServer server(true);
  const Fixture s = make_fixture();
  const CommandResult sub = submit(s, server, "aof", {kVideo}, 60, 2, 6);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  Child a(worker_args(server, "aof", "a"), s.dir, "a");
  Child b(worker_args(server, "aof", "b"), s.dir, "b");
  {
    RedisClient redis = client(server);
    // Both workers connected (a worker that cannot connect at start says so and exits, as it
    // should) and some segments stored before the server goes away.
    ASSERT_TRUE(wait_until(
        [&] {
          return redis.command({"HLEN", dist::JobKeys("aof").workers}).as_int() == 2 &&
                 stored(redis, "aof") >= 2;
        },
        60));
  }
  server.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server.start();
  EXPECT_EQ(a.wait(120), 0) << a.err();
  EXPECT_EQ(b.wait(120), 0) << b.err();
  expect_same_lines(collect(s, server, "aof"), expected_lines(s, {kVideo}, 60, 2));
}

TEST(DistWorker, SegmentsFailingKTimesAreDeadLettered) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture();
  // The video is there at submit and gone when the workers open it (a host without the file).
  const std::filesystem::path video = s.dir / "gone.avi";
  std::filesystem::copy_file(kVideo, video);
  const CommandResult sub =
      submit(s, server, "dead", {video.string()}, 12, 2, 4, {"--max-attempts", "2"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  std::filesystem::remove(video);
  {
    Child a(worker_args(server, "dead", "a"), s.dir, "a");
    EXPECT_EQ(a.wait(60), 0) << a.err();  // nothing left to run: every segment is dead
    EXPECT_NE(a.err().find("6 failed, 3 dead-lettered"), std::string::npos) << a.err();
  }
  RedisClient redis = client(server);
  EXPECT_EQ(redis.command({"XLEN", dist::JobKeys("dead").dead}).as_int(), 3);
  const CommandResult st = run_cli({"status", "--redis", server.address(), "--job", "dead"});
  EXPECT_NE(st.out.find("3 segments: 0 done, 0 running, 0 queued, 3 dead"), std::string::npos)
      << st.out;
  EXPECT_NE(st.out.find("dead: segment 0 (video 0 from frame 0) after 2 attempts"),
            std::string::npos)
      << st.out;
  EXPECT_NE(st.out.find("no such file or directory"), std::string::npos) << st.out;
  const CommandResult col = run_cli({"collect", "--redis", server.address(), "--job", "dead",
                                     "--out", (s.dir / "c.jsonl").string()});
  EXPECT_EQ(col.exit_code, 6) << col.err;
  EXPECT_EQ(std::count(col.err.begin(), col.err.end(), '\n'), 1) << col.err;
  EXPECT_NE(col.err.find("3 of 3 segments dead-lettered"), std::string::npos) << col.err;
  EXPECT_FALSE(std::filesystem::exists(s.dir / "c.jsonl"));
}

TEST(DistWorker, UnreachableRedisIsOneLineAndExit5) {
  const Fixture s = make_fixture();
  const std::string closed = "127.0.0.1:" + std::to_string(free_port());
  const std::vector<std::vector<std::string>> commands{
      {"worker", "--redis", closed, "--job", "j"},
      {"status", "--redis", closed, "--job", "j"},
      {"collect", "--redis", closed, "--job", "j", "--out", (s.dir / "c.jsonl").string()},
      {"submit", "--redis", closed, "--job", "j", "--video", kVideo, "--model", s.models[0],
       "--frames", "8"}};
  for (const std::vector<std::string>& args : commands) {
    const auto t0 = std::chrono::steady_clock::now();
    const CommandResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 5) << args[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("mvinfer: error: redis " + closed + ": cannot connect"), std::string::npos)
        << r.err;
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10);
  }
}

TEST(DistWorker, BadInputIsOneLineNamingTheCulprit) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  const std::string r = server.address();
  const std::vector<Case> cases{
      {{"submit", "--redis", r, "--job", "a b", "--video", kVideo, "--model", s.models[0]},
       2,
       "--job 'a b': has a character"},
      {{"submit", "--redis", r, "--job", "j", "--video", "/nonexistent.avi", "--model",
        s.models[0]},
       3,
       "video '/nonexistent.avi': no such file"},
      {{"submit", "--redis", r, "--job", "j", "--video", kVideo, "--model", "/none.onnx"}, 4, ""},
      {{"submit", "--redis", r, "--job", "j", "--video", kVideo, "--model", s.models[0],
        "--segment-frames", "0"},
       2,
       "--segment-frames"},
      {{"submit", "--redis", "host:99999", "--job", "j", "--video", kVideo, "--model", s.models[0]},
       2,
       "--redis 'host:99999'"},
      {{"worker", "--redis", r, "--job", "nojob"}, 2, "--job 'nojob': no such job in redis"},
      {{"status", "--redis", r, "--job", "nojob"}, 2, "--job 'nojob': no such job in redis"},
  };
  for (const Case& c : cases) {
    const CommandResult got = run_cli(c.args);
    EXPECT_EQ(got.exit_code, c.code) << got.err;
    EXPECT_EQ(std::count(got.err.begin(), got.err.end(), '\n'), 1) << got.err;
    EXPECT_NE(got.err.find(c.says), std::string::npos) << got.err;
  }
  // A job name taken already.
  ASSERT_EQ(submit(s, server, "once", {kVideo}, 8, 1, 4).exit_code, 0);
  const CommandResult again = submit(s, server, "once", {kVideo}, 8, 1, 4);
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("--job 'once': a job of that name is in redis"), std::string::npos)
      << again.err;
  // Several videos: one job per video, none queued when one of their ids is taken.
  ASSERT_EQ(submit(s, server, "pair-2", {kVideo}, 8, 1, 4).exit_code, 0);
  const CommandResult pair = submit(s, server, "pair", {kVideo, kMegamind}, 8, 1, 4);
  EXPECT_EQ(pair.exit_code, 2) << pair.err;
  EXPECT_NE(pair.err.find("--job 'pair-2': a job of that name is in redis"), std::string::npos)
      << pair.err;
  EXPECT_EQ(run_cli({"status", "--redis", r, "--job", "pair-1"}).exit_code, 2);
  // status without --job: every job in this Redis.
  const CommandResult all = run_cli({"status", "--redis", r});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("job once: 2 segments: 0 done, 0 running, 2 queued"), std::string::npos)
      << all.out;
  // Collecting before the workers ran.
  const CommandResult early =
      run_cli({"collect", "--redis", r, "--job", "once", "--out", (s.dir / "c.jsonl").string()});
  EXPECT_EQ(early.exit_code, 6) << early.err;
  EXPECT_NE(early.err.find("0 of 2 segments done"), std::string::npos) << early.err;
}

TEST(DistWorker, SigtermFinishesTheSegmentAcksAndExits0) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture(64);
  const CommandResult sub = submit(s, server, "term", {kVideo}, 64, 4, 16);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  RedisClient redis = client(server);
  {
    Child w(worker_args(server, "term", "w"), s.dir, "w");
    ASSERT_TRUE(wait_until([&] { return held_by(redis, "term", "w") == 1; }, 30));
    const int64_t before = stored(redis, "term");
    w.signal(SIGTERM);
    EXPECT_EQ(w.wait(60), 0) << w.err();
    EXPECT_NE(w.err().find("(stopped)"), std::string::npos) << w.err();
    // The segment it held is stored and acknowledged; it took no other.
    EXPECT_EQ(stored(redis, "term"), before + 1);
    EXPECT_EQ(held_by(redis, "term", "w"), 0);
  }
  {
    Child rest(worker_args(server, "term", "rest"), s.dir, "rest");
    EXPECT_EQ(rest.wait(120), 0) << rest.err();
  }
  expect_same_lines(collect(s, server, "term"), expected_lines(s, {kVideo}, 64, 4));
}

TEST(DistWorker, TwoWorkersWithResultsDirEqualRun) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture();
  const CommandResult sub = submit(s, server, "files", {kVideo}, 48, 2, 8);
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const std::filesystem::path dir = s.dir / "results";
  std::filesystem::create_directories(dir);
  {
    std::vector<std::string> a = worker_args(server, "files", "a"),
                             b = worker_args(server, "files", "b");
    for (std::vector<std::string>* w : {&a, &b})
      w->insert(w->end(), {"--results-dir", dir.string()});
    Child wa(a, s.dir, "a");
    Child wb(b, s.dir, "b");
    EXPECT_EQ(wa.wait(120), 0) << wa.err();
    EXPECT_EQ(wb.wait(120), 0) << wb.err();
  }
  // One file per segment, nothing else (no temporary file left); Redis holds references only.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> want_names;
  for (int64_t seg = 0; seg < 6; ++seg) want_names.push_back(dist::result_file_name("files", seg));
  EXPECT_EQ(names, want_names);
  RedisClient redis = client(server);
  const RedisReply all = redis.command({"HVALS", dist::JobKeys("files").results});
  ASSERT_EQ(all.elements.size(), 6u);
  for (const RedisReply& v : all.elements) EXPECT_TRUE(v.str.starts_with(dist::kFileRef)) << v.str;
  const std::vector<std::string> want = expected_lines(s, {kVideo}, 48, 2);
  expect_same_lines(collect(s, server, "files"), want);
  // Seen under another path on the collecting host: --results-dir there.
  const std::filesystem::path moved = s.dir / "mounted-elsewhere";
  std::filesystem::rename(dir, moved);
  const CommandResult gone = run_cli({"collect", "--redis", server.address(), "--job", "files",
                                      "--out", (s.dir / "c.jsonl").string()});
  EXPECT_EQ(gone.exit_code, 5) << gone.err;
  EXPECT_NE(gone.err.find("--results-dir: cannot read"), std::string::npos) << gone.err;
  const CommandResult there =
      run_cli({"collect", "--redis", server.address(), "--job", "files", "--out",
               (s.dir / "c.jsonl").string(), "--results-dir", moved.string()});
  ASSERT_EQ(there.exit_code, 0) << there.err;
  expect_same_lines(read_lines(s.dir / "c.jsonl"), want);
}

TEST(DistResultsDir, FirstCopyWinsAndNoTemporaryFileIsLeft) {
  const std::filesystem::path dir = scratch_dir("resultsdir");
  const std::string ref = dist::write_result_file(dir.string(), "j", 3, "{\"a\":1}\n");
  EXPECT_EQ(ref, std::string(dist::kFileRef) + (dir / "j.seg000003.jsonl").string());
  // A duplicate run (here with other lines, to tell them apart) leaves the first copy.
  EXPECT_EQ(dist::write_result_file(dir.string(), "j", 3, "{\"a\":2}\n{\"a\":3}\n"), ref);
  EXPECT_EQ(dist::read_result(ref, ""), "{\"a\":1}\n");
  EXPECT_EQ(dist::read_result(ref, dir.string()), "{\"a\":1}\n");
  EXPECT_EQ(dist::read_result("{\"b\":1}\n", ""), "{\"b\":1}\n");  // lines kept in Redis
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  EXPECT_THROW(dist::write_result_file((dir / "none").string(), "j", 0, "x\n"), Error);
}

TEST(DistWorker, GroupsEachGetEveryJobAndTakeOverOnlyTheirOwn) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture(64);
  const CommandResult sub = submit(s, server, "grp", {kVideo}, 48, 4, 16, {"--claim-ms", "300"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  RedisClient redis = client(server);
  auto in_group = [&](const std::string& name, const std::string& group) {
    std::vector<std::string> a = worker_args(server, "grp", name);
    a.insert(a.end(), {"--group", group});
    return a;
  };
  // A worker of group B stalls (SIGSTOP) holding a segment, idle past the claim time.
  Child b1(in_group("b1", "B"), s.dir, "b1");
  ASSERT_TRUE(wait_until([&] { return held_by(redis, "grp", "b1", "B") == 1; }, 30));
  b1.signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  {
    // Group A runs every segment of the job itself and leaves B's pending one alone.
    Child a1(in_group("a1", "A"), s.dir, "a1");
    EXPECT_EQ(a1.wait(120), 0) << a1.err();
    EXPECT_EQ(taken_over(a1.err()), 0) << a1.err();
    EXPECT_NE(a1.err().find("worker a1: 3 segments"), std::string::npos) << a1.err();
  }
  EXPECT_EQ(held_by(redis, "grp", "b1", "B"), 1);
  EXPECT_EQ(stored(redis, "grp"), 3);
  {
    // Within B, b1's segment is taken over; B runs every segment too: all duplicates of A's.
    Child b2(in_group("b2", "B"), s.dir, "b2");
    EXPECT_EQ(b2.wait(120), 0) << b2.err();
    EXPECT_NE(
        b2.err().find(
            "0 segments and 0 live batches (0 frames) stored, 3 duplicates dropped, 1 taken over"),
        std::string::npos)
        << b2.err();
  }
  EXPECT_EQ(held_by(redis, "grp", "b1", "B"), 0);
  b1.signal(SIGKILL);
  EXPECT_EQ(b1.wait(10), 128 + SIGKILL);
  expect_same_lines(collect(s, server, "grp"), expected_lines(s, {kVideo}, 48, 4));
}

// Redis Cluster: three jobs whose slots are on three different nodes, submitted, served and
// collected through different nodes (every command that lands on the wrong one is redirected).
TEST(DistCluster, JobsOnEveryNodeRunThroughAnyNode) {
  SKIP_WITHOUT_REDIS();
  RedisCluster cluster(3);
  const Fixture s = make_fixture();
  // A job name whose keys live on node n (its hash tag decides), for n = 0, 1, 2.
  std::vector<std::string> jobs(3);
  for (int k = 0; std::count(jobs.begin(), jobs.end(), "") > 0; ++k) {
    const std::string name = "clu" + std::to_string(k);
    std::string& of_node = jobs[cluster.owner_of_key(dist::JobKeys(name).job)];
    if (of_node.empty()) of_node = name;
  }
  const std::vector<std::string> videos{kVideo, kMegamind, kVideo};
  for (size_t n = 0; n < 3; ++n) {
    const CommandResult sub =
        submit(s, cluster.node(n == 0 ? 1 : 0), jobs[n], {videos[n]}, 24, 2, 6,
               n == 2 ? std::vector<std::string>{"--live-fps", "100"} : std::vector<std::string>{});
    ASSERT_EQ(sub.exit_code, 0) << sub.err;
  }
  {
    Child a(worker_args(cluster.node(0), jobs, "a"), s.dir, "a");
    Child b(worker_args(cluster.node(2), jobs, "b"), s.dir, "b");
    EXPECT_EQ(a.wait(120), 0) << a.err();
    EXPECT_EQ(b.wait(120), 0) << b.err();
  }
  // Each job's keys are on its own node: its owner answers without a redirection.
  for (size_t n = 0; n < 3; ++n) {
    RedisClient owner = client(cluster.node(n));
    EXPECT_EQ(owner.command({"EXISTS", dist::JobKeys(jobs[n]).job}).as_int(), 1) << jobs[n];
    EXPECT_EQ(owner.redirects(), 0);
  }
  expect_same_lines(
      collect(s, cluster.node(1), {jobs[0], jobs[1]}),
      concat(expected_lines(s, {videos[0]}, 24, 2), expected_lines(s, {videos[1]}, 24, 2)));
  expect_same_lines(collect(s, cluster.node(0), jobs[2]),
                    expected_lines(s, {videos[2]}, 24, 2, {"--live-fps", "100"}));
  // status without --job finds the jobs of every node.
  const CommandResult st = run_cli({"status", "--redis", cluster.node(2).address()});
  EXPECT_EQ(st.exit_code, 0) << st.err;
  for (size_t n = 0; n < 2; ++n)
    EXPECT_NE(st.out.find("job " + jobs[n] + ": 4 segments: 4 done"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("job " + jobs[2] + ": live job"), std::string::npos) << st.out;
}

// Live jobs (job_spec.h): one long-running entry held by one worker at a time.

int64_t published(RedisClient& c, const std::string& job) {
  return c.command({"HGET", dist::JobKeys(job).job, "live_seq"}).as_int();
}

// One live job of `video` (a camera, a stream, or a file with --live-fps in `extra`).
CommandResult submit_live(const Fixture& s, const RedisServer& server, const std::string& job,
                          const std::string& video, int frames, int batch, int claim_ms,
                          std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"--claim-ms", std::to_string(claim_ms)});
  return submit(s, server, job, {video}, frames, batch, 200, std::move(extra));
}

TEST(DistLive, ReplayTakenOverAfterSigkillEqualsRunAndFollowStreamsIt) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture();
  // vtest.avi replayed live at 25 frames/s: 80 frames, 3.2 s of "camera".
  const CommandResult sub =
      submit_live(s, server, "cam", kVideo, 80, 4, 1500, {"--live-fps", "25"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_NE(sub.err.find("and 1 live jobs queued"), std::string::npos) << sub.err;
  EXPECT_EQ(sub.out, "cam\n");
  RedisClient redis = client(server);
  const std::filesystem::path followed = s.dir / "followed.jsonl";
  Child follow({"collect", "--redis", server.address(), "--job", "cam", "--out", followed.string(),
                "--follow"},
               s.dir, "follow");
  {
    Child doomed(worker_args(server, "cam", "doomed"), s.dir, "doomed");
    // Some batches out, not all: the lease is held, results flow per batch.
    ASSERT_TRUE(wait_until([&] { return published(redis, "cam") >= 3; }, 60)) << doomed.err();
    EXPECT_EQ(held_by(redis, "cam", "doomed"), 1);
    const CommandResult st = run_cli({"status", "--redis", server.address(), "--job", "cam"});
    EXPECT_NE(st.out.find("live job of '" + std::string(kVideo) + "', running on worker doomed"),
              std::string::npos)
        << st.out;
    doomed.signal(SIGKILL);
    EXPECT_EQ(doomed.wait(10), 128 + SIGKILL);
  }
  const int64_t at_kill = published(redis, "cam");
  ASSERT_LT(at_kill, 20) << "the replay ended before the kill: nothing to take over";
  // collect --follow wrote what was published while the job ran.
  ASSERT_TRUE(wait_until([&] { return read_lines(followed).size() >= 6; }, 10));
  {
    Child rescuer(worker_args(server, "cam", "rescuer"), s.dir, "rescuer");
    EXPECT_EQ(rescuer.wait(120), 0) << rescuer.err();
    EXPECT_EQ(taken_over(rescuer.err()), 1) << rescuer.err();
    // It continued where the last published batch ended.
    EXPECT_NE(rescuer.err().find("from frame " + std::to_string(4 * at_kill)), std::string::npos)
        << rescuer.err();
    EXPECT_NE(rescuer.err().find("live job cam ended"), std::string::npos) << rescuer.err();
  }
  EXPECT_EQ(follow.wait(30), 0) << follow.err();
  // One `run` replaying the same file live (its timestamps are the live clock's).
  const std::vector<std::string> want = expected_lines(s, {kVideo}, 80, 4, {"--live-fps", "25"});
  expect_same_lines(read_lines(followed), want);
  expect_same_lines(collect(s, server, "cam"), want);
  const CommandResult st = run_cli({"status", "--redis", server.address(), "--job", "cam"});
  EXPECT_NE(st.out.find("ended; 20 batches published, next frame 80"), std::string::npos) << st.out;
}

TEST(DistLive, SigtermHandsOverAtOnceAndAStalledWorkerStopsPublishing) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture();
  RedisClient redis = client(server);
  // The default claim time (60 s): a hand-over that waited for it would time out here.
  ASSERT_EQ(submit_live(s, server, "term", kVideo, 80, 4, 60000, {"--live-fps", "25"}).exit_code,
            0);
  {
    Child a(worker_args(server, "term", "a"), s.dir, "a");
    ASSERT_TRUE(wait_until([&] { return published(redis, "term") >= 2; }, 60)) << a.err();
    Child b(worker_args(server, "term", "b"), s.dir, "b");
    ASSERT_TRUE(wait_until(
        [&] {
          return redis.command({"HLEN", dist::JobKeys("term").workers}).as_int() == 2;
        },
        30));
    a.signal(SIGTERM);
    EXPECT_EQ(a.wait(30), 0) << a.err();
    EXPECT_NE(a.err().find("live job term handed over"), std::string::npos) << a.err();
    EXPECT_EQ(b.wait(60), 0) << b.err();
    EXPECT_NE(b.err().find("live job term ended"), std::string::npos) << b.err();
    EXPECT_EQ(taken_over(b.err()), 0) << b.err();
  }
  const std::vector<std::string> want = expected_lines(s, {kVideo}, 80, 4, {"--live-fps", "25"});
  expect_same_lines(collect(s, server, "term"), want);

  // A worker stopped (a hung host) loses the job after the claim time; resumed, its next batch
  // is refused and it stops, publishing nothing more.
  ASSERT_EQ(submit_live(s, server, "stall", kVideo, 80, 4, 1500, {"--live-fps", "25"}).exit_code,
            0);
  {
    Child stalled(worker_args(server, "stall", "stalled"), s.dir, "stalled");
    ASSERT_TRUE(wait_until([&] { return published(redis, "stall") >= 2; }, 60));
    stalled.signal(SIGSTOP);
    Child rescuer(worker_args(server, "stall", "rescuer"), s.dir, "rescuer");
    ASSERT_TRUE(wait_until([&] { return held_by(redis, "stall", "rescuer") == 1; }, 30));
    stalled.signal(SIGCONT);
    EXPECT_EQ(rescuer.wait(120), 0) << rescuer.err();
    EXPECT_EQ(stalled.wait(60), 0) << stalled.err();
    EXPECT_NE(stalled.err().find("live job stall taken over by another worker"), std::string::npos)
        << stalled.err();
  }
  expect_same_lines(collect(s, server, "stall"), want);
}

TEST(DistLive, AStreamContinuesTheNumberingAndOneThatEndsIsAFailure) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  const Fixture s = make_fixture();
  RedisClient redis = client(server);
  // A stream URL (FFmpeg reads file:// as it reads rtsp://): live, not seekable, not opened by
  // submit. Killed part-way, the next worker reads the stream "from now" (here: its start
  // again) and numbers the frames on from the last published batch.
  const std::string url = "file://" + std::string(kVideo);
  ASSERT_EQ(submit_live(s, server, "url", url, 200, 4, 1500, {"--live-fps", "50"}).exit_code, 0);
  {
    Child doomed(worker_args(server, "url", "doomed"), s.dir, "doomed");
    ASSERT_TRUE(wait_until([&] { return published(redis, "url") >= 3; }, 60)) << doomed.err();
    doomed.signal(SIGKILL);
    EXPECT_EQ(doomed.wait(10), 128 + SIGKILL);
  }
  const int64_t at_kill = published(redis, "url");
  {
    Child rescuer(worker_args(server, "url", "rescuer"), s.dir, "rescuer");
    EXPECT_EQ(rescuer.wait(120), 0) << rescuer.err();
  }
  const std::vector<std::string> lines = collect(s, server, "url");
  ASSERT_EQ(lines.size(), 2u * 50);  // 2 models x 50 batches: every frame index once
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t batch = static_cast<int64_t>(i / 2);
    EXPECT_NE(lines[i].find(fmt::format("{{\"batch\":{},", batch)), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find(fmt::format("\"frames\":[{},{},{},{}]", 4 * batch, 4 * batch + 1,
                                        4 * batch + 2, 4 * batch + 3)),
              std::string::npos)
        << lines[i];
  }
  // The rescuer's first batch is the stream's first frames again, numbered on.
  const std::vector<std::string> run = expected_lines(s, {kVideo}, 4, 4);
  const auto results = [](const std::string& l) { return l.substr(l.find("\"model\"")); };
  EXPECT_EQ(results(lines[2 * static_cast<size_t>(at_kill)]), results(run[0]));

  // A stream that ends before --frames (a camera unplugged) fails; after --max-attempts it is
  // dead, and status and collect say so.
  ASSERT_EQ(submit_live(s, server, "short", url, 2000, 4, 1500, {"--max-attempts", "1"}).exit_code,
            0);
  {
    Child w(worker_args(server, "short", "w"), s.dir, "w");
    EXPECT_EQ(w.wait(120), 0) << w.err();
    EXPECT_NE(w.err().find("ended after frame 794 (expected it to run until stopped)"),
              std::string::npos)
        << w.err();
  }
  const CommandResult st = run_cli({"status", "--redis", server.address(), "--job", "short"});
  EXPECT_NE(st.out.find("live job of '" + url + "', dead"), std::string::npos) << st.out;
  const CommandResult col = run_cli({"collect", "--redis", server.address(), "--job", "short",
                                     "--out", (s.dir / "short.jsonl").string()});
  EXPECT_EQ(col.exit_code, 6) << col.err;
  EXPECT_NE(col.err.find("1 of 1 segments dead-lettered"), std::string::npos) << col.err;
}

}  // namespace
}  // namespace mvinfer::testing
