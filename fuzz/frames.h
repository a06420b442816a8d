// Reading frames the way `run` does (open_frame_source(), then next() until the end) and
// preprocessing each as models would take it. Shared by the image and video fuzz targets.
#pragma once

#include <cstdint>
#include <string>

namespace mvinfer::fuzz {

// Opens `spec` (a video file or an image folder; `strict` as open_frame_source() takes it), reads
// at most `max_frames` frames and preprocesses each under every resize rule, colour order and
// layout. Checks what FrameSource promises: 8-bit BGR frames with increasing indices and
// timestamps, no more than max_frames. Throws mvinfer::Error as the library does.
void read_and_preprocess(const std::string& spec, int64_t max_frames, bool strict);

}  // namespace mvinfer::fuzz
