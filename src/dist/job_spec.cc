#include "mvinfer/dist/job_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mvinfer/core/error.h"
#include "mvinfer/core/model.h"
#include "mvinfer/io/frame_source.h"

namespace mvinfer::dist {

using json = nlohmann::json;

JobKeys::JobKeys(std::string_view name) {
  const std::string p = fmt::format("mvinfer:{{{}}}:", name);
  job = p + "job";
  tasks = p + "tasks";
  results = p + "results";
  stats = p + "stats";
  failures = p + "failures";
  errors = p + "errors";
  dead = p + "dead";
  workers = p + "workers";
  live = p + "live";
}

std::vector<std::string> JobKeys::all() const {
  return {job, tasks, results, stats, failures, errors, dead, workers, live};
}

std::string DistJobSpec::to_json() const {
  json j{{"name", name},
         {"videos", videos},
         {"models", models},
         {"configs", configs},
         {"max_frames", max_frames},
         {"batch", batch},
         {"width", width},
         {"height", height},
         {"strategy", strategy},
         {"intra_threads", intra_threads},
         {"provider", provider},
         {"segment_frames", segment_frames},
         {"max_attempts", max_attempts},
         {"claim_ms", claim_ms},
         {"video_frames", video_frames},
         {"seek", seek},
         {"live_fps", live_fps},
         {"live", live}};
  return j.dump();
}

DistJobSpec DistJobSpec::from_json(std::string_view text) {
  try {
    const json j = json::parse(text);
    DistJobSpec s;
    s.name = j.at("name").get<std::string>();
    s.videos = j.at("videos").get<std::vector<std::string>>();
    s.models = j.at("models").get<std::vector<std::string>>();
    s.configs = j.at("configs").get<std::vector<std::string>>();
    s.max_frames = j.at("max_frames").get<int64_t>();
    s.batch = j.at("batch").get<int>();
    s.width = j.at("width").get<int>();
    s.height = j.at("height").get<int>();
    s.strategy = j.at("strategy").get<std::string>();
    s.intra_threads = j.at("intra_threads").get<int>();
    s.provider = j.at("provider").get<std::string>();
    s.segment_frames = j.at("segment_frames").get<int64_t>();
    s.max_attempts = j.at("max_attempts").get<int>();
    s.claim_ms = j.at("claim_ms").get<int>();
    s.video_frames = j.at("video_frames").get<std::vector<int64_t>>();
    s.seek = j.at("seek").get<std::vector<bool>>();
    s.live_fps = j.value("live_fps", 0.0);
    s.live = j.value("live", std::vector<bool>(s.videos.size(), false));
    if (s.video_frames.size() != s.videos.size() || s.seek.size() != s.videos.size() ||
        s.live.size() != s.videos.size())
      throw std::runtime_error("one frame count, seek and live flag per video expected");
    return s;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::internal,
                fmt::format("job spec in Redis is malformed ({}): was it written by another "
                            "version of mvinfer?",
                            e.what()));
  }
}

JobConfig segment_job(const DistJobSpec& spec, const SegmentPlan& s, const std::string& out) {
  JobConfig c;
  if (s.video < 0 || static_cast<size_t>(s.video) >= spec.videos.size())
    throw Error(ErrorCode::internal, fmt::format("segment of video {}: the job has {} videos",
                                                 s.video, spec.videos.size()));
  c.videos = {spec.videos[static_cast<size_t>(s.video)]};
  for (const std::string& file : spec.configs)
    for (ModelSpec& m : load_model_config(file)) c.models.push_back(std::move(m));
  for (const std::string& m : spec.models) c.models.push_back(parse_model_arg(m));
  c.other_inputs = spec.configs;
  c.start.frame = s.first;
  const size_t v = static_cast<size_t>(s.video);
  c.start.seek = v < spec.seek.size() && spec.seek[v];
  if (v < spec.live.size() && spec.live[v]) {
    // A camera or stream continues the numbering; a replayed file seeks (or decodes) there.
    c.start.renumber = is_live_source(c.videos[0]);
    c.live_fps = spec.live_fps;  // a file's replay rate; a stream or camera is held to it
  }
  c.max_frames =
      s.frames >= 0 ? s.frames
                    : (spec.max_frames >= 0 ? std::max<int64_t>(0, spec.max_frames - s.first) : -1);
  c.batching.batch = spec.batch;
  c.width = spec.width;
  c.height = spec.height;
  c.strategy = spec.strategy;
  c.strategy_options.intra_threads = spec.intra_threads;
  c.provider = spec.provider;
  c.out_jsonl = out;
  c.progress = false;
  return c;
}

}  // namespace mvinfer::dist
