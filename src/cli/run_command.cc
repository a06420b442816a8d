// mvinfer run: predictions for a video, written as JSON Lines.
#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <tuple>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/job.h"
#include "mvinfer/core/limits.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/core/trace_observer.h"
#include "mvinfer/io/preprocess.h"

namespace mvinfer::cli {
namespace {

struct RunFlags {
  std::vector<std::string> videos, models;
  std::vector<std::string> configs;
  std::string size, out, save_tensors, strategy = "auto", intra_threads = "auto", probe, trace,
                                       overlay;
  int64_t frames = -1;
  int batch = 1;
  bool replicate = false, preload = false, spin = false, quiet = false, across = false,
       drop_late = false, strict = false, cuda_graph = false;
  double live_fps = 0;
  int queue_depth = 4;
  int loop = 1;
  int cores = 0;
  std::string max_memory, provider = "auto";
};

}  // namespace

Command add_run_command(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "Run every model on every frame of a video");
  run->add_option("--video", flags->videos, "Video file, image folder, camera index or URL")
      ->required();
  run->add_option("--model", flags->models,
                  "Model: PATH or PATH:key=value,... (size=WxH, color=rgb|bgr, layout=nchw|nhwc, "
                  "resize=stretch|letterbox|pad|pad-grow, scale=, mean=a/b/c, std=a/b/c, "
                  "threads=, name=, dim.NAME=, decode=NAME, on=MODEL, interval=N, max_side=, "
                  "and the decoder's options: labels=, topk=, threshold=, dict=, ...)");
  run->add_option("--config", flags->configs,
                  "YAML or JSON file listing models and their settings (repeatable)");
  run->add_option("--frames", flags->frames, "Frames to read (default: all)")
      ->check(positive_integer(kMaxFrames));
  run->add_option("--batch", flags->batch, "Frames per batch")
      ->default_val(1)
      ->check(positive_integer(kMaxBatch));
  run->add_flag("--replicate", flags->replicate,
                "Repeat each frame --batch times (the seed's protocol) instead of batching "
                "consecutive frames");
  run->add_option("--size", flags->size, "Input size WxH for models whose H/W are dynamic");
  run->add_option("--out", flags->out, "Write JSON Lines results here ('-' = stdout)");
  run->add_option("--save-tensors", flags->save_tensors, "Write every output as .npy under DIR");
  run->add_option("--overlay", flags->overlay,
                  "Write the video with the predictions drawn (boxes, keypoints, labels, text) "
                  "to this .mp4 or .avi");
  run->add_option("--trace", flags->trace,
                  "Write when each Run() happened, on which worker, as a Chrome trace (JSON) "
                  "for Perfetto or chrome://tracing");
  run->add_option("--strategy", flags->strategy, "Schedule, one of:\n" + describe_strategies())
      ->default_val("auto");
  run->add_option("--probe", flags->probe,
                  "auto's probe budget: a share of the frames and/or seconds, e.g. 5%,10s "
                  "(the default)");
  run->add_option("--intra-threads", flags->intra_threads,
                  "ONNX Runtime intra-op threads per session, or auto")
      ->default_val("auto");
  run->add_flag("--preload", flags->preload,
                "Decode and preprocess every frame before timing starts");
  run->add_flag("--spin", flags->spin, "Let idle ONNX Runtime threads spin (serial only)");
  run->add_flag("--quiet,-q", flags->quiet, "No progress line");
  run->add_flag(
      "--strict", flags->strict,
      "An input that ends before --frames (or the frames its container holds), or an "
      "undecodable frame, is an error (exit 3) instead of a short run or a skipped frame");
  run->add_flag("--batch-across-streams", flags->across,
                "Form batches from frames of every --video (the models must take the same input)");
  run->add_flag("--drop-late", flags->drop_late,
                "Live sources: keep only the newest frame when inference falls behind (pipeline)");
  run->add_option("--live-fps", flags->live_fps,
                  "Replay the inputs as live sources delivering this many frames/s")
      ->check(number_in(kMinLiveFps, kMaxLiveFps));
  run->add_option("--loop", flags->loop, "Play each input this many times in a row")
      ->default_val(1)
      ->check(positive_integer(kMaxLoop));
  run->add_option("--queue-depth", flags->queue_depth, "Pipeline: batches per queue")
      ->default_val(4)
      ->check(positive_integer(kMaxQueueDepth));
  run->add_option("--cores", flags->cores, "Cores the run may use (default: all of them)")
      ->check(positive_integer(1 << 20));
  run->add_option("--provider", flags->provider,
                  "Where models run: cpu, cuda (an NVIDIA GPU through ONNX Runtime's CUDA "
                  "provider; `make gpu`), tensorrt, or auto: the GPU when one is usable, else "
                  "the CPU, and the summary says which and why")
      ->default_val("auto");
  run->add_flag("--cuda-graph", flags->cuda_graph,
                "On the GPU: capture each model's Run() once as a CUDA graph and replay it "
                "(models with fixed shapes; the summary names those that cannot)");
  run->add_option("--max-memory", flags->max_memory,
                  "Most memory the run's frames and tensors may hold at once, e.g. 8G or 50% "
                  "(default: 80% of this machine's memory); checked before anything is read");

