// coroutines is serial in disguise: each model's Run() total there equals serial's within
// noise. Timing-sensitive, so CTest runs it alone (RUN_SERIAL), with alternating rounds and
// the best of each.
#include <gtest/gtest.h>

#include "mvinfer/io/batch.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/tools/zoo.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

TEST(Coroutines, PerModelTotalsMatchSerial) {
  // Two default-width zoo models at 128x128: Run() totals of a few hundred ms per strategy,
  // well above scheduling noise.
  ZooOptions z;
  z.count = 2;
  z.height = z.width = 128;
  std::vector<ModelSpec> specs;
  for (const ZooModel& m : write_zoo(scratch_dir("zoo").string(), z))
    specs.push_back(parse_model_arg(m.path));
  for (ModelSpec& s : specs) resolve_model_spec(s, 4, 128, 128);
  auto source = open_frame_source(kVideo, 80);
  Batcher batcher(*source, specs, {4, false, false});
  auto batches = preload(batcher);

  auto totals = [&](const std::string& name) {
    StrategyOptions o;
    o.intra_threads = 1;
    ProfileObserver profile;
    NullSink sink;
    batches->rewind();
    make_strategy(name, o)->run(*batches, specs, sink, profile);
    std::vector<double> t(specs.size());
    for (const RunInterval& r : profile.intervals()) t[r.model] += r.seconds();
    return t;
  };
  totals("serial");  // warm-up
  std::vector<double> serial(specs.size(), 1e9), coro(specs.size(), 1e9);
  for (int round = 0; round < 3; ++round) {
    std::vector<double> s = totals("serial"), c = totals("coroutines");
    for (size_t m = 0; m < specs.size(); ++m) {
      serial[m] = std::min(serial[m], s[m]);
      coro[m] = std::min(coro[m], c[m]);
    }
  }
  for (size_t m = 0; m < specs.size(); ++m) {
    const double ratio = coro[m] / serial[m];
    EXPECT_GT(ratio, 0.75) << specs[m].name << " coroutines " << coro[m] << " s, serial " << serial[m];
    EXPECT_LT(ratio, 1.33) << specs[m].name << " coroutines " << coro[m] << " s, serial " << serial[m];
  }
}

}  // namespace
}  // namespace mvinfer::testing
