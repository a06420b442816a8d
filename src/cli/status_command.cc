// mvinfer status: where a distributed job stands, and its workers.
#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/dist/collect.h"

namespace mvinfer::cli {
namespace {
struct StatusFlags {
  RedisFlags redis;
  std::string job;
};
}  // namespace

Command add_status_command(CLI::App& app) {
  auto f = std::make_shared<StatusFlags>();
  CLI::App* c = app.add_subcommand("status", "Where a distributed job stands, and its workers");
  add_redis_flags(c, f->redis);
  c->add_option("--job", f->job, "Name the job was submitted with")->required();
  return [f] {
    RedisClient redis(redis_options(f->redis));
    const dist::JobProgress p = dist::job_progress(redis, f->job);
    fmt::print(
        "job {}: {} segments: {} done, {} running, {} queued, {} dead; {} duplicates "
        "dropped\n",
        f->job, p.segments, p.done, p.running, p.queued, p.dead.size(), p.duplicates);
    for (const dist::WorkerStatus& w : p.workers) {
      const int64_t runs = w.segments + w.duplicates;
      fmt::print(
          "worker {}: {}{}, {} segments, {} frames, {} duplicates, {} taken over, {} failed, "
          "compute {:.2f} s, coordination {:.1f} ms per segment, {} frames decoded to reach "
          "segment starts, seeking {:.0f} ms; seen {:.1f} s ago\n",
          w.name, w.state,
          w.running_seg >= 0 ? fmt::format(" segment {} for {:.1f} s", w.running_seg, w.running_s)
                             : "",
          w.segments, w.frames, w.duplicates, w.reclaimed, w.failed, w.compute_s,
          runs > 0 ? 1000.0 * w.coordination_s / static_cast<double>(runs) : 0.0, w.discarded,
          w.seek_ms, w.seen_s_ago);
    }
    for (const dist::DeadLetter& d : p.dead)
      fmt::print("dead: segment {} (video {} from frame {}) after {} attempts, last on {}: {}\n",
                 d.seg, d.plan.video, d.plan.first, d.attempts, d.worker, d.error);
    return 0;
  };
}

}  // namespace mvinfer::cli
