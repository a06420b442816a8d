// Bad input: each case exits non-zero with one line on stderr naming the culprit, never a
// crash, and never loses what was already written; a damaged or short input that can be read
// is read, and the summary says how much of it (an error with --strict).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>

#include "mvinfer/tools/zoo.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

struct Expect {
  int exit_code;
  std::vector<std::string> mentions;  // each must appear in the one stderr line
};

void expect_one_line_error(const CommandResult& r, const Expect& e) {
  EXPECT_EQ(r.signal, 0) << "crashed with signal " << r.signal << "\n" << r.err;
  EXPECT_EQ(r.exit_code, e.exit_code) << r.err;
  std::string err = r.err;
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back(), '\n');
  err.pop_back();
  EXPECT_EQ(err.find('\n'), std::string::npos) << "more than one line:\n" << r.err;
  EXPECT_TRUE(err.starts_with("mvinfer: error: ")) << err;
  for (const std::string& m : e.mentions)
    EXPECT_NE(err.find(m), std::string::npos) << err << " lacks " << m;
}

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("err");
    zoo_ = small_zoo(dir_ / "zoo", 1, 64)[0];
  }
  std::vector<std::string> run_args(const std::string& video, const std::string& model) {
    return {"run", "--video", video, "--model", model, "--size", "64x64", "--frames", "4", "-q"};
  }
  fs::path dir_;
  std::string zoo_;
};

TEST_F(CliErrors, MissingVideo) {
  std::string v = (dir_ / "nope.avi").string();
  expect_one_line_error(run_cli(run_args(v, zoo_)), {3, {v}});
}

TEST_F(CliErrors, TextFileAsVideo) {
  fs::path v = dir_ / "notes.avi";
  std::ofstream(v) << "this is not a video\n";
  expect_one_line_error(run_cli(run_args(v.string(), zoo_)), {3, {v.string()}});
}

TEST_F(CliErrors, TruncatedVideo) {
  fs::path v = dir_ / "truncated.avi";
  {
    std::ifstream in(kVideo, std::ios::binary);
    std::vector<char> head(100 * 1024);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(v, std::ios::binary)
        .write(head.data(), static_cast<std::streamsize>(head.size()));
  }
  CommandResult r = run_cli(run_args(v.string(), zoo_));
  EXPECT_EQ(r.signal, 0) << r.err;
  // Either the readable part is processed cleanly, or a one-line error names the file.
  if (r.exit_code != 0) expect_one_line_error(r, {3, {v.string()}});
}

TEST_F(CliErrors, NotAnOnnxModel) {
  fs::path m = dir_ / "model.onnx";
  std::ofstream(m) << "definitely not protobuf";
  expect_one_line_error(run_cli(run_args(kVideo, m.string())), {4, {m.string(), "ONNX"}});
}

TEST_F(CliErrors, MissingModel) {
  std::string m = (dir_ / "absent.onnx").string();
  expect_one_line_error(run_cli(run_args(kVideo, m)), {4, {m, "(no such file)"}});
  expect_one_line_error(run_cli(run_args(kVideo, dir_.string())),
                        {4, {dir_.string(), "not an ONNX model (a folder, not a file)"}});
  expect_one_line_error(run_cli({"info", dir_.string()}), {4, {"(a folder, not a file)"}});
}

TEST_F(CliErrors, ModelThatCannotTakeColourFrames) {
  ZooOptions o;
  o.count = 1;
  o.channels = 1;  // a grayscale model: N x 1 x H x W
  o.height = o.width = 32;
  o.width_mult = 8;
  o.depth = 1;
  o.classes = 4;
  std::string gray = write_zoo((dir_ / "gray").string(), o)[0].path;
  expect_one_line_error(run_cli(run_args(kVideo, gray)), {4, {"zoo0", "3", "channels"}});
}

TEST_F(CliErrors, DynamicDimThatNothingResolves) {
  std::string det = paddle_model("ch_PP-OCRv4_det_infer.onnx");
  expect_one_line_error(run_cli({"run", "--video", kVideo, "--model", det, "-q"}),
                        {4, {"ch_PP-OCRv4_det_infer", "dynamic", "(give --size WxH, or "}});
}

