// DistJob: a job spread over machines through Redis Streams. `mvinfer submit` splits each video
// into segments (dist/rules.h: plan_segments) and queues one stream entry per segment; workers
// on any host take entries through a consumer group, run each segment with the single-machine
// engine (run_job over [first, first + frames) of its video) and store its result lines;
// `collect` writes them in segment order. Every key of a job lives in one Redis Cluster slot:
// the job's name is the hash tag ("mvinfer:{NAME}:tasks").
//
// Keys, for a job NAME:
//   mvinfer:{NAME}:job       hash   spec (JSON below), segments, submitted_ms
//   mvinfer:{NAME}:tasks     stream one entry per segment to run: seg, video, first, frames;
//                                   consumer group "workers"
//   mvinfer:{NAME}:results   hash   seg -> its result lines (JSON Lines); the first one stored
//                                   wins, a later one is a duplicate, counted and dropped
//   mvinfer:{NAME}:stats     hash   done, duplicates
//   mvinfer:{NAME}:failures  hash   seg -> failed runs so far; errors: seg -> last error
//   mvinfer:{NAME}:dead      stream dead letters: seg, error, attempts, worker
//   mvinfer:{NAME}:workers   hash   worker name -> its figures and last heartbeat (JSON)
//
// A live job (a camera, a stream URL, or a file replayed at --live-fps) has one entry in
// `tasks` (live 1), held by one worker at a time as a lease: the worker renews it by heartbeat
// while it runs the source, and another takes it over (XAUTOCLAIM) when the renewals stop. Its
// results go out per batch, each published only while the publisher still holds the lease:
//   mvinfer:{NAME}:live      hash   batch seq -> that batch's result lines; the first wins
//   job hash fields          live_next (frame after the last published batch), live_seq (last
//                            published seq + 1), live_end (1: the source ended, job done)
// A worker that takes the job over starts at live_next: a replayed file seeks there (the same
// lines as one run), a camera or stream continues the numbering from there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mvinfer/core/job.h"
#include "mvinfer/dist/rules.h"

namespace mvinfer::dist {

inline constexpr const char* kGroup = "workers";

struct JobKeys {
  explicit JobKeys(std::string_view job);
  std::string job, tasks, results, stats, failures, errors, dead, workers, live;
  std::vector<std::string> all() const;
};

// What a job runs: the settings of `mvinfer run` that a segment needs, and how it is split.
// Paths are as every worker will open them (absolute: workers share the file system or its
// layout).
struct DistJobSpec {
  std::string name;
  std::vector<std::string> videos;
  std::vector<std::string> models;   // --model arguments (PATH[:key=value,...])
  std::vector<std::string> configs;  // --config files
  int64_t max_frames = -1;           // per video
  int batch = 1;
  int width = 0, height = 0;
  std::string strategy = "auto";
  int intra_threads = 0;  // 0 = auto
  std::string provider = "auto";
  int64_t segment_frames = 200;
  int max_attempts = 3;
  int claim_ms = 60000;  // a segment idle this long in a worker's hands is taken by another
  // > 0: video files are replayed as live sources at this rate (live jobs); cameras and stream
  // URLs are live jobs anyway (and held to this rate when it is given).
  double live_fps = 0;
  // Found by submit: each video's frame count (its container's) and whether seeking in it is
  // exact (seek_is_exact), so workers seek instead of decoding from the start.
  std::vector<int64_t> video_frames;
  std::vector<bool> seek;
  std::vector<bool> live;             // per video: a live job (a camera or stream, or live_fps > 0)
  std::vector<SegmentPlan> segments;  // not stored in the spec: the stream holds them

  std::string to_json() const;
  static DistJobSpec from_json(std::string_view json);  // Error{internal} when malformed
};

// The JobConfig that runs segment `s` of `spec` (models parsed, not yet validated), writing its
// lines to `out_jsonl`. Segment frames < 0: to the end of the video (or max_frames).
JobConfig segment_job(const DistJobSpec& spec, const SegmentPlan& s, const std::string& out_jsonl);

}  // namespace mvinfer::dist
