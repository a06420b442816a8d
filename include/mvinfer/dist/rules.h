// Every rule of the distributed runs that has a number in it, as a small function with a unit
// test on synthetic inputs (tests/dist_rules_test.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mvinfer::dist {

// Back-off between connection attempts: 50 ms doubling per attempt (0-based), at most 2 s, so
// a restarting server is found within about 2 s of coming back and an absent one is not hammered.
int retry_delay_ms(int attempt);

// A segment: frames [first, first + frames) of one video; frames < 0 means "to the end" (the
// last segment of a video, so a container that undercounts its frames loses none).
struct SegmentPlan {
  int video = 0;
  int64_t first = 0;
  int64_t frames = 0;
};
// Frames per segment: `segment_frames` rounded up to a multiple of `batch` (at least one batch).
int64_t segment_size(int64_t segment_frames, int batch);
// Splits a video of `total` frames (its container's count) into segments of `segment_frames`,
// rounded up to a multiple of `batch` so that every segment holds whole batches and its batch
// numbers are those of a run over the whole video. `max_frames` >= 0 caps the frames read (the
// last segment then has an exact count). A video with no frames gets one segment from frame 0.
std::vector<SegmentPlan> plan_segments(int video, int64_t total, int64_t segment_frames, int batch,
                                       int64_t max_frames = -1);

// Whether a segment goes to the dead letters instead of being run again: after `failures`
// failed runs (an error in the segment) or `deliveries` deliveries of one queue entry (each a
// worker that took it and died or hung past the claim time), `max_attempts` of either.
bool should_dead_letter(int64_t failures, int64_t deliveries, int max_attempts);

// How often a worker renews its claim on the segment it runs: four times per claim timeout, so a
// live worker's segment is never idle long enough to be taken, and at least every 50 ms.
int heartbeat_ms(int claim_ms);

// A worker counts as alive while its last heartbeat is at most three heartbeats (of its own
// heartbeat_ms()) old: one late beat is not a death; the claim time, four beats, decides what
// is taken over.
bool worker_alive(double seen_s_ago, int heartbeat_ms);

// A job name goes into Redis keys inside a hash tag ({name}): letters, digits, '.', '_', '-',
// 1-64 of them. Returns what is wrong, or empty.
std::string_view job_name_problem(std::string_view name);
// Throws Error{bad_flag} about `option` (a job id, a consumer group) when job_name_problem()
// finds something wrong with `name`.
void check_job_name(const std::string& option, const std::string& name);

// The job id of video `video` (0-based) of `videos` submitted together as job `name`: each video
// is a job of its own, so that it can be collected, watched and removed alone. One video keeps
// the name; several are NAME-1 ... NAME-N (1-based, in the order given).
std::string video_job_name(std::string_view name, int video, int videos);

// The file of segment `seg` of job `job` in `worker --results-dir`: JOB.segNNNNNN.jsonl, the
// number zero-padded to 6 digits (wider past 999999) so that a listing sorts in segment order.
std::string result_file_name(std::string_view job, int64_t seg);

}  // namespace mvinfer::dist
