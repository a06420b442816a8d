#include "mvinfer/dist/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stop_token>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/core/provider.h"
#include "mvinfer/dist/job_spec.h"
#include "mvinfer/dist/results_dir.h"
#include "mvinfer/dist/rules.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"

namespace mvinfer::dist {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// KEYS: results, stats, tasks; ARGV: seg, lines, group, entry id. 1 = stored, 0 = a duplicate.
constexpr const char* kCompleteScript = R"lua(
local new = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if new == 1 then
  redis.call('HINCRBY', KEYS[2], 'done', 1)
else
  redis.call('HINCRBY', KEYS[2], 'duplicates', 1)
end
redis.call('XACK', KEYS[3], ARGV[3], ARGV[4])
return new
)lua";

// The scripts that end a worker's hold on an entry first check that it still holds it
// (XPENDING names it as the entry's consumer): one that was taken for dead and came back must
// neither queue a second copy of an entry another worker runs nor publish for it. They return
// -1 when it no longer holds the entry and change nothing.
std::string held_then(int worker_arg, std::string_view body) {
  return fmt::format(
      "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)\n"
      "if #p ~= 1 or p[1][2] ~= ARGV[{}] then return -1 end\n{}",
      worker_arg, body);
}

// KEYS: tasks; ARGV: group, entry id, seg, video, first, frames, worker, live. Queues a failed
// segment (or a live job handed over) again as a new entry, so that any worker can take it at
// once.
const std::string kRequeueScript = held_then(7, R"lua(
redis.call('XADD', KEYS[1], '*', 'seg', ARGV[3], 'video', ARGV[4], 'first', ARGV[5],
           'frames', ARGV[6], 'live', ARGV[8])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua");

// KEYS: tasks, dead; ARGV: group, entry id, seg, video, first, frames, error, attempts, worker.
// Moves a segment to the dead letters.
const std::string kBuryScript = held_then(9, R"lua(
redis.call('XADD', KEYS[2], '*', 'seg', ARGV[3], 'video', ARGV[4], 'first', ARGV[5],
           'frames', ARGV[6], 'error', ARGV[7], 'attempts', ARGV[8], 'worker', ARGV[9])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua");

// KEYS: tasks, live, stats, job; ARGV: group, entry id, worker, seq, lines, next frame. Publishes
// one batch of a live job: 1 = stored, 0 = a duplicate (that batch was published already).
const std::string kLivePublishScript = held_then(3, R"lua(
local new = redis.call('HSETNX', KEYS[2], ARGV[4], ARGV[5])
if new == 0 then
  redis.call('HINCRBY', KEYS[3], 'duplicates', 1)
  return 0
end
local had = tonumber(redis.call('HGET', KEYS[4], 'live_next') or '0')
if tonumber(ARGV[6]) > had then
  redis.call('HSET', KEYS[4], 'live_next', ARGV[6], 'live_seq', tonumber(ARGV[4]) + 1)
end
return 1
)lua");

// KEYS: tasks, job, stats; ARGV: group, entry id, worker. A live job whose source ended: done.
const std::string kLiveEndScript = held_then(3, R"lua(
redis.call('HSET', KEYS[2], 'live_end', 1)
redis.call('HINCRBY', KEYS[3], 'done', 1)
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua");

// KEYS: tasks; ARGV: group, consumer, entry id. Renews the claim (resets the entry's idle time,
// JUSTID: no delivery counted) only while this consumer still holds it: a worker that was taken
// for dead and came back must not take its segment back from the one that took it over.
constexpr const char* kRenewScript = R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 1 and p[1][2] == ARGV[2] then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
  return 1
end
return 0
)lua";

struct Entry {
  std::string id;
  int64_t seg = 0;
  SegmentPlan plan;
  bool live = false;  // a live job's entry: its lease
  bool reclaimed = false;
};

std::optional<Entry> parse_entry(const RedisReply& e) {
  if (e.elements.size() < 2 || e.elements[1].type != RedisReply::Type::array) return std::nullopt;
  Entry out;
  out.id = e.elements[0].str;
  const RedisReply& f = e.elements[1];
  try {
    out.seg = std::stoll(f.field("seg"));
    out.plan.video = std::stoi(f.field("video"));
    out.plan.first = std::stoll(f.field("first"));
    out.plan.frames = std::stoll(f.field("frames"));
    out.live = f.field("live") == "1";
  } catch (const std::exception&) {
    throw Error(ErrorCode::internal, fmt::format("stream entry {}: malformed segment", out.id));
  }
  return out;
}

// Runs `fn`, the run of a segment or a live job: empty, or the error it ended in as the
// failures hash and the dead letters record it.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return fmt::format("{} (exit {})", e.what(), exit_code(e.code()));
  } catch (const std::exception& e) {
    return fmt::format("internal error: {}", e.what());
  }
  return {};
}