TEST_F(CliErrors, BatchZero) {
  std::vector<std::string> a = run_args(kVideo, zoo_);
  a.insert(a.end(), {"--batch", "0"});
  expect_one_line_error(run_cli(a), {2, {"--batch"}});
}

TEST_F(CliErrors, LibraryErrorsNameTheFlag) {
  // The library names its settings ("size '0x5': ..."); the CLI names them by their flags.
  expect_one_line_error(run_cli({"run", "--video", kVideo, "--model", zoo_, "--size", "0x5"}),
                        {2, {"mvinfer: error: --size '0x5': expected WxH"}});
  const std::string m = zoo_ + ":size=3";
  expect_one_line_error(run_cli(run_args(kVideo, m)),
                        {2, {"mvinfer: error: --model '" + m + "': size='3' is not valid"}});
  const std::string config = (dir_ / "absent.yaml").string();
  expect_one_line_error(run_cli({"run", "--video", kVideo, "--config", config}),
                        {2, {"mvinfer: error: --config '" + config + "': cannot be read"}});
  std::vector<std::string> a = run_args(kVideo, zoo_);
  a.insert(a.end(), {"--save-tensors", "/proc/no/such"});
  expect_one_line_error(
      run_cli(a), {5, {"mvinfer: error: --save-tensors '/proc/no/such': cannot create directory"}});
}

TEST_F(CliErrors, UnknownFlag) {
  std::vector<std::string> a = run_args(kVideo, zoo_);
  a.push_back("--turbo");
  expect_one_line_error(run_cli(a), {2, {"--turbo"}});
}

TEST_F(CliErrors, UnknownFlagIsNamedBeforeAMissingRequiredOne) {
  // CLI11 checks required flags first: this said "--video is required".
  expect_one_line_error(run_cli({"run", "--turbo"}), {2, {"argument not expected: --turbo"}});
  expect_one_line_error(run_cli({"run", "--turbo", "fast", "--model", zoo_}),
                        {2, {"arguments not expected: --turbo fast"}});
  expect_one_line_error(run_cli({"run", "--model", zoo_}), {2, {"--video is required"}});
  // With every required flag given, CLI11's own message listed the words backwards.
  std::vector<std::string> a = run_args(kVideo, zoo_);
  a.insert(a.end(), {"--start", "100"});
  expect_one_line_error(run_cli(a), {2, {"arguments not expected: --start 100"}});
}

TEST_F(CliErrors, UnknownCommandListsTheKnownOnes) {
  expect_one_line_error(run_cli({"frob"}),
                        {2, {"unknown command 'frob': expected one of run, zoo, info, bench"}});
  expect_one_line_error(run_cli({}), {2, {"A subcommand is required"}});
}

TEST_F(CliErrors, BadSizeAndModelSetting) {
  std::vector<std::string> a = run_args(kVideo, zoo_ + ":colour=purple");
  expect_one_line_error(run_cli(a), {2, {"colour", "purple", "rgb or bgr"}});
  a = {"run", "--video", kVideo, "--model", zoo_, "--size", "64by64"};
  expect_one_line_error(run_cli(a), {2, {"--size", "WxH"}});
}

TEST_F(CliErrors, ZeroModels) {
  expect_one_line_error(run_cli({"run", "--video", kVideo}), {2, {"model"}});
}

TEST_F(CliErrors, UnknownStrategy) {
  std::vector<std::string> a = run_args(kVideo, zoo_);
  a.insert(a.end(), {"--strategy", "warp"});
  expect_one_line_error(run_cli(a), {2, {"warp", "serial"}});
}

TEST_F(CliErrors, DropLateNeedsThePipeline) {
  std::vector<std::string> a = run_args(kVideo, zoo_);
  a.insert(a.end(), {"--strategy", "threads", "--drop-late"});
  expect_one_line_error(run_cli(a), {2, {"--drop-late", "pipeline"}});
}

