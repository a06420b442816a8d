#include "mvinfer/dist/collect.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/dist/results_dir.h"
#include "mvinfer/io/line_file.h"

namespace mvinfer::dist {
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t to_int(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

WorkerStatus parse_worker(const std::string& name, const std::string& text) {
  WorkerStatus w;
  w.name = name;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    w.state = j.value("state", "");
    w.segments = j.value("segments", int64_t{0});
    w.duplicates = j.value("duplicates", int64_t{0});
    w.frames = j.value("frames", int64_t{0});
    w.reclaimed = j.value("reclaimed", int64_t{0});
    w.failed = j.value("failed", int64_t{0});
    w.discarded = j.value("discarded", int64_t{0});
    w.compute_s = j.value("compute_s", 0.0);
    w.coordination_s = j.value("coordination_s", 0.0);
    w.seek_ms = j.value("seek_ms", 0.0);
    const int64_t now = unix_ms();
    w.seen_s_ago = static_cast<double>(now - j.value("seen_ms", now)) / 1000.0;
    w.running_seg = j.value("running_seg", int64_t{-1});
    w.heartbeat_ms = j.value("heartbeat_ms", 0);
    const int64_t since = j.value("running_since_ms", int64_t{0});
    w.running_s = w.running_seg >= 0 && since > 0 ? static_cast<double>(now - since) / 1000.0 : 0;
  } catch (const std::exception&) {
    w.state = "unreadable";
  }
  return w;
}

std::string describe(const DistJobSpec& spec, int64_t seg, const SegmentPlan& p) {
  const std::string video = p.video >= 0 && static_cast<size_t>(p.video) < spec.videos.size()
                                ? spec.videos[static_cast<size_t>(p.video)]
                                : "?";
  return fmt::format("segment {} (video '{}' from frame {})", seg, video, p.first);
}

// Splits a segment's text into lines (each with its '\n').
void split_lines(const std::string& text, std::vector<std::string>& out) {
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    end = end == std::string::npos ? text.size() : end + 1;
    out.push_back(text.substr(at, end - at));
    at = end;
  }
}

// Every video's lines (segments in order) renumbered as one run over all the videos numbers
// them: the batches of the videos in turn, as BatchFormer forms them.
std::vector<std::string> as_one_run(const std::vector<std::vector<std::string>>& per_video) {
  using json = nlohmann::ordered_json;  // JsonlSink's key order is kept
  // Per video: its batches in order, each the lines of its models.
  std::vector<std::vector<std::vector<json>>> batches(per_video.size());
  for (size_t v = 0; v < per_video.size(); ++v)
    for (const std::string& line : per_video[v]) {
      json j = json::parse(line);
      const int64_t b = j.at("batch").get<int64_t>();
      if (batches[v].empty() || b != batches[v].back().front().at("batch").get<int64_t>())
        batches[v].emplace_back();
      batches[v].back().push_back(std::move(j));
    }
  std::vector<std::string> out;
  int64_t seq = 0;
  for (size_t k = 0;; ++k) {
    bool any = false;
    for (size_t v = 0; v < batches.size(); ++v) {
      if (k >= batches[v].size()) continue;
      any = true;
      for (json& j : batches[v][k]) {
        j["batch"] = seq;
        j["stream"] = static_cast<int64_t>(v);
        // As JsonlSink writes it, so that an unchanged value reads back as the same text.
        out.push_back(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
      }
      ++seq;
    }
    if (!any) break;
  }
  return out;
}

}  // namespace

