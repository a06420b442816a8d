// mvinfer bench: every strategy over the same frames, against the machine's limit.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/job.h"
#include "mvinfer/core/limits.h"
#include "mvinfer/core/provider.h"
#include "mvinfer/core/trace_observer.h"
#include "mvinfer/io/line_file.h"
#include "mvinfer/io/preprocess.h"
#include "mvinfer/tools/bench.h"
#include "mvinfer/tools/zoo.h"

namespace mvinfer::cli {
namespace {

// A folder removed with everything in it when this goes out of scope (none while path is empty).
struct RemovedOnExit {
  std::string path;
  RemovedOnExit() = default;
  RemovedOnExit(const RemovedOnExit&) = delete;
  RemovedOnExit& operator=(const RemovedOnExit&) = delete;
  ~RemovedOnExit() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

struct BenchFlags {
  std::string video, size = "256x256", json, svg, strategies, intra_threads = "auto", zoo_dir,
                     trace, provider = "auto";
  std::vector<std::string> models, configs;
  int zoo = 0, batch = 4, sample = 16, repeat = 1, loop = 1;
  int64_t frames = 300;
  bool replicate = false, stream = false, strict = false, cuda_graph = false;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* b = app.add_subcommand("bench", "Compare every strategy on the same frames");
  b->add_option("--video", f->video, "Video file, image folder, camera index or URL")->required();
  b->add_option("--model", f->models, "Model: PATH or PATH:key=value,... (as in run)");
  b->add_option("--config", f->configs, "YAML or JSON model settings (as in run; repeatable)");
  b->add_option("--zoo", f->zoo, "Write and use N zoo models of similar size instead of --model")
      ->check(CLI::Range(1, 64));
  b->add_option("--zoo-dir", f->zoo_dir, "Where --zoo writes its models (default: a temp dir)");
  b->add_option("--frames", f->frames, "Frames to use")
      ->default_val(300)
      ->check(positive_integer(kMaxFrames));
  b->add_option("--batch", f->batch, "Frames per batch")
      ->default_val(4)
      ->check(positive_integer(kMaxBatch));
  b->add_option("--size", f->size, "Input size WxH for dynamic models (and --zoo)")
      ->default_val("256x256");
  b->add_flag("--replicate", f->replicate, "Repeat each frame --batch times (the seed's protocol)");
  b->add_flag("--stream", f->stream, "Decode inside the timed run instead of before it");
  b->add_option("--loop", f->loop, "Play the video this many times in a row (as in run)")
      ->default_val(1)
      ->check(positive_integer(kMaxLoop));
  b->add_flag("--strict", f->strict,
              "Fewer frames than --frames, or an undecodable one, is an error (exit 3)");
  b->add_option("--strategies", f->strategies,
                "Comma-separated strategies (default: all); serial always runs, as reference");
  b->add_option("--intra-threads", f->intra_threads, "Intra-op threads per session, or auto")
      ->default_val("auto");
  b->add_option("--sample", f->sample, "Batches per model for the 'alone' measurements")
      ->default_val(16)
      ->check(positive_integer(1 << 20));
  b->add_option("--repeat", f->repeat,
                "Rounds of the limit probe and every strategy, interleaved; ratios are reported "
                "as the median with min-max over the rounds")
      ->default_val(1)
      ->check(positive_integer(1000));
  b->add_option("--provider", f->provider,
                "Where models run: cpu, cuda, tensorrt or auto (as in run)")
      ->default_val("auto");
  b->add_flag("--cuda-graph", f->cuda_graph, "On the GPU: models as CUDA graphs (as in run)");
  b->add_option("--json", f->json, "Write the report as JSON");
  b->add_option("--svg", f->svg, "Write a chart as SVG");
  b->add_option("--trace", f->trace,
                "Write each strategy's Run()s as a Chrome trace (for Perfetto or "
                "chrome://tracing) to DIR/<strategy>.json");

