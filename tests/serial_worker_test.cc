// SerialWorker (src/core/serial_worker.h), which carries a GPU session's asynchronous calls and
// a CUDA graph's calls: everything runs on its one thread, in order, results and exceptions come
// back to the caller, and nothing given to it is dropped when it goes.
#include "../src/core/serial_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mvinfer::testing {
namespace {

TEST(SerialWorker, RunsEverythingOnItsOneThreadInOrder) {
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  {
    SerialWorker w;
    for (int i = 0; i < 100; ++i)
      w.post([&, i] {
        order.push_back(i);
        threads.push_back(std::this_thread::get_id());
      });
    EXPECT_EQ(w.call([] { return 7; }), 7);  // after the 100 before it
    EXPECT_EQ(order.size(), 100u);
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  for (std::thread::id t : threads) EXPECT_EQ(t, threads.front());
  EXPECT_NE(threads.front(), std::this_thread::get_id());
}

TEST(SerialWorker, CallGivesBackTheExceptionAndTheWorkerGoesOn) {
  SerialWorker w;
  EXPECT_THROW(w.call([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_EQ(w.call([] { return std::string("still here"); }), "still here");
}

TEST(SerialWorker, WhatWasPostedRunsBeforeItGoes) {
  std::atomic<int> ran{0};
  {
    SerialWorker w;
    for (int i = 0; i < 50; ++i)
      w.post([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        ++ran;
      });
  }
  EXPECT_EQ(ran.load(), 50);
}

TEST(SerialWorker, CallsFromManyThreadsAllComeBack) {
  SerialWorker w;
  int counter = 0;  // touched on the worker's thread only
  std::vector<std::thread> callers;
  std::atomic<int> sum{0};
  for (int t = 0; t < 8; ++t)
    callers.emplace_back([&] {
      for (int i = 0; i < 100; ++i) sum += w.call([&] { return ++counter; }) > 0;
    });
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(sum.load(), 800);
  EXPECT_EQ(w.call([&] { return counter; }), 800);
}

}  // namespace
}  // namespace mvinfer::testing
