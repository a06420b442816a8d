// Decoders and their building blocks against inputs whose answers were worked out by hand: a DB
// probability map with known rectangles, CTC sequences, BlazeFace anchors and a synthetic
// detection through a letterbox, classifier rows, the registry, and polygon crops.
#include "mvinfer/core/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>

#include "mvinfer/core/error.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

// Calls `fn`, expects Error{code} whose message contains every one of `parts`.
template <typename Fn>
void expect_error(Fn fn, ErrorCode code, std::vector<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << what << " / " << p;
  }
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

DecoderSpec spec(std::string name, std::map<std::string, std::string> options = {},
                 std::string base_dir = {}) {
  DecoderSpec s;
  s.name = std::move(name);
  s.options = std::move(options);
  s.base_dir = std::move(base_dir);
  return s;
}

Tensor tensor(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t;
  t.shape = std::move(shape);
  t.data = std::move(data);
  return t;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// ---- Small pieces ----

TEST(DecoderBasics, ToImageUndoesTheLetterbox) {
  InputMapping m;
  m.input_width = 128;
  m.input_height = 128;
  m.scale_x = m.scale_y = 0.2;
  m.pad_y = 16;
  m.image_width = 640;
  m.image_height = 480;
  const Point p = m.to_image(0.5f, 0.5f);  // input (64, 64) -> ((64 - 0) / 0.2, (64 - 16) / 0.2)
  EXPECT_FLOAT_EQ(p.x, 320);
  EXPECT_FLOAT_EQ(p.y, 240);
  const Point q = m.to_image(0, 0.125f);  // input (0, 16): the image's top-left corner
  EXPECT_FLOAT_EQ(q.x, 0);
  EXPECT_NEAR(q.y, 0, 1e-4);
}

TEST(DecoderBasics, BoxIsThePolygonBounds) {
  Detection d;
  d.polygon = {Point{3, 1}, Point{9, 2}, Point{8, 7}, Point{1, 5}};
  EXPECT_EQ(d.box(), (std::array<float, 4>{1, 1, 9, 7}));
}

TEST(DecoderBasics, ShapesWhoseSizeOverflowsAreRefused) {
  // Found by fuzz/decoder_fuzz.cc: the element count of such a shape overflowed int64 (undefined
  // behaviour, in practice a wrap to 0 that an empty tensor matched).
  EXPECT_EQ(Tensor::element_count({int64_t{1} << 32, int64_t{1} << 32}), -1);
  EXPECT_EQ(Tensor::element_count({2, -1}), -1);
  EXPECT_EQ(Tensor::element_count({}), 1);
  EXPECT_EQ(Tensor::element_count({3, 0, 5}), 0);
  const std::vector<Tensor> huge{tensor({int64_t{1} << 32, int64_t{1} << 32}, {})};
  for (const char* name : {"classify", "ppocr-cls", "ppocr-det"})
    expect_error(
        [&] {
          make_decoder(spec(name))->decode({huge, 0, {}});
        },
        ErrorCode::bad_model, {name, "4294967296x4294967296"});
}

TEST(DecoderBasics, SoftmaxIsStable) {
  const std::vector<float> x{1, 2, 3};
  const auto p = softmax(x);
  const float sum = 1 + std::exp(1.0f) + std::exp(2.0f);
  EXPECT_NEAR(p[0], 1 / sum, 1e-6);
  EXPECT_NEAR(p[2], std::exp(2.0f) / sum, 1e-6);
  const std::vector<float> big{1000, 1001};
  const auto q = softmax(big);
  EXPECT_NEAR(q[0], 1 / (1 + std::exp(1.0f)), 1e-6);
  EXPECT_NEAR(q[1], std::exp(1.0f) / (1 + std::exp(1.0f)), 1e-6);
}

TEST(DecoderBasics, ReadLinesStripsCarriageReturnsAndNamesTheOption) {
  const auto dir = scratch_dir("lines");
  write_file(dir / "l.txt", "one\r\ntwo\n\nfour\n");
  EXPECT_EQ(mvinfer::read_lines("labels", (dir / "l.txt").string()),
            (std::vector<std::string>{"one", "two", "", "four"}));
  expect_error([&] { mvinfer::read_lines("dict", (dir / "missing.txt").string()); },
               ErrorCode::bad_flag, {"dict", "missing.txt"});
  expect_error([&] { mvinfer::read_lines("labels", dir.string()); }, ErrorCode::bad_flag,
               {"labels", dir.string()});
}

// ---- DB boxes ----

// 64 x 96 map: an axis-aligned 0.9 rectangle, a rotated 0.9 one, a 0.5 one (below
// box_threshold 0.6) and a 2-px-thin 0.9 one (short side < 3).
cv::Mat db_map() {
  cv::Mat m = cv::Mat::zeros(64, 96, CV_32F);
  m(cv::Rect(10, 10, 30, 10)).setTo(0.9f);  // x 10..39, y 10..19
  cv::Point2f c[4];
  cv::RotatedRect({70, 40}, {30, 10}, 30).points(c);
  std::vector<cv::Point> poly;
  for (const auto& p : c) poly.emplace_back(cvRound(p.x), cvRound(p.y));
  cv::fillPoly(m, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(0.9));
  m(cv::Rect(10, 35, 20, 15)).setTo(0.5f);
  m(cv::Rect(10, 60, 30, 2)).setTo(0.9f);
  return m;
}

void expect_corners(const std::array<Point, 4>& got, const std::array<Point, 4>& want,
                    float tolerance) {
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(got[k].x, want[k].x, tolerance) << "corner " << k;
    EXPECT_NEAR(got[k].y, want[k].y, tolerance) << "corner " << k;
  }
}

