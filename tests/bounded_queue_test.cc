// BoundedQueue: a full queue makes producers wait, close() lets consumers drain, cancel() drops
// what is queued, push_newest() drops the oldest instead of waiting, and items cross threads
// in order. Every wait in these tests has a timeout, so a queue that never wakes fails the test
// instead of hanging it: the waiting threads are detached and share the queue's ownership.
#include "mvinfer/core/bounded_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace mvinfer {
namespace {

using namespace std::chrono_literals;

// Long enough for a thread that could proceed to have done so on a loaded machine.
constexpr auto kBlockedFor = 100ms;
// Long enough for anything that was woken up to finish.
constexpr auto kWokenWithin = 10s;

// Runs `fn` on a detached thread: unlike std::async's, its future does not wait for the
// thread when destroyed, so a test whose thread stays stuck still ends and reports.
template <typename Fn>
auto on_thread(Fn fn) {
  auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
  auto result = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  return result;
}

template <typename T>
using Shared = std::shared_ptr<BoundedQueue<T>>;
template <typename T>
Shared<T> make_queue(size_t capacity) {
  return std::make_shared<BoundedQueue<T>>(capacity);
}

template <typename T>
bool blocked(std::future<T>& f) {
  return f.wait_for(kBlockedFor) == std::future_status::timeout;
}
template <typename T>
bool finished(std::future<T>& f) {
  return f.wait_for(kWokenWithin) == std::future_status::ready;
}

TEST(BoundedQueue, CapacityIsAtLeastOne) {
  EXPECT_EQ(BoundedQueue<int>(0).capacity(), 1u);
  EXPECT_EQ(BoundedQueue<int>(3).capacity(), 3u);
}

TEST(BoundedQueue, PushWaitsWhileFullUntilAPop) {
  auto q = make_queue<int>(2);
  EXPECT_TRUE(q->push(1));
  EXPECT_TRUE(q->push(2));
  auto third = on_thread([=] { return q->push(3); });
  EXPECT_TRUE(blocked(third)) << "push into a full queue did not wait";
  EXPECT_EQ(q->pop(), 1);
  ASSERT_TRUE(finished(third)) << "a pop did not wake the waiting producer";
  EXPECT_TRUE(third.get());
  EXPECT_EQ(q->pop(), 2);
  EXPECT_EQ(q->pop(), 3);
  EXPECT_EQ(q->max_depth(), 2u);
}

TEST(BoundedQueue, PopWaitsWhileEmptyUntilAPush) {
  auto q = make_queue<int>(2);
  auto got = on_thread([=] { return q->pop(); });
  EXPECT_TRUE(blocked(got)) << "pop from an empty queue did not wait";
  q->push(7);
  ASSERT_TRUE(finished(got));
  EXPECT_EQ(got.get(), 7);
}

TEST(BoundedQueue, CloseLetsConsumersDrainThenEnds) {
  BoundedQueue<int> q(4);
  q.push(1);
  q.push(2);
  q.close();
  EXPECT_FALSE(q.push(3)) << "push after close was accepted";
  EXPECT_EQ(q.pop(), 1);
  EXPECT_EQ(q.pop(), 2);
  EXPECT_EQ(q.pop(), std::nullopt);
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(BoundedQueue, CloseWakesWaitingConsumersAndProducers) {
  auto empty = make_queue<int>(1);
  auto consumer = on_thread([=] { return empty->pop(); });
  EXPECT_TRUE(blocked(consumer));
  empty->close();
  ASSERT_TRUE(finished(consumer)) << "close() did not wake a waiting consumer";
  EXPECT_EQ(consumer.get(), std::nullopt);

  auto full = make_queue<int>(1);
  full->push(1);
  auto producer = on_thread([=] { return full->push(2); });
  EXPECT_TRUE(blocked(producer));
  full->close();
  ASSERT_TRUE(finished(producer)) << "close() did not wake a waiting producer";
  EXPECT_FALSE(producer.get());
  EXPECT_EQ(full->pop(), 1);  // what was queued before close() is still there
  EXPECT_EQ(full->pop(), std::nullopt);
}

TEST(BoundedQueue, CancelDropsWhatIsQueuedAndWakesProducers) {
  auto q = make_queue<int>(2);
  q->push(1);
  q->push(2);
  auto producer = on_thread([=] { return q->push(3); });
  EXPECT_TRUE(blocked(producer));
  q->cancel();
  ASSERT_TRUE(finished(producer)) << "cancel() did not wake a waiting producer";
  EXPECT_FALSE(producer.get());
  EXPECT_EQ(q->pop(), std::nullopt) << "cancel() left items to pop";
  EXPECT_FALSE(q->push(4));
}

TEST(BoundedQueue, PushNewestDropsTheOldestWhenFull) {
  BoundedQueue<int> q(2);
  bool accepted = false;
  EXPECT_EQ(q.push_newest(1, &accepted), 0u);
  EXPECT_TRUE(accepted);
  EXPECT_EQ(q.push_newest(2), 0u);
  EXPECT_EQ(q.push_newest(3, &accepted), 1u);  // never waits: 1 goes
  EXPECT_TRUE(accepted);
  EXPECT_EQ(q.push_newest(4), 1u);  // 2 goes
  EXPECT_EQ(q.max_depth(), 2u);
  EXPECT_EQ(q.pop(), 3);
  EXPECT_EQ(q.pop(), 4);
  q.close();
  EXPECT_EQ(q.push_newest(5, &accepted), 0u);
  EXPECT_FALSE(accepted);
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(BoundedQueue, MaxDepthIsTheMostEverHeld) {
  BoundedQueue<int> q(8);
  EXPECT_EQ(q.max_depth(), 0u);
  for (int i = 0; i < 3; ++i) q.push(i);
  for (int i = 0; i < 3; ++i) q.pop();
  q.push(9);
  EXPECT_EQ(q.max_depth(), 3u);  // not the current depth (1), not the capacity (8)
}

TEST(BoundedQueue, ProducerAndConsumerOnTwoThreadsKeepOrderWithinCapacity) {
  constexpr int kItems = 20000;
  auto q = make_queue<std::unique_ptr<int>>(3);  // move-only items go through too
  auto producer = on_thread([=] {
    for (int i = 0; i < kItems; ++i)
      if (!q->push(std::make_unique<int>(i))) return false;
    q->close();
    return true;
  });
  auto consumer = on_thread([=] {
    std::vector<int> got;
    while (auto item = q->pop()) got.push_back(**item);
    return got;
  });
  ASSERT_TRUE(finished(producer)) << "producer stuck";
  ASSERT_TRUE(finished(consumer)) << "consumer stuck";
  EXPECT_TRUE(producer.get());
  std::vector<int> got = consumer.get();
  ASSERT_EQ(got.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(got[static_cast<size_t>(i)], i);
  EXPECT_LE(q->max_depth(), 3u);
  EXPECT_GE(q->max_depth(), 1u);
}

}  // namespace
}  // namespace mvinfer
