// Google Benchmark micro-benchmarks of the pipeline's plumbing: the bounded queue between two
// stages (a producer and a consumer thread), and the per-frame join that puts results back in
// order. bench/micro.sh sets their per-frame cost against a frame's inference.
#include <benchmark/benchmark.h>

#include <thread>

#include "../src/strategies/shared.h"
#include "mvinfer/core/bounded_queue.h"
#include "mvinfer/io/result_sink.h"

using namespace mvinfer;

// One item handed from a producer thread to a consumer thread through a queue of depth 4.
static void BM_QueueHandoff(benchmark::State& state) {
  const int64_t items = 10000;
  auto batch = std::make_shared<const Batch>();
  for (auto _ : state) {
    BoundedQueue<std::shared_ptr<const Batch>> q(4);
    std::jthread producer([&] {
      for (int64_t i = 0; i < items; ++i) q.push(batch);
      q.close();
    });
    int64_t n = 0;
    while (q.pop()) ++n;
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * items);
}
BENCHMARK(BM_QueueHandoff)->UseRealTime();

// The join: 4 models' results per batch arrive out of order (last model first) and are
// emitted in frame order.
static void BM_OrderedJoin(benchmark::State& state) {
  const size_t models = 4;
  const int64_t batches = 2000;
  std::vector<std::shared_ptr<const Batch>> all;
  for (int64_t i = 0; i < batches; ++i) {
    auto b = std::make_shared<Batch>();
    b->seq = i;
    b->frames.resize(4);
    all.push_back(b);
  }
  for (auto _ : state) {
    NullSink sink;
    strategies::OrderedEmitter join(sink, models);
    for (int64_t i = 0; i < batches; ++i)
      for (size_t m = models; m-- > 0;)
        join.submit(all[static_cast<size_t>(i)], m,
                    raw_result(*all[static_cast<size_t>(i)], {Tensor::zeros({4, 10})}));
  }
  state.SetItemsProcessed(state.iterations() * batches * static_cast<int64_t>(models));
}
BENCHMARK(BM_OrderedJoin);

BENCHMARK_MAIN();
