// submit_job(): checks a distributed job as `run` would check it (models, videos), splits every
// video into segments and queues them in Redis, all at once (one script: a job is there whole
// or not at all).
#pragma once

#include <vector>

#include "mvinfer/dist/job_spec.h"
#include "mvinfer/dist/redis.h"

namespace mvinfer::dist {

// Fills spec.video_frames, spec.seek and spec.segments; makes video and config paths absolute.
// Throws what validate_job() throws for a bad model or video, Error{bad_flag} for a bad job
// name, segment size or attempt count, and Error{bad_input} for a video whose frame count is
// unknown (a live source, or a container without one).
void prepare_job(DistJobSpec& spec);

// A prepared job of several videos as one job per video (video_job_name(): NAME-1 ... NAME-N;
// one video keeps NAME), each with its video's frame count, seek flag and segments.
std::vector<DistJobSpec> split_per_video(const DistJobSpec& prepared);

// Queues a prepared job. Error{bad_flag} when a job of that name exists already.
void submit_job(RedisClient& redis, const DistJobSpec& spec);
// Queues several, after checking that none of their names is taken (then none is queued). Each
// job is queued whole (one script); the jobs are separate keys (separate Cluster slots), so a
// name taken between the check and its script leaves the earlier jobs queued: the error names
// them.
void submit_jobs(RedisClient& redis, const std::vector<DistJobSpec>& specs);

}  // namespace mvinfer::dist
