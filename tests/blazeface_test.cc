// BlazeFace (the 256x256 "back" model of configs/blazeface.yaml) end to end on Megamind.avi: it
// finds the faces, and its boxes and keypoints follow the frame's content when that is shifted
// inside a canvas or resized (which the letterbox mapping back to frame pixels has to get right).
// Also: a fixed-batch model run with a larger --batch, NHWC read from the input's shape, and
// interval= in a graph of two models, through the library and through the CLI.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/core/job.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

std::string back_model() {
  return std::string(kModelsDir) + "/face_detection_back_256x256_barracuda.onnx";
}
std::string front_model() {
  return std::string(kModelsDir) + "/face_detection_front_128x128_barracuda.onnx";
}
std::vector<ModelSpec> face_config() {
  return load_model_config(std::string(kConfigs) + "/blazeface.yaml");
}
// The config's settings on the command line.
std::string face_arg(const std::string& path, const std::string& name,
                     const std::string& extra = "") {
  return path + ":name=" + name +
         ",resize=letterbox,color=rgb,scale=0.00784313725,mean=1,std=1,decode=blazeface" + extra;
}

struct FaceRun {
  std::vector<ModelSpec> specs;
  CollectingSink sink;
};

// Runs `specs` over the first `frames` frames of `video` (serial strategy).
std::unique_ptr<FaceRun> run_models(std::vector<ModelSpec> specs, const std::string& video,
                                    int64_t frames, int batch) {
  auto r = std::make_unique<FaceRun>();
  r->specs = std::move(specs);
  BatchingOptions b;
  b.batch = batch;
  resolve_models(r->specs, b, 0, 0, video);
  auto source = open_frame_source(video, frames);
  Batcher batcher(*source, r->specs, b);
  ProfileObserver profile;
  make_strategy("serial", StrategyOptions{})->run(batcher, r->specs, r->sink, profile);
  return r;
}

size_t index_of(const FaceRun& r, const std::string& name) {
  for (size_t i = 0; i < r.specs.size(); ++i)
    if (r.specs[i].name == name) return i;
  throw std::runtime_error("no model " + name);
}

// Model `name`'s predictions by frame index.
std::map<int64_t, Prediction> by_frame(const FaceRun& r, const std::string& name) {
  const size_t m = index_of(r, name);
  std::map<int64_t, Prediction> out;
  for (const auto& e : r.sink.entries()) {
    if (e.model != m) continue;
    for (size_t k = 0; k < e.result.predictions.size(); ++k)
      out[e.frames[e.result.rows[k]].index] = e.result.predictions[k];
  }
  return out;
}

const Detection* best(const Prediction& p) {
  const Detection* b = nullptr;
  for (const Detection& d : p.detections)
    if (!b || d.score > b->score) b = &d;
  return b;
}

// The first `count` frames of Megamind.avi.
std::vector<cv::Mat> megamind_frames(int count) {
  std::vector<cv::Mat> out;
  auto src = open_frame_source(kMegamind, count);
  Frame f;
  while (src->next(f)) out.push_back(f.image.clone());
  return out;
}

// Writes `images` as 0000.png, 0001.png, ... into a fresh folder (a frame source).
fs::path write_folder(const std::string& tag, const std::vector<cv::Mat>& images) {
  const fs::path dir = scratch_dir(tag);
  for (size_t i = 0; i < images.size(); ++i)
    cv::imwrite((dir / fmt::format("{:04d}.png", i)).string(), images[i]);
  return dir;
}

// The faces found in each image of `images`, through configs/blazeface.yaml.
std::vector<Prediction> faces_in(const std::string& tag, const std::vector<cv::Mat>& images) {
  const fs::path dir = write_folder(tag, images);
  const auto run = run_models(face_config(), dir.string(), -1, 2);
  const auto faces = by_frame(*run, "face");
  std::vector<Prediction> out;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto it = faces.find(static_cast<int64_t>(i));
    if (it == faces.end() || it->second.detections.empty())
      throw std::runtime_error(fmt::format("{}: no face in image {}", tag, i));
    out.push_back(it->second);
  }
  return out;
}

