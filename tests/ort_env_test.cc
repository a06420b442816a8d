// ONNX Runtime's environment leaves nothing behind: the telemetry SDK linked into the ONNX
// Runtime build we use creates $TMPDIR/mat-debug-<pid>.log and $TMPDIR/.ses whenever an Env is
// created, and mvinfer removes them. Checked through the CLI, with TMPDIR an empty folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

// Runs the CLI with TMPDIR set to `tmp`; what it left there, by name.
std::string left_in(const fs::path& tmp, const std::vector<std::string>& args,
                    CommandResult& result) {
  const char* before = std::getenv("TMPDIR");
  const std::string saved = before ? before : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  result = run_cli(args);
  if (before)
    setenv("TMPDIR", saved.c_str(), 1);
  else
    unsetenv("TMPDIR");
  std::string left;
  for (const auto& e : fs::directory_iterator(tmp)) {
    left += ' ';
    left += e.path().filename().string();
  }
  return left;
}

TEST(OrtEnv, RunInfoAndBenchLeaveNothingInTmpdir) {
  const std::string zoo = small_zoo(scratch_dir("zoo"), 1, 64)[0];
  const std::vector<std::vector<std::string>> commands = {
      {"run", "--video", kVideo, "--model", zoo, "--frames", "4", "-q", "--strategy", "serial"},
      // Workers of `processes` may create their own Env.
      {"run", "--video", kVideo, "--model", zoo, "--model", zoo, "--frames", "4", "-q",
       "--strategy", "processes"},
      {"info", zoo},
      {"bench", "--video", kVideo, "--model", zoo, "--frames", "4", "--batch", "2", "--size",
       "64x64", "--strategies", "serial", "--sample", "1"},
  };
  for (const std::vector<std::string>& args : commands) {
    const fs::path tmp = scratch_dir("tmp");
    CommandResult r;
    const std::string left = left_in(tmp, args, r);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(left, "") << args[0] << " " << args.back() << " left in $TMPDIR:" << left;
  }
}

TEST(OrtEnv, AnotherProgramsSessionFileStays) {
  // .ses is the SDK's own state: one that was there before the run is not ours to remove.
  const std::string zoo = small_zoo(scratch_dir("zoo"), 1, 64)[0];
  const fs::path tmp = scratch_dir("tmp");
  std::ofstream(tmp / ".ses") << "someone else's";
  CommandResult r;
  const std::string left = left_in(
      tmp,
      {"run", "--video", kVideo, "--model", zoo, "--frames", "2", "-q", "--strategy", "serial"}, r);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(left, " .ses");
}

}  // namespace
}  // namespace mvinfer::testing
