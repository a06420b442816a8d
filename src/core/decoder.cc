// Decoders: raw output tensors -> predictions. The building blocks (anchors, NMS, DB boxes, CTC,
// crops) follow MediaPipe's and PaddleOCR's post-processing; the registry maps `decode=NAME` to
// a factory.
#include "mvinfer/core/decoder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "mvinfer/core/error.h"

namespace mvinfer {

Point InputMapping::to_image(float u, float v) const {
  return {static_cast<float>((u * input_width - pad_x) / scale_x),
          static_cast<float>((v * input_height - pad_y) / scale_y)};
}

std::array<float, 4> Detection::box() const {
  std::array<float, 4> b{polygon[0].x, polygon[0].y, polygon[0].x, polygon[0].y};
  for (const Point& p : polygon) {
    b[0] = std::min(b[0], p.x);
    b[1] = std::min(b[1], p.y);
    b[2] = std::max(b[2], p.x);
    b[3] = std::max(b[3], p.y);
  }
  return b;
}

// ---- Building blocks ----

std::vector<float> softmax(std::span<const float> logits) {
  std::vector<float> out(logits.size());
  if (logits.empty()) return out;
  const float top = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    out[i] = std::exp(logits[i] - top);
    sum += out[i];
  }
  for (float& v : out) v = static_cast<float>(v / sum);
  return out;
}

std::vector<Point> blazeface_anchors(int input_size) {
  if (input_size <= 0)
    throw Error(ErrorCode::bad_model,
                fmt::format("blazeface: input size {}: expected a positive size", input_size));
  // MediaPipe's SsdAnchorsCalculator with one aspect ratio plus the interpolated one (2 anchors
  // per layer) and fixed anchor sizes; layers of equal stride share their cells.
  const std::array<int, 4> strides =
      input_size == 256 ? std::array<int, 4>{16, 32, 32, 32} : std::array<int, 4>{8, 16, 16, 16};
  std::vector<Point> anchors;
  size_t layer = 0;
  while (layer < strides.size()) {
    size_t last = layer;
    int per_cell = 0;
    while (last < strides.size() && strides[last] == strides[layer]) {
      per_cell += 2;
      ++last;
    }
    const int cells = (input_size + strides[layer] - 1) / strides[layer];
    for (int y = 0; y < cells; ++y)
      for (int x = 0; x < cells; ++x)
        for (int a = 0; a < per_cell; ++a)
          anchors.push_back({(static_cast<float>(x) + 0.5f) / static_cast<float>(cells),
                             (static_cast<float>(y) + 0.5f) / static_cast<float>(cells)});
    layer = last;
  }
  return anchors;
}

namespace {

float iou(const std::array<float, 4>& a, const std::array<float, 4>& b) {
  const float w = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  const float h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const float inter = w * h;
  const float uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0;
}

}  // namespace

std::vector<Detection> weighted_nms(std::vector<Detection> detections, float iou_threshold) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  // Each round's best is the first detection not yet taken; its group, the untaken ones after
  // it that overlap it. Flags instead of a vector of the rest per round: with all of
  // BlazeFace's 896 anchors above the threshold, that copied 400k detections.
  std::vector<std::array<float, 4>> boxes;
  for (const Detection& d : detections) boxes.push_back(d.box());
  std::vector<bool> taken(detections.size(), false);
  std::vector<Detection> out;
  for (size_t b = 0; b < detections.size(); ++b) {
    if (taken[b]) continue;
    const Detection& best = detections[b];
    std::vector<const Detection*> group{&best};
    for (size_t i = b + 1; i < detections.size(); ++i)
      if (!taken[i] && iou(boxes[b], boxes[i]) > iou_threshold) {
        group.push_back(&detections[i]);
        taken[i] = true;
      }
    Detection merged = best;
    double total = 0;
    for (const Detection* d : group) total += d->score;
    if (group.size() > 1 && total > 0) {
      // Keypoints are averaged only when every member has as many as the best.
      bool same_keypoints = true;
      for (const Detection* d : group)
        same_keypoints = same_keypoints && d->keypoints.size() == best.keypoints.size();
      for (size_t c = 0; c < merged.polygon.size(); ++c) {
        double x = 0, y = 0;
        for (const Detection* d : group) {
          x += d->score * d->polygon[c].x;
          y += d->score * d->polygon[c].y;
        }
        merged.polygon[c] = {static_cast<float>(x / total), static_cast<float>(y / total)};
      }
      if (same_keypoints)
        for (size_t k = 0; k < merged.keypoints.size(); ++k) {
          double x = 0, y = 0;
          for (const Detection* d : group) {
            x += d->score * d->keypoints[k].x;
            y += d->score * d->keypoints[k].y;
          }
          merged.keypoints[k] = {static_cast<float>(x / total), static_cast<float>(y / total)};
        }
    }
    out.push_back(std::move(merged));
  }
  return out;
}