TEST_F(CliErrors, UnwritableOut) {
  std::string out = (dir_ / "no" / "such" / "dir" / "r.jsonl").string();
  std::vector<std::string> a = run_args(kVideo, zoo_);
  a.insert(a.end(), {"--out", out});
  expect_one_line_error(run_cli(a),
                        {5,
                         {out, "cannot be written (its folder '" +
                                   (dir_ / "no" / "such" / "dir").string() + "' does not exist)"}});
  a.back() = dir_.string();
  expect_one_line_error(run_cli(a), {5, {"cannot be written (it is a folder; expected a file)"}});
  a.back() = (fs::path(zoo_) / "r.jsonl").string();
  expect_one_line_error(run_cli(a), {5, {"its folder '" + zoo_ + "' is not a folder"}});
}

TEST_F(CliErrors, BadModelKeepsAnExistingResultsFile) {
  fs::path out = dir_ / "keep.jsonl";
  std::ofstream(out) << "{\"earlier\":1}\n";
  std::vector<std::string> a = run_args(kVideo, (dir_ / "absent.onnx").string());
  a.insert(a.end(), {"--out", out.string()});
  EXPECT_EQ(run_cli(a).exit_code, 4);
  EXPECT_EQ(read_lines(out), std::vector<std::string>{"{\"earlier\":1}"});
}

TEST_F(CliErrors, FailureMidwayLeavesValidJsonLines) {
  // An image folder whose 7th image is corrupt, under --strict: the first 3 batches of 2 are
  // written, then the run stops with an error naming that image.
  fs::path frames = dir_ / "frames";
  fs::create_directories(frames);
  cv::VideoCapture cap(kVideo);
  cv::Mat f;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cap.read(f));
    cv::imwrite((frames / fmt::format("f{:03d}.png", i)).string(), f);
  }
  std::ofstream(frames / "f006.png", std::ios::trunc) << "garbage, not a PNG";
  fs::path out = dir_ / "partial.jsonl";
  CommandResult r = run_cli({"run", "--video", frames.string(), "--model", zoo_, "--size", "64x64",
                             "--batch", "2", "--out", out.string(), "-q", "--strict"});
  expect_one_line_error(r, {3, {"f006.png"}});
  std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);  // throws on a torn line
    EXPECT_EQ(j["batch"], i);
  }
}

// A successful run prints three lines on stderr, "provider ...", "strategy ...: settings" and
// the summary, and nothing of OpenCV's, FFmpeg's or libjpeg's own; returns the summary.
std::string expect_only_our_lines(const CommandResult& r) {
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::stringstream ss(r.err);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  EXPECT_EQ(lines.size(), 3u) << r.err;
  if (lines.size() != 3) return "";
  EXPECT_TRUE(lines[0].starts_with("provider ")) << r.err;
  EXPECT_TRUE(lines[1].starts_with("strategy ")) << r.err;
  EXPECT_NE(lines[2].find(" frames in "), std::string::npos) << r.err;
  return lines[2];
}

// The first `bytes` of vtest.avi, in `dir`.
fs::path truncated_vtest(const fs::path& dir, size_t bytes) {
  const fs::path v = dir / fmt::format("first{}.avi", bytes);
  std::ifstream in(kVideo, std::ios::binary);
  std::vector<char> head(bytes);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  std::ofstream(v, std::ios::binary).write(head.data(), static_cast<std::streamsize>(head.size()));
  return v;
}

TEST_F(CliErrors, TruncatedVideoSaysHowManyFramesItRead) {
  // The first 10 KiB of vtest.avi hold 1 frame, the first MiB 97, of the 795 its header lists.
  const fs::path small = truncated_vtest(dir_, 10 * 1024), big = truncated_vtest(dir_, 1 << 20);
  std::string summary =
      expect_only_our_lines(run_cli({"run", "--video", small.string(), "--model", zoo_, "--size",
                                     "64x64", "--frames", "40", "-q", "--strategy", "serial"}));
  EXPECT_TRUE(summary.starts_with("1 frames in ")) << summary;
  EXPECT_TRUE(summary.ends_with(" | input: " + small.string() + " 1 of 40 frames read")) << summary;
  summary = expect_only_our_lines(run_cli(
      {"run", "--video", big.string(), "--model", zoo_, "--size", "64x64", "--batch", "4", "-q"}));
  EXPECT_TRUE(summary.starts_with("97 frames in ")) << summary;
  EXPECT_TRUE(summary.ends_with(" | input: " + big.string() + " 97 of 795 frames read")) << summary;
  // A whole input says nothing of the kind.
  summary = expect_only_our_lines(run_cli(run_args(kVideo, zoo_)));
  EXPECT_EQ(summary.find("input:"), std::string::npos) << summary;
}

