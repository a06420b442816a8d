#include "mvinfer/dist/submit.h"

#include <fmt/format.h>

#include <filesystem>

#include "mvinfer/core/error.h"
#include "mvinfer/io/frame_source.h"

namespace mvinfer::dist {
namespace {

namespace fs = std::filesystem;

// KEYS: job, tasks, then the job's other keys; ARGV: spec, then seg, video, first, frames, live
// for each segment. Leftovers of a job removed by hand (keys without the job hash) go first.
constexpr const char* kSubmitScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', unpack(KEYS))
redis.call('XGROUP', 'CREATE', KEYS[2], 'workers', '0', 'MKSTREAM')
local n = (#ARGV - 1) / 5
for i = 0, n - 1 do
  redis.call('XADD', KEYS[2], '*', 'seg', ARGV[2 + 5 * i], 'video', ARGV[3 + 5 * i],
             'first', ARGV[4 + 5 * i], 'frames', ARGV[5 + 5 * i], 'live', ARGV[6 + 5 * i])
end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'spec', ARGV[1], 'segments', n,
           'submitted_ms', t[1] * 1000 + math.floor(t[2] / 1000))
return 1
)lua";

std::string absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

}  // namespace

void prepare_job(DistJobSpec& spec) {
  check_job_name("job", spec.name);
  if (spec.segment_frames < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"segment_frames"},
                fmt::format(" {}: expected a positive integer", spec.segment_frames));
  if (spec.max_attempts < 1 || spec.max_attempts > 1000)
    throw Error(ErrorCode::bad_flag, Error::Option{"max_attempts"},
                fmt::format(" {}: expected 1 to 1000", spec.max_attempts));
  if (spec.claim_ms < 100)
    throw Error(ErrorCode::bad_flag, Error::Option{"claim_ms"},
                fmt::format(" {}: expected at least 100 (ms)", spec.claim_ms));
  for (std::string& v : spec.videos)
    if (!is_live_source(v)) v = absolute(v);
  for (std::string& c : spec.configs) c = absolute(c);
  for (std::string& m : spec.models) {
    const ModelSpec parsed = parse_model_arg(m);
    if (fs::path(parsed.path).is_relative() && m.starts_with(parsed.path))
      m = absolute(parsed.path) + m.substr(parsed.path.size());
  }
  // The whole job checked as one `run` over every video would be: models, sizes, the strategy.
  SegmentPlan first{0, 0, 1};
  JobConfig check = segment_job(spec, first, "");
  check.videos = spec.videos;
  check.max_frames = 1;
  validate_job(check);

  spec.video_frames.clear();
  spec.seek.clear();
  spec.live.clear();
  spec.segments.clear();
  for (size_t i = 0; i < spec.videos.size(); ++i) {
    const std::string& v = spec.videos[i];
    std::error_code ec;
    // A live job: one long-running segment from frame 0, the numbers of the run it continues
    // found by the worker that takes it (job_spec.h). A camera or stream is not opened here:
    // the workers' hosts may be the only ones that reach it.
    const bool camera_or_stream = is_live_source(v);
    if (camera_or_stream || spec.live_fps > 0) {
      if (!camera_or_stream) open_frame_source(v);  // a replayed file must open here too
      spec.video_frames.push_back(-1);
      // Where a take-over starts: any whole batch, checked at one of them.
      spec.seek.push_back(!camera_or_stream && !fs::is_directory(v, ec) &&
                          seek_is_exact(v, segment_size(spec.segment_frames, spec.batch)));
      spec.live.push_back(true);
      spec.segments.push_back({static_cast<int>(i), 0, -1});
      continue;
    }
    std::unique_ptr<FrameSource> src = open_frame_source(v);
    if (src->is_live() || src->frame_count_hint() < 0)
      throw Error(ErrorCode::bad_input,
                  fmt::format("video '{}': its frame count is unknown (expected a video file or "
                              "image folder that can be split into segments, or --live-fps to "
                              "replay it as a live job)",
                              v));
    spec.live.push_back(false);
    const int64_t frames = src->frame_count_hint();
    spec.video_frames.push_back(frames);
    std::vector<SegmentPlan> plan = plan_segments(static_cast<int>(i), frames, spec.segment_frames,
                                                  spec.batch, spec.max_frames);
    // Checked at the first boundary: a seek that is exact there is taken to be exact for the
    // file (a file's index is one structure); otherwise every worker decodes from frame 0.
    spec.seek.push_back(plan.size() > 1 && !fs::is_directory(v, ec) &&
                        seek_is_exact(v, plan[1].first));
    spec.segments.insert(spec.segments.end(), plan.begin(), plan.end());
  }
}

std::vector<DistJobSpec> split_per_video(const DistJobSpec& prepared) {
  const int n = static_cast<int>(prepared.videos.size());
  std::vector<DistJobSpec> jobs;
  for (int v = 0; v < n; ++v) {
    const size_t i = static_cast<size_t>(v);
    DistJobSpec one = prepared;
    one.name = video_job_name(prepared.name, v, n);
    one.videos = {prepared.videos[i]};
    one.video_frames = {prepared.video_frames.at(i)};
    one.seek = {prepared.seek.at(i)};
    one.live = {prepared.live.at(i)};
    one.segments.clear();
    for (const SegmentPlan& s : prepared.segments)
      if (s.video == v) one.segments.push_back({0, s.first, s.frames});
    if (std::string_view why = job_name_problem(one.name); !why.empty())
      throw Error(ErrorCode::bad_flag, Error::Option{"job"},
                  fmt::format(" '{}': its job id for video {} is '{}', {} (expected a shorter "
                              "name)",
                              prepared.name, v + 1, one.name, why));
    jobs.push_back(std::move(one));
  }
  return jobs;
}

void submit_jobs(RedisClient& redis, const std::vector<DistJobSpec>& specs) {
  for (const DistJobSpec& spec : specs)
    if (redis.command({"EXISTS", JobKeys(spec.name).job}).as_int() == 1)
      throw Error(ErrorCode::bad_flag, Error::Option{"job"},
                  fmt::format(" '{}': a job of that name is in redis {} already (expected a new "
                              "name; `mvinfer status --job {}` shows it)",
                              spec.name, redis.address().text(), spec.name));
  std::string queued;
  for (const DistJobSpec& spec : specs) {
    try {
      submit_job(redis, spec);
    } catch (const Error& e) {
      if (queued.empty()) throw;
      throw Error(e.code(), fmt::format("{} (jobs{} were queued before it)", e.what(), queued));
    }
    queued += " " + spec.name;
  }
}

void submit_job(RedisClient& redis, const DistJobSpec& spec) {
  const JobKeys keys(spec.name);
  std::vector<std::string> args{spec.to_json()};
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const SegmentPlan& s = spec.segments[i];
    args.push_back(std::to_string(i));
    args.push_back(std::to_string(s.video));
    args.push_back(std::to_string(s.first));
    args.push_back(std::to_string(s.frames));
    const bool live =
        static_cast<size_t>(s.video) < spec.live.size() && spec.live[static_cast<size_t>(s.video)];
    args.push_back(live ? "1" : "0");
  }
  if (redis.eval(kSubmitScript, keys.all(), args).as_int() == 0)
    throw Error(ErrorCode::bad_flag, Error::Option{"job"},
                fmt::format(" '{}': a job of that name is in redis {} already (expected a new "
                            "name; `mvinfer status --job {}` shows it)",
                            spec.name, redis.address().text(), spec.name));
}

}  // namespace mvinfer::dist