namespace {

// PaddleOCR's get_mini_boxes order: sorted by x; of the two leftmost the upper one is top-left,
// of the two rightmost the upper one is top-right. Returns TL, TR, BR, BL.
std::array<cv::Point2f, 4> ordered_corners(const cv::RotatedRect& rect) {
  std::array<cv::Point2f, 4> p;
  rect.points(p.data());
  std::stable_sort(p.begin(), p.end(),
                   [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
  const auto [tl, bl] = p[1].y > p[0].y ? std::pair{p[0], p[1]} : std::pair{p[1], p[0]};
  const auto [tr, br] = p[3].y > p[2].y ? std::pair{p[2], p[3]} : std::pair{p[3], p[2]};
  return {tl, tr, br, bl};
}

// PaddleOCR's box_score_fast: the mean probability inside the polygon, over its bounding
// rectangle clipped to the map.
float box_score(const cv::Mat& prob, const std::array<cv::Point2f, 4>& box) {
  float min_x = box[0].x, max_x = box[0].x, min_y = box[0].y, max_y = box[0].y;
  for (const auto& p : box) {
    min_x = std::min(min_x, p.x);
    max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y);
    max_y = std::max(max_y, p.y);
  }
  const int x0 = std::clamp(static_cast<int>(std::floor(min_x)), 0, prob.cols - 1);
  const int x1 = std::clamp(static_cast<int>(std::ceil(max_x)), 0, prob.cols - 1);
  const int y0 = std::clamp(static_cast<int>(std::floor(min_y)), 0, prob.rows - 1);
  const int y1 = std::clamp(static_cast<int>(std::ceil(max_y)), 0, prob.rows - 1);
  cv::Mat mask = cv::Mat::zeros(y1 - y0 + 1, x1 - x0 + 1, CV_8U);
  std::vector<cv::Point> pts;
  for (const auto& p : box)  // truncated toward zero, as numpy's astype(int32)
    pts.emplace_back(static_cast<int>(p.x - static_cast<float>(x0)),
                     static_cast<int>(p.y - static_cast<float>(y0)));
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(1));
  return static_cast<float>(cv::mean(prob(cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1)), mask)[0]);
}

}  // namespace