TEST_F(CliErrors, StrictTruncatedVideoIsBadInputAndKeepsItsResults) {
  const fs::path small = truncated_vtest(dir_, 10 * 1024), big = truncated_vtest(dir_, 1 << 20);
  expect_one_line_error(
      run_cli({"run", "--video", small.string(), "--model", zoo_, "--size", "64x64", "--frames",
               "40", "-q", "--strict"}),
      {3,
       {"video '" + small.string() + "': ended after 1 of the 40 frames asked for",
        "--strict expects them all"}});
  const fs::path out = dir_ / "big.jsonl";
  CommandResult r = run_cli({"run", "--video", big.string(), "--model", zoo_, "--size", "64x64",
                             "--batch", "4", "-q", "--strict", "--out", out.string()});
  expect_one_line_error(
      r, {3, {"video '" + big.string() + "': ended after 97 of the 795 frames", "--strict"}});
  // Every batch read before the end is written, whole.
  const std::vector<std::string> lines = read_lines(out);
  EXPECT_GE(lines.size(), 20u);
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(nlohmann::json::parse(lines[i])["batch"], i);
  // --strict on a whole input changes nothing.
  expect_only_our_lines(run_cli({"run", "--video", kVideo, "--model", zoo_, "--size", "64x64",
                                 "--frames", "8", "-q", "--strict"}));
  // bench reads its frames before timing: the same error, after its progress lines, before
  // anything is measured.
  r = run_cli({"bench", "--video", small.string(), "--model", zoo_, "--frames", "8", "--batch", "2",
               "--size", "64x64", "--strategies", "serial", "--strict"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("\nmvinfer: error: video '" + small.string() +
                       "': ended after 1 of the 8 frames asked for"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(r.err.ends_with("--strict expects them all\n")) << r.err;
  EXPECT_EQ(r.err.find("round"), std::string::npos) << r.err;
}

TEST_F(CliErrors, CorruptImageInAFolderIsSkippedAndCounted) {
  fs::path frames = dir_ / "frames";
  fs::create_directories(frames);
  cv::VideoCapture cap(kVideo);
  cv::Mat f;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cap.read(f));
    cv::imwrite((frames / fmt::format("f{:03d}.jpg", i)).string(), f);
  }
  std::ofstream(frames / "f006.jpg", std::ios::trunc) << "garbage, not a JPEG";
  // A JPEG cut in half still decodes (grey below the cut), with libjpeg's warning silenced.
  fs::resize_file(frames / "f003.jpg", fs::file_size(frames / "f003.jpg") / 2);
  const fs::path out = dir_ / "frames.jsonl";
  const std::string summary =
      expect_only_our_lines(run_cli({"run", "--video", frames.string(), "--model", zoo_, "--size",
                                     "64x64", "--batch", "2", "--out", out.string(), "-q"}));
  EXPECT_TRUE(summary.starts_with("9 frames in ")) << summary;
  EXPECT_TRUE(summary.ends_with(" | input: " + frames.string() +
                                " 9 of 10 frames read, 1 undecodable skipped"))
      << summary;
  std::vector<int64_t> seen;
  for (const std::string& line : read_lines(out)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    for (const auto& i : j["frames"]) seen.push_back(i.get<int64_t>());
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 7, 8, 9}));
}

TEST_F(CliErrors, LibraryLogsCanBeLetThrough) {
  // MVINFER_LIB_LOGS=1 is for debugging: libjpeg's own warning then reaches stderr.
  fs::path frames = dir_ / "frames";
  fs::create_directories(frames);
  cv::Mat f;
  ASSERT_TRUE(cv::VideoCapture(kVideo).read(f));
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", f, jpeg);
  std::ofstream(frames / "cut.jpg", std::ios::binary)
      .write(reinterpret_cast<const char*>(jpeg.data()),
             static_cast<std::streamsize>(jpeg.size() / 2));
  const std::vector<std::string> args = {"run", "--video", frames.string(), "--model",
                                         zoo_,  "--size",  "64x64",         "-q"};
  expect_only_our_lines(run_cli(args));
  setenv("MVINFER_LIB_LOGS", "1", 1);
  CommandResult r = run_cli(args);
  unsetenv("MVINFER_LIB_LOGS");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Premature end of JPEG file"), std::string::npos) << r.err;
}

