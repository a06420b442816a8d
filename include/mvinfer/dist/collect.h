// Where a distributed job stands (job_progress(), what `mvinfer status` prints) and its results
// gathered into one JSON Lines file (collect_jobs()): every segment's lines in segment order,
// which is the order of the job's videos and, within each, of their frames. For each video the
// lines are those `mvinfer run --video VIDEO` (same models and settings) writes.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "mvinfer/dist/job_spec.h"
#include "mvinfer/dist/redis.h"

namespace mvinfer::dist {

struct DeadLetter {
  int64_t seg = 0;
  SegmentPlan plan;
  std::string error, worker;
  int64_t attempts = 0;
};

struct WorkerStatus {
  std::string name, state;  // state: waiting, running, stopped, exited
  int64_t segments = 0, duplicates = 0, frames = 0, reclaimed = 0, failed = 0, discarded = 0;
  double compute_s = 0, coordination_s = 0, seek_ms = 0;
  double seen_s_ago = 0;  // since its last heartbeat
  int heartbeat_ms = 0;   // how often it beats
  int64_t running_seg = -1;
  double running_s = 0;
};

struct JobProgress {
  DistJobSpec spec;
  int64_t submitted_ms = 0;  // Unix time, by the Redis server's clock
  int64_t segments = 0;
  int64_t done = 0;              // stored
  int64_t running = 0;           // delivered to a worker, not yet acknowledged
  int64_t queued = 0;            // not yet delivered (segments - done - running - dead)
  int64_t duplicates = 0;        // copies run twice and dropped
  std::vector<DeadLetter> dead;  // dead letters whose segment has no result
  std::vector<WorkerStatus> workers;
  // A live job (job_spec.h): batches published so far (results under seqs below live_seq), the
  // frame the next one starts at, the worker holding it ("" when none does), whether it ended.
  bool live = false;
  int64_t live_seq = 0, live_next = 0;
  std::string live_worker;
  bool live_end = false;
  bool complete() const { return live ? live_end : done == segments; }
  // No segment can still be run: every one is stored or dead-lettered.
  bool settled() const {
    return complete() || done + static_cast<int64_t>(dead.size()) >= segments;
  }
};

// Error{bad_flag} when there is no such job.
JobProgress job_progress(RedisClient& redis, const std::string& job);
// The names of every job in this Redis (SCAN for their job hashes), sorted.
std::vector<std::string> job_names(RedisClient& redis);

struct CollectOptions {
  // Job ids (submit prints one per video): their lines are written one job after another, in
  // the order given.
  std::vector<std::string> jobs;
  std::string out;  // a path or "-"
  // Where the files of `worker --results-dir` are seen from here (empty: where the workers
  // wrote them).
  std::string results_dir;
  bool wait = false;  // wait until every segment is stored (or dead-lettered)
  // Write each segment as soon as it and every one before it are stored (implies wait): `out`
  // grows in order while the job runs. A live job's batches are written as they are published,
  // until its source ends (a camera's: until `stop`, the lines so far kept).
  bool follow = false;
  // The order and numbering of one `mvinfer run` given every video of the jobs: batches of the
  // videos in turn (round robin, a video that ends drops out), "batch" counting across them and
  // "stream" the video's position. Not with follow (the order needs every video's length).
  bool as_one_run = false;
  const std::atomic<bool>* stop = nullptr;
  bool progress = false;  // a line on stderr while waiting
};

// Writes every segment's lines of every job to `out` (replaced whole, as `run --out` is) and
// returns the progress it saw, one per job. Error{worker} when segments are dead-lettered (naming
// the first and its error) or still to run and not `wait` (a live job: still running),
// Error{interrupted} when `stop` was set while waiting.
std::vector<JobProgress> collect_jobs(RedisClient& redis, const CollectOptions& options);

}  // namespace mvinfer::dist