std::vector<Detection> db_boxes(const cv::Mat& probability, const DbOptions& options) {
  std::vector<Detection> out;
  if (probability.empty()) return out;
  if (probability.type() != CV_32F || probability.dims != 2)
    throw Error(ErrorCode::internal, fmt::format("db_boxes: expected a 2-D CV_32F map, got {}",
                                                 cv::typeToString(probability.type())));
  cv::Mat bitmap = probability > options.threshold;  // 0 or 255, CV_8U
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(bitmap, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
  const size_t n =
      std::min(contours.size(), static_cast<size_t>(std::max(0, options.max_candidates)));
  for (size_t i = 0; i < n; ++i) {
    const cv::RotatedRect rect = cv::minAreaRect(contours[i]);
    if (std::min(rect.size.width, rect.size.height) < 3) continue;
    const auto box = ordered_corners(rect);
    const float score = box_score(probability, box);
    if (score < options.box_threshold) continue;
    // Unclip: offset every side by area * ratio / perimeter (the minimum-area rectangle of
    // pyclipper's rounded offset is the rectangle grown by that much on each side).
    double area = 0, perimeter = 0;
    for (size_t k = 0; k < 4; ++k) {
      const cv::Point2f& a = box[k];
      const cv::Point2f& b = box[(k + 1) % 4];
      area += static_cast<double>(a.x) * b.y - static_cast<double>(b.x) * a.y;
      perimeter += cv::norm(b - a);
    }
    area = std::abs(area) / 2;
    if (perimeter <= 0) continue;
    const float d = static_cast<float>(area * options.unclip_ratio / perimeter);
    const cv::RotatedRect grown(
        rect.center, cv::Size2f(rect.size.width + 2 * d, rect.size.height + 2 * d), rect.angle);
    if (std::min(grown.size.width, grown.size.height) < 5) continue;
    const auto corners = ordered_corners(grown);
    Detection det;
    for (size_t k = 0; k < 4; ++k) det.polygon[k] = {corners[k].x, corners[k].y};
    det.score = score;
    out.push_back(std::move(det));
  }
  return out;
}

std::pair<std::string, float> ctc_greedy(std::span<const float> probs, size_t classes,
                                         std::span<const std::string> dictionary) {
  std::string text;
  if (classes == 0) return {text, 0.0f};
  const size_t steps = probs.size() / classes;
  double sum = 0;
  size_t kept = 0;
  size_t previous = 0;
  for (size_t t = 0; t < steps; ++t) {
    const float* row = probs.data() + t * classes;
    const size_t best = static_cast<size_t>(std::max_element(row, row + classes) - row);
    const bool repeat = t > 0 && best == previous;
    previous = best;
    if (best == 0 || repeat) continue;
    if (best - 1 < dictionary.size())
      text += dictionary[best - 1];
    else if (best == dictionary.size() + 1 && classes == dictionary.size() + 2)
      text += ' ';
    else
      continue;  // a class the dictionary does not name
    sum += row[best];
    ++kept;
  }
  return {text, kept ? static_cast<float>(sum / static_cast<double>(kept)) : 0.0f};
}

cv::Mat crop_polygon(const cv::Mat& image, const std::array<Point, 4>& polygon) {
  std::array<cv::Point2f, 4> src;
  for (size_t k = 0; k < 4; ++k) src[k] = {polygon[k].x, polygon[k].y};
  const int w = static_cast<int>(std::max(cv::norm(src[0] - src[1]), cv::norm(src[2] - src[3])));
  const int h = static_cast<int>(std::max(cv::norm(src[0] - src[3]), cv::norm(src[1] - src[2])));
  if (image.empty() || w < 1 || h < 1) return {};
  const std::array<cv::Point2f, 4> dst{cv::Point2f(0, 0), cv::Point2f(static_cast<float>(w), 0),
                                       cv::Point2f(static_cast<float>(w), static_cast<float>(h)),
                                       cv::Point2f(0, static_cast<float>(h))};
  const cv::Mat m = cv::getPerspectiveTransform(src.data(), dst.data());
  cv::Mat out;
  cv::warpPerspective(image, out, m, cv::Size(w, h), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  if (static_cast<double>(h) / w >= 1.5) cv::rotate(out, out, cv::ROTATE_90_COUNTERCLOCKWISE);
  return out;
}

std::vector<std::string> read_lines(const std::string& option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::bad_flag, Error::Option{option},
                fmt::format(" '{}': cannot read the file (expected one entry per line)", path));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (in.bad())
    throw Error(ErrorCode::bad_flag, Error::Option{option},
                fmt::format(" '{}': reading the file failed", path));
  return lines;
}

// ---- Built-in decoders ----

namespace {

// A decoder's options: refuses unknown keys up front, then parses the known ones on request.
class Options {
 public:
  Options(const DecoderSpec& spec, std::vector<std::string_view> known)
      : spec_(spec), name_(spec.name) {
    for (const auto& [key, value] : spec.options)
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (size_t i = 0; i < known.size(); ++i)
          list += fmt::format("{}{}",
                              i == 0                  ? ""
                              : i + 1 == known.size() ? " or "
                                                      : ", ",
                              known[i]);
        fail(fmt::format("unknown option '{}' (expected {})", key, known.empty() ? "none" : list));
      }
  }

  const std::string* find(const std::string& key) const {
    const auto it = spec_.options.find(key);
    return it == spec_.options.end() ? nullptr : &it->second;
  }

  // A number in [lo, hi] (hi = infinity for no upper bound), or in (lo, hi] when `above_lo`.
  float number(const std::string& key, float fallback, float lo, float hi, bool above_lo,
               std::string_view expected) const {
    const std::string* value = find(key);
    if (!value) return fallback;
    float v = 0;
    auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), v);
    if (ec != std::errc() || ptr != value->data() + value->size() || !std::isfinite(v) || v < lo ||
        v > hi || (above_lo && v == lo))
      invalid(key, *value, expected);
    return v;
  }

  int positive_int(const std::string& key, int fallback) const {
    const std::string* value = find(key);
    if (!value) return fallback;
    int v = 0;
    auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), v);
    if (ec != std::errc() || ptr != value->data() + value->size() || v <= 0)
      invalid(key, *value, "a positive integer");
    return v;
  }

  // A file option's path: relative ones are relative to the spec's base_dir.
  std::string path(const std::string& value) const {
    std::filesystem::path p(value);
    if (p.is_relative() && !spec_.base_dir.empty()) p = std::filesystem::path(spec_.base_dir) / p;
    return p.string();
  }

  [[noreturn]] void invalid(const std::string& key, const std::string& value,
                            std::string_view expected) const {
    fail(fmt::format("{}='{}' is not valid (expected {})", key, value, expected));
  }
  [[noreturn]] void fail(std::string_view problem) const {
    throw Error(ErrorCode::bad_flag, Error::Option{"decode"},
                fmt::format(" {}: {}", name_, problem));
  }

 private:
  const DecoderSpec& spec_;
  std::string name_;
};

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr std::string_view kProbability = "a number from 0 to 1";

