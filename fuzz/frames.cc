#include "frames.h"

#include <cmath>
#include <memory>
#include <vector>

#include "fuzz_support.h"
#include "mvinfer/core/decoder.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/preprocess.h"

namespace mvinfer::fuzz {

void read_and_preprocess(const std::string& spec, int64_t max_frames, bool strict) {
  std::unique_ptr<FrameSource> source = open_frame_source(spec, max_frames, 0, strict);
  Frame frame;
  int64_t count = 0, last_index = -1;
  double last_ms = -1;
  std::vector<float> out;
  while (source->next(frame)) {
    if (frame.image.type() != CV_8UC3 || frame.image.empty())
      finding("a frame that is not 8-bit BGR");
    // Skipped (undecodable) frames may leave gaps in the indices.
    if (frame.index <= last_index || !std::isfinite(frame.timestamp_ms) ||
        frame.timestamp_ms <= last_ms)
      finding("frame indices or timestamps that do not increase");
    last_index = frame.index;
    last_ms = frame.timestamp_ms;
    ++count;
    // Sizes a model input has: a square, and a wide strip like PaddleOCR's recogniser's.
    for (const auto& [w, h] : {std::pair{24, 24}, std::pair{40, 12}})
      for (Resize r : {Resize::stretch, Resize::letterbox, Resize::pad, Resize::pad_grow}) {
        PreprocessSpec p;
        p.width = w;
        p.height = h;
        p.resize = r;
        p.color = r == Resize::pad ? ColorOrder::bgr : ColorOrder::rgb;
        p.layout = r == Resize::letterbox ? Layout::nhwc : Layout::nchw;
        out.assign(static_cast<size_t>(p.elements()), 0.0f);
        preprocess_frame(frame.image, p, out);
        const InputMapping m = input_mapping(p, frame.image.cols, frame.image.rows);
        if (!(m.scale_x > 0) || !(m.scale_y > 0)) finding("an input mapping without a scale");
      }
  }
  if (max_frames >= 0 && count > max_frames) finding("more frames than max_frames");
}

}  // namespace mvinfer::fuzz
