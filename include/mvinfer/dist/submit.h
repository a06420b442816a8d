// submit_job(): checks a distributed job as `run` would check it (models, videos), splits every
// video into segments and queues them in Redis, all at once (one script: a job is there whole
// or not at all).
#pragma once

#include "mvinfer/dist/job_spec.h"
#include "mvinfer/dist/redis.h"

namespace mvinfer::dist {

// Fills spec.video_frames, spec.seek and spec.segments; makes video and config paths absolute.
// Throws what validate_job() throws for a bad model or video, Error{bad_flag} for a bad job
// name, segment size or attempt count, and Error{bad_input} for a video whose frame count is
// unknown (a live source, or a container without one).
void prepare_job(DistJobSpec& spec);

// Queues a prepared job. Error{bad_flag} when a job of that name exists already.
void submit_job(RedisClient& redis, const DistJobSpec& spec);

}  // namespace mvinfer::dist