// Decoders, dependent models and the overlay: bad settings are one-line errors naming them.
TEST_F(CliErrors, UnknownDecoderListsTheKnownOnes) {
  expect_one_line_error(run_cli(run_args(kVideo, zoo_ + ":decode=yolo")),
                        {2, {"yolo", "classify", "blazeface", "ppocr-det"}});
}

TEST_F(CliErrors, BadDecoderOption) {
  expect_one_line_error(run_cli(run_args(kVideo, zoo_ + ":decode=classify,topk=abc")),
                        {2, {"topk", "abc"}});
  expect_one_line_error(run_cli(run_args(kVideo, zoo_ + ":decode=classify,dict=x.txt")),
                        {2, {"classify", "dict"}});
}

TEST_F(CliErrors, DependentOnAnUnknownModel) {
  std::vector<std::string> args = run_args(kVideo, zoo_ + ":name=a");
  args.insert(args.end(), {"--model", zoo_ + ":name=b,on=nobody"});
  expect_one_line_error(run_cli(args), {2, {"model 'b'", "on='nobody'", "a"}});
}

TEST_F(CliErrors, DependentOnAModelWithoutRegions) {
  std::vector<std::string> args = run_args(kVideo, zoo_ + ":name=a,decode=classify");
  args.insert(args.end(), {"--model", zoo_ + ":name=b,on=a"});
  expect_one_line_error(run_cli(args), {2, {"model 'b'", "yields no regions"}});
}

TEST_F(CliErrors, GraphUnderProcessesNamesTheStrategiesThatCan) {
  std::vector<std::string> args = {
      "run",        "--video",  kVideo,     "--frames",
      "2",          "-q",       "--config", std::string(kConfigs) + "/ocr.yaml",
      "--strategy", "processes"};
  expect_one_line_error(run_cli(args), {2, {"--strategy", "processes", "pipeline"}});
}

TEST_F(CliErrors, OverlayWithAnUnknownExtension) {
  std::vector<std::string> args = run_args(kVideo, zoo_);
  args.insert(args.end(), {"--overlay", (dir_ / "x.gif").string()});
  expect_one_line_error(run_cli(args), {2, {"--overlay", "x.gif", ".mp4 or .avi"}});
}

TEST_F(CliErrors, OverlayInAMissingFolder) {
  std::vector<std::string> args = run_args(kVideo, zoo_);
  args.insert(args.end(), {"--overlay", (dir_ / "no" / "x.mp4").string()});
  expect_one_line_error(run_cli(args), {5, {"--overlay", "x.mp4"}});
}

// The overlay holds every frame run, and replaces an existing file only when the run succeeds;
// no temporary file is left either way.
TEST_F(CliErrors, OverlayIsWholeOrUntouched) {
  const fs::path out = dir_ / "faces.avi";
  std::vector<std::string> args = {
      "run",       "--video",   kMegamind, "--frames", "10",
      "--batch",   "4",         "-q",      "--config", std::string(kConfigs) + "/blazeface.yaml",
      "--overlay", out.string()};
  CommandResult ok = run_cli(args);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  cv::VideoCapture cap(out.string());
  ASSERT_TRUE(cap.isOpened());
  int frames = 0;
  for (cv::Mat f; cap.read(f);) {
    EXPECT_EQ(f.cols, 720);
    ++frames;
  }
  EXPECT_EQ(frames, 10);
  const auto size = fs::file_size(out);
  // A failing run (a model that cannot load) leaves the previous overlay as it was.
  args.insert(args.end(), {"--model", (dir_ / "missing.onnx").string()});
  CommandResult bad = run_cli(args);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(fs::file_size(out), size);
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().find(".part-"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace mvinfer::testing
