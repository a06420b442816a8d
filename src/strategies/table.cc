// The strategy table: one row per strategy, in the order `bench` runs them and auto probes its
// candidates. Adding a strategy = its own .cc file (a factory declared in strategies.h) + a row.
#include "mvinfer/core/strategy.h"
#include "strategies/strategies.h"

namespace mvinfer {

std::span<const StrategyInfo> strategy_table() {
  using namespace strategies;
  // name, description, auto_candidate, drops_late, forks, factory
  static const StrategyInfo table[] = {
      {"serial", "every model in turn on the calling thread, all cores for each Run()", true, false,
       false, make_serial},
      {"threads", "a thread per model over the same batches; cores shared among sessions", true,
       false, false, make_threads},
      {"processes", "a worker process per model, inputs in shared memory", false, false, true,
       make_processes},
      {"coroutines", "a coroutine per model on one thread; Run() blocks, so serial in disguise",
       false, false, false, make_coroutines},
      {"coroutines-async", "a coroutine per model on one thread, resumed by RunAsync callbacks",
       true, false, false, make_coroutines_async},
      {"pipeline", "decode, preprocess and per-model workers sized by cost, over bounded queues",
       true, true, false, make_pipeline},
      {"auto", "probes the candidates on the first batches, keeps the fastest (default)", false,
       true, false, make_auto},
  };
  return table;
}

}  // namespace mvinfer
