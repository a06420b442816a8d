// run_worker(): one worker of a distributed job. It takes segments from the job's stream
// through the consumer group (first any segment another worker left idle past the claim time,
// XAUTOCLAIM, then new ones, XREADGROUP), runs each with run_job() (the single-machine engine,
// unchanged), stores its lines and acknowledges it in one script, and returns when the job has
// nothing left to run or `stop` is set.
//
// While a segment runs, a second thread with its own connection renews the claim on it
// (heartbeat_ms()) and publishes the worker's figures, so only a worker that died or hangs
// loses its segment. A segment that fails is queued again, or goes to the dead letters after
// max_attempts failures; one whose workers keep dying goes there after max_attempts
// deliveries (should_dead_letter()). `stop` is checked between segments: the segment running
// when it is set is finished, stored and acknowledged first.
//
// A live job's entry (job_spec.h) is held while its source runs, its results published per
// batch; the worker keeps it until the source ends (the job is done), `stop` is set (it hands
// the job over: queued again at once, the batches completed published first), another worker took
// it over (this one missed its heartbeats: it stops publishing), or the run fails (queued again,
// dead letters after max_attempts failures; a camera or stream that ends is a failure). While it
// holds a live job, a worker runs nothing else.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "mvinfer/dist/redis.h"

namespace mvinfer::dist {

struct WorkerOptions {
  RedisOptions redis;
  // The jobs it serves (one per video: submit's ids), taken in the order given: a segment of an
  // earlier job first, so that they complete (and `collect --follow` shows them) in that order.
  std::vector<std::string> jobs;
  std::string name;  // the consumer's name; empty = HOST-PID
  // The consumer group (empty = kGroup, "workers", which submit creates). Another group is
  // created at the stream's start and gets every segment of the job again (Redis delivers each
  // entry once per group): its results are then duplicates of the first group's, counted and
  // dropped. A worker takes over idle segments only within its group.
  std::string group;
  // Keep waiting for segments after the job has none left (a standing worker) instead of
  // returning.
  bool stay = false;
  // Claim time in ms for this worker (taking over idle segments, and its heartbeat); 0 = the
  // job's (submit --claim-ms).
  int claim_ms = 0;
  const std::atomic<bool>* stop = nullptr;
  int block_ms = 500;   // longest wait for a new segment before looking around again
  std::string tmp_dir;  // where a segment's lines are written before they are stored; "" = TMPDIR
  bool quiet = false;   // no line per segment on stderr
  // Not empty: each segment's lines go to a file in this directory (dist/results_dir.h), the
  // results hash then holds a reference to it.
  std::string results_dir;
};

struct WorkerReport {
  std::string name;
  int64_t segments = 0;    // stored by this worker (first copy)
  int64_t duplicates = 0;  // run by this worker, but another copy was stored first: dropped
  int64_t frames = 0;
  int64_t reclaimed = 0;  // segments taken over from a worker that died or hung
  int64_t failed = 0;     // runs that ended in an error (queued again or dead-lettered)
  int64_t dead_lettered = 0;
  int64_t live_batches = 0;   // batches of live jobs published by this worker
  int64_t discarded = 0;      // frames decoded and discarded to reach segments' starts
  double seek_ms = 0;         // time spent seeking to segments' starts
  double compute_s = 0;       // inside run_job
  double coordination_s = 0;  // talking to Redis for the segments run (taking, storing, acking)
  bool stopped = false;       // ended by `stop`
};

// Throws Error{bad_flag} when the job does not exist, Error{io} when Redis cannot be reached
// (or stays unreachable past RedisOptions::reconnect_s).
WorkerReport run_worker(const WorkerOptions& options);

}  // namespace mvinfer::dist