std::string default_name() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return fmt::format("{}-{}", host, getpid());
}

// The worker's figures as the status command reads them.
std::string figures_json(const WorkerReport& r, const std::string& state, int64_t running_seg,
                         int64_t running_since_ms, int every_ms) {
  nlohmann::json j{{"segments", r.segments},
                   {"duplicates", r.duplicates},
                   {"frames", r.frames},
                   {"reclaimed", r.reclaimed},
                   {"failed", r.failed},
                   {"dead_lettered", r.dead_lettered},
                   {"live_batches", r.live_batches},
                   {"discarded", r.discarded},
                   {"seek_ms", r.seek_ms},
                   {"compute_s", r.compute_s},
                   {"coordination_s", r.coordination_s},
                   {"state", state},
                   {"pid", static_cast<int64_t>(getpid())},
                   {"running_seg", running_seg},
                   {"running_since_ms", running_since_ms},
                   {"heartbeat_ms", every_ms},
                   {"seen_ms", unix_ms()}};
  return j.dump();
}

// Renews the claim on the running segment and publishes the figures, on its own connection
// and thread; joined by its destructor.
class Heartbeat {
 public:
  Heartbeat(const RedisOptions& options, std::vector<JobKeys> keys, std::string group,
            std::string name, int every_ms)
      : redis_(options),
        keys_(std::move(keys)),
        group_(std::move(group)),
        name_(std::move(name)),
        every_ms_(every_ms) {
    thread_ = std::thread([this] { loop(); });
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;
  ~Heartbeat() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  // `job`: the index in `keys` of the job whose entry `running_id` is.
  void update(const WorkerReport& r, const std::string& state, std::string running_id,
              int64_t running_seg, size_t job = 0) {
    std::lock_guard lock(mutex_);
    job_ = job;
    report_ = r;
    state_ = state;
    if (running_id != running_id_) running_since_ms_ = running_id.empty() ? 0 : unix_ms();
    running_id_ = std::move(running_id);
    running_seg_ = running_seg;
  }
  void publish_now() { beat(); }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!done_) {
      lock.unlock();
      try {
        beat();
      } catch (const Error&) {
        // The main thread meets the same server and reports it; a heartbeat missed is only a
        // segment that may be taken over (and then stored twice, the second copy dropped).
      }
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(every_ms_), [this] { return done_; });
    }
  }
  void beat() {
    std::string id, json;
    size_t job = 0;
    {
      std::lock_guard lock(mutex_);
      id = running_id_;
      job = job_;
      json = figures_json(report_, state_, running_seg_, running_since_ms_, every_ms_);
    }
    std::lock_guard send(send_mutex_);
    if (!id.empty()) redis_.eval(kRenewScript, {keys_[job].tasks}, {group_, name_, id});
    // Every job it serves lists it (status of any of them shows the worker).
    for (const JobKeys& k : keys_) redis_.command({"HSET", k.workers, name_, json});
  }

  RedisClient redis_;
  std::vector<JobKeys> keys_;
  size_t job_ = 0;
  std::string group_, name_;
  int every_ms_;
  std::mutex mutex_, send_mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  WorkerReport report_;
  std::string state_ = "starting", running_id_;
  int64_t running_seg_ = -1, running_since_ms_ = 0;
  std::thread thread_;
};