[[noreturn]] void bad_output(std::string_view decoder, std::string_view problem) {
  throw Error(ErrorCode::bad_model, fmt::format("decode {}: {}", decoder, problem));
}

// Output `k`'s elements for row `row` (its first dimension is the batch).
std::span<const float> row_of(std::string_view decoder, const DecodeInput& in, size_t k) {
  if (k >= in.outputs.size())
    bad_output(decoder, fmt::format("the model has {} output(s), expected at least {}",
                                    in.outputs.size(), k + 1));
  const Tensor& t = in.outputs[k];
  if (t.shape.empty() || t.shape[0] <= 0 ||
      static_cast<int64_t>(t.data.size()) != Tensor::element_count(t.shape))
    bad_output(decoder, fmt::format("output {} has shape {} and {} values", k,
                                    format_shape(t.shape), t.data.size()));
  if (in.row >= static_cast<size_t>(t.shape[0]))
    throw Error(ErrorCode::internal,
                fmt::format("decode {}: row {} of a batch of {}", decoder, in.row, t.shape[0]));
  const size_t per_row = t.data.size() / static_cast<size_t>(t.shape[0]);
  return std::span<const float>(t.data).subspan(in.row * per_row, per_row);
}

// Clips a polygon to the image; false when nothing of it is left (zero width or height).
bool clip_to_image(Detection& d, const InputMapping& m) {
  for (Point& p : d.polygon) {
    p.x = std::clamp(p.x, 0.0f, static_cast<float>(m.image_width));
    p.y = std::clamp(p.y, 0.0f, static_cast<float>(m.image_height));
  }
  const auto b = d.box();
  return b[2] > b[0] && b[3] > b[1];
}

class ClassifyDecoder : public Decoder {
 public:
  explicit ClassifyDecoder(const DecoderSpec& spec) {
    const Options o(spec, {"labels", "topk", "softmax"});
    topk_ = o.positive_int("topk", 5);
    if (const std::string* s = o.find("softmax")) {
      if (*s == "auto")
        softmax_ = Softmax::automatic;
      else if (*s == "yes")
        softmax_ = Softmax::yes;
      else if (*s == "no")
        softmax_ = Softmax::no;
      else
        o.invalid("softmax", *s, "auto, yes or no");
    }
    if (const std::string* labels = o.find("labels"))
      labels_ = read_lines("labels", o.path(*labels));
  }
  std::string_view name() const override { return "classify"; }