// The points compared: the box's corners, then the keypoints.
std::vector<Point> points(const Detection& d) {
  const auto b = d.box();
  std::vector<Point> p{{b[0], b[1]}, {b[2], b[3]}};
  p.insert(p.end(), d.keypoints.begin(), d.keypoints.end());
  return p;
}

// The largest distance along x or y between `got` and `want` transformed (x * s + dx,
// y * s + dy), point by point.
double max_error(const Detection& got, const Detection& want, double s, double dx, double dy) {
  const auto g = points(got), w = points(want);
  if (g.size() != w.size()) return 1e9;
  double e = 0;
  for (size_t k = 0; k < g.size(); ++k)
    e = std::max({e, std::abs(g[k].x - (w[k].x * s + dx)), std::abs(g[k].y - (w[k].y * s + dy))});
  return e;
}

double box_size(const Detection& d) {
  const auto b = d.box();
  return std::max(b[2] - b[0], b[3] - b[1]);
}

// The face of `p` nearest to `want` transformed (x * s + dx, y * s + dy): the same face, where
// an image shows two with similar scores.
const Detection& same_face(const Prediction& p, const Detection& want, double s, double dx,
                           double dy) {
  const Detection* b = &p.detections.at(0);
  for (const Detection& d : p.detections)
    if (max_error(d, want, s, dx, dy) < max_error(*b, want, s, dx, dy)) b = &d;
  return *b;
}

// Frames of Megamind.avi with two faces, the larger one the best (FindsFacesOnMegamind checks
// that they have faces).
constexpr int kFaceFrames[] = {10, 20, 30, 40};
std::vector<cv::Mat> face_frames() {
  const std::vector<cv::Mat> all = megamind_frames(41);
  std::vector<cv::Mat> out;
  for (int i : kFaceFrames) out.push_back(all[static_cast<size_t>(i)]);
  return out;
}

TEST(BlazeFace, FindsFacesOnMegamind) {
  const int frames = 60;
  const auto run = run_models(face_config(), kMegamind, frames, 4);
  const auto faces = by_frame(*run, "face");
  ASSERT_EQ(faces.size(), static_cast<size_t>(frames));
  int with_face = 0;
  for (const auto& [index, p] : faces) {
    if (!p.detections.empty()) ++with_face;
    for (const Detection& d : p.detections) {
      EXPECT_GE(d.score, 0.5f);
      const auto b = d.box();
      EXPECT_GE(b[0], 0.0f) << "frame " << index;
      EXPECT_GE(b[1], 0.0f) << "frame " << index;
      EXPECT_LE(b[2], 720.0f) << "frame " << index;
      EXPECT_LE(b[3], 528.0f) << "frame " << index;
      EXPECT_GT(b[2] - b[0], 10.0f) << "frame " << index;
      EXPECT_GT(b[3] - b[1], 10.0f) << "frame " << index;
      // Eyes, nose and mouth inside the box; ears on its sides (near it).
      ASSERT_EQ(d.keypoints.size(), 6u) << "frame " << index;
      const float mx = 0.25f * (b[2] - b[0]), my = 0.25f * (b[3] - b[1]);
      for (size_t k = 0; k < 6; ++k) {
        const float m = k < 4 ? 0.0f : 1.0f;
        EXPECT_GE(d.keypoints[k].x, b[0] - m * mx) << "frame " << index << " keypoint " << k;
        EXPECT_LE(d.keypoints[k].x, b[2] + m * mx) << "frame " << index << " keypoint " << k;
        EXPECT_GE(d.keypoints[k].y, b[1] - m * my) << "frame " << index << " keypoint " << k;
        EXPECT_LE(d.keypoints[k].y, b[3] + m * my) << "frame " << index << " keypoint " << k;
      }
      // The eyes above the mouth; the right eye (the person's) on the image's left.
      EXPECT_LT(d.keypoints[0].y, d.keypoints[3].y) << "frame " << index;
      EXPECT_LT(d.keypoints[1].y, d.keypoints[3].y) << "frame " << index;
      EXPECT_LT(d.keypoints[0].x, d.keypoints[1].x) << "frame " << index;
    }
  }
  EXPECT_GE(with_face, frames * 8 / 10) << with_face << " of " << frames << " frames with a face";
  for (int i : kFaceFrames) EXPECT_FALSE(faces.at(i).detections.empty()) << "frame " << i;
  // Frame 10, where they are, located by eye: the woman's face (in x 250..385, y 215..350) with
  // her pupils at (310, 256) and (362, 260), and the man's behind her (x 425..497, y 197..270).
  const Prediction& f10 = faces.at(10);
  ASSERT_EQ(f10.detections.size(), 2u);
  const Detection& woman = *best(f10);
  const auto b = woman.box();
  EXPECT_NEAR(b[0], 250, 10);
  EXPECT_NEAR(b[1], 215, 10);
  EXPECT_NEAR(b[2], 385, 10);
  EXPECT_NEAR(b[3], 350, 10);
  EXPECT_NEAR(woman.keypoints[0].x, 310, 5);
  EXPECT_NEAR(woman.keypoints[0].y, 256, 5);
  EXPECT_NEAR(woman.keypoints[1].x, 362, 5);
  EXPECT_NEAR(woman.keypoints[1].y, 260, 5);
  const Detection& man = &f10.detections[0] == &woman ? f10.detections[1] : f10.detections[0];
  const auto m = man.box();
  EXPECT_NEAR((m[0] + m[2]) / 2, 461, 10);
  EXPECT_NEAR((m[1] + m[3]) / 2, 233, 10);
  EXPECT_NEAR(m[2] - m[0], 72, 10);
}

