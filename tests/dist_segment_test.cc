// run_job over a segment of a video (JobConfig::start): the same lines a run over the whole
// video writes for those frames, by seeking and by decoding from frame 0.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "mvinfer/core/error.h"
#include "mvinfer/core/job.h"
#include "mvinfer/io/frame_source.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

JobConfig tiny_job(const std::vector<std::string>& models, const std::string& out) {
  JobConfig c;
  c.videos = {kVideo};
  for (const std::string& m : models) c.models.push_back(parse_model_arg(m));
  c.batching.batch = 4;
  c.strategy = "serial";
  c.out_jsonl = out;
  return c;
}

class DistSegment : public ::testing::TestWithParam<bool> {};

TEST_P(DistSegment, LinesEqualTheWholeRunsForThoseFrames) {
  const bool seek = GetParam();
  const auto dir = scratch_dir("seg");
  const std::vector<std::string> models = small_zoo(dir, 2, 32);
  JobConfig whole = tiny_job(models, (dir / "whole.jsonl").string());
  whole.max_frames = 60;
  run_job(whole);
  const std::vector<std::string> all = read_lines(dir / "whole.jsonl");
  ASSERT_EQ(all.size(), 30u);  // 15 batches x 2 models

  JobConfig part = tiny_job(models, (dir / "part.jsonl").string());
  part.start = {36, seek};
  part.max_frames = 16;
  const RunReport r = run_job(part);
  const std::vector<std::string> lines = read_lines(dir / "part.jsonl");
  // Batches 9..12 (frames 36..51) of the whole run, both models, in the same order.
  ASSERT_EQ(lines.size(), 8u);
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], all[18 + i]) << "line " << i;
  ASSERT_EQ(r.streams.size(), 1u);
  EXPECT_EQ(r.streams[0].frames, 16);
  EXPECT_EQ(r.streams[0].discarded, seek ? 0 : 36);
}

INSTANTIATE_TEST_SUITE_P(SeekOrDecode, DistSegment, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Seek" : "Decode"; });

TEST(DistSegmentChecks, SeekIsExactOnVtest) { EXPECT_TRUE(seek_is_exact(kVideo, 200)); }

TEST(DistSegmentChecks, StartMustBeWholeBatchesOfOneVideo) {
  const auto dir = scratch_dir("seg");
  const std::vector<std::string> models = small_zoo(dir, 1, 32);
  JobConfig c = tiny_job(models, "");
  c.start.frame = 6;  // batch 4
  try {
    run_job(c);
    FAIL() << "a start inside a batch was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_flag);
    EXPECT_EQ(e.option(), "start_frame");
    EXPECT_NE(std::string(e.what()).find("multiple of the batch (4)"), std::string::npos)
        << e.what();
  }
  c.start.frame = 4;
  c.videos = {kVideo, kVideo};
  EXPECT_THROW(run_job(c), Error);
}

TEST(DistSegmentChecks, StartPastTheEndIsBadInput) {
  try {
    open_frame_source(kVideo, -1, 0, false, {5000, false});
    FAIL() << "a start past the end was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("start frame 5000 is past its end"), std::string::npos)
        << e.what();
  }
}

// A live job taken over (dist/job_spec.h): a stream continues the numbering, a replayed file
// (live_fps) starts inside as a segment does.
TEST(DistSegmentChecks, AStreamRenumbersAndAReplayStartsInside) {
  const std::string url = "file://" + std::string(kVideo);
  std::unique_ptr<FrameSource> plain = open_frame_source(kVideo, 1);
  std::unique_ptr<FrameSource> stream = open_frame_source(url, 8, 0, false, {40, false, true});
  EXPECT_TRUE(stream->is_live());
  Frame first, again;
  ASSERT_TRUE(plain->next(first));
  ASSERT_TRUE(stream->next(again));
  EXPECT_EQ(again.index, 40);  // numbered on, but the stream's own first frame
  EXPECT_EQ(cv::norm(first.image, again.image, cv::NORM_INF), 0);
  int64_t n = 1;
  for (Frame f; stream->next(f); ++n) EXPECT_EQ(f.index, 40 + n);
  EXPECT_EQ(n, 8);
  try {
    open_frame_source(url, 8, 0, false, {40, false});
    FAIL() << "a start inside a stream was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.option(), "start_frame");
  }

  const auto dir = scratch_dir("seg");
  const std::vector<std::string> models = small_zoo(dir, 1, 32);
  JobConfig whole = tiny_job(models, (dir / "whole.jsonl").string());
  whole.max_frames = 24;
  whole.live_fps = 1000;
  run_job(whole);
  JobConfig replay = tiny_job(models, (dir / "replay.jsonl").string());
  replay.start = {12, true};
  replay.max_frames = 12;
  replay.live_fps = 1000;
  run_job(replay);
  const std::vector<std::string> all = read_lines(dir / "whole.jsonl"),
                                 part = read_lines(dir / "replay.jsonl");
  ASSERT_EQ(part.size(), 3u);
  for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], all[3 + i]) << "line " << i;
}

}  // namespace
}  // namespace mvinfer::testing