  Prediction decode(const DecodeInput& in) const override {
    const auto row = row_of(name(), in, 0);
    const auto& shape = in.outputs[0].shape;
    bool ok = shape.size() >= 2 && shape[1] > 0;
    for (size_t i = 2; ok && i < shape.size(); ++i) ok = shape[i] == 1;
    if (!ok)
      bad_output(name(), fmt::format("output 0 has shape {}, expected N x C (trailing "
                                     "dimensions of 1 allowed)",
                                     format_shape(shape)));
    std::vector<float> scores(row.begin(), row.end());
    if (softmax_ == Softmax::yes || (softmax_ == Softmax::automatic && !is_probability(row)))
      scores = softmax(row);
    std::vector<int> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min(static_cast<size_t>(topk_), order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](int a, int b) {
                        const float sa = scores[static_cast<size_t>(a)];
                        const float sb = scores[static_cast<size_t>(b)];
                        return sa != sb ? sa > sb : a < b;
                      });
    Prediction p;
    for (size_t i = 0; i < k; ++i) {
      const size_t c = static_cast<size_t>(order[i]);
      p.top.push_back({order[i], scores[c], c < labels_.size() ? labels_[c] : std::string()});
    }
    return p;
  }

 private:
  enum class Softmax { automatic, yes, no };
  static bool is_probability(std::span<const float> row) {
    double sum = 0;
    for (float v : row) {
      if (!(v >= 0 && v <= 1)) return false;
      sum += v;
    }
    return std::abs(sum - 1) <= 1e-3;
  }

  int topk_ = 5;
  Softmax softmax_ = Softmax::automatic;
  std::vector<std::string> labels_;
};

class BlazeFaceDecoder : public Decoder {
 public:
  explicit BlazeFaceDecoder(const DecoderSpec& spec) {
    const Options o(spec, {"threshold", "iou"});
    threshold_ = o.number("threshold", 0.5f, 0, 1, false, kProbability);
    iou_ = o.number("iou", 0.3f, 0, 1, false, kProbability);
  }
  std::string_view name() const override { return "blazeface"; }
  bool yields_regions() const override { return true; }

  Prediction decode(const DecodeInput& in) const override {
    // Scores (last dimension 1) and regressors (last dimension 16), each concatenated in output
    // order: the anchors' order.
    // A rank-2 pair (anchors x 1, anchors x 16) has no batch dimension: it is row 0.
    std::vector<float> scores, boxes;
    for (size_t k = 0; k < in.outputs.size(); ++k) {
      const Tensor& t = in.outputs[k];
      const auto row = t.shape.size() == 2 && in.row == 0 ? std::span<const float>(t.data)
                                                          : row_of(name(), in, k);
      const int64_t last = t.shape.back();
      if (t.shape.size() < 2 || (last != 1 && last != 16))
        bad_output(name(), fmt::format("output {} has shape {}, expected 1 x anchors x 1 (scores) "
                                       "or 1 x anchors x 16 (regressors)",
                                       k, format_shape(in.outputs[k].shape)));
      auto& to = last == 1 ? scores : boxes;
      to.insert(to.end(), row.begin(), row.end());
    }
    const int size = in.mapping.input_width;
    const std::vector<Point> anchors = blazeface_anchors(size);
    if (scores.size() != anchors.size() || boxes.size() != anchors.size() * 16)
      bad_output(name(), fmt::format("{} scores and {} regressors for a {}x{} input, expected {} "
                                     "of each (16 values per regressor)",
                                     scores.size(), boxes.size() / 16, size, size, anchors.size()));
    const float s = static_cast<float>(size);
    std::vector<Detection> found;
    for (size_t a = 0; a < anchors.size(); ++a) {
      const float score = 1.0f / (1.0f + std::exp(-std::clamp(scores[a], -100.0f, 100.0f)));
      if (score < threshold_) continue;
      const float* r = boxes.data() + a * 16;
      const float cx = r[0] / s + anchors[a].x, cy = r[1] / s + anchors[a].y;
      const float w = r[2] / s, h = r[3] / s;
      const Point p0 = in.mapping.to_image(cx - w / 2, cy - h / 2);
      const Point p1 = in.mapping.to_image(cx + w / 2, cy + h / 2);
      Detection d;
      d.polygon = {Point{p0.x, p0.y}, Point{p1.x, p0.y}, Point{p1.x, p1.y}, Point{p0.x, p1.y}};
      d.score = score;
      for (int k = 0; k < 6; ++k)
        d.keypoints.push_back(
            in.mapping.to_image(r[4 + 2 * k] / s + anchors[a].x, r[5 + 2 * k] / s + anchors[a].y));
      found.push_back(std::move(d));
    }
    Prediction p;
    for (Detection& d : weighted_nms(std::move(found), iou_))
      if (clip_to_image(d, in.mapping)) p.detections.push_back(std::move(d));
    return p;
  }