// Nothing left for anyone: no entry undelivered, none delivered and not acknowledged.
bool nothing_left(RedisClient& redis, const JobKeys& keys, const std::string& group) {
  const RedisReply pending = redis.command({"XPENDING", keys.tasks, group});
  if (pending.elements.empty() || pending.elements[0].as_int() != 0) return false;
  const RedisReply stream = redis.command({"XINFO", "STREAM", keys.tasks});
  const std::string last = stream.field("last-generated-id");
  const RedisReply groups = redis.command({"XINFO", "GROUPS", keys.tasks});
  for (const RedisReply& g : groups.elements)
    if (g.field("name") == group) return g.field("last-delivered-id") == last;
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct JobState {
  JobKeys keys;
  DistJobSpec spec;
  std::string claim;  // claim time in ms, as XAUTOCLAIM takes it
  bool finished = false;
};

// A live job's results, published per batch (kLivePublishScript) while this worker holds the
// job's entry. Lines come in batch order (ResultSink's contract): a batch is published when the
// first line of a later one arrives, so it is whole (every model's lines). The last one is
// published by finish(), only after a run that ended by itself: a run stopped, failed or
// taken over may have gathered part of a batch (a short one at the stop, a model that failed
// on it), which the next holder runs again from its first frame. Once the lease is lost
// nothing more is published and lost() is true (the run is then stopped).
class LivePublisher final : public ResultSink {
 public:
  LivePublisher(RedisClient& redis, const JobKeys& keys, std::string group, std::string worker,
                std::string entry, std::vector<std::string> sources)
      : redis_(redis),
        keys_(keys),
        group_(std::move(group)),
        worker_(std::move(worker)),
        entry_(std::move(entry)),
        jsonl_([this](const Batch& b, std::string line) { add(b, std::move(line)); },
               std::move(sources)) {}
  void begin(std::span<const ModelSpec> models) override { jsonl_.begin(models); }
  void consume(const Batch& batch, size_t model, const ModelResult& result) override {
    if (!lost_) jsonl_.consume(batch, model, result);
  }
  void finish() { flush(); }
  bool lost() const { return lost_.load(); }
  int64_t batches() const { return batches_; }
  int64_t frames() const { return frames_; }
  int64_t duplicates() const { return duplicates_; }

 private:
  void add(const Batch& b, std::string line) {
    if (b.seq != seq_) {
      flush();
      seq_ = b.seq;
      batch_frames_ = static_cast<int64_t>(b.frames.size());
    }
    for (const FrameRef& f : b.frames) next_ = std::max(next_, f.index + 1);
    lines_ += line;
  }
  void flush() {
    if (lines_.empty() || lost_) return;
    const int64_t r =
        redis_
            .eval(kLivePublishScript, {keys_.tasks, keys_.live, keys_.stats, keys_.job},
                  {group_, entry_, worker_, std::to_string(seq_), lines_, std::to_string(next_)})
            .as_int();
    lines_.clear();
    if (r < 0) {
      lost_ = true;
    } else if (r == 0) {
      ++duplicates_;
    } else {
      ++batches_;
      frames_ += batch_frames_;
    }
  }

  RedisClient& redis_;
  const JobKeys& keys_;
  std::string group_, worker_, entry_;
  JsonlSink jsonl_;
  std::string lines_;  // the batch being gathered
  int64_t seq_ = -1, next_ = 0, batch_frames_ = 0;
  int64_t batches_ = 0, frames_ = 0, duplicates_ = 0;
  std::atomic<bool> lost_{false};
};

enum class LiveEnd { ended, stopped, lost, failed };
struct LiveOutcome {
  LiveEnd end = LiveEnd::ended;
  std::string error;
  int64_t first = 0;  // the frame it started at
  int64_t batches = 0, frames = 0, duplicates = 0;
  double compute_s = 0;
};

// Runs a live job from where its last publisher stopped (live_next) until the source ends, the
// lease is lost or `stop` is set; the caller then ends, hands over or requeues the entry.
LiveOutcome run_live(RedisClient& redis, const JobKeys& keys, const DistJobSpec& spec,
                     const std::string& group, const std::string& worker, const Entry& entry,
                     const std::atomic<bool>* stop) {
  LiveOutcome out;
  const RedisReply next = redis.command({"HGET", keys.job, "live_next"});
  SegmentPlan plan = entry.plan;
  plan.first = next.is_nil() ? 0 : next.as_int();
  plan.frames = -1;
  out.first = plan.first;
  if (spec.max_frames >= 0 && plan.first >= spec.max_frames) return out;  // all published
  const auto t0 = Clock::now();
  LivePublisher publisher(redis, keys, group, worker, entry.id, {spec.videos.at(0)});
  std::atomic<bool> halt{false};
  out.error = error_of([&] {
    JobConfig job = segment_job(spec, plan, "");
    job.strategy_options.stop = &halt;
    // The run stops within ~20 ms of a stop request or of the lease being lost.
    std::jthread watch([&](const std::stop_token& done) {
      while (!done.stop_requested()) {
        if ((stop && stop->load()) || publisher.lost()) halt = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    run_job(job, nullptr, &publisher);
    watch.request_stop();
    watch.join();
    if (!halt) publisher.finish();
  });
  out.compute_s = seconds_since(t0);
  out.batches = publisher.batches();
  out.frames = publisher.frames();
  out.duplicates = publisher.duplicates();
  if (publisher.lost()) {
    out.end = LiveEnd::lost;
  } else if (!out.error.empty()) {
    out.end = LiveEnd::failed;
  } else if (stop && stop->load()) {
    out.end = LiveEnd::stopped;
  } else if (is_live_source(spec.videos.at(0)) &&
             (spec.max_frames < 0 || plan.first + out.frames < spec.max_frames)) {
    // A camera or stream is expected to run until stopped (or --frames): its end is a failure
    // (unplugged, the server went away), retried by the next worker to take the job.
    out.end = LiveEnd::failed;
    out.error = fmt::format(
        "live source '{}' ended after frame {} (expected it to run until "
        "stopped)",
        spec.videos.at(0), plan.first + out.frames - 1);
  }
  return out;
}

}  // namespace

WorkerReport run_worker(const WorkerOptions& o) {
  if (o.jobs.empty())
    throw Error(ErrorCode::bad_flag, Error::Option{"job"}, ": expected at least one job id");
  for (const std::string& name : o.jobs) check_job_name("job", name);
  if (std::error_code ec;
      !o.results_dir.empty() && !std::filesystem::is_directory(o.results_dir, ec))
    throw Error(ErrorCode::bad_flag, Error::Option{"results_dir"},
                fmt::format(" '{}': not a directory (expected one every worker and collect can "
                            "reach)",
                            o.results_dir));
  const std::string group = o.group.empty() ? std::string(kGroup) : o.group;
  check_job_name("group", group);
  RedisClient redis(o.redis);
  std::vector<JobState> jobs;
  std::vector<JobKeys> all_keys;
  int claim_ms = 0;  // the shortest of the jobs': it sets the heartbeat
  for (const std::string& name : o.jobs) {
    const JobKeys keys(name);
    const RedisReply spec_text = redis.command({"HGET", keys.job, "spec"});
    if (spec_text.is_nil())
      throw Error(ErrorCode::bad_flag, Error::Option{"job"},
                  fmt::format(" '{}': no such job in redis {} (expected one that `mvinfer submit "
                              "--job {}` queued)",
                              name, redis.address().text(), name));
    DistJobSpec spec = DistJobSpec::from_json(spec_text.str);
    // Another group than submit's: created at the stream's start, so it sees every segment.
    if (group != kGroup) {
      const RedisReply made =
          redis.command({"XGROUP", "CREATE", keys.tasks, group, "0"}, /*errors_ok=*/true);
      if (made.type == RedisReply::Type::error && !made.str.starts_with("BUSYGROUP"))
        throw Error(
            ErrorCode::internal,
            fmt::format("job '{}': cannot create consumer group '{}': {}", name, group, made.str));
    }
    const int job_claim_ms = o.claim_ms > 0 ? o.claim_ms : spec.claim_ms;
    claim_ms = claim_ms == 0 ? job_claim_ms : std::min(claim_ms, job_claim_ms);
    jobs.push_back({keys, std::move(spec), std::to_string(job_claim_ms)});
    all_keys.push_back(keys);
  }
  // Once per worker and provider setting, not per segment: `auto` looks for the GPU's libraries
  // on disk (about a second here), which would otherwise dominate a short segment.
  const std::string wanted = jobs.front().spec.provider;
  const ProviderChoice provider = resolve_provider(wanted);
  for (JobState& j : jobs)
    if (j.spec.provider == wanted) j.spec.provider = to_string(provider.provider);
  WorkerReport report;
  report.name = o.name.empty() ? default_name() : o.name;
  const std::string tmp_dir =
      o.tmp_dir.empty() ? std::filesystem::temp_directory_path().string() : o.tmp_dir;

  Heartbeat heartbeat(o.redis, all_keys, group, report.name, heartbeat_ms(claim_ms));
  heartbeat.update(report, "waiting", "", -1);
  auto say = [&](const std::string& line) {
    if (!o.quiet) std::fprintf(stderr, "worker %s: %s\n", report.name.c_str(), line.c_str());
  };
  say("provider " + provider.reason);

  while (!(o.stop && o.stop->load())) {
    const auto asked = Clock::now();
    std::optional<Entry> entry;
    size_t at = 0;  // the job of `entry`: the first in the order given that has one
    int active = 0;
    for (const JobState& j : jobs) active += j.finished ? 0 : 1;
    for (size_t k = 0; k < jobs.size() && !entry; ++k) {
      const JobState& j = jobs[k];
      if (j.finished) continue;
      at = k;
      // A segment another worker left idle past the claim time comes first: it is the oldest.
      const RedisReply claimed = redis.command(
          {"XAUTOCLAIM", j.keys.tasks, group, report.name, j.claim, "0-0", "COUNT", "1"});
      if (claimed.elements.size() >= 2 && !claimed.elements[1].elements.empty()) {
        entry = parse_entry(claimed.elements[1].elements[0]);
        if (entry) entry->reclaimed = true;
      }
      if (entry) break;
      // One job: wait for its next entry in Redis. Several: look at each in turn, without
      // blocking on one while another has work.
      std::vector<std::string> read{"XREADGROUP", "GROUP", group, report.name, "COUNT", "1"};
      if (active == 1) read.insert(read.end(), {"BLOCK", std::to_string(o.block_ms)});
      read.insert(read.end(), {"STREAMS", j.keys.tasks, ">"});
      const RedisReply got = redis.command(read);
      if (!got.is_nil() && !got.elements.empty() && got.elements[0].elements.size() >= 2 &&
          !got.elements[0].elements[1].elements.empty())
        entry = parse_entry(got.elements[0].elements[1].elements[0]);
    }
    if (!entry) {
      bool all_done = true;
      for (JobState& j : jobs) {
        if (!j.finished && !o.stay) j.finished = nothing_left(redis, j.keys, group);
        all_done = all_done && j.finished;
      }
      if (all_done && !jobs.empty() && !o.stay) break;
      if (active > 1)
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(o.block_ms, 100)));
      continue;
    }
    const JobKeys& keys = jobs[at].keys;
    const DistJobSpec& spec = jobs[at].spec;
    const std::string seg = std::to_string(entry->seg);
    const std::string video = std::to_string(entry->plan.video);
    const std::string first = std::to_string(entry->plan.first);
    const std::string frames = std::to_string(entry->plan.frames);
    const std::string what =
        entry->live ? fmt::format("live job {}", spec.name) : fmt::format("segment {}", seg);
    auto bury = [&](const std::string& why, int64_t attempts) {
      redis.eval(kBuryScript, {keys.tasks, keys.dead},
                 {group, entry->id, seg, video, first, frames, why, std::to_string(attempts),
                  report.name});
      ++report.dead_lettered;
      say(fmt::format("{} dead-lettered after {} attempts: {}", what, attempts, why));
    };
    auto requeue = [&] {
      redis.eval(
          kRequeueScript, {keys.tasks},
          {group, entry->id, seg, video, first, frames, report.name, entry->live ? "1" : "0"});
    };
    // A run that failed: queued again, or to the dead letters after max_attempts failures.
    auto fail = [&](const std::string& error) {
      ++report.failed;
      const int64_t failures = redis.command({"HINCRBY", keys.failures, seg, "1"}).as_int();
      redis.command({"HSET", keys.errors, seg, error});
      if (should_dead_letter(failures, 1, spec.max_attempts)) {
        bury(error, failures);
      } else {
        requeue();
        say(fmt::format("{} failed, queued again: {}", what, error));
      }
    };
    if (entry->live) {
      // Held until its source ends: taking it over is its normal course (a worker restarted),
      // so only failures count towards the dead letters, not deliveries.
      report.reclaimed += entry->reclaimed ? 1 : 0;
      heartbeat.update(report, "live", entry->id, entry->seg, at);
      const double took_s = seconds_since(asked);
      const LiveOutcome live = run_live(redis, keys, spec, group, report.name, *entry, o.stop);
      report.frames += live.frames;
      report.live_batches += live.batches;
      report.duplicates += live.duplicates;
      report.compute_s += live.compute_s;
      const auto store_start = Clock::now();
      const std::string done = fmt::format("{} batches ({} frames) from frame {} in {:.1f} s",
                                           live.batches, live.frames, live.first, live.compute_s);
      switch (live.end) {
        case LiveEnd::ended:
          redis.eval(kLiveEndScript, {keys.tasks, keys.job, keys.stats},
                     {group, entry->id, report.name});
          say(fmt::format("{} ended: {}", what, done));
          break;
        case LiveEnd::stopped:
          requeue();  // handed over: another worker continues at once, not after claim time
          say(fmt::format("{} handed over: {}", what, done));
          break;
        case LiveEnd::lost:
          say(fmt::format("{} taken over by another worker (this one missed its heartbeats): {}",
                          what, done));
          break;
        case LiveEnd::failed:
          fail(live.error);
          break;
      }
      report.coordination_s += took_s + seconds_since(store_start);
      heartbeat.update(report, "waiting", "", -1);
      continue;
    }
    if (entry->reclaimed) {
      ++report.reclaimed;
      const RedisReply p =
          redis.command({"XPENDING", keys.tasks, group, entry->id, entry->id, "1"});
      const int64_t deliveries = !p.elements.empty() && p.elements[0].elements.size() >= 4
                                     ? p.elements[0].elements[3].as_int()
                                     : 1;
      const int64_t failures = redis.command({"HGET", keys.failures, seg}).as_int();
      if (should_dead_letter(failures, deliveries, spec.max_attempts)) {
        bury(fmt::format("taken {} times by workers that died or hung before finishing it",
                         deliveries - 1),
             deliveries - 1);
        continue;
      }
    }
    heartbeat.update(report, "running", entry->id, entry->seg, at);
    const double took_s = seconds_since(asked);

    const auto run_start = Clock::now();
    const std::string out =
        fmt::format("{}/.mvinfer-worker-{}-seg{}.jsonl", tmp_dir, getpid(), entry->seg);
    std::string lines;
    RunReport run;
    const std::string error = error_of([&] {
      JobConfig job = segment_job(spec, entry->plan, out);
      run = run_job(job);
      lines = read_file(out);
      if (!o.results_dir.empty())
        lines = write_result_file(o.results_dir, spec.name, entry->seg, lines);
    });
    std::error_code ec;
    std::filesystem::remove(out, ec);
    const double compute_s = seconds_since(run_start);

    const auto store_start = Clock::now();
    if (!error.empty()) {
      fail(error);
    } else {
      const bool stored = redis
                              .eval(kCompleteScript, {keys.results, keys.stats, keys.tasks},
                                    {seg, lines, group, entry->id})
                              .as_int() == 1;
      int64_t n = 0;
      for (const StreamReport& st : run.streams) {
        n += st.frames;
        report.discarded += st.discarded;
        report.seek_ms += st.seek_ms;
      }
      if (stored) {
        ++report.segments;
        report.frames += n;
      } else {
        ++report.duplicates;
      }
      report.compute_s += compute_s;
      report.coordination_s += took_s + seconds_since(store_start);
      say(fmt::format("job {} segment {} (video {} frames {}-{}) {} in {:.2f} s", spec.name, seg,
                      video, first, entry->plan.first + n - 1,
                      stored ? "done" : "done again (a duplicate, dropped)", compute_s));
    }
    heartbeat.update(report, "waiting", "", -1);
  }
  report.stopped = o.stop && o.stop->load();
  heartbeat.update(report, report.stopped ? "stopped" : "exited", "", -1);
  heartbeat.publish_now();
  return report;
}

}  // namespace mvinfer::dist