TEST(DbBoxes, FindsTheRectanglesGrownByTheUnclipDistance) {
  const auto found = db_boxes(db_map(), DbOptions{});
  ASSERT_EQ(found.size(), 2u);  // the 0.5 and the thin rectangles are dropped
  const Detection& axis = found[0].box()[0] < found[1].box()[0] ? found[0] : found[1];
  const Detection& turned = &axis == &found[0] ? found[1] : found[0];

  // Axis-aligned: the contour runs through pixel centres 10..39 x 10..19, a 29 x 9 rectangle;
  // d = area * 1.5 / perimeter = 261 * 1.5 / 76.
  const float d = 29.0f * 9 * 1.5f / (2 * (29 + 9));
  expect_corners(
      axis.polygon,
      {Point{10 - d, 10 - d}, Point{39 + d, 10 - d}, Point{39 + d, 19 + d}, Point{10 - d, 19 + d}},
      0.01f);
  EXPECT_NEAR(axis.score, 0.9f, 1e-5);

  // Rotated 30 degrees (clockwise on screen), 30 x 10 around (70, 40): d = 300 * 1.5 / 80.
  // Corners centre -/+ a u -/+ b v, u = (cos 30, sin 30) along the long side, v across it.
  const float e = 30.0f * 10 * 1.5f / 80, a = 15 + e, b = 5 + e;
  const float cs = std::cos(static_cast<float>(CV_PI) / 6), sn = 0.5f;
  auto at = [&](float su, float sv) {
    return Point{70 + su * a * cs - sv * b * sn, 40 + su * a * sn + sv * b * cs};
  };
  expect_corners(turned.polygon, {at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)}, 1.5f);
  // Its score is a little below 0.9: the mask of the fitted rectangle (corners truncated to
  // whole pixels, as PaddleOCR does) takes in some of the zeros along the slanted edges.
  EXPECT_GT(turned.score, 0.8f);
  EXPECT_LE(turned.score, 0.9f + 1e-5f);
}

TEST(DbBoxes, ThresholdsDecideWhatIsKept) {
  DbOptions low;
  low.box_threshold = 0.4f;  // the 0.5 rectangle now passes
  EXPECT_EQ(db_boxes(db_map(), low).size(), 3u);
  DbOptions high;
  high.threshold = 0.95f;  // nothing is above the binarisation threshold
  EXPECT_TRUE(db_boxes(db_map(), high).empty());
  DbOptions one;
  one.max_candidates = 1;
  EXPECT_LE(db_boxes(db_map(), one).size(), 1u);

  // Short sides: with unclip_ratio 3 a 3-px band (contour 2 px high) would grow to about 8 px
  // and pass the second check (>= 5), so only the first one (>= 3 before unclipping) drops it;
  // a 4-px band (3 px high) is kept.
  DbOptions wide;
  wide.unclip_ratio = 3;
  cv::Mat band = cv::Mat::zeros(32, 64, CV_32F);
  band(cv::Rect(10, 10, 40, 3)).setTo(0.9f);
  EXPECT_TRUE(db_boxes(band, wide).empty());
  band(cv::Rect(10, 10, 40, 4)).setTo(0.9f);
  EXPECT_EQ(db_boxes(band, wide).size(), 1u);
}

