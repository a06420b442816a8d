// VideoReader: one video's frames in container order, for the frame sources of video files,
// stream URLs and cameras (frame_source.cc) and for seek_is_exact().
//
// Files and stream URLs are decoded with FFmpeg's libraries directly (open_ffmpeg_reader), not
// through OpenCV's FFmpeg backend: OpenCV 4.6 sizes its BGR conversion buffer by the codec's
// coded size but copies out of it by the stream's size, so a damaged stream whose sizes disagree
// made it read past the buffer (a SIGSEGV in `run`, found by fuzz_video) or throw. Here the
// buffer, the conversion and the image all take their size from the decoded picture. Cameras,
// and files FFmpeg cannot open, go through cv::VideoCapture (wrap_capture).
#pragma once

#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <string>

namespace mvinfer {

class VideoReader {
 public:
  enum class Read {
    frame,        // `image` holds the next frame
    undecodable,  // the container yielded a frame that could not be decoded (skipped)
    end,          // no more frames: the end of the input, or a container that cannot go on
  };
  virtual ~VideoReader() = default;
  // The next frame (8-bit; 3 channels from FFmpeg, as the backend gives them from OpenCV).
  virtual Read read(cv::Mat& image) = 0;
  // Passes over the next frame without converting it: false at the end.
  virtual bool skip() = 0;
  // Makes the next read() yield frame `frame` (0-based), using the container's index: false
  // when the container cannot seek there. Exactness is for seek_is_exact() to check.
  virtual bool seek(int64_t frame) = 0;
  // The container's frame rate; 0 when it records none.
  virtual double fps() const = 0;
  // The container's frame count (or an estimate from its duration); -1 when it has neither.
  virtual int64_t frame_count() const = 0;
  // Presentation time of the frame last read, from the container, in ms since the stream's
  // start; NaN when the container gives none.
  virtual double time_ms() const = 0;
};

// The largest picture (width x height) a video may declare: 2^26 pixels, eight times 4K UHD and
// twice 8K UHD. FFmpeg allocates (and zeroes) what a header declares before decoding anything,
// so a damaged header asking for 60000 x 60000 would otherwise cost gigabytes per frame.
constexpr int64_t kMaxVideoPixels = int64_t{1} << 26;

// The bound open_ffmpeg_reader() applies: kMaxVideoPixels unless lowered. fuzz_video lowers it,
// as FFmpeg's own decoder fuzzers bound max_pixels, so that its time goes to parsing mutated
// headers rather than zeroing the pictures they declare.
int64_t max_video_pixels();
void set_max_video_pixels(int64_t pixels);

// Why open_ffmpeg_reader() gave no reader: FFmpeg cannot read the input at all (another
// backend may), or it can and the input is refused (no other backend should try).
struct FfmpegOpenFailure {
  bool refused = false;
  std::string why;  // for the message: "declares 9000x9000 frames (expected at most N pixels)"
};

// FFmpeg's libraries on a video file or a stream URL (`network`: timeouts as OpenCV's FFmpeg
// backend has them, 30 s to open and 30 s per read, RTSP over TCP). nullptr, with `failure`
// filled, when FFmpeg cannot open it, finds no video stream it can decode, or refuses it.
std::unique_ptr<VideoReader> open_ffmpeg_reader(const std::string& spec, bool network,
                                                FfmpegOpenFailure& failure);

// cv::VideoCapture behind the same interface: an exception from OpenCV's retrieve() makes the
// frame undecodable.
std::unique_ptr<VideoReader> wrap_capture(cv::VideoCapture cap);

// Whether set_stream_stop()'s flag is set.
bool stream_stop_requested();

// Quiets FFmpeg's own logging (av_log) unless MVINFER_LIB_LOGS=1. Once per process.
void quiet_ffmpeg();

}  // namespace mvinfer
