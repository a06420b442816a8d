// mvinfer worker: runs segments of a job from Redis until none is left (or SIGTERM).
#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/dist/job_spec.h"
#include "mvinfer/dist/worker.h"

namespace mvinfer::cli {
namespace {

struct WorkerFlags {
  RedisFlags redis;
  std::vector<std::string> jobs;
  std::string name, results_dir, group = dist::kGroup;
  bool stay = false, quiet = false;
  double claim_after_s = 0;
};

}  // namespace

Command add_worker_command(CLI::App& app) {
  auto f = std::make_shared<WorkerFlags>();
  CLI::App* c = app.add_subcommand(
      "worker",
      "Run segments of submitted jobs until none is left (SIGTERM: finish the one "
      "running, then exit 0)");
  add_redis_flags(c, f->redis);
  c->add_option("--job", f->jobs,
                "Job id(s) submit printed, one per video (repeatable or several after one "
                "--job); earlier ones first")
      ->required();
  c->add_option("--name", f->name, "This worker's name in the consumer group (default HOST-PID)");
  c->add_option("--claim-after", f->claim_after_s,
                "Take over segments idle this many seconds in another worker's hands (default: "
                "the job's, submit --claim-ms)")
      ->check(number_in(0.1, 86400));
  c->add_option("--group", f->group,
                "Consumer group (each group gets every segment of the job; workers share "
                "segments and take over idle ones only within their group)")
      ->default_val(dist::kGroup);
  c->add_option("--results-dir", f->results_dir,
                "Write each segment's lines as a file in this shared directory (Redis then holds "
                "only a reference to it)");
  c->add_flag("--stay", f->stay, "Keep waiting for segments when the job has none left");
  c->add_flag("--quiet,-q", f->quiet, "No line per segment");
  return [f] {
    dist::WorkerOptions o;
    o.redis = redis_options(f->redis);
    o.jobs = f->jobs;
    o.name = f->name;
    o.stay = f->stay;
    o.claim_ms = static_cast<int>(f->claim_after_s * 1000);
    o.quiet = f->quiet;
    o.results_dir = f->results_dir;
    o.group = f->group;
    // SIGINT or SIGTERM: the segment running is finished, stored and acknowledged (a live job:
    // its batch in hand published, the job handed over), then the worker exits 0. A second one ends
    // it at once (its segment is then taken over by another worker after the claim time).
    o.stop = &stop_on_signals();
    const dist::WorkerReport r = dist::run_worker(o);
    const int64_t runs = r.segments + r.duplicates;
    fmt::print(stderr,
               "worker {}: {} segments and {} live batches ({} frames) stored, {} duplicates "
               "dropped, {} taken over, {} failed, {} dead-lettered; compute {:.2f} s, "
               "coordination {:.1f} ms per segment; {} frames decoded to reach segment starts, "
               "seeking {:.0f} ms{}\n",
               r.name, r.segments, r.live_batches, r.frames, r.duplicates, r.reclaimed, r.failed,
               r.dead_lettered, r.compute_s,
               runs > 0 ? 1000.0 * r.coordination_s / static_cast<double>(runs) : 0.0, r.discarded,
               r.seek_ms, r.stopped ? " (stopped)" : "");
    return 0;
  };
}

}  // namespace mvinfer::cli