TEST(PpocrDet, MapsToTheImageAndSortsInReadingOrder) {
  // Two rectangles on one line (the right one 3 px higher) and one below: reading order is
  // left, right, below. The map is the 96 x 64 input of a 192 x 128 image (plain resize, x2).
  cv::Mat m = cv::Mat::zeros(64, 96, CV_32F);
  m(cv::Rect(60, 10, 30, 10)).setTo(0.9f);  // right, y 10..19
  m(cv::Rect(10, 13, 30, 10)).setTo(0.9f);  // left, y 13..22
  m(cv::Rect(20, 40, 40, 10)).setTo(0.9f);  // below
  Tensor t = tensor({1, 1, 64, 96}, std::vector<float>(m.begin<float>(), m.end<float>()));
  const std::vector<Tensor> outputs{t};
  DecodeInput in{outputs, 0, {}};
  in.mapping = {96, 64, 0.5, 0.5, 0, 0, 192, 128};

  const auto dec = make_decoder(spec("ppocr-det"));
  ASSERT_TRUE(dec);
  EXPECT_TRUE(dec->yields_regions());
  const Prediction p = dec->decode(in);
  ASSERT_EQ(p.detections.size(), 3u);
  const float d = 29.0f * 9 * 1.5f / 76;
  // Left: map x 10-d .. 39+d, y 13-d .. 22+d, doubled.
  expect_corners(p.detections[0].polygon,
                 {Point{2 * (10 - d), 2 * (13 - d)}, Point{2 * (39 + d), 2 * (13 - d)},
                  Point{2 * (39 + d), 2 * (22 + d)}, Point{2 * (10 - d), 2 * (22 + d)}},
                 0.02f);
  EXPECT_NEAR(p.detections[1].polygon[0].x, 2 * (60 - d), 0.02f);  // right
  EXPECT_NEAR(p.detections[1].polygon[0].y, 2 * (10 - d), 0.02f);
  EXPECT_NEAR(p.detections[2].polygon[0].y, 2 * (40 - 39.0f * 9 * 1.5f / 96), 0.02f);  // below
  for (const auto& det : p.detections) EXPECT_NEAR(det.score, 0.9f, 1e-5);
}

TEST(PpocrDet, ClipsToTheImage) {
  // A rectangle at the map's left edge grows past it: clipped at x = 0.
  Tensor t = Tensor::zeros({1, 1, 32, 32});
  for (int y = 10; y < 20; ++y)
    for (int x = 0; x < 20; ++x) t.data[static_cast<size_t>(y * 32 + x)] = 0.9f;
  const std::vector<Tensor> outputs{t};
  DecodeInput in{outputs, 0, {32, 32, 1, 1, 0, 0, 32, 32}};
  const Prediction p = make_decoder(spec("ppocr-det"))->decode(in);
  ASSERT_EQ(p.detections.size(), 1u);
  EXPECT_EQ(p.detections[0].polygon[0].x, 0);
  EXPECT_EQ(p.detections[0].polygon[3].x, 0);
}

// ---- CTC ----

// Time steps whose most likely classes are `best`, with probability `p`; the rest share 1 - p.
std::vector<float> ctc_probs(const std::vector<int>& best, const std::vector<float>& p,
                             size_t classes) {
  std::vector<float> out;
  for (size_t t = 0; t < best.size(); ++t)
    for (size_t c = 0; c < classes; ++c)
      out.push_back(static_cast<int>(c) == best[t] ? p[t]
                                                   : (1 - p[t]) / static_cast<float>(classes - 1));
  return out;
}

TEST(CtcGreedy, CollapsesRepeatsDropsBlanksAndReadsTheSpace) {
  const std::vector<std::string> dict{"a", "b", "c"};
  // Classes: 0 blank, 1 a, 2 b, 3 c, 4 space.  a a _ a b b _ ' ' _ c  ->  "aab c"
  const std::vector<int> best{1, 1, 0, 1, 2, 2, 0, 4, 0, 3};
  const std::vector<float> p{0.9f, 0.8f, 0.7f, 0.6f, 0.9f, 0.5f, 0.9f, 0.8f, 0.9f, 0.7f};
  const auto [text, score] = ctc_greedy(ctc_probs(best, p, 5), 5, dict);
  EXPECT_EQ(text, "aab c");
  EXPECT_NEAR(score, (0.9f + 0.6f + 0.9f + 0.8f + 0.7f) / 5, 1e-6);  // the kept steps
}

