// The distributed runs' rules on synthetic inputs (include/mvinfer/dist/rules.h).
#include <gtest/gtest.h>

#include "mvinfer/dist/rules.h"

namespace mvinfer::dist {
namespace {

TEST(DistRules, RetryDelayDoublesFrom50msUpTo2s) {
  EXPECT_EQ(retry_delay_ms(-1), 50);
  EXPECT_EQ(retry_delay_ms(0), 50);
  EXPECT_EQ(retry_delay_ms(1), 100);
  EXPECT_EQ(retry_delay_ms(4), 800);
  EXPECT_EQ(retry_delay_ms(5), 1600);
  EXPECT_EQ(retry_delay_ms(6), 2000);
  EXPECT_EQ(retry_delay_ms(1000), 2000);  // no overflow
}

TEST(DistRules, SegmentSizeIsWholeBatches) {
  EXPECT_EQ(segment_size(200, 1), 200);
  EXPECT_EQ(segment_size(18, 4), 20);
  EXPECT_EQ(segment_size(20, 4), 20);
  EXPECT_EQ(segment_size(1, 8), 8);
  EXPECT_EQ(segment_size(0, 3), 3);
}

TEST(DistRules, SegmentsCoverTheVideoAndTheLastRunsToItsEnd) {
  const std::vector<SegmentPlan> p = plan_segments(1, 795, 200, 4);
  ASSERT_EQ(p.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p[i].video, 1);
    EXPECT_EQ(p[i].first, static_cast<int64_t>(200 * i));
    EXPECT_EQ(p[i].frames, 200);
  }
  EXPECT_EQ(p[3].first, 600);
  EXPECT_EQ(p[3].frames, -1);  // to the end, whatever the container's count said
}

TEST(DistRules, SegmentsWithMaxFramesHaveExactCounts) {
  const std::vector<SegmentPlan> p = plan_segments(0, 795, 18, 4, 50);  // segments of 20
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].first, 0);
  EXPECT_EQ(p[1].first, 20);
  EXPECT_EQ(p[2].first, 40);
  EXPECT_EQ(p[2].frames, 10);
  // --frames beyond the video: the video's own end.
  const std::vector<SegmentPlan> q = plan_segments(0, 30, 20, 1, 1000);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[1].frames, 10);
}

TEST(DistRules, ExactMultipleHasNoEmptyLastSegment) {
  const std::vector<SegmentPlan> p = plan_segments(0, 40, 20, 2);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].first, 20);
  EXPECT_EQ(p[1].frames, -1);
}

TEST(DistRules, EmptyVideoHasOneSegment) {
  const std::vector<SegmentPlan> p = plan_segments(0, 0, 20, 2);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].first, 0);
}

TEST(DistRules, DeadLetterAfterKFailuresOrMoreThanKDeliveries) {
  EXPECT_FALSE(should_dead_letter(0, 1, 3));
  EXPECT_FALSE(should_dead_letter(2, 1, 3));
  EXPECT_TRUE(should_dead_letter(3, 1, 3));
  EXPECT_FALSE(should_dead_letter(0, 3, 3));  // the third delivery still runs
  EXPECT_TRUE(should_dead_letter(0, 4, 3));   // three workers died on it
  EXPECT_TRUE(should_dead_letter(1, 1, 1));
}

TEST(DistRules, HeartbeatFourTimesPerClaimAtLeastEvery50ms) {
  EXPECT_EQ(heartbeat_ms(60000), 15000);
  EXPECT_EQ(heartbeat_ms(1000), 250);
  EXPECT_EQ(heartbeat_ms(100), 50);
}

TEST(DistRules, AliveWithinThreeHeartbeats) {
  EXPECT_TRUE(worker_alive(0.0, heartbeat_ms(60000)));
  EXPECT_TRUE(worker_alive(45.0, heartbeat_ms(60000)));  // heartbeats every 15 s
  EXPECT_FALSE(worker_alive(45.1, heartbeat_ms(60000)));
  EXPECT_TRUE(worker_alive(0.15, heartbeat_ms(100)));  // every 50 ms at least
  EXPECT_FALSE(worker_alive(0.2, heartbeat_ms(100)));
}

TEST(DistRules, JobNames) {
  EXPECT_TRUE(job_name_problem("archive-2024_01.v2").empty());
  EXPECT_FALSE(job_name_problem("").empty());
  EXPECT_FALSE(job_name_problem("a{b}").empty());  // would break the hash tag
  EXPECT_FALSE(job_name_problem("a b").empty());
  EXPECT_FALSE(job_name_problem(std::string(65, 'a')).empty());
  EXPECT_TRUE(job_name_problem(std::string(64, 'a')).empty());
}

TEST(DistRules, ResultFilesSortInSegmentOrder) {
  EXPECT_EQ(result_file_name("two-1", 0), "two-1.seg000000.jsonl");
  EXPECT_EQ(result_file_name("two-1", 42), "two-1.seg000042.jsonl");
  EXPECT_EQ(result_file_name("a", 1234567), "a.seg1234567.jsonl");
  EXPECT_LT(result_file_name("a", 9), result_file_name("a", 10));
}

TEST(DistRules, OneJobIdPerVideo) {
  EXPECT_EQ(video_job_name("arch", 0, 1), "arch");  // one video keeps the name
  EXPECT_EQ(video_job_name("arch", 0, 2), "arch-1");
  EXPECT_EQ(video_job_name("arch", 1, 2), "arch-2");
  EXPECT_EQ(video_job_name("arch", 11, 12), "arch-12");
  EXPECT_TRUE(job_name_problem(video_job_name("a.b_c", 2, 3)).empty());
}

}  // namespace
}  // namespace mvinfer::dist