 private:
  float threshold_ = 0.5f;
  float iou_ = 0.3f;
};

class PpocrDetDecoder : public Decoder {
 public:
  explicit PpocrDetDecoder(const DecoderSpec& spec) {
    const Options o(spec, {"threshold", "box_threshold", "unclip_ratio", "max_candidates"});
    db_.threshold = o.number("threshold", db_.threshold, 0, 1, false, kProbability);
    db_.box_threshold = o.number("box_threshold", db_.box_threshold, 0, 1, false, kProbability);
    db_.unclip_ratio =
        o.number("unclip_ratio", db_.unclip_ratio, 0, kInf, true, "a positive number");
    db_.max_candidates = o.positive_int("max_candidates", db_.max_candidates);
  }
  std::string_view name() const override { return "ppocr-det"; }
  bool yields_regions() const override { return true; }

  Prediction decode(const DecodeInput& in) const override {
    const auto row = row_of(name(), in, 0);
    const auto& shape = in.outputs[0].shape;
    if (shape.size() != 4 || shape[1] != 1 || shape[2] <= 0 || shape[3] <= 0)
      bad_output(name(),
                 fmt::format("output 0 has shape {}, expected N x 1 x H x W", format_shape(shape)));
    const int h = static_cast<int>(shape[2]), w = static_cast<int>(shape[3]);
    const cv::Mat map(h, w, CV_32F, const_cast<float*>(row.data()));
    Prediction p;
    for (Detection& d : db_boxes(map, db_)) {
      for (Point& c : d.polygon)
        c = in.mapping.to_image(c.x / static_cast<float>(w), c.y / static_cast<float>(h));
      if (clip_to_image(d, in.mapping)) p.detections.push_back(std::move(d));
    }
    sort_reading_order(p.detections);
    return p;
  }

 private:
  // PaddleOCR's sorted_boxes: by the first corner's y then x, then neighbours whose first corners
  // are less than 10 px apart vertically ordered left to right.
  static void sort_reading_order(std::vector<Detection>& d) {
    std::stable_sort(d.begin(), d.end(), [](const Detection& a, const Detection& b) {
      const Point &pa = a.polygon[0], &pb = b.polygon[0];
      return pa.y != pb.y ? pa.y < pb.y : pa.x < pb.x;
    });
    for (size_t i = 0; i + 1 < d.size(); ++i)
      for (size_t j = i + 1; j-- > 0;) {
        const Point &a = d[j].polygon[0], &b = d[j + 1].polygon[0];
        if (std::abs(b.y - a.y) < 10 && b.x < a.x)
          std::swap(d[j], d[j + 1]);
        else
          break;
      }
  }

  DbOptions db_;
};

class PpocrClsDecoder : public Decoder {
 public:
  explicit PpocrClsDecoder(const DecoderSpec& spec) {
    const Options o(spec, {"threshold"});
    threshold_ = o.number("threshold", 0.9f, 0, 1, false, kProbability);
  }
  std::string_view name() const override { return "ppocr-cls"; }
  bool passes_regions() const override { return true; }

