// Fuzz target: video bytes through the library's frame source for a video file
// (open_frame_source(): FFmpeg, then OpenCV's other file backends), at most 4 frames, each
// preprocessed. OpenCV 4.6 has no VideoCapture over memory, so the bytes go to a file.
// mvinfer::Error is the expected way to refuse a video; anything else is a finding. FFmpeg and
// OpenCV are not instrumented: coverage guidance sees only our code, so this target mostly
// replays mutations of its seeds through the decoders, with ASan watching what they hand back.
#include <cstdint>
#include <string>

#include "frames.h"
#include "fuzz_support.h"
#include "mvinfer/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = (mvinfer::fuzz::temp_dir() / "video.avi").string();
  mvinfer::fuzz::write_file(path, std::span(data, size));
  try {
    mvinfer::fuzz::read_and_preprocess(path, 4, mvinfer::fuzz::strict(data, size));
  } catch (const mvinfer::Error&) {
  }
  return 0;
}