  return [flags] {
    const RunFlags& f = *flags;
    JobConfig job;
    job.videos = f.videos;
    for (const std::string& file : f.configs)
      for (ModelSpec& m : load_model_config(file)) job.models.push_back(std::move(m));
    for (const std::string& m : f.models) job.models.push_back(parse_model_arg(m));
    job.other_inputs = f.configs;
    job.provider = f.provider;
    job.max_frames = f.frames;
    if (!f.max_memory.empty())
      job.max_memory = parse_memory("--max-memory", f.max_memory, physical_memory_bytes());
    job.batching.batch = f.batch;
    job.batching.replicate = f.replicate;
    job.batching.across_streams = f.across;
    job.live_fps = f.live_fps;
    job.loop = f.loop;
    job.strategy_options.drop_late = f.drop_late;
    job.strategy_options.cuda_graph = f.cuda_graph;
    job.strategy_options.queue_depth = f.queue_depth;
    job.strategy_options.cores = f.cores;
    if (!f.size.empty()) std::tie(job.width, job.height) = parse_size(f.size);
    job.strategy = f.strategy;
    job.strategy_options.intra_threads = parse_auto_int("--intra-threads", f.intra_threads);
    job.strategy_options.allow_spinning = f.spin;
    if (!f.probe.empty())
      parse_probe("--probe", f.probe, job.strategy_options.probe_fraction,
                  job.strategy_options.probe_seconds);
    job.preload = f.preload;
    job.out_jsonl = f.out;
    job.save_tensors_dir = f.save_tensors;
    job.overlay = f.overlay;
    job.progress = !f.quiet;
    job.strict = f.strict;

    if (f.trace == "-") throw Error(ErrorCode::bad_flag, "--trace: expected a file path, not '-'");
    check_writable("trace", f.trace);

    // Set by SIGINT or SIGTERM; the strategy polls it and stops after the batches in flight.
    job.strategy_options.stop = &stop_on_signals();
    ChromeTraceObserver trace;
    // The models' names are final (made unique) once run_job has validated them.
    auto write_trace = [&] {
      std::vector<std::string> names;
      for (const ModelSpec& m : job.models) names.push_back(m.name);
      trace.write(f.trace, names);
    };
    RunReport report;
    try {
      report = run_job(job, f.trace.empty() ? nullptr : &trace);
    } catch (...) {
      // What ran before the failure is what a trace is for; the run's error is the one to
      // report, so a trace that cannot be written then is not.
      if (!f.trace.empty() && !trace.intervals().empty()) {
        try {
          write_trace();
        } catch (const Error&) {
        }
      }
      throw;
    }
    if (!f.trace.empty()) write_trace();
    fmt::print(stderr, "provider {}\n", job.provider_reason);
    fmt::print(stderr, "strategy {}: {}\n", report.strategy, report.settings);
    fmt::print(stderr, "{}{}\n", format_summary(report),
               report.interrupted ? " (interrupted)" : "");
    return report.interrupted ? exit_code(ErrorCode::interrupted) : 0;
  };
}

}  // namespace mvinfer::cli
