// The machinery every concurrent strategy shares (src/strategies/shared.h): OrderedEmitter puts
// results that arrive in any order, from any thread, back in (batch, model) order; FirstError
// keeps the first failure only; BatchFanout hands every batch to every consumer and lets go of
// a batch once all consumers took it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "../src/strategies/shared.h"

namespace mvinfer::strategies {
namespace {

std::shared_ptr<const Batch> batch_with_seq(int64_t seq) {
  auto b = std::make_shared<Batch>();
  b->seq = seq;
  return b;
}

// One output tensor that says which (batch, model) it belongs to, so that a result emitted
// with the wrong batch or model would show.
ModelResult outputs_of(int64_t seq, size_t model) {
  ModelResult r;
  r.outputs = {Tensor{{2}, {static_cast<float>(seq), static_cast<float>(model)}}};
  return r;
}

void expect_in_order(const CollectingSink& sink, int64_t first_seq, int64_t batches,
                     size_t models) {
  ASSERT_EQ(sink.entries().size(), static_cast<size_t>(batches) * models);
  size_t i = 0;
  for (int64_t seq = first_seq; seq < first_seq + batches; ++seq)
    for (size_t m = 0; m < models; ++m, ++i) {
      const CollectingSink::Entry& e = sink.entries()[i];
      ASSERT_EQ(e.batch, seq) << "entry " << i;
      ASSERT_EQ(e.model, m) << "entry " << i;
      ASSERT_EQ(e.outputs.size(), 1u);
      EXPECT_EQ(e.outputs[0].data,
                (std::vector<float>{static_cast<float>(seq), static_cast<float>(m)}));
    }
}

TEST(OrderedEmitter, ResultsFromSeveralThreadsComeOutInBatchThenModelOrder) {
  constexpr int64_t kFirst = 7, kBatches = 60;
  constexpr size_t kModels = 3, kThreads = 4;
  std::vector<std::pair<int64_t, size_t>> work;
  for (int64_t s = kFirst; s < kFirst + kBatches; ++s)
    for (size_t m = 0; m < kModels; ++m) work.emplace_back(s, m);
  std::mt19937 rng(42);
  std::shuffle(work.begin(), work.end(), rng);

  CollectingSink sink;
  OrderedEmitter emitter(sink, kModels, kFirst);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = t; i < work.size(); i += kThreads) {
        auto [seq, model] = work[i];
        emitter.submit(batch_with_seq(seq), model, outputs_of(seq, model));
      }
    });
  for (std::thread& t : threads) t.join();
  expect_in_order(sink, kFirst, kBatches, kModels);
}

TEST(OrderedEmitter, HoldsEverythingBackUntilTheFirstSeqArrives) {
  CollectingSink sink;
  OrderedEmitter emitter(sink, 2, /*first_seq=*/5);
  emitter.submit(batch_with_seq(6), 0, outputs_of(6, 0));
  emitter.submit(batch_with_seq(6), 1, outputs_of(6, 1));
  emitter.submit(batch_with_seq(5), 1, outputs_of(5, 1));
  EXPECT_EQ(sink.entries().size(), 0u) << "emitted before batch 5, model 0 arrived";
  emitter.submit(batch_with_seq(5), 0, outputs_of(5, 0));
  expect_in_order(sink, 5, 2, 2);
}

TEST(OrderedEmitter, EmitsAtOnceWhatIsNext) {
  CollectingSink sink;
  OrderedEmitter emitter(sink, 2, 0);
  emitter.submit(batch_with_seq(0), 0, outputs_of(0, 0));
  EXPECT_EQ(sink.entries().size(), 1u);
  emitter.submit(batch_with_seq(0), 1, outputs_of(0, 1));
  EXPECT_EQ(sink.entries().size(), 2u);
}

TEST(OrderedEmitter, MaxPendingCountsTheResultsHeldBack) {
  // In order: nothing ever waits for an earlier result.
  CollectingSink in_order_sink;
  OrderedEmitter in_order(in_order_sink, 1, 0);
  for (int64_t s = 0; s < 10; ++s) in_order.submit(batch_with_seq(s), 0, outputs_of(s, 0));
  EXPECT_EQ(in_order.max_pending(), 0u);

  // Batch 0 last: the 9 others all wait for it.
  CollectingSink reversed_sink;
  OrderedEmitter reversed(reversed_sink, 1, 0);
  for (int64_t s = 9; s >= 0; --s) reversed.submit(batch_with_seq(s), 0, outputs_of(s, 0));
  EXPECT_EQ(reversed.max_pending(), 9u);
  expect_in_order(reversed_sink, 0, 10, 1);
}