TEST(BlazeFace, ShiftingTheContentShiftsBoxAndKeypoints) {
  // Each frame in a black canvas about 1.4 times its size, at three places. The canvases are
  // 1024 wide, so the letterbox scale is exactly 1/4. The two wide ones (1024x768) have the same
  // letterbox (32 px of padding above and below the 256x192 image); the square one (1024x1024)
  // none, so a wrong letterbox offset shows too.
  //
  // The shifts move the content by whole cells of the model's finest anchor grid (16 input px =
  // 64 canvas px): the network's outputs follow such shifts to within a fraction of a pixel, but
  // not shifts within a cell. Measured on these frames: a shift by a quarter, half or three
  // quarters of a cell (16, 32, 48 canvas px) moves box corners and keypoints by up to 7 canvas
  // px (1.75 input px) more or less than the shift, periodically in the cell (the box's width
  // changes too, which no mapping of coordinates can do: it is the model's response); whole
  // cells: within 1.6 px.
  const std::vector<cv::Mat> frames = face_frames();
  struct Place {
    cv::Size canvas;
    int dx, dy;
  };
  const std::vector<Place> places = {
      {{1024, 768}, 64, 64}, {{1024, 768}, 256, 192}, {{1024, 1024}, 128, 448}};
  std::vector<std::vector<Prediction>> found;
  for (size_t p = 0; p < places.size(); ++p) {
    std::vector<cv::Mat> canvases;
    for (const cv::Mat& f : frames) {
      cv::Mat c(places[p].canvas, CV_8UC3, cv::Scalar::all(0));
      f.copyTo(c(cv::Rect(places[p].dx, places[p].dy, f.cols, f.rows)));
      canvases.push_back(c);
    }
    found.push_back(faces_in(fmt::format("face_shift{}", p), canvases));
  }
  for (size_t p = 1; p < places.size(); ++p)
    for (size_t i = 0; i < frames.size(); ++i) {
      const Detection& want = *best(found[0][i]);
      const double dx = places[p].dx - places[0].dx, dy = places[p].dy - places[0].dy;
      const double e = max_error(same_face(found[p][i], want, 1, dx, dy), want, 1, dx, dy);
      std::printf("shift (%.0f, %.0f) in %dx%d, image %zu: max error %.2f px (box %.0f px)\n", dx,
                  dy, places[p].canvas.width, places[p].canvas.height, i, e, box_size(want));
      EXPECT_LE(e, 2.0) << "place " << p << ", image " << i;
    }
}

