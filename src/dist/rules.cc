#include "mvinfer/dist/rules.h"

#include <fmt/format.h>

#include <algorithm>

#include "mvinfer/core/error.h"

namespace mvinfer::dist {

int retry_delay_ms(int attempt) {
  constexpr int kFirstMs = 50, kMaxMs = 2000;
  if (attempt <= 0) return kFirstMs;
  if (attempt >= 6) return kMaxMs;  // 50 << 6 = 3200: past the cap, and no shift overflows
  return std::min(kMaxMs, kFirstMs << attempt);
}

int64_t segment_size(int64_t segment_frames, int batch) {
  const int64_t per = std::max(1, batch);
  return std::max<int64_t>(1, (segment_frames + per - 1) / per) * per;
}

std::vector<SegmentPlan> plan_segments(int video, int64_t total, int64_t segment_frames, int batch,
                                       int64_t max_frames) {
  const int64_t size = segment_size(segment_frames, batch);
  const int64_t frames = max_frames >= 0 && (total < 0 || max_frames < total) ? max_frames : total;
  std::vector<SegmentPlan> plan;
  for (int64_t first = 0; first < frames || plan.empty(); first += size) {
    const bool last = first + size >= frames;
    // Without --frames the last segment runs to the end of the video, whatever its count said.
    plan.push_back({video, first, last ? (max_frames >= 0 ? frames - first : -1) : size});
    if (last) break;
  }
  return plan;
}

bool should_dead_letter(int64_t failures, int64_t deliveries, int max_attempts) {
  return failures >= max_attempts || deliveries > max_attempts;
}

int heartbeat_ms(int claim_ms) { return std::max(50, claim_ms / 4); }

bool worker_alive(double seen_s_ago, int heartbeat_ms) {
  return seen_s_ago <= 3.0 * heartbeat_ms / 1000.0;
}

std::string_view job_name_problem(std::string_view name) {
  if (name.empty()) return "empty";
  if (name.size() > 64) return "longer than 64 characters";
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return "has a character other than letters, digits, '.', '_' and '-'";
  return {};
}

void check_job_name(const std::string& option, const std::string& name) {
  if (std::string_view why = job_name_problem(name); !why.empty())
    throw Error(
        ErrorCode::bad_flag, Error::Option{option},
        fmt::format(" '{}': {} (expected 1-64 letters, digits, '.', '_' or '-')", name, why));
}

std::string video_job_name(std::string_view name, int video, int videos) {
  if (videos <= 1) return std::string(name);
  return fmt::format("{}-{}", name, video + 1);
}

std::string result_file_name(std::string_view job, int64_t seg) {
  return fmt::format("{}.seg{:06}.jsonl", job, seg);
}

}  // namespace mvinfer::dist