TEST(FirstError, KeepsOnlyTheFirstException) {
  FirstError error;
  EXPECT_FALSE(error.failed());
  EXPECT_NO_THROW(error.rethrow_if_failed());
  error.set(std::make_exception_ptr(std::runtime_error("first")));
  EXPECT_TRUE(error.failed());
  error.set(std::make_exception_ptr(std::logic_error("second")));
  try {
    error.rethrow_if_failed();
    FAIL() << "nothing rethrown";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first");
  } catch (const std::exception& e) {
    FAIL() << "rethrew a later error: " << e.what();
  }
}

TEST(FirstError, ConcurrentSettersLeaveOneStableError) {
  FirstError error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i)
        error.set(std::make_exception_ptr(std::runtime_error(std::to_string(t * 1000 + i))));
    });
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(error.failed());
  auto what = [&] {
    try {
      error.rethrow_if_failed();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("nothing");
  };
  const std::string first = what();
  EXPECT_NE(first, "nothing");
  // One of the threads' first errors (each thread's i = 0), and the same every time.
  EXPECT_TRUE(first.ends_with("000") || first == "0") << first;
  EXPECT_EQ(what(), first);
}

// Yields `count` batches numbered from `first_seq`, and counts how often it was asked.
class CountingSource : public BatchSource {
 public:
  CountingSource(int64_t count, int64_t first_seq = 0) : count_(count), seq_(first_seq) {}
  std::optional<Batch> next() override {
    ++calls_;
    if (produced_ == count_) return std::nullopt;
    ++produced_;
    Batch b;
    b.seq = seq_++;
    return b;
  }
  int calls() const { return calls_; }

 private:
  int64_t count_, seq_;
  int64_t produced_ = 0;
  int calls_ = 0;
};

TEST(BatchFanout, EveryConsumerGetsEveryBatchOnce) {
  constexpr int64_t kBatches = 200;
  constexpr size_t kConsumers = 3;
  CountingSource source(kBatches, /*first_seq=*/10);
  BatchFanout fanout(source, kConsumers);
  std::vector<std::future<std::vector<int64_t>>> consumers;
  for (size_t c = 0; c < kConsumers; ++c)
    consumers.push_back(std::async(std::launch::async, [&, c] {
      std::vector<int64_t> seqs;
      for (int64_t i = 0;; ++i) {
        std::shared_ptr<const Batch> b = fanout.get(c, i);
        if (!b) break;
        seqs.push_back(b->seq);
      }
      return seqs;
    }));
  std::vector<int64_t> want;
  for (int64_t s = 10; s < 10 + kBatches; ++s) want.push_back(s);
  for (auto& c : consumers) {
    ASSERT_EQ(c.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(c.get(), want);
  }
  // Each batch was read from the source once, plus the call that found the end.
  EXPECT_EQ(source.calls(), kBatches + 1);
}

TEST(BatchFanout, PullsOnDemandAndDropsABatchOnceEveryConsumerTookIt) {
  CountingSource source(5);
  BatchFanout fanout(source, 2);
  EXPECT_EQ(source.calls(), 0);

  std::weak_ptr<const Batch> batch0 = fanout.get(0, 0);
  EXPECT_EQ(source.calls(), 1) << "read ahead of what was asked for";
  EXPECT_FALSE(batch0.expired()) << "dropped before consumer 1 took it";

  // Consumer 0 runs ahead: the fanout keeps what consumer 1 has not taken yet.
  std::weak_ptr<const Batch> batch1 = fanout.get(0, 1);
  EXPECT_EQ(source.calls(), 2);
  EXPECT_FALSE(batch0.expired());
  EXPECT_FALSE(batch1.expired());

  std::shared_ptr<const Batch> same0 = fanout.get(1, 0);
  ASSERT_TRUE(same0);
  EXPECT_EQ(same0->seq, 0);
  EXPECT_EQ(same0, batch0.lock()) << "consumers got different copies of batch 0";
  same0.reset();
  EXPECT_TRUE(batch0.expired()) << "batch 0 kept after every consumer took it";
  EXPECT_FALSE(batch1.expired());

  std::shared_ptr<const Batch> same1 = fanout.get(1, 1);
  ASSERT_TRUE(same1);
  EXPECT_EQ(same1->seq, 1);
  same1.reset();
  EXPECT_TRUE(batch1.expired());
  EXPECT_EQ(source.calls(), 2) << "consumer 1 caught up: nothing new to read";
}

TEST(BatchFanout, EndIsSeenByEveryConsumer) {
  CountingSource source(1);
  BatchFanout fanout(source, 2);
  EXPECT_TRUE(fanout.get(0, 0));
  EXPECT_FALSE(fanout.get(0, 1));
  EXPECT_TRUE(fanout.get(1, 0));
  EXPECT_FALSE(fanout.get(1, 1));
  EXPECT_EQ(source.calls(), 2);  // the end was asked for once
}

}  // namespace
}  // namespace mvinfer::strategies