TEST(CtcGreedy, AllBlanksReadNothing) {
  const std::vector<std::string> dict{"a", "b"};
  const auto [text, score] = ctc_greedy(ctc_probs({0, 0, 0}, {0.9f, 0.9f, 0.9f}, 3), 3, dict);
  EXPECT_EQ(text, "");
  EXPECT_EQ(score, 0);
}

TEST(PpocrRec, ReadsTheRowWithTheDictionary) {
  const auto dir = scratch_dir("rec");
  write_file(dir / "keys.txt", "x\ny\n");
  // Row 0 reads "y", row 1 "x y" (classes 0 blank, 1 x, 2 y, 3 space).
  std::vector<float> data = ctc_probs({2, 0, 0, 0}, {0.6f, 0.9f, 0.9f, 0.9f}, 4);
  const auto row1 = ctc_probs({1, 3, 2, 2}, {0.8f, 0.7f, 0.9f, 0.9f}, 4);
  data.insert(data.end(), row1.begin(), row1.end());
  const std::vector<Tensor> outputs{tensor({2, 4, 4}, data)};
  const auto dec = make_decoder(spec("ppocr-rec", {{"dict", "keys.txt"}}, dir.string()));
  const Prediction p = dec->decode({outputs, 1, {}});
  EXPECT_TRUE(p.has_text);
  EXPECT_EQ(p.text, "x y");
  EXPECT_NEAR(p.text_score, (0.8f + 0.7f + 0.9f) / 3, 1e-6);
  EXPECT_EQ(dec->decode({outputs, 0, {}}).text, "y");

  expect_error([] { make_decoder(spec("ppocr-rec")); }, ErrorCode::bad_flag, {"ppocr-rec", "dict"});
  // 6 classes cannot be read with 2 entries (3 or 4 expected).
  const std::vector<Tensor> wrong{Tensor::zeros({1, 2, 6})};
  expect_error([&] { dec->decode({wrong, 0, {}}); }, ErrorCode::bad_flag, {"dict", "6 classes"});
}

// ---- BlazeFace ----

TEST(BlazeFaceAnchors, CountAndCentres) {
  for (int size : {128, 256}) {
    const auto a = blazeface_anchors(size);
    ASSERT_EQ(a.size(), 896u) << size;
    // Both sizes have a 16 x 16 first layer (2 per cell) and an 8 x 8 second (6 per cell).
    EXPECT_EQ(a[0], (Point{0.5f / 16, 0.5f / 16}));
    EXPECT_EQ(a[1], (Point{0.5f / 16, 0.5f / 16}));
    EXPECT_EQ(a[2], (Point{1.5f / 16, 0.5f / 16}));
    EXPECT_EQ(a[2 * 16], (Point{0.5f / 16, 1.5f / 16}));  // next row
    EXPECT_EQ(a[511], (Point{15.5f / 16, 15.5f / 16}));
    EXPECT_EQ(a[512], (Point{0.5f / 8, 0.5f / 8}));
    EXPECT_EQ(a[517], (Point{0.5f / 8, 0.5f / 8}));
    EXPECT_EQ(a[518], (Point{1.5f / 8, 0.5f / 8}));
    EXPECT_EQ(a[512 + 6 * 8], (Point{0.5f / 8, 1.5f / 8}));
    EXPECT_EQ(a[895], (Point{7.5f / 8, 7.5f / 8}));
  }
}

