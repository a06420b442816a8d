// `mvinfer run` end to end on real data: vtest.avi, zoo models and the PaddleOCR classifier.
// Every output is checked against a direct ONNX Runtime call on an independently built input.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "mvinfer/io/preprocess.h"
#include "npy.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Frames [first, first+n) of vtest.avi, decoded with OpenCV directly.
std::vector<cv::Mat> read_frames(int n) {
  cv::VideoCapture cap(kVideo);
  std::vector<cv::Mat> frames;
  for (cv::Mat f; static_cast<int>(frames.size()) < n && cap.read(f);) frames.push_back(f.clone());
  return frames;
}

// N x 3 x H x W input built with a plain per-pixel loop (independent of mvinfer's batching).
std::vector<float> reference_input(const std::vector<cv::Mat>& frames, int w, int h, bool bgr,
                                   float mean, float std) {
  std::vector<float> out;
  for (const cv::Mat& f : frames) {
    cv::Mat r;
    cv::resize(f, r, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          float v = r.at<cv::Vec3b>(y, x)[bgr ? c : 2 - c];
          out.push_back((v * (1.0f / 255.0f) - mean) / std);
        }
  }
  return out;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4f + 1e-4f * std::fabs(want[i])) << what << " element " << i;
}

TEST(RunCommand, OutputsEqualDirectOnnxRuntimeCalls) {
  fs::path dir = scratch_dir("run");
  std::vector<std::string> zoo = small_zoo(dir / "zoo", 2, 64);
  fs::path out = dir / "results.jsonl", tensors = dir / "tensors";
  std::string cls = cls_model() + ":name=cls,size=192x48,color=bgr,mean=0.5,std=0.5";
  CommandResult r =
      run_cli({"run",     "--video",    kVideo,           "--frames",       "10",
               "--batch", "4",          "--size",         "64x64",          "--model",
               zoo[0],    "--model",    zoo[1],           "--model",        cls,
               "--out",   out.string(), "--save-tensors", tensors.string(), "--intra-threads",
               "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("10 frames"), std::string::npos) << r.err;

  // 10 frames in batches of 4: 3 batches (4, 4, 2) x 3 models, one line each, in frame order.
  std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 9u);
  const char* names[] = {"zoo0", "zoo1", "cls"};
  std::vector<cv::Mat> frames = read_frames(10);
  for (size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i]);
    const int b = static_cast<int>(i / 3), m = static_cast<int>(i % 3);
    const int n = b < 2 ? 4 : 2;
    EXPECT_EQ(j["batch"], b);
    EXPECT_EQ(j["model"], names[m]);
    ASSERT_EQ(j["frames"].size(), static_cast<size_t>(n));
    EXPECT_EQ(j["frames"][0], b * 4);
    ASSERT_EQ(j["timestamps_ms"].size(), static_cast<size_t>(n));
    ASSERT_EQ(j["outputs"].size(), 1u);
    const json& o = j["outputs"][0];
    const int classes = m < 2 ? 10 : 2;
    EXPECT_EQ(o["shape"], json::array({n, classes}));
    ASSERT_EQ(o["argmax"].size(), static_cast<size_t>(n));
    ASSERT_EQ(o["top5"][0].size(), static_cast<size_t>(std::min(5, classes)));

    // The full output (saved as .npy) equals a direct ONNX Runtime call on the same frames.
    std::vector<cv::Mat> batch(frames.begin() + b * 4, frames.begin() + b * 4 + n);
    const bool is_cls = m == 2;
    const int w = is_cls ? 192 : 64, h = is_cls ? 48 : 64;
    std::vector<float> input =
        reference_input(batch, w, h, is_cls, is_cls ? 0.5f : 0.0f, is_cls ? 0.5f : 1.0f);
    DirectRun direct =
        direct_onnx_run(is_cls ? cls_model() : zoo[static_cast<size_t>(m)], input, {n, 3, h, w});
    const std::vector<int64_t>& shape = direct.shape;
    const std::vector<float>& want = direct.data;
    std::string npy = o["name"].get<std::string>();
    Tensor got = read_npy((tensors / names[m] / fmt::format("s0_b{:06d}_{}.npy", b, npy)).string());
    EXPECT_EQ(got.shape, shape);
    expect_close(got.data, want, lines[i].substr(0, 60));
    // The summary's argmax agrees with the full output.
    for (int row = 0; row < n; ++row) {
      auto first = want.begin() + row * classes;
      EXPECT_EQ(o["argmax"][row], std::max_element(first, first + classes) - first);
    }
  }
}

TEST(RunCommand, ReplicateRepeatsOneFrame) {
  fs::path dir = scratch_dir("rep");
  std::vector<std::string> zoo = small_zoo(dir / "zoo", 1, 64);
  fs::path out = dir / "r.jsonl";
  CommandResult r =
      run_cli({"run", "--video", kVideo, "--frames", "3", "--batch", "4", "--replicate", "--size",
               "64x64", "--model", zoo[0], "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    json j = json::parse(lines[i]);
    EXPECT_EQ(j["frames"], json::array({i}));
    EXPECT_EQ(j["outputs"][0]["shape"], json::array({4, 10}));
    // Four copies of one frame give four identical rows.
    json argmax = j["outputs"][0]["argmax"];
    EXPECT_EQ(argmax[0], argmax[3]);
    EXPECT_EQ(j["outputs"][0]["top5"][0], j["outputs"][0]["top5"][3]);
  }
}

TEST(RunCommand, ConfigFileGivesPerModelSettings) {
  fs::path dir = scratch_dir("cfg");
  std::vector<std::string> zoo = small_zoo(dir / "zoo", 1, 64);
  fs::path cfg = dir / "models.yaml";
  std::ofstream(cfg) << "models:\n  - path: zoo/zoo0.onnx\n    name: first\n    size: [64, 64]\n"
                        "  - path: "
                     << cls_model()
                     << "\n    size: 192x48\n    color: bgr\n    mean: [0.5, 0.5, 0.5]\n"
                        "    std: 0.5\n";
  fs::path out = dir / "r.jsonl";
  CommandResult r = run_cli(
      {"run", "--video", kVideo, "--frames", "2", "--config", cfg.string(), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(json::parse(lines[0])["model"], "first");
  EXPECT_EQ(json::parse(lines[1])["outputs"][0]["shape"], json::array({1, 2}));
}

}  // namespace
}  // namespace mvinfer::testing
