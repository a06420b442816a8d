// OverlaySink: writes the input video with every model's predictions drawn on it: boxes and
// polygons with scores, keypoints, class labels, recognised text next to the region it was read
// from, and a legend naming each model in its colour. Frames of stream 0 only (the first --video).
//
// The video is written to a temporary file beside `path` and renamed over it by commit(),
// which the run's owner calls after a successful run only: an existing file is replaced only by
// a complete new one, and a sink destroyed without commit() (a failed run) leaves nothing. The
// container and codec follow the extension: .mp4 (MPEG-4 Part 2, "mp4v") or .avi (Motion JPEG).
// Needs Batch::images (BatchingOptions::keep_images).
#pragma once

#include <map>
#include <memory>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "mvinfer/io/result_sink.h"

namespace mvinfer {

// The codec for `path`'s extension (.mp4: "mp4v", .avi: "MJPG"); Error{bad_flag} about option
// "overlay" for any other.
int overlay_fourcc(const std::string& path);

// Recognised text below this score is not drawn (PaddleOCR's drop_score); it stays in the results.
inline constexpr float kMinTextScore = 0.5f;

class OverlaySink : public ResultSink {
 public:
  // Checks the extension (Error{bad_flag} about option "overlay" otherwise); the file is opened
  // when the first frame arrives (its size is known then).
  explicit OverlaySink(std::string path);
  OverlaySink(OverlaySink&&) = delete;
  OverlaySink& operator=(OverlaySink&&) = delete;
  ~OverlaySink() override;
  void begin(std::span<const ModelSpec> models) override;
  void consume(const Batch& batch, size_t model, const ModelResult& result) override;
  // Closes the video and renames it over `path`. Throws Error{io} about option "overlay".
  void commit();
  int64_t frames_written() const { return frames_; }

 private:
  void draw_and_write(const Batch& batch);
  std::string path_, temp_;
  int fourcc_ = 0;
  std::vector<const ModelSpec*> models_;
  std::vector<ModelSpec> specs_;
  std::map<size_t, ModelResult> pending_;  // this batch's results so far, by model
  cv::VideoWriter writer_;
  int64_t frames_ = 0;
};

// Draws `results` (one per model of `specs`, as a ResultSink receives them) on `image`, the
// frame at row `row` of its batch. Used by OverlaySink; exposed for tests.
void draw_predictions(cv::Mat& image, size_t row, std::span<const ModelSpec> specs,
                      const std::map<size_t, ModelResult>& results);

}  // namespace mvinfer