  return [f] {
    BenchConfig c;
    c.video = f->video;
    std::tie(c.width, c.height) = parse_size(f->size);
    c.frames = f->frames;
    c.loop = f->loop;
    c.batching.batch = f->batch;
    c.batching.replicate = f->replicate;
    c.stream = f->stream;
    c.strict = f->strict;
    c.sample_batches = f->sample;
    c.repeat = f->repeat;
    c.options.intra_threads = parse_auto_int("--intra-threads", f->intra_threads);
    if (c.options.intra_threads > 0) check_threads("--intra-threads", c.options.intra_threads);
    if (f->cuda_graph && f->provider == "cpu")
      throw Error(ErrorCode::bad_flag, Error::Option{"cuda_graph"},
                  ": CUDA graphs are for the GPU, and the provider is cpu (expected cuda or auto)");
    if (!f->strategies.empty()) c.strategies = split(f->strategies);
    check_strategy_names(c.strategies);  // a flag error comes before any progress line
    const ProviderChoice provider = resolve_provider(f->provider);
    c.options.provider = provider.provider;
    c.options.cuda_graph = f->cuda_graph;
    fmt::print(stderr, "bench: provider {}\n", provider.reason);
    check_writable("json", f->json);
    check_writable("svg", f->svg);
    if (!f->trace.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(f->trace, ec);
      check_writable("trace", (std::filesystem::path(f->trace) / "serial.json").string());
    }
    if (f->zoo > 0 && (!f->models.empty() || !f->configs.empty()))
      throw Error(ErrorCode::bad_flag, "give either --zoo N or --model/--config, not both");
    for (const std::string& file : f->configs)
      for (ModelSpec& m : load_model_config(file)) c.models.push_back(std::move(m));
    for (const std::string& m : f->models) c.models.push_back(parse_model_arg(m));
    // --zoo without --zoo-dir writes its models into a temporary folder, removed however the
    // bench ends (a result, an error, Ctrl-C).
    RemovedOnExit temp_zoo;
    if (f->zoo > 0) {
      ZooOptions z;
      z.count = f->zoo;
      z.width = c.width;
      z.height = c.height;
      std::string dir = f->zoo_dir;
      if (dir.empty()) {
        dir = (std::filesystem::temp_directory_path() /
               fmt::format("mvinfer-zoo-{}x{}-{}", c.width, c.height, getpid()))
                  .string();
        temp_zoo.path = dir;
      }
      for (const ZooModel& m : write_zoo(dir, z)) c.models.push_back(parse_model_arg(m.path));
    }
    c.options.stop = &stop_on_signals();
    const bool tty = isatty(STDERR_FILENO);
    BenchReport report = run_bench(c, [&](const std::string& line) {
      fmt::print(stderr, "{}{}\n", tty ? "" : "bench: ", line);
    });
    fmt::print("{}", format_table(report));
    std::fflush(stdout);  // before --json or --svg, which may be /dev/stdout
    if (!f->json.empty()) replace_file("json", f->json, to_json(report));
    if (!f->svg.empty()) replace_file("svg", f->svg, to_svg(report));
    if (!f->trace.empty()) {
      std::vector<std::string> names;
      for (const ModelSpec& m : report.models) names.push_back(m.name);
      for (const BenchStrategyResult& s : report.strategies)
        write_chrome_trace(
            (std::filesystem::path(f->trace) / (s.report.strategy + ".json")).string(), s.runs,
            names);
    }
    if (!report.all_outputs_match()) {
      for (const BenchStrategyResult& s : report.strategies)
        if (!s.outputs_match_serial)
          fmt::print(stderr,
                     "mvinfer: error: strategy {} gave outputs that differ from serial's "
                     "(largest relative difference {:.3g})\n",
                     s.report.strategy, s.max_abs_diff);
      return 7;
    }
    return 0;
  };
}

}  // namespace mvinfer::cli
