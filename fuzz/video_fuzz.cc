// Fuzz target: video bytes through the library's frame source for a video file
// (open_frame_source(): FFmpeg's libraries, then OpenCV's own file readers), at most 4 frames, each
// preprocessed. OpenCV 4.6 has no VideoCapture over memory, so the bytes go to a file.
// mvinfer::Error is the expected way to refuse a video; anything else is a finding. FFmpeg and
// OpenCV are not instrumented: coverage guidance sees only our code, so this target mostly
// replays mutations of its seeds through the decoders, with ASan watching what they hand back.
#include <cstdint>
#include <string>

#include "../src/io/video_reader.h"
#include "frames.h"
#include "fuzz_support.h"
#include "mvinfer/core/error.h"

// 2^20 pixels (1024 x 1024): larger declared sizes take the refusal path.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mvinfer::set_max_video_pixels(int64_t{1} << 20);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = (mvinfer::fuzz::temp_dir() / "video.avi").string();
  mvinfer::fuzz::write_file(path, std::span(data, size));
  try {
    mvinfer::fuzz::read_and_preprocess(path, 4, mvinfer::fuzz::strict(data, size));
  } catch (const mvinfer::Error&) {
  }
  return 0;
}