// The letterbox gives the model the same 256x256 picture at every scale (up to resampling), so
// this checks the mapping's scale and whatever it does in frame pixels (padding removed after
// scaling, clipping to the frame); an error made in input pixels scales with the frame and
// shows in the shift test and on the known faces of frame 10 instead.
TEST(BlazeFace, ResizingTheFrameScalesBoxAndKeypoints) {
  const std::vector<cv::Mat> frames = face_frames();
  const std::vector<Prediction> plain = faces_in("face_scale1", frames);
  for (double s : {0.75, 1.5}) {
    std::vector<cv::Mat> resized;
    for (const cv::Mat& f : frames) {
      cv::Mat r;
      cv::resize(f, r, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      resized.push_back(r);
    }
    const std::vector<Prediction> got = faces_in(fmt::format("face_scale{}", s), resized);
    for (size_t i = 0; i < frames.size(); ++i) {
      const Detection& want = *best(plain[i]);
      const double e = max_error(same_face(got[i], want, s, 0, 0), want, s, 0, 0);
      const double size = box_size(want) * s;
      std::printf("scale %.2f, image %zu: max error %.2f px (box %.0f px, %.2f%%)\n", s, i, e, size,
                  100 * e / size);
      EXPECT_LE(e, std::max(2.0, 0.02 * size)) << "scale " << s << ", image " << i;
    }
  }
}

TEST(BlazeFace, FixedBatchOfOneRunsAnyBatchWithTheSameResults) {
  const auto one = run_models(face_config(), kMegamind, 10, 1);
  const auto four = run_models(face_config(), kMegamind, 10, 4);
  ASSERT_EQ(four->specs[0].model_batch, 1);
  ASSERT_EQ(four->sink.entries().size(), 3u);  // 4 + 4 + 2 frames
  // Per frame: its row of every output, and its prediction.
  auto rows = [](const FaceRun& r) {
    std::map<int64_t, std::vector<std::vector<float>>> out;
    for (const auto& e : r.sink.entries())
      for (size_t k = 0; k < e.result.rows.size(); ++k) {
        const int64_t frame = e.frames[e.result.rows[k]].index;
        for (const Tensor& t : e.outputs) {
          EXPECT_GE(t.shape[0], static_cast<int64_t>(e.result.rows.size()));
          const size_t n = t.data.size() / static_cast<size_t>(t.shape[0]);
          const auto begin = t.data.begin() + static_cast<std::ptrdiff_t>(e.result.rows[k] * n);
          out[frame].emplace_back(begin, begin + static_cast<std::ptrdiff_t>(n));
        }
      }
    return out;
  };
  const auto a = rows(*one), b = rows(*four);
  ASSERT_EQ(a.size(), 10u);
  EXPECT_TRUE(a == b) << "raw outputs differ between --batch 1 and --batch 4";
  const auto pa = by_frame(*one, "face"), pb = by_frame(*four, "face");
  ASSERT_EQ(pa.size(), 10u);
  ASSERT_EQ(pb.size(), 10u);
  int faces = 0;
  for (const auto& [frame, p] : pa) {
    const Prediction& q = pb.at(frame);
    ASSERT_EQ(p.detections.size(), q.detections.size()) << "frame " << frame;
    for (size_t d = 0; d < p.detections.size(); ++d) {
      EXPECT_EQ(p.detections[d].polygon, q.detections[d].polygon) << "frame " << frame;
      EXPECT_EQ(p.detections[d].keypoints, q.detections[d].keypoints) << "frame " << frame;
      EXPECT_EQ(p.detections[d].score, q.detections[d].score) << "frame " << frame;
      ++faces;
    }
  }
  EXPECT_GE(faces, 8);
}

TEST(BlazeFace, NhwcIsReadFromTheShapeAndAnExplicitLayoutWins) {
  ModelSpec spec = parse_model_arg(back_model());
  resolve_model_spec(spec, 4);
  EXPECT_EQ(spec.preprocess.layout, Layout::nhwc);
  EXPECT_EQ(spec.preprocess.width, 256);
  EXPECT_EQ(spec.preprocess.height, 256);
  EXPECT_EQ(spec.model_batch, 1);
  EXPECT_EQ(spec.input.shape, (std::vector<int64_t>{1, 256, 256, 3}));

  ModelSpec nchw = parse_model_arg(back_model() + ":layout=nchw");
  EXPECT_TRUE(nchw.layout_given);
  try {
    resolve_model_spec(nchw, 1);
    FAIL() << "layout=nchw accepted for a 1x256x256x3 input";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_model) << e.what();
    EXPECT_NE(std::string(e.what()).find("face_detection_back_256x256_barracuda"),
              std::string::npos)
        << e.what();
  }
}