  Prediction decode(const DecodeInput& in) const override {
    const auto row = row_of(name(), in, 0);
    if (row.size() != 2)
      bad_output(name(), fmt::format("output 0 has shape {}, expected N x 2",
                                     format_shape(in.outputs[0].shape)));
    const int best = row[1] > row[0] ? 1 : 0;
    Prediction p;
    p.top.push_back({best, row[static_cast<size_t>(best)], best == 1 ? "180" : "0"});
    p.angle = best == 1 && row[1] > threshold_ ? 180 : 0;
    return p;
  }

 private:
  float threshold_ = 0.9f;
};

class PpocrRecDecoder : public Decoder {
 public:
  explicit PpocrRecDecoder(const DecoderSpec& spec) {
    const Options o(spec, {"dict"});
    const std::string* dict = o.find("dict");
    if (!dict) o.fail("the option dict=FILE is required (the recogniser's character list)");
    dict_path_ = o.path(*dict);
    dictionary_ = read_lines("dict", dict_path_);
  }
  std::string_view name() const override { return "ppocr-rec"; }

  Prediction decode(const DecodeInput& in) const override {
    const auto row = row_of(name(), in, 0);
    const auto& shape = in.outputs[0].shape;
    if (shape.size() != 3 || shape[2] <= 0)
      bad_output(name(),
                 fmt::format("output 0 has shape {}, expected N x T x C", format_shape(shape)));
    const size_t classes = static_cast<size_t>(shape[2]);
    if (classes != dictionary_.size() + 1 && classes != dictionary_.size() + 2)
      throw Error(ErrorCode::bad_flag, Error::Option{"dict"},
                  fmt::format(" '{}' has {} entries but the model reads {} classes (expected {} "
                              "or {}: blank, the entries, and maybe a space)",
                              dict_path_, dictionary_.size(), classes, dictionary_.size() + 1,
                              dictionary_.size() + 2));
    Prediction p;
    std::tie(p.text, p.text_score) = ctc_greedy(row, classes, dictionary_);
    p.has_text = true;
    return p;
  }

 private:
  std::string dict_path_;
  std::vector<std::string> dictionary_;
};

// ---- Registry ----

struct Registry {
  std::mutex mutex;
  std::map<std::string, DecoderFactory> factories;
};

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;  // never destroyed: decoders may be made during static teardown
    auto add = [&](std::string name, auto make) { reg->factories[std::move(name)] = make; };
    add("classify", [](const DecoderSpec& s) { return std::make_unique<ClassifyDecoder>(s); });
    add("blazeface", [](const DecoderSpec& s) { return std::make_unique<BlazeFaceDecoder>(s); });
    add("ppocr-det", [](const DecoderSpec& s) { return std::make_unique<PpocrDetDecoder>(s); });
    add("ppocr-cls", [](const DecoderSpec& s) { return std::make_unique<PpocrClsDecoder>(s); });
    add("ppocr-rec", [](const DecoderSpec& s) { return std::make_unique<PpocrRecDecoder>(s); });
    return reg;
  }();
  return *r;
}

constexpr std::string_view kRaw = "raw";

}  // namespace

void register_decoder(std::string name, DecoderFactory factory) {
  if (name.empty() || name == kRaw || !factory)
    throw Error(ErrorCode::bad_flag, Error::Option{"decode"},
                fmt::format(" '{}': cannot register (expected a name other than '' and 'raw', "
                            "and a factory)",
                            name));
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  r.factories[std::move(name)] = std::move(factory);
}

std::vector<std::string> decoder_names() {
  Registry& r = registry();
  std::vector<std::string> names{std::string(kRaw)};
  {
    const std::lock_guard lock(r.mutex);
    for (const auto& [name, factory] : r.factories) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<Decoder> make_decoder(const DecoderSpec& spec) {
  if (spec.name == kRaw) {
    const Options none(spec, {});  // refuses any option
    return nullptr;
  }
  DecoderFactory factory;
  {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    const auto it = r.factories.find(spec.name);
    if (it != r.factories.end()) factory = it->second;
  }
  if (!factory) {
    const auto names = decoder_names();
    throw Error(ErrorCode::bad_flag, Error::Option{"decode"},
                fmt::format(" '{}': unknown decoder (expected one of {})", spec.name,
                            fmt::join(names, ", ")));
  }
  return factory(spec);
}

}  // namespace mvinfer