JobProgress job_progress(RedisClient& redis, const std::string& job) {
  const JobKeys keys(job);
  const RedisReply h = redis.command({"HGETALL", keys.job});
  if (h.elements.empty())
    throw Error(ErrorCode::bad_flag, Error::Option{"job"},
                fmt::format(" '{}': no such job in redis {} (expected one that `mvinfer submit "
                            "--job {}` queued)",
                            job, redis.address().text(), job));
  JobProgress p;
  p.spec = DistJobSpec::from_json(h.field("spec"));
  p.segments = to_int(h.field("segments"));
  p.submitted_ms = to_int(h.field("submitted_ms"));
  p.live = !p.spec.live.empty() && p.spec.live[0];
  p.live_seq = to_int(h.field("live_seq"));
  p.live_next = to_int(h.field("live_next"));
  p.live_end = h.field("live_end") == "1";
  p.done = p.live ? (p.live_end ? 1 : 0) : redis.command({"HLEN", keys.results}).as_int();
  p.duplicates = to_int(redis.command({"HGET", keys.stats, "duplicates"}).str);
  const RedisReply pending = redis.command({"XPENDING", keys.tasks, kGroup});
  p.running = pending.elements.empty() ? 0 : pending.elements[0].as_int();
  const RedisReply dead = redis.command({"XRANGE", keys.dead, "-", "+"});
  for (const RedisReply& e : dead.elements) {
    if (e.elements.size() < 2) continue;
    const RedisReply& f = e.elements[1];
    DeadLetter d;
    d.seg = to_int(f.field("seg"));
    if (p.live ? p.live_end
               : redis.command({"HEXISTS", keys.results, std::to_string(d.seg)}).as_int() == 1)
      continue;
    d.plan = {static_cast<int>(to_int(f.field("video"))), to_int(f.field("first")),
              to_int(f.field("frames"))};
    d.error = f.field("error");
    d.worker = f.field("worker");
    d.attempts = to_int(f.field("attempts"));
    p.dead.push_back(std::move(d));
  }
  p.queued =
      std::max<int64_t>(0, p.segments - p.done - p.running - static_cast<int64_t>(p.dead.size()));
  if (p.live && p.running > 0) {
    const RedisReply who = redis.command({"XPENDING", keys.tasks, kGroup, "-", "+", "1"});
    if (!who.elements.empty() && who.elements[0].elements.size() >= 2)
      p.live_worker = who.elements[0].elements[1].str;
  }
  const RedisReply w = redis.command({"HGETALL", keys.workers});
  for (size_t i = 0; i + 1 < w.elements.size(); i += 2)
    p.workers.push_back(parse_worker(w.elements[i].str, w.elements[i + 1].str));
  return p;
}

