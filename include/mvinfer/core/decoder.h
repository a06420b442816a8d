// Decoders: a model's raw output tensors -> predictions (boxes, polygons, keypoints, classes,
// text) in the coordinates of the image the model saw, then mapped back to the original frame.
//
// A decoder is chosen per model with `decode=NAME` (or `decode:` in a config) and created by
// make_decoder() from a registry that users extend with register_decoder(). Decoders are
// immutable after construction and decode() is called from several threads at once.
//
// Coordinates: decoders work in the model input's normalised coordinates (u, v in [0, 1] over
// its width and height) and convert through the InputMapping they are given, which knows how the
// frame (or crop) was resized into the input: the stretch of a plain resize, or the scale and
// padding of a letterbox.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mvinfer/core/tensor.h"

namespace mvinfer {

struct Point {
  float x = 0, y = 0;
  bool operator==(const Point&) const = default;
};

// One thing a detector found.
struct Detection {
  // The region's outline in frame pixels: 4 corners clockwise from the top-left one (a box is
  // its 4 corners; a text polygon from ppocr-det a rotated rectangle).
  std::array<Point, 4> polygon{};
  float score = 0;
  std::vector<Point> keypoints;  // blazeface: right eye, left eye, nose, mouth, right ear, left ear
  // The axis-aligned bounds of the polygon: x0, y0, x1, y1.
  std::array<float, 4> box() const;
};

struct ClassScore {
  int index = 0;
  float score = 0;
  std::string label;  // from the labels file, or empty
};

// What a decoder says about one input image (a frame, or a region of one).
struct Prediction {
  std::vector<Detection> detections;  // detectors (blazeface, ppocr-det)
  std::vector<ClassScore> top;        // classifiers (classify: top-k; ppocr-cls: 0 or 180)
  std::string text;                   // recognisers (ppocr-rec)
  float text_score = 0;               // mean probability of the characters read
  bool has_text = false;
  int angle = 0;  // ppocr-cls: 180 when the region is upside down (and the score high enough)
};

// How one image was resized into the model input: input pixel (x, y) shows image pixel
// ((x - pad_x) / scale_x, (y - pad_y) / scale_y). A plain resize has pad 0 and
// scale = input size / image size per axis; a letterbox one scale and the padding.
struct InputMapping {
  int input_width = 1, input_height = 1;  // the model input's size in pixels
  double scale_x = 1, scale_y = 1;
  double pad_x = 0, pad_y = 0;
  int image_width = 1, image_height = 1;  // the image's size (results are clipped to it)
  // Normalised input coordinates -> image pixels (not clipped).
  Point to_image(float u, float v) const;
};

// The model's raw outputs for one call: `outputs[k]` has the batch as its first dimension,
// and `row` picks the image.
struct DecodeInput {
  std::span<const Tensor> outputs;
  size_t row = 0;
  InputMapping mapping;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual std::string_view name() const = 0;
  // Whether predictions carry detections that dependent models (`on=`) can run on.
  virtual bool yields_regions() const { return false; }
  // Whether it rotates the regions it was given (ppocr-cls): dependents of this model then run
  // on the regions of its parent, turned by Prediction::angle.
  virtual bool passes_regions() const { return false; }
  virtual Prediction decode(const DecodeInput& in) const = 0;
};

// Decoder settings from the model's spec: `decode=NAME` and its options (`labels=FILE`,
// `topk=N`, `threshold=X`, `dict=FILE`, ...), as strings; each decoder documents its own and
// refuses unknown ones.
struct DecoderSpec {
  std::string name = "raw";
  std::map<std::string, std::string> options;
  std::string base_dir;  // relative files (labels, dictionaries) are relative to this
};

// The built-in decoders and their options (numbers as text; anything else is refused):
//   classify   labels=FILE (one per line), topk=N (5), softmax=auto|yes|no (auto: unless the row
//              is already probabilities). outputs[0] is N x C (trailing dimensions of 1 allowed).
//   blazeface  threshold=X (0.5), iou=X (0.3). Scores (last dimension 1) and regressors (16),
//              each concatenated in output order; the input size is mapping.input_width.
//   ppocr-det  threshold=X (0.3), box_threshold=X (0.6), unclip_ratio=X (1.5),
//              max_candidates=N (1000). outputs[0] is N x 1 x H x W; boxes in reading order.
//   ppocr-cls  threshold=X (0.9). outputs[0] is N x 2 (labels "0" and "180").
//   ppocr-rec  dict=FILE (required). outputs[0] is N x T x C, C = entries + 1 or + 2.
// Detectors clip their polygons to the image and drop those with nothing left on it.
using DecoderFactory = std::function<std::unique_ptr<Decoder>(const DecoderSpec&)>;
// Adds a decoder (or replaces one of the same name). Call before models are resolved. Refuses
// (Error{bad_flag}) an empty name, "raw" and an empty factory.
void register_decoder(std::string name, DecoderFactory factory);
// The names known, sorted ("raw" included).
std::vector<std::string> decoder_names();
// Creates the decoder `spec.name`; "raw" gives null (the raw summary, no decoding). Throws
// Error{bad_flag} naming the decoder and listing the known ones, or naming a bad option.
std::unique_ptr<Decoder> make_decoder(const DecoderSpec& spec);

// ---- Building blocks of the built-in decoders, exposed for tests and for users' decoders ----

// Numerically stable softmax of `logits`.
std::vector<float> softmax(std::span<const float> logits);

// MediaPipe's SSD anchors for the BlazeFace models: for the 128x128 front model strides
// {8, 16, 16, 16}, for the 256x256 back model {16, 32, 32, 32}; 2 anchors per cell on the first
// layer, 6 on the merged others: 896 in all. Each anchor is its centre (x, y), normalised.
std::vector<Point> blazeface_anchors(int input_size);

// Weighted non-maximum suppression as MediaPipe's face detector does it: detections sorted by
// score; each round takes the best, gathers every remaining one whose IoU with it exceeds
// `iou_threshold`, and replaces them by their score-weighted mean box and keypoints (the
// best's score). Boxes are compared by polygon bounds.
std::vector<Detection> weighted_nms(std::vector<Detection> detections, float iou_threshold);

// DB post-processing of a probability map (PaddleOCR's DBPostProcess, "fast" box score):
// binarise at `threshold`, find contours, take each one's minimum-area rectangle, drop it when its
// short side is < 3 px or its mean probability < `box_threshold`, enlarge it by
// area * unclip_ratio / perimeter on every side, drop it when its short side is then < 5 px.
// Returns the rectangles in map pixels, corners clockwise from the top-left, with scores.
struct DbOptions {
  float threshold = 0.3f;
  float box_threshold = 0.6f;
  float unclip_ratio = 1.5f;
  int max_candidates = 1000;
};
std::vector<Detection> db_boxes(const cv::Mat& probability /*CV_32F*/, const DbOptions& options);

// CTC greedy decoding: per time step the most likely class; repeats collapsed, blank (class 0)
// dropped; class i >= 1 is dictionary[i - 1] (the last class is a space when the dictionary is
// one short). `probs` is T x C, row-major. Returns the text and the mean probability of the
// characters kept (0 when none).
std::pair<std::string, float> ctc_greedy(std::span<const float> probs, size_t classes,
                                         std::span<const std::string> dictionary);

// The region of `image` inside `polygon` (4 corners clockwise from the top-left), cut out and
// straightened by a perspective transform to its own width and height (PaddleOCR's
// get_rotate_crop_image: cubic interpolation, border replicated); turned 90 degrees
// counter-clockwise when it is at least 1.5 times taller than wide. An empty image, or a polygon
// less than 1 px wide or high (its width or height truncates to 0), gives an empty Mat: nothing
// to read, the caller skips the region.
cv::Mat crop_polygon(const cv::Mat& image, const std::array<Point, 4>& polygon);

// Reads a labels or dictionary file: one entry per line, "\r" stripped. Throws Error{bad_flag}
// naming the option and the file.
std::vector<std::string> read_lines(const std::string& option, const std::string& path);

}  // namespace mvinfer
