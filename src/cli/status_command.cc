// mvinfer status: where distributed jobs stand (one, or every job in this Redis), and their
// workers.
#include <fmt/format.h>

#include <chrono>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/dist/collect.h"
#include "mvinfer/dist/rules.h"

namespace mvinfer::cli {
namespace {

struct StatusFlags {
  RedisFlags redis;
  std::string job;
};

double per_s(double n, double s) { return s > 0 ? n / s : 0; }

void print_job(const dist::JobProgress& p) {
  const std::string& job = p.spec.name;
  int64_t frames = 0;
  int alive = 0;
  for (const dist::WorkerStatus& w : p.workers) {
    frames += w.frames;
    const bool gone = w.state == "exited" || w.state == "stopped";
    if (!gone && dist::worker_alive(w.seen_s_ago, w.heartbeat_ms)) ++alive;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const double since_s = static_cast<double>(now_ms - p.submitted_ms) / 1000.0;
  if (p.live) {
    const std::string where = p.live_end              ? "ended"
                              : !p.dead.empty()       ? "dead"
                              : p.live_worker.empty() ? "waiting for a worker"
                                                      : "running on worker " + p.live_worker;
    fmt::print(
        "job {}: live job of '{}', {}; {} batches published, next frame {}; {} duplicates "
        "dropped; {} of {} workers alive\n",
        job, p.spec.videos.empty() ? "?" : p.spec.videos[0], where, p.live_seq, p.live_next,
        p.duplicates, alive, p.workers.size());
  } else {
    fmt::print(
        "job {}: {} segments: {} done, {} running, {} queued, {} dead; {} duplicates dropped; {} "
        "frames, {:.1f} frames/s since submitted; {} of {} workers alive\n",
        job, p.segments, p.done, p.running, p.queued, p.dead.size(), p.duplicates, frames,
        per_s(static_cast<double>(frames), since_s), alive, p.workers.size());
  }
  for (const dist::WorkerStatus& w : p.workers) {
    const int64_t runs = w.segments + w.duplicates;
    const bool gone = w.state == "exited" || w.state == "stopped";
    const std::string state =
        gone || dist::worker_alive(w.seen_s_ago, w.heartbeat_ms) ? w.state : "silent";
    fmt::print(
        "  worker {}: {}{}, {} segments, {} frames, {:.1f} frames/s computing, {} duplicates, {} "
        "taken over, {} failed, coordination {:.1f} ms per segment, {} frames decoded to reach "
        "segment starts, seeking {:.0f} ms; seen {:.1f} s ago\n",
        w.name, state,
        w.state == "live"    ? fmt::format(" for {:.1f} s", w.running_s)
        : w.running_seg >= 0 ? fmt::format(" segment {} for {:.1f} s", w.running_seg, w.running_s)
                             : "",
        w.segments, w.frames, per_s(static_cast<double>(w.frames), w.compute_s), w.duplicates,
        w.reclaimed, w.failed, runs > 0 ? 1000.0 * w.coordination_s / static_cast<double>(runs) : 0,
        w.discarded, w.seek_ms, w.seen_s_ago);
  }
  for (const dist::DeadLetter& d : p.dead)
    fmt::print("  dead: segment {} (video {} from frame {}) after {} attempts, last on {}: {}\n",
               d.seg, d.plan.video, d.plan.first, d.attempts, d.worker, d.error);
}

}  // namespace

Command add_status_command(CLI::App& app) {
  auto f = std::make_shared<StatusFlags>();
  CLI::App* c = app.add_subcommand("status", "Where distributed jobs stand, and their workers");
  add_redis_flags(c, f->redis);
  c->add_option("--job", f->job, "Only this job (default: every job in this Redis)");
  return [f] {
    RedisClient redis(redis_options(f->redis));
    if (!f->job.empty()) {
      print_job(dist::job_progress(redis, f->job));
      return 0;
    }
    const std::vector<std::string> jobs = dist::job_names(redis);
    if (jobs.empty()) fmt::print("no jobs in redis {}\n", redis.address().text());
    for (const std::string& job : jobs) print_job(dist::job_progress(redis, job));
    return 0;
  };
}

}  // namespace mvinfer::cli