std::vector<std::string> job_names(RedisClient& redis) {
  std::vector<std::string> names;
  const std::vector<RedisAddress> masters = redis.masters();
  for (const RedisAddress& m : masters) {  // SCAN sees one node's keys: a cluster's, each
    std::optional<RedisClient> other;
    if (masters.size() > 1) other.emplace(redis.on_node(m));
    RedisClient& node = other ? *other : redis;
    std::string cursor = "0";
    do {
      const RedisReply r =
          node.command({"SCAN", cursor, "MATCH", "mvinfer:{*}:job", "COUNT", "1000"});
      if (r.elements.size() < 2) break;
      cursor = r.elements[0].str;
      for (const RedisReply& k : r.elements[1].elements) {
        const std::string& key = k.str;  // mvinfer:{NAME}:job
        const size_t open = key.find('{'), close = key.rfind('}');
        if (open != std::string::npos && close != std::string::npos && close > open)
          names.push_back(key.substr(open + 1, close - open - 1));
      }
    } while (cursor != "0");
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

namespace {

[[noreturn]] void throw_dead(const std::string& job, const JobProgress& p) {
  const DeadLetter& d = p.dead.front();
  throw Error(ErrorCode::worker,
              fmt::format("job '{}': {} of {} segments dead-lettered, first {} after {} "
                          "attempts: {} (expected every segment to run; `mvinfer status "
                          "--job {}` lists them)",
                          job, p.dead.size(), p.segments, describe(p.spec, d.seg, d.plan),
                          d.attempts, d.error, job));
}

void check_stop(const std::string& job, const CollectOptions& o) {
  if (o.stop && o.stop->load())
    throw Error(ErrorCode::interrupted, fmt::format("job '{}': collect interrupted", job));
}

// A live job's lines of batches [from, to) (published: a seq without an entry had no lines).
std::string live_lines(RedisClient& redis, const JobKeys& keys, int64_t from, int64_t to) {
  std::string text;
  constexpr int64_t kPerCall = 256;
  for (int64_t at = from; at < to; at += kPerCall) {
    std::vector<std::string> args{"HMGET", keys.live};
    for (int64_t seq = at; seq < std::min(to, at + kPerCall); ++seq)
      args.push_back(std::to_string(seq));
    for (const RedisReply& r : redis.command(args).elements)
      if (!r.is_nil()) text += r.str;
  }
  return text;
}

// The job's progress once every segment is stored (waiting for it with o.wait).
JobProgress complete_job(RedisClient& redis, const std::string& job, const CollectOptions& o) {
  for (;;) {
    JobProgress p = job_progress(redis, job);
    if (p.complete()) return p;
    if (p.settled()) throw_dead(job, p);
    if (!o.wait && p.live)
      throw Error(ErrorCode::worker,
                  fmt::format("job '{}': a live job still running ({} batches published, {}); "
                              "expected it to have ended (give --follow to write its results as "
                              "they come, or --wait)",
                              job, p.live_seq,
                              p.live_worker.empty() ? "waiting for a worker"
                                                    : "on worker " + p.live_worker));
    if (!o.wait)
      throw Error(ErrorCode::worker,
                  fmt::format("job '{}': {} of {} segments done ({} running, {} queued); "
                              "expected all of them (give --wait to wait for them)",
                              job, p.done, p.segments, p.running, p.queued));
    check_stop(job, o);
    if (o.progress)
      std::fprintf(stderr, "\r\033[Kjob %s: %lld of %lld segments done", job.c_str(),
                   static_cast<long long>(p.done), static_cast<long long>(p.segments));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// --follow: the job's segments written to `out` in order as they are stored.
JobProgress follow_job(RedisClient& redis, const std::string& job, const CollectOptions& o,
                       LineFile& out) {
  const JobKeys keys(job);
  int64_t written = 0;
  for (;;) {
    JobProgress p = job_progress(redis, job);
    if (p.live) {
      if (const std::string lines = live_lines(redis, keys, written, p.live_seq); !lines.empty())
        out.write_line(lines);
      written = p.live_seq;
      if (p.live_end) return p;
      if (p.settled()) throw_dead(job, p);
      check_stop(job, o);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    for (; written < p.segments; ++written) {
      const RedisReply r = redis.command({"HGET", keys.results, std::to_string(written)});
      if (r.is_nil()) break;
      if (const std::string lines = read_result(r.str, o.results_dir); !lines.empty())
        out.write_line(lines);
    }
    if (written == p.segments) return p;
    if (p.settled()) throw_dead(job, p);
    check_stop(job, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

std::vector<JobProgress> collect_jobs(RedisClient& redis, const CollectOptions& o) {
  if (o.follow && o.as_one_run)
    throw Error(ErrorCode::bad_flag, Error::Option{"as_one_run"},
                ": cannot follow (its order needs every video's length; expected one of them)");
  if (o.jobs.empty())
    throw Error(ErrorCode::bad_flag, Error::Option{"job"}, ": expected at least one job id");
  std::vector<JobProgress> done;
  if (o.follow) {
    LineFile out(o.out, "out");
    for (const std::string& job : o.jobs) done.push_back(follow_job(redis, job, o, out));
    out.commit();
    return done;
  }
  for (const std::string& job : o.jobs) done.push_back(complete_job(redis, job, o));
  if (o.progress) std::fputs("\r\033[K", stderr);
  LineFile file(o.out, "out");
  // --as-one-run: every video of every job, in the order given.
  std::vector<std::vector<std::string>> per_video;
  for (const JobProgress& p : done) {
    const std::string& job = p.spec.name;
    const JobKeys keys(job);
    if (p.live && o.as_one_run)
      throw Error(ErrorCode::bad_flag, Error::Option{"as_one_run"},
                  fmt::format(": job '{}' is a live job (expected jobs of video files)", job));
    if (p.live) {
      if (const std::string lines = live_lines(redis, keys, 0, p.live_seq); !lines.empty())
        file.write_line(lines);
      continue;
    }
    // Which video each segment is of: the plan submit made, made again from the same numbers.
    std::vector<int> video_of;
    for (size_t v = 0; o.as_one_run && v < p.spec.videos.size(); ++v)
      for (const SegmentPlan& plan :
           plan_segments(static_cast<int>(v), p.spec.video_frames[v], p.spec.segment_frames,
                         p.spec.batch, p.spec.max_frames))
        video_of.push_back(plan.video);
    if (o.as_one_run && static_cast<int64_t>(video_of.size()) != p.segments)
      throw Error(ErrorCode::internal, fmt::format("job '{}': {} segments, but its plan has {}",
                                                   job, p.segments, video_of.size()));
    const size_t base = per_video.size();
    per_video.resize(base + p.spec.videos.size());
    for (int64_t seg = 0; seg < p.segments; ++seg) {
      const RedisReply r = redis.command({"HGET", keys.results, std::to_string(seg)});
      if (r.is_nil())
        throw Error(ErrorCode::internal,
                    fmt::format("job '{}': segment {} has no result after all", job, seg));
      const std::string lines = read_result(r.str, o.results_dir);
      if (o.as_one_run)
        split_lines(lines,
                    per_video[base + static_cast<size_t>(video_of[static_cast<size_t>(seg)])]);
      else if (!lines.empty())
        file.write_line(lines);
    }
  }
  if (o.as_one_run)
    for (const std::string& line : as_one_run(per_video)) file.write_line(line);
  file.commit();
  return done;
}

}  // namespace mvinfer::dist
