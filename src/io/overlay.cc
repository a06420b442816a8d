#include "mvinfer/io/overlay.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "mvinfer/core/error.h"
#include "mvinfer/io/line_file.h"

namespace mvinfer {
namespace {

namespace fs = std::filesystem;

const cv::Scalar kPalette[] = {{0, 220, 255}, {255, 128, 0}, {60, 220, 60}, {255, 0, 255},
                               {0, 128, 255}, {255, 255, 0}, {128, 0, 255}, {0, 0, 255}};

cv::Scalar colour_of(size_t model) { return kPalette[model % std::size(kPalette)]; }

// Hershey fonts draw ASCII only: anything else becomes '?'.
std::string ascii(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c & 0xC0) != 0x80) {  // a UTF-8 lead byte: one '?' per character
      out += '?';
    }
  }
  return out;
}

void label(cv::Mat& img, const std::string& text, cv::Point at, const cv::Scalar& colour,
           double scale = 0.45) {
  int base = 0;
  const cv::Size sz = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base);
  at.x = std::clamp(at.x, 0, std::max(0, img.cols - sz.width));
  at.y = std::clamp(at.y, sz.height + 2, std::max(sz.height + 2, img.rows - 2));
  cv::rectangle(img, {at.x, at.y - sz.height - 2}, {at.x + sz.width, at.y + base},
                cv::Scalar(0, 0, 0), cv::FILLED);
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv::LINE_AA);
}

std::vector<cv::Point> corners(const Detection& d) {
  std::vector<cv::Point> pts;
  for (const Point& p : d.polygon) pts.emplace_back(cvRound(p.x), cvRound(p.y));
  return pts;
}

// The detection a dependent model's row refers to: the region-yielding ancestor's detection.
const Detection* region_of(std::span<const ModelSpec> specs, const std::map<size_t, ModelResult>& r,
                           size_t model, size_t frame_row, int region) {
  int p = specs[model].parent;
  while (p >= 0 && specs[static_cast<size_t>(p)].parent >= 0)
    p = specs[static_cast<size_t>(p)].parent;
  if (p < 0) return nullptr;
  auto it = r.find(static_cast<size_t>(p));
  if (it == r.end()) return nullptr;
  const ModelResult& root = it->second;
  for (size_t k = 0; k < root.rows.size() && k < root.predictions.size(); ++k)
    if (root.rows[k] == frame_row) {
      const auto& dets = root.predictions[k].detections;
      return region >= 0 && static_cast<size_t>(region) < dets.size()
                 ? &dets[static_cast<size_t>(region)]
                 : nullptr;
    }
  return nullptr;
}

}  // namespace

void draw_predictions(cv::Mat& img, size_t row, std::span<const ModelSpec> specs,
                      const std::map<size_t, ModelResult>& results) {
  int class_line = 0;
  for (const auto& [m, r] : results) {
    const cv::Scalar colour = colour_of(m);
    for (size_t k = 0; k < r.rows.size() && k < r.predictions.size(); ++k) {
      if (r.rows[k] != row) continue;
      const Prediction& p = r.predictions[k];
      for (const Detection& d : p.detections) {
        std::vector<cv::Point> pts = corners(d);
        cv::polylines(img, pts, true, colour, 2, cv::LINE_AA);
        for (const Point& q : d.keypoints)
          cv::circle(img, {cvRound(q.x), cvRound(q.y)}, 3, colour, cv::FILLED, cv::LINE_AA);
        if (specs[m].on.empty() && p.detections.size() <= 20)
          label(img, fmt::format("{:.2f}", d.score), pts[0] + cv::Point(0, -3), colour, 0.4);
      }
      std::string text;
      if (p.has_text && p.text_score >= kMinTextScore)
        text = ascii(p.text);
      else if (!p.top.empty() && specs[m].decoder.name != "ppocr-cls")
        text = p.top[0].label.empty()
                   ? fmt::format("#{} {:.2f}", p.top[0].index, p.top[0].score)
                   : fmt::format("{} {:.2f}", ascii(p.top[0].label), p.top[0].score);
      if (text.empty()) continue;
      if (k < r.regions.size()) {
        if (const Detection* d = region_of(specs, results, m, row, r.regions[k])) {
          const std::array<float, 4> b = d->box();
          label(img, text, {cvRound(b[0]), cvRound(b[3]) + 14}, colour);
        }
      } else {
        label(img, fmt::format("{}: {}", specs[m].name, text), {6, 40 + 18 * class_line++}, colour);
      }
    }
  }
  // The legend: each model in its colour.
  int x = 6;
  for (size_t m = 0; m < specs.size(); ++m) {
    const std::string name = ascii(specs[m].name);
    label(img, name, {x, 16}, colour_of(m), 0.5);
    x += cv::getTextSize(name, cv::FONT_HERSHEY_SIMPLEX, 0.5, 1, nullptr).width + 12;
  }
}