TEST(BlazeFace, IntervalRunsTheModelOnEveryNthFrameOnly) {
  const auto face = [](const std::string& extra) {
    return parse_model_arg(face_arg(back_model(), "face", extra));
  };
  const ModelSpec front = parse_model_arg(face_arg(front_model(), "front"));
  const auto every3 = run_models({face(",interval=3"), front}, kMegamind, 12, 4);
  const auto every1 = run_models({face("")}, kMegamind, 12, 4);
  const size_t fi = index_of(*every3, "face"), ri = index_of(*every3, "front");
  EXPECT_EQ(every3->specs[fi].interval, 3);
  std::vector<int64_t> face_frames, front_frames;
  for (const auto& e : every3->sink.entries()) {
    std::vector<int64_t> seen;
    for (size_t r : e.result.frames) seen.push_back(e.frames[r].index);
    ASSERT_EQ(e.result.rows, e.result.frames);
    ASSERT_EQ(e.result.predictions.size(), e.result.rows.size());
    if (e.model == fi) face_frames.insert(face_frames.end(), seen.begin(), seen.end());
    if (e.model == ri) front_frames.insert(front_frames.end(), seen.begin(), seen.end());
  }
  EXPECT_EQ(face_frames, (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(front_frames, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  // The frames face ran on: the same predictions as a run on every frame.
  const auto p3 = by_frame(*every3, "face"), p1 = by_frame(*every1, "face");
  ASSERT_EQ(p3.size(), 4u);
  int faces = 0;
  for (const auto& [frame, p] : p3) {
    const Prediction& q = p1.at(frame);
    ASSERT_EQ(p.detections.size(), q.detections.size()) << "frame " << frame;
    for (size_t d = 0; d < p.detections.size(); ++d) {
      EXPECT_EQ(p.detections[d].polygon, q.detections[d].polygon) << "frame " << frame;
      EXPECT_EQ(p.detections[d].keypoints, q.detections[d].keypoints) << "frame " << frame;
      ++faces;
    }
  }
  EXPECT_GE(faces, 3);
  EXPECT_EQ(by_frame(*every3, "front").size(), 12u);
}

TEST(BlazeFace, IntervalThroughTheCli) {
  const fs::path out = scratch_dir("face_interval_cli") / "out.jsonl";
  const CommandResult r =
      run_cli({"run", "--video", kMegamind, "--frames", "12", "--batch", "4", "--strategy",
               "serial", "--model", face_arg(back_model(), "face", ",interval=3"), "--model",
               face_arg(front_model(), "front"), "--out", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<int64_t> face_frames, face_results, front_frames;
  for (const std::string& line : read_lines(out)) {
    const auto j = nlohmann::json::parse(line);
    const auto frames = j.at("frames").get<std::vector<int64_t>>();
    if (j.at("model") == "face") {
      face_frames.insert(face_frames.end(), frames.begin(), frames.end());
      for (const auto& res : j.at("results"))
        face_results.push_back(res.at("frame").get<int64_t>());
    } else {
      EXPECT_EQ(j.at("model"), "front");
      front_frames.insert(front_frames.end(), frames.begin(), frames.end());
    }
  }
  EXPECT_EQ(face_frames, (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(face_results, (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(front_frames, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

}  // namespace
}  // namespace mvinfer::testing