TEST(WeightedNms, MergesOverlapsByScoreAndKeepsTheRest) {
  auto det = [](float x0, float x1, float score, Point kp) {
    Detection d;
    d.polygon = {Point{x0, 0}, Point{x1, 0}, Point{x1, 10}, Point{x0, 10}};
    d.score = score;
    d.keypoints = {kp};
    return d;
  };
  // IoU of [0,10] and [2,12] (height 10): 80 / 120 > 0.3; [50,60] overlaps neither.
  const auto out = weighted_nms(
      {det(2, 12, 0.25f, {4, 4}), det(50, 60, 0.5f, {55, 5}), det(0, 10, 0.75f, {0, 0})}, 0.3f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].score, 0.75f);
  EXPECT_FLOAT_EQ(out[0].polygon[0].x, 0.5f);   // 0.75 * 0 + 0.25 * 2
  EXPECT_FLOAT_EQ(out[0].polygon[1].x, 10.5f);  // 0.75 * 10 + 0.25 * 12
  EXPECT_FLOAT_EQ(out[0].keypoints[0].x, 1);
  EXPECT_FLOAT_EQ(out[0].keypoints[0].y, 1);
  EXPECT_FLOAT_EQ(out[1].score, 0.5f);
  EXPECT_FLOAT_EQ(out[1].polygon[0].x, 50);
  // With a threshold above their IoU nothing merges.
  EXPECT_EQ(weighted_nms({det(0, 10, 0.75f, {}), det(2, 12, 0.25f, {})}, 0.7f).size(), 2u);
}

// BlazeFace front-model outputs (scores 512 + 384, regressors 512 + 384) with every score at
// -10 logits except the anchors set by `set`.
struct FaceOutputs {
  std::vector<float> scores = std::vector<float>(896, -10.0f);
  std::vector<float> regs = std::vector<float>(896 * 16, 0.0f);
  void set(size_t anchor, float logit, std::vector<float> r) {
    scores[anchor] = logit;
    std::copy(r.begin(), r.end(), regs.begin() + static_cast<std::ptrdiff_t>(anchor * 16));
  }
  std::vector<Tensor> split() const {
    return {tensor({1, 512, 1}, {scores.begin(), scores.begin() + 512}),
            tensor({1, 384, 1}, {scores.begin() + 512, scores.end()}),
            tensor({1, 512, 16}, {regs.begin(), regs.begin() + 512 * 16}),
            tensor({1, 384, 16}, {regs.begin() + 512 * 16, regs.end()})};
  }
};

// 640 x 480 letterboxed into 128 x 128: scale 0.2, 96 rows of image from y = 16.
// Input (u, v) -> image (640 u, 640 v - 80).
constexpr InputMapping kLetterbox{128, 128, 0.2, 0.2, 0, 16, 640, 480};

TEST(BlazeFace, DecodesMergesAndClipsThroughTheLetterbox) {
  FaceOutputs f;
  // Anchor 680 = 512 + 6 * (3 * 8 + 4): cell (4, 3) of the 8 x 8 layer, centre (0.5625, 0.4375).
  // Box: centre + (6.4, -3.2) / 128 = (0.6125, 0.4125), size (32, 25.6) / 128 = (0.25, 0.2):
  // u 0.4875..0.7375, v 0.3125..0.5125 -> x 312..472, y 120..248.
  // Keypoint 0 at the anchor -> (360, 200); keypoint 1 + (12.8, -6.4) / 128 -> (424, 168).
  f.set(680, 2, {6.4f, -3.2f, 32, 25.6f, 0, 0, 12.8f, -6.4f});
  // The same cell's next anchor, 0.1 further right (x 376..536, IoU 96 / 224 with the first),
  // keypoint 0 also 0.05 further right (392, 200); score sigmoid(1).
  f.set(681, 1, {19.2f, -3.2f, 32, 25.6f, 6.4f, 0, 12.8f, -6.4f});
  // Anchor 608 = 512 + 6 * (2 * 8 + 0): centre (0.0625, 0.3125), size 0.2 x 0.2:
  // u -0.0375..0.1625, v 0.2125..0.4125 -> x -24..104 (clipped to 0), y 56..184.
  f.set(608, 3, {0, 0, 25.6f, 25.6f});
  const auto outputs = f.split();
  const auto dec = make_decoder(spec("blazeface"));
  ASSERT_TRUE(dec);
  EXPECT_TRUE(dec->yields_regions());
  const Prediction p = dec->decode({outputs, 0, kLetterbox});
  ASSERT_EQ(p.detections.size(), 2u);

  const Detection& far = p.detections[0];  // the best score first
  EXPECT_NEAR(far.score, sigmoid(3), 1e-6);
  expect_corners(far.polygon, {Point{0, 56}, Point{104, 56}, Point{104, 184}, Point{0, 184}},
                 1e-3f);

  const Detection& merged = p.detections[1];
  const float sa = sigmoid(2), sb = sigmoid(1);
  auto mean = [&](float a, float b) { return (sa * a + sb * b) / (sa + sb); };
  EXPECT_NEAR(merged.score, sa, 1e-6);
  expect_corners(merged.polygon,
                 {Point{mean(312, 376), 120}, Point{mean(472, 536), 120},
                  Point{mean(472, 536), 248}, Point{mean(312, 376), 248}},
                 1e-3f);
  ASSERT_EQ(merged.keypoints.size(), 6u);
  EXPECT_NEAR(merged.keypoints[0].x, mean(360, 392), 1e-3);
  EXPECT_NEAR(merged.keypoints[0].y, 200, 1e-3);
  EXPECT_NEAR(merged.keypoints[1].x, 424, 1e-3);
  EXPECT_NEAR(merged.keypoints[1].y, 168, 1e-3);
  EXPECT_NEAR(merged.keypoints[2].x, 360, 1e-3);  // both at their anchor
}

