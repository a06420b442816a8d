// Framework overhead: mvinfer's serial strategy over preloaded batches vs the smallest direct
// ONNX Runtime loop over the very same input tensors, with the same session settings.
// Rounds alternate (A B A B ...) so drift of the machine hits both; prints the best wall
// time of each, and the ratio within each round summarised by its median and min-max. Both
// are timed from their first Run() to their last result: creating sessions is a one-off cost,
// not framework overhead per frame.
//
// usage: overhead_probe VIDEO FRAMES BATCH WxH ROUNDS MODEL...
#include <fmt/format.h>
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"
#include "mvinfer/tools/bench.h"

using namespace mvinfer;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The baseline a user would write by hand: one session per model, Run() on every batch.
struct DirectLoop {
  Ort::Env env{ORT_LOGGING_LEVEL_FATAL, "direct"};
  std::vector<Ort::Session> sessions;
  std::vector<std::string> in_names, out_names;

  DirectLoop(const std::vector<ModelSpec>& specs, int threads) {
    for (const ModelSpec& s : specs) {
      Ort::SessionOptions o;
      o.SetIntraOpNumThreads(threads);
      o.SetInterOpNumThreads(1);
      o.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
      o.AddConfigEntry("session.intra_op.allow_spinning", "0");
      sessions.emplace_back(env, s.path.c_str(), o);
      in_names.push_back(s.input.name);
      out_names.push_back(s.outputs.at(0).name);
    }
  }
  double run(const std::vector<Batch>& batches) {
    auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    const auto t0 = Clock::now();
    for (const Batch& b : batches)
      for (size_t m = 0; m < sessions.size(); ++m) {
        Tensor& t = const_cast<Tensor&>(*b.inputs[m]);
        Ort::Value in = Ort::Value::CreateTensor<float>(mem, t.data.data(), t.data.size(),
                                                        t.shape.data(), t.shape.size());
        const char* i = in_names[m].c_str();
        const char* o = out_names[m].c_str();
        auto out = sessions[m].Run(Ort::RunOptions{nullptr}, &i, &in, 1, &o, 1);
      }
    return seconds_since(t0);
  }
};

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s VIDEO FRAMES BATCH WxH ROUNDS MODEL...\n", argv[0]);
    return 2;
  }
  const int64_t frames = std::stoll(argv[2]);
  const int batch = std::stoi(argv[3]);
  const std::string size = argv[4];
  const int w = std::stoi(size.substr(0, size.find('x'))),
            h = std::stoi(size.substr(size.find('x') + 1));
  const int rounds = std::stoi(argv[5]);
  std::vector<ModelSpec> specs;
  for (int i = 6; i < argc; ++i) specs.push_back(parse_model_arg(argv[i]));
  make_names_unique(specs);
  for (ModelSpec& s : specs) resolve_model_spec(s, batch, w, h);

  auto source = open_frame_source(argv[1], frames);
  Batcher batcher(*source, specs, {batch, false, false});
  auto preloaded = preload(batcher);
  const std::vector<Batch>& batches = preloaded->batches();

  StrategyOptions options;  // auto threads: what `run --strategy serial` uses
  const int threads = session_settings_for(specs[0], 1, options).intra_threads;
  auto serial = make_strategy("serial", options);
  DirectLoop direct(specs, threads);
  NullSink sink;

  std::vector<double> a, b;
  direct.run(batches);  // warm-up of both (first runs allocate arenas)
  for (int r = 0; r < rounds; ++r) {
    preloaded->rewind();
    ProfileObserver profile;  // as run_job does: every Run() is observed
    serial->run(*preloaded, specs, sink, profile);
    // Timed from the first Run(): the strategy creates its sessions inside run(), the direct
    // loop before it, and session creation is not per-frame overhead.
    const auto end = Clock::now();
    Clock::time_point first = end;
    for (const RunInterval& r : profile.intervals()) first = std::min(first, r.begin);
    a.push_back(std::chrono::duration<double>(end - first).count());
    b.push_back(direct.run(batches));
    fmt::print("round {}: mvinfer serial {:.3f} s, direct loop {:.3f} s\n", r + 1, a.back(),
               b.back());
  }
  const double best_a = *std::min_element(a.begin(), a.end());
  const double best_b = *std::min_element(b.begin(), b.end());
  fmt::print("models {}, batches {}, batch {}, {}x{}, intra-op threads {}\n", specs.size(),
             batches.size(), batch, w, h, threads);
  fmt::print("best: mvinfer serial {:.3f} s, direct loop {:.3f} s\n", best_a, best_b);
  std::vector<double> ratio;
  for (size_t i = 0; i < a.size(); ++i) ratio.push_back(a[i] / b[i]);
  const RoundStats q = summarize(ratio);
  fmt::print("overhead ratio (mvinfer / direct) per round: median {:.4f} ({:.4f}-{:.4f}){}\n",
             q.median, q.min, q.max, q.unstable() ? ", spread above 10%" : "");
  fmt::print("overhead ratio (mvinfer / direct, median of {} rounds) = {:.4f}\n", a.size(),
             q.median);
  return 0;
} catch (const Error& e) {
  std::fprintf(stderr, "overhead_probe: %s\n", e.what());
  return 1;
}
