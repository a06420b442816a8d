// The rules of limits.h on synthetic inputs.
#include "mvinfer/core/limits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "mvinfer/core/error.h"

namespace mvinfer {
namespace {

TEST(MaxThreads, IsASmallMultipleOfTheCores) {
  EXPECT_EQ(max_threads(2), 8);
  EXPECT_EQ(max_threads(64), 256);
  EXPECT_EQ(max_threads(0), kMaxThreadsPerCore);  // unknown cores count as one
}

TEST(MallocArenas, OnePerCoreAndAtLeastTwo) {
  EXPECT_EQ(malloc_arenas(2), 2);
  EXPECT_EQ(malloc_arenas(16), 16);
  EXPECT_EQ(malloc_arenas(1), kMinMallocArenas);
  EXPECT_EQ(malloc_arenas(0), kMinMallocArenas);  // unknown cores
}

TEST(MallocArenaBound, LeavesTheUsersSettingAlone) {
  EXPECT_EQ(malloc_arena_bound("4", 16), 0);
  EXPECT_EQ(malloc_arena_bound(nullptr, 16), 16);
  EXPECT_EQ(malloc_arena_bound("", 1), kMinMallocArenas);  // set but empty: not a choice
  EXPECT_EQ(bound_malloc_arenas("4"), 0);                  // nothing applied
}

TEST(CheckThreads, RefusesPastTheBoundWithTheName) {
  EXPECT_NO_THROW(check_threads("--intra-threads", 1));
  try {
    check_threads("--intra-threads", 100000);
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_flag);
    EXPECT_NE(std::string(e.what()).find("--intra-threads 100000: expected at most"),
              std::string::npos)
        << e.what();
  }
}

TEST(DefaultMaxMemory, IsAShareOfPhysicalMemory) {
  EXPECT_EQ(default_max_memory(1000), 800);
  EXPECT_EQ(default_max_memory(0), 0);  // unknown: no limit
}

TEST(ParseMemory, UnitsAndShares) {
  EXPECT_EQ(parse_memory("--max-memory", "512M", 0), 512LL << 20);
  EXPECT_EQ(parse_memory("--max-memory", "1.5G", 0), 3LL << 29);
  EXPECT_EQ(parse_memory("--max-memory", "2048", 0), 2048);
  EXPECT_EQ(parse_memory("--max-memory", "50%", 1000), 500);
  for (const char* bad : {"", "lots", "-1G", "0", "nanG", "5X", "150%", "1e30T"})
    EXPECT_THROW(parse_memory("--max-memory", bad, 1000), Error) << bad;
  EXPECT_THROW(parse_memory("--max-memory", "50%", 0), Error);  // physical memory unknown
}

ModelSpec spec(int w, int h, std::string on = {}, int64_t model_batch = 0) {
  ModelSpec m;
  m.preprocess.width = w;
  m.preprocess.height = h;
  m.on = std::move(on);
  m.model_batch = model_batch;
  return m;
}

TEST(BatchBytes, CountsEveryModelOnFramesAndKeptImages) {
  const std::vector<ModelSpec> models{spec(10, 10), spec(20, 10), spec(48, 48, "a")};
  // 4 rows x 3 x (100 + 200) floats; the dependent runs on crops and is not counted.
  EXPECT_DOUBLE_EQ(batch_bytes(models, 4, false, 0, 0), 4 * 3 * 300 * 4.0);
  // Kept frames: 4 x 3 bytes per pixel at 640x480.
  EXPECT_DOUBLE_EQ(batch_bytes(models, 4, true, 640, 480), 4 * 3 * 300 * 4.0 + 4 * 3 * 640 * 480.0);
  // A fixed model batch larger than --batch: its calls are padded to that size.
  const std::vector<ModelSpec> fixed{spec(10, 10, {}, 8)};
  EXPECT_DOUBLE_EQ(batch_bytes(fixed, 1, false, 0, 0), 8 * 3 * 100 * 4.0);
}

TEST(BatchesHeld, UpFrontHoldsEveryBatchStreamingItsQueues) {
  EXPECT_EQ(batches_held(true, 500, 4, 3, 2), 500);
  EXPECT_TRUE(std::isinf(batches_held(true, -1, 4, 3, 2)));  // unknown length, all up front
  EXPECT_EQ(batches_held(false, -1, 4, 3, 2), (4 + 2) * 3 + 2);
}

TEST(CheckMemory, RefusesWhatDoesNotFitAndSaysWhy) {
  EXPECT_NO_THROW(check_memory(100, 100, "x"));
  EXPECT_NO_THROW(check_memory(1e30, 0, "x"));  // no limit
  try {
    check_memory(3.0 * (1LL << 30), 1LL << 30, "--preload (10 batches of 300 MiB)");
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.option(), "max_memory");
    const std::string what = e.what();
    EXPECT_NE(what.find("1.0 GiB: --preload (10 batches of 300 MiB) needs 3.0 GiB"),
              std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace mvinfer
