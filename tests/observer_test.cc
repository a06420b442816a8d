// Observers: ProfileObserver pairs every on_run_begin with its on_run_end, also when many
// threads (or worker processes, by pid) report at once; ObserverList forwards every event.
#include "mvinfer/core/observer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <latch>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

namespace mvinfer {
namespace {

using std::chrono::microseconds;

RunEvent event(size_t model, int64_t batch, int64_t at_us, int pid = 1) {
  RunEvent e;
  e.model = model;
  e.batch = batch;
  e.frames = 2;
  e.time = Clock::time_point(microseconds(at_us));
  e.thread = std::this_thread::get_id();
  e.pid = pid;
  return e;
}

TEST(ProfileObserver, PairsBeginsAndEndsFromSeveralThreads) {
  constexpr size_t kThreads = 6;
  constexpr int64_t kBatches = 2000;
  ProfileObserver profile;
  std::latch start(kThreads);  // all threads at once, for as much contention as possible
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Each thread is one model; its Run() of batch b lasts 10 + t + b microseconds, so a
      // begin paired with another call's end shows as a wrong length. Every begin comes
      // first: many intervals are open at once.
      start.arrive_and_wait();
      for (int64_t b = 0; b < kBatches; ++b) profile.on_run_begin(event(t, b, b * 1000));
      for (int64_t b = kBatches - 1; b >= 0; --b)
        profile.on_run_end(event(t, b, b * 1000 + 10 + static_cast<int64_t>(t) + b));
    });
  for (std::thread& t : threads) t.join();

  const std::vector<RunInterval> runs = profile.intervals();
  ASSERT_EQ(runs.size(), kThreads * kBatches);
  std::set<std::pair<size_t, int64_t>> seen;
  std::set<std::thread::id> thread_ids;
  for (const RunInterval& r : runs) {
    EXPECT_TRUE(seen.insert({r.model, r.batch}).second) << "recorded twice";
    EXPECT_EQ(r.end - r.begin, microseconds(10 + static_cast<int64_t>(r.model) + r.batch))
        << "model " << r.model << " batch " << r.batch;
    EXPECT_EQ(r.begin, Clock::time_point(microseconds(r.batch * 1000)));
    EXPECT_EQ(r.frames, 2);
    thread_ids.insert(r.thread);
  }
  EXPECT_EQ(thread_ids.size(), kThreads) << "the calling thread is not recorded";
}

TEST(ProfileObserver, IgnoresAnEndWithoutABegin) {
  ProfileObserver profile;
  profile.on_run_end(event(0, 0, 50));
  EXPECT_TRUE(profile.intervals().empty());
  // An end for another batch, model or pid does not close an open interval.
  profile.on_run_begin(event(0, 1, 100));
  profile.on_run_end(event(0, 2, 150));
  profile.on_run_end(event(1, 1, 150));
  profile.on_run_end(event(0, 1, 150, /*pid=*/2));
  EXPECT_TRUE(profile.intervals().empty());
  profile.on_run_end(event(0, 1, 180));
  ASSERT_EQ(profile.intervals().size(), 1u);
  EXPECT_DOUBLE_EQ(profile.intervals()[0].seconds(), 80e-6);
  // A second end for the same call records nothing more.
  profile.on_run_end(event(0, 1, 190));
  EXPECT_EQ(profile.intervals().size(), 1u);
}

TEST(ProfileObserver, SameModelAndBatchFromDifferentPidsArePairedSeparately) {
  // Two worker processes replayed with overlapping Run()s of the same (model, batch): each
  // end closes its own pid's begin.
  ProfileObserver profile;
  profile.on_run_begin(event(0, 5, 100, /*pid=*/11));
  profile.on_run_begin(event(0, 5, 200, /*pid=*/22));
  profile.on_run_end(event(0, 5, 700, /*pid=*/22));
  profile.on_run_end(event(0, 5, 400, /*pid=*/11));
  std::vector<RunInterval> runs = profile.intervals();
  ASSERT_EQ(runs.size(), 2u);
  std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.pid < b.pid; });
  EXPECT_EQ(runs[0].pid, 11);
  EXPECT_EQ(runs[0].begin, Clock::time_point(microseconds(100)));
  EXPECT_EQ(runs[0].end, Clock::time_point(microseconds(400)));
  EXPECT_EQ(runs[1].pid, 22);
  EXPECT_EQ(runs[1].begin, Clock::time_point(microseconds(200)));
  EXPECT_EQ(runs[1].end, Clock::time_point(microseconds(700)));
}

TEST(ProfileObserver, ClearForgetsOpenAndDoneIntervals) {
  ProfileObserver profile;
  profile.on_run_begin(event(0, 0, 0));
  profile.on_run_end(event(0, 0, 10));
  profile.on_run_begin(event(0, 1, 20));
  profile.clear();
  EXPECT_TRUE(profile.intervals().empty());
  profile.on_run_end(event(0, 1, 30));  // its begin was forgotten
  EXPECT_TRUE(profile.intervals().empty());
}

// Records the order of the calls it sees.
class Recorder : public Observer {
 public:
  void on_run_begin(const RunEvent& e) override { calls.emplace_back('b', e.model, e.batch); }
  void on_run_end(const RunEvent& e) override { calls.emplace_back('e', e.model, e.batch); }
  std::vector<std::tuple<char, size_t, int64_t>> calls;
};

TEST(ObserverList, ForwardsEveryEventToEveryObserver) {
  Recorder a, b;
  ProfileObserver profile;
  ObserverList list({&a, &profile, &b});
  list.on_run_begin(event(1, 3, 0));
  list.on_run_end(event(1, 3, 25));
  list.on_run_begin(event(0, 4, 30));
  const std::vector<std::tuple<char, size_t, int64_t>> want = {
      {'b', 1, 3}, {'e', 1, 3}, {'b', 0, 4}};
  EXPECT_EQ(a.calls, want);
  EXPECT_EQ(b.calls, want);
  ASSERT_EQ(profile.intervals().size(), 1u);
  EXPECT_EQ(profile.intervals()[0].model, 1u);
  EXPECT_EQ(profile.intervals()[0].batch, 3);
}

TEST(ObserveRun, TimesTheCallAndReportsTheCallingThread) {
  ProfileObserver profile;
  const int result = observe_run(profile, 2, 9, 4, 77, [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return 42;
  });
  EXPECT_EQ(result, 42);
  ASSERT_EQ(profile.intervals().size(), 1u);
  const RunInterval r = profile.intervals()[0];  // a copy: intervals() returns by value
  EXPECT_EQ(r.model, 2u);
  EXPECT_EQ(r.batch, 9);
  EXPECT_EQ(r.frames, 4);
  EXPECT_EQ(r.pid, 77);
  EXPECT_EQ(r.thread, std::this_thread::get_id());
  EXPECT_GE(r.seconds(), 0.005);
  // A call that throws still ends its interval.
  EXPECT_THROW(observe_run(profile, 0, 10, 4, 77, []() -> int { throw 1; }), int);
  EXPECT_EQ(profile.intervals().size(), 2u);
}

}  // namespace
}  // namespace mvinfer
