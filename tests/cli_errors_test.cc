// Bad input: each case exits non-zero with one line on stderr naming the culprit, never a
// crash, and never loses what was already written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

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
  expect_one_line_error(run_cli(run_args(kVideo, m)), {4, {m}});
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
  expect_one_line_error(run_cli(a), {5, {out}});
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
  // An image folder whose 7th image is corrupt: the first 3 batches of 2 are written, then the
  // run stops with an error naming that image.
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
                             "--batch", "2", "--out", out.string(), "-q"});
  expect_one_line_error(r, {3, {"f006.png"}});
  std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);  // throws on a torn line
    EXPECT_EQ(j["batch"], i);
  }
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