TEST(BlazeFace, OneAnchorAloneAndThePairedLayout) {
  FaceOutputs f;
  f.set(680, 2, {6.4f, -3.2f, 32, 25.6f, 0, 0, 12.8f, -6.4f});
  // The same numbers as one 896 x 1 + 896 x 16 pair.
  const std::vector<Tensor> paired{tensor({1, 896, 1}, f.scores), tensor({1, 896, 16}, f.regs)};
  for (const auto& outputs : {f.split(), paired}) {
    const Prediction p = make_decoder(spec("blazeface"))->decode({outputs, 0, kLetterbox});
    ASSERT_EQ(p.detections.size(), 1u);
    expect_corners(p.detections[0].polygon,
                   {Point{312, 120}, Point{472, 120}, Point{472, 248}, Point{312, 248}}, 1e-3f);
    EXPECT_NEAR(p.detections[0].keypoints[1].x, 424, 1e-3);
    EXPECT_NEAR(p.detections[0].keypoints[1].y, 168, 1e-3);
  }
  // A threshold above sigmoid(2) = 0.88 drops it.
  const auto strict = make_decoder(spec("blazeface", {{"threshold", "0.9"}}));
  EXPECT_TRUE(strict->decode({f.split(), 0, kLetterbox}).detections.empty());
}

TEST(BlazeFace, RefusesBadOptionsAndOutputs) {
  expect_error(
      [] {
        make_decoder(spec("blazeface", {{"threshold", "high"}}));
      },
      ErrorCode::bad_flag, {"blazeface", "threshold='high'"});
  expect_error(
      [] {
        make_decoder(spec("blazeface", {{"iou", "1.5"}}));
      },
      ErrorCode::bad_flag, {"blazeface", "iou"});
  expect_error(
      [] {
        make_decoder(spec("blazeface", {{"topk", "3"}}));
      },
      ErrorCode::bad_flag, {"blazeface", "'topk'", "threshold or iou"});
  const std::vector<Tensor> wrong{Tensor::zeros({1, 100, 1}), Tensor::zeros({1, 100, 16})};
  expect_error(
      [&] {
        make_decoder(spec("blazeface"))->decode({wrong, 0, kLetterbox});
      },
      ErrorCode::bad_model, {"blazeface", "896"});
}

// ---- Classifiers ----

TEST(Classify, SoftmaxTopKAndLabels) {
  const auto dir = scratch_dir("classify");
  write_file(dir / "labels.txt", "cat\ndog\r\nbird\n");  // 3 labels for 4 classes
  // Two rows of N x C x 1 x 1; row 1 is read.
  const std::vector<Tensor> outputs{tensor({2, 4, 1, 1}, {9, 9, 9, 9, 1, 2, 3, 0})};
  const auto dec =
      make_decoder(spec("classify", {{"labels", "labels.txt"}, {"topk", "3"}}, dir.string()));
  const Prediction p = dec->decode({outputs, 1, {}});
  const float sum = std::exp(1.0f) + std::exp(2.0f) + std::exp(3.0f) + 1;
  ASSERT_EQ(p.top.size(), 3u);
  EXPECT_EQ(p.top[0].index, 2);
  EXPECT_EQ(p.top[0].label, "bird");
  EXPECT_NEAR(p.top[0].score, std::exp(3.0f) / sum, 1e-6);
  EXPECT_EQ(p.top[1].index, 1);
  EXPECT_EQ(p.top[1].label, "dog");
  EXPECT_NEAR(p.top[1].score, std::exp(2.0f) / sum, 1e-6);
  EXPECT_EQ(p.top[2].index, 0);
  EXPECT_EQ(p.top[2].label, "cat");

  // Index 3 has no label; topk beyond C gives C.
  const auto all = make_decoder(spec(
      "classify", {{"labels", (dir / "labels.txt").string()}, {"topk", "10"}, {"softmax", "no"}}));
  const Prediction q = all->decode({outputs, 1, {}});
  ASSERT_EQ(q.top.size(), 4u);
  EXPECT_EQ(q.top[3].index, 3);
  EXPECT_EQ(q.top[3].label, "");
  EXPECT_EQ(q.top[0].score, 3);  // raw values with softmax=no
}

