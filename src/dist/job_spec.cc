#include "mvinfer/dist/job_spec.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mvinfer/core/error.h"
#include "mvinfer/core/model.h"

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
}

std::vector<std::string> JobKeys::all() const {
  return {job, tasks, results, stats, failures, errors, dead, workers};
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
         {"seek", seek}};
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
    if (s.video_frames.size() != s.videos.size() || s.seek.size() != s.videos.size())
      throw std::runtime_error("one frame count and seek flag per video expected");
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
  c.start.seek =
      static_cast<size_t>(s.video) < spec.seek.size() && spec.seek[static_cast<size_t>(s.video)];
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