int overlay_fourcc(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".mp4") return cv::VideoWriter::fourcc('m', 'p', '4', 'v');
  if (ext == ".avi") return cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  throw Error(ErrorCode::bad_flag, Error::Option{"overlay"},
              fmt::format(" '{}': expected a file ending in .mp4 or .avi", path));
}

OverlaySink::OverlaySink(std::string path)
    : path_(std::move(path)), fourcc_(overlay_fourcc(path_)) {
  // A video is written whole to a temporary file and renamed over the path: a device or a
  // pipe there would itself be replaced (and MP4/AVI need a seekable file anyway).
  if (writes_in_place(path_))
    throw Error(ErrorCode::bad_flag, Error::Option{"overlay"},
                fmt::format(" '{}': a device or pipe (expected a regular file's path)", path_));
  const fs::path p(path_);
  temp_ = (p.parent_path() /
           fmt::format(".{}.part-{}{}", p.stem().string(), getpid(), p.extension().string()))
              .string();
}

OverlaySink::~OverlaySink() {
  if (writer_.isOpened()) writer_.release();
  std::error_code ec;
  fs::remove(temp_, ec);  // nothing, after commit(); a partial file otherwise
}

void OverlaySink::begin(std::span<const ModelSpec> models) {
  specs_.assign(models.begin(), models.end());
}

void OverlaySink::consume(const Batch& batch, size_t model, const ModelResult& result) {
  pending_[model] = without_outputs(result);  // the drawing needs the predictions only
  if (model + 1 < specs_.size()) return;      // a batch is complete with its last model
  draw_and_write(batch);
  pending_.clear();
}

void OverlaySink::draw_and_write(const Batch& batch) {
  if (batch.images.size() != batch.frames.size())
    throw Error(ErrorCode::internal, "overlay: the batch's frames were not kept");
  for (size_t row = 0; row < batch.frames.size(); ++row) {
    if (batch.frames[row].stream != 0) continue;
    cv::Mat img = batch.images[row].clone();
    draw_predictions(img, row, specs_, pending_);
    if (!writer_.isOpened()) {
      double fps = 25;
      if (batch.frames.size() >= 2 && batch.frames[1].timestamp_ms > batch.frames[0].timestamp_ms)
        fps = 1000.0 / (batch.frames[1].timestamp_ms - batch.frames[0].timestamp_ms);
      if (!writer_.open(temp_, cv::CAP_FFMPEG, fourcc_, fps, img.size()))
        throw Error(ErrorCode::io, Error::Option{"overlay"},
                    fmt::format(" '{}': cannot be written (no encoder for it, or the folder is "
                                "not writable)",
                                path_));
    }
    writer_.write(img);
    ++frames_;
  }
}

void OverlaySink::commit() {
  if (!writer_.isOpened()) return;
  writer_.release();
  std::error_code ec;
  fs::rename(temp_, path_, ec);
  if (ec)
    throw Error(ErrorCode::io, Error::Option{"overlay"},
                fmt::format(" '{}': cannot be written ({})", path_, ec.message()));
}

}  // namespace mvinfer