TEST(Classify, ProbabilityRowsPassThroughInAutoMode) {
  const std::vector<Tensor> outputs{tensor({1, 4}, {0.25f, 0.25f, 0.2f, 0.3f})};
  const Prediction p = make_decoder(spec("classify"))->decode({outputs, 0, {}});
  ASSERT_EQ(p.top.size(), 4u);
  EXPECT_EQ(p.top[0].score, 0.3f);  // untouched
  EXPECT_EQ(p.top[1].index, 0);     // ties by index
  EXPECT_EQ(p.top[2].index, 1);
  EXPECT_EQ(p.top[3].score, 0.2f);
  // softmax=yes applies it anyway.
  const Prediction q =
      make_decoder(spec("classify", {{"softmax", "yes"}}))->decode({outputs, 0, {}});
  EXPECT_NEAR(q.top[0].score, softmax(outputs[0].data)[3], 1e-7);
  EXPECT_LT(q.top[0].score, 0.3f);
  // A row that does not sum to 1 is not a probability vector.
  const std::vector<Tensor> logits{tensor({1, 2}, {0.5f, 0.6f})};
  EXPECT_NEAR(make_decoder(spec("classify"))->decode({logits, 0, {}}).top[0].score,
              1 / (1 + std::exp(-0.1f)), 1e-6);
}

TEST(Classify, RefusesBadOptions) {
  expect_error(
      [] {
        make_decoder(spec("classify", {{"topk", "abc"}}));
      },
      ErrorCode::bad_flag, {"decode classify", "topk='abc'", "positive integer"});
  expect_error(
      [] {
        make_decoder(spec("classify", {{"topk", "0"}}));
      },
      ErrorCode::bad_flag, {"topk='0'"});
  expect_error(
      [] {
        make_decoder(spec("classify", {{"softmax", "maybe"}}));
      },
      ErrorCode::bad_flag, {"softmax='maybe'", "auto, yes or no"});
  expect_error(
      [] {
        make_decoder(spec("classify", {{"colour", "red"}}));
      },
      ErrorCode::bad_flag, {"classify", "'colour'", "labels, topk or softmax"});
  expect_error(
      [] {
        make_decoder(spec("classify", {{"labels", "/no/such/labels.txt"}}));
      },
      ErrorCode::bad_flag, {"labels", "/no/such/labels.txt"});
  const std::vector<Tensor> wrong{Tensor::zeros({1, 4, 2})};
  expect_error(
      [&] {
        make_decoder(spec("classify"))->decode({wrong, 0, {}});
      },
      ErrorCode::bad_model, {"classify", "1x4x2"});
}

TEST(PpocrCls, AngleNeedsTheUpsideDownClassAboveTheThreshold) {
  const std::vector<Tensor> outputs{tensor({3, 2}, {0.05f, 0.95f, 0.15f, 0.85f, 0.7f, 0.3f})};
  const auto dec = make_decoder(spec("ppocr-cls"));
  EXPECT_TRUE(dec->passes_regions());
  EXPECT_FALSE(dec->yields_regions());
  const Prediction a = dec->decode({outputs, 0, {}});
  EXPECT_EQ(a.angle, 180);
  ASSERT_EQ(a.top.size(), 1u);
  EXPECT_EQ(a.top[0].index, 1);
  EXPECT_EQ(a.top[0].label, "180");
  EXPECT_FLOAT_EQ(a.top[0].score, 0.95f);
  const Prediction b = dec->decode({outputs, 1, {}});  // 180 is best but 0.85 <= 0.9
  EXPECT_EQ(b.angle, 0);
  EXPECT_EQ(b.top[0].label, "180");
  const Prediction c = dec->decode({outputs, 2, {}});
  EXPECT_EQ(c.angle, 0);
  EXPECT_EQ(c.top[0].index, 0);
  EXPECT_EQ(c.top[0].label, "0");
  EXPECT_FLOAT_EQ(c.top[0].score, 0.7f);
  const auto lenient = make_decoder(spec("ppocr-cls", {{"threshold", "0.8"}}));
  EXPECT_EQ(lenient->decode({outputs, 1, {}}).angle, 180);
}

