// Fuzz target: image bytes decoded as `run --video FOLDER` decodes them (an image folder source,
// cv::imread with IMREAD_COLOR), then preprocessed. cv::imdecode() would decode from memory with
// the same OpenCV decoders, but the library only reads images through a folder, so the bytes
// go to a file and through the library's own path; mvinfer::Error is the expected way to refuse
// an image, anything else (a cv::Exception escaping, a crash) is a finding.
//
// Set OPENCV_IO_MAX_IMAGE_PIXELS (bench/fuzz.sh: 4194304) to keep a header that claims a huge
// image from allocating gigabytes; OpenCV reads it when it is loaded.
#include <cstdint>
#include <filesystem>

#include "frames.h"
#include "fuzz_support.h"
#include "mvinfer/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = mvinfer::fuzz::temp_dir() / "images";
    std::filesystem::create_directories(d);
    return d;
  }();
  // The extension only admits the file to the folder: OpenCV picks the decoder by content.
  mvinfer::fuzz::write_file(dir / "frame.png", std::span(data, size));
  try {
    mvinfer::fuzz::read_and_preprocess(dir.string(), -1, mvinfer::fuzz::strict(data, size));
  } catch (const mvinfer::Error&) {
  }
  return 0;
}
