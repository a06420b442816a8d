// mvinfer submit: splits videos into segments and queues them in Redis for workers.
#include <fmt/format.h>

#include <tuple>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/dist/submit.h"
#include "mvinfer/io/preprocess.h"

namespace mvinfer::cli {
namespace {
struct SubmitFlags {
  RedisFlags redis;
  std::string job, size, strategy = "auto", intra_threads = "auto", provider = "auto";
  std::vector<std::string> videos, models, configs;
  int64_t frames = -1, segment_frames = 200;
  double live_fps = 0;
  int batch = 1, max_attempts = 3, claim_ms = 60000;
};
}  // namespace

Command add_submit_command(CLI::App& app) {
  auto f = std::make_shared<SubmitFlags>();
  CLI::App* c = app.add_subcommand(
      "submit",
      "Split videos into segments (a live source: one long-running job) and queue them in "
      "Redis for `mvinfer worker`s; prints a job id per video");
  add_redis_flags(c, f->redis);
  c->add_option("--job", f->job, "Name of the job (letters, digits, '.', '_', '-')")->required();
  c->add_option("--video", f->videos,
                "Video file or image folder, split into segments; or a camera index or stream "
                "URL, one live job each (repeatable)")
      ->required();
  c->add_option("--live-fps", f->live_fps,
                "Replay the video files as live jobs delivering this many frames/s (each held by "
                "one worker at a time, taken over when it dies); cameras and streams are held "
                "to it too")
      ->check(number_in(kMinLiveFps, kMaxLiveFps));
  c->add_option("--model", f->models, "Model: PATH or PATH:key=value,... as for `run`");
  c->add_option("--config", f->configs, "YAML or JSON file listing models (repeatable)");
  c->add_option("--frames", f->frames, "Frames to read per video (default: all)")
      ->check(positive_integer(kMaxFrames));
  c->add_option("--batch", f->batch, "Frames per batch")
      ->default_val(1)
      ->check(positive_integer(kMaxBatch));
  c->add_option("--size", f->size, "Input size WxH for models whose H/W are dynamic");
  c->add_option("--strategy", f->strategy, "Schedule each worker uses, as for `run`")
      ->default_val("auto");
  c->add_option("--intra-threads", f->intra_threads, "As for `run`")->default_val("auto");
  c->add_option("--provider", f->provider, "As for `run`")->default_val("auto");
  c->add_option("--segment-frames", f->segment_frames,
                "Frames per segment (rounded up to whole batches)")
      ->default_val(200)
      ->check(positive_integer(kMaxFrames));
  c->add_option("--max-attempts", f->max_attempts,
                "Failed runs (or deliveries to workers that died) before a segment goes to the "
                "dead letters")
      ->default_val(3)
      ->check(positive_integer(1000));
  c->add_option("--claim-ms", f->claim_ms,
                "A segment whose worker sent no heartbeat for this long is taken by another")
      ->default_val(60000)
      ->check(positive_integer(86'400'000));
  return [f] {
    dist::DistJobSpec spec;
    spec.name = f->job;
    spec.videos = f->videos;
    spec.models = f->models;
    spec.configs = f->configs;
    spec.max_frames = f->frames;
    spec.batch = f->batch;
    if (!f->size.empty()) std::tie(spec.width, spec.height) = parse_size(f->size);
    spec.strategy = f->strategy;
    spec.intra_threads = parse_auto_int("--intra-threads", f->intra_threads);
    spec.provider = f->provider;
    spec.segment_frames = f->segment_frames;
    spec.max_attempts = f->max_attempts;
    spec.claim_ms = f->claim_ms;
    spec.live_fps = f->live_fps;
    const RedisOptions options = redis_options(f->redis);  // a bad address before the work
    dist::prepare_job(spec);
    const std::vector<dist::DistJobSpec> jobs = dist::split_per_video(spec);
    RedisClient redis(options);
    dist::submit_jobs(redis, jobs);
    int64_t frames = 0;
    int seeking = 0, live = 0;
    for (size_t v = 0; v < spec.videos.size(); ++v) {
      live += spec.live[v] ? 1 : 0;
      frames += spec.live[v] ? 0 : spec.video_frames[v];
      seeking += spec.seek[v] ? 1 : 0;
    }
    const size_t segments = spec.segments.size() - static_cast<size_t>(live);
    fmt::print(stderr,
               "job {}: {} segments of {} frames over {} videos ({} frames by their containers) "
               "and {} live jobs queued in redis {} as {} jobs, one per video; seek exact in {} of "
               "{} videos (the others decode from frame 0)\n",
               spec.name, segments, dist::segment_size(spec.segment_frames, spec.batch),
               spec.videos.size() - static_cast<size_t>(live), frames, live, options.address.text(),
               jobs.size(), seeking, spec.videos.size());
    // The job ids on stdout, one line per video in the order given: what worker, collect and
    // status take (`--job $(mvinfer submit ...)` quoted as words).
    for (const dist::DistJobSpec& j : jobs) fmt::print("{}\n", j.name);
    return 0;
  };
}

}  // namespace mvinfer::cli