// ---- Registry ----

TEST(DecoderRegistry, UnknownNamesListTheKnownOnes) {
  EXPECT_EQ(make_decoder(spec("raw")), nullptr);
  expect_error([] { make_decoder(spec("nope")); }, ErrorCode::bad_flag,
               {"decode 'nope'", "blazeface, classify, ppocr-cls, ppocr-det, ppocr-rec", "raw"});
  expect_error(
      [] {
        make_decoder(spec("raw", {{"topk", "1"}}));
      },
      ErrorCode::bad_flag, {"raw", "topk"});
  const auto names = decoder_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

class Constant : public Decoder {
 public:
  explicit Constant(int angle) : angle_(angle) {}
  std::string_view name() const override { return "test-constant"; }
  Prediction decode(const DecodeInput&) const override {
    Prediction p;
    p.angle = angle_;
    return p;
  }

 private:
  int angle_;
};

TEST(DecoderRegistry, RegisteredDecodersAreMade) {
  register_decoder("test-constant", [](const DecoderSpec& s) {
    return std::make_unique<Constant>(std::stoi(s.options.at("angle")));
  });
  const auto names = decoder_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "test-constant"), names.end());
  const auto dec = make_decoder(spec("test-constant", {{"angle", "90"}}));
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->name(), "test-constant");
  EXPECT_EQ(dec->decode({}).angle, 90);
}

// ---- Crops ----

// 100 x 80 BGR image of smooth ramps: cubic interpolation at whole pixels reproduces it.
cv::Mat ramp_image() {
  cv::Mat img(80, 100, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(2 * x), static_cast<uchar>(3 * y),
                                          static_cast<uchar>(x + y));
  return img;
}

double max_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  double worst = 0;
  cv::minMaxLoc(d.reshape(1), nullptr, &worst);
  return worst;
}

TEST(CropPolygon, AxisAlignedRectangleIsTheSubImage) {
  const cv::Mat img = ramp_image();
  const cv::Mat crop =
      crop_polygon(img, {Point{20, 10}, Point{60, 10}, Point{60, 30}, Point{20, 30}});
  ASSERT_EQ(crop.size(), cv::Size(40, 20));
  EXPECT_LE(max_difference(crop, img(cv::Rect(20, 10, 40, 20))), 1);
}

TEST(CropPolygon, TallRegionsAreTurnedCounterClockwise) {
  const cv::Mat img = ramp_image();
  const cv::Mat crop =
      crop_polygon(img, {Point{10, 10}, Point{30, 10}, Point{30, 50}, Point{10, 50}});
  ASSERT_EQ(crop.size(), cv::Size(40, 20));  // 20 wide x 40 tall, turned
  cv::Mat expected;
  cv::rotate(img(cv::Rect(10, 10, 20, 40)), expected, cv::ROTATE_90_COUNTERCLOCKWISE);
  EXPECT_LE(max_difference(crop, expected), 1);
  // A 1.4 ratio stays upright.
  EXPECT_EQ(crop_polygon(img, {Point{10, 10}, Point{30, 10}, Point{30, 38}, Point{10, 38}}).size(),
            cv::Size(20, 28));
}

TEST(CropPolygon, DegeneratePolygonsGiveAnEmptyCrop) {
  const cv::Mat img = ramp_image();
  EXPECT_TRUE(crop_polygon(img, {Point{10, 10}, Point{30, 10}, Point{30, 10.5f}, Point{10, 10.5f}})
                  .empty());
  EXPECT_TRUE(
      crop_polygon(cv::Mat(), {Point{0, 0}, Point{5, 0}, Point{5, 5}, Point{0, 5}}).empty());
}

}  // namespace
}  // namespace mvinfer::testing
