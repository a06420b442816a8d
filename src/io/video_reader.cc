#include "io/video_reader.h"

#include <fmt/format.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <opencv2/core.hpp>
#include <thread>

#include "core/library_logs.h"
#include "mvinfer/io/frame_source.h"

namespace mvinfer {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int64_t> max_pixels{kMaxVideoPixels};
std::atomic<const std::atomic<bool>*> stream_stop{nullptr};

double rational(AVRational r) { return r.den == 0 ? 0.0 : av_q2d(r); }

// A network wait that has not returned by its deadline, or once a stop is requested
// (set_stream_stop), is interrupted: FFmpeg polls this.
struct Deadline {
  Clock::time_point at = Clock::time_point::max();
  static int expired(void* self) {
    return stream_stop_requested() || static_cast<Deadline*>(self)->passed() ? 1 : 0;
  }
  bool passed() const { return Clock::now() > at; }
  void in(std::chrono::seconds s) { at = Clock::now() + s; }
};

class FfmpegReader final : public VideoReader {
 public:
  ~FfmpegReader() override {
    sws_freeContext(sws_);
    av_frame_free(&picture_);
    av_packet_free(&packet_);
    avcodec_free_context(&decoder_);
    avformat_close_input(&format_);
  }

  // Fills `failure` and returns false when the input cannot be read as a video.
  bool open(const std::string& spec, bool network, FfmpegOpenFailure& failure) {
    AVDictionary* options = nullptr;
    if (network) {
      static std::once_flag once;
      std::call_once(once, [] { avformat_network_init(); });
      format_ = avformat_alloc_context();
      if (format_ == nullptr) return fail(failure, "out of memory");
      format_->interrupt_callback = {&Deadline::expired, &deadline_};
      deadline_.in(kNetworkTimeout);
      av_dict_set(&options, "rtsp_transport", "tcp", 0);
    }
    const int opened = avformat_open_input(&format_, spec.c_str(), nullptr, &options);
    av_dict_free(&options);
    if (opened < 0) return fail_open(failure, opened, network);
    if (const int r = avformat_find_stream_info(format_, nullptr); r < 0)
      return fail_open(failure, r, network);
    const AVCodec* codec = nullptr;
    stream_ = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream_ < 0 || codec == nullptr) return fail(failure, "no video stream FFmpeg can decode");
    const AVStream* st = format_->streams[stream_];
    const AVCodecParameters* par = st->codecpar;
    const int64_t most = max_video_pixels();
    if (static_cast<int64_t>(par->width) * par->height > most) {
      failure.refused = true;
      return fail(failure, fmt::format("declares {}x{} frames (expected at most {} pixels)",
                                       par->width, par->height, most));
    }
    decoder_ = avcodec_alloc_context3(codec);
    if (decoder_ == nullptr || avcodec_parameters_to_context(decoder_, par) < 0)
      return fail(failure, "cannot set up its decoder");
    // Frames whose size changes mid-stream are held to the same bound as the header's.
    decoder_->max_pixels = most;
    // As OpenCV's backend: one decoding thread per core (frame and slice threads).
    decoder_->thread_count =
        static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 16u));
    if (const int r = avcodec_open2(decoder_, codec, nullptr); r < 0)
      return fail(failure, error_text(r));
    packet_ = av_packet_alloc();
    picture_ = av_frame_alloc();
    if (packet_ == nullptr || picture_ == nullptr) return fail(failure, "out of memory");
    network_ = network;
    time_base_ = rational(st->time_base);
    start_ = st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time;
    fps_ = rational(st->avg_frame_rate);
    if (fps_ <= 0) fps_ = rational(st->r_frame_rate);
    frames_ = st->nb_frames;
    if (frames_ <= 0) {
      double seconds = format_->duration == AV_NOPTS_VALUE
                           ? 0.0
                           : static_cast<double>(format_->duration) / AV_TIME_BASE;
      if (seconds <= 0 && st->duration != AV_NOPTS_VALUE)
        seconds = static_cast<double>(st->duration) * time_base_;
      // A damaged header can declare any duration and rate: a count past 2^62 is no count.
      const double n = std::floor(seconds * fps_ + 0.5);
      frames_ = n > 0 && n < 0x1p62 ? static_cast<int64_t>(n) : -1;
    }
    rotation_ = rotation_of(st);
    return true;
  }

  Read read(cv::Mat& image) override {
    const Read r = decode();
    if (r != Read::frame) return r;
    return convert(image) ? Read::frame : Read::undecodable;
  }

  bool skip() override { return decode() != Read::end; }

  bool seek(int64_t frame) override {
    if (frame < 0 || fps_ <= 0 || time_base_ <= 0) return false;
    // From a keyframe before `frame - back`, decoding forward to `frame`; further back when the
    // keyframe the container found lies past it.
    for (int64_t back = 16;; back = back * 3 / 2) {
      const int64_t from = std::max<int64_t>(0, frame - back);
      const double ts = static_cast<double>(start_) + static_cast<double>(from) / fps_ / time_base_;
      if (!(std::abs(ts) < 0x1p62)) return false;
      if (av_seek_frame(format_, stream_, std::llround(ts), AVSEEK_FLAG_BACKWARD) < 0) return false;
      avcodec_flush_buffers(decoder_);
      draining_ = false;
      pending_ = false;
      Read r = decode();
      if (r != Read::frame) return false;
      int64_t n = frame_number();
      if (n < 0) return false;  // no timestamps to count by
      if (n > frame) {
        if (from == 0) return false;
        continue;
      }
      while (n < frame) {
        r = decode();
        if (r == Read::end) return false;
        if (r == Read::undecodable) continue;
        n = frame_number();
        if (n < 0) return false;
      }
      if (n != frame) return false;  // the stream has no frame `frame`
      pending_ = true;               // the next read() returns it
      return true;
    }
  }

  double fps() const override { return fps_; }
  int64_t frame_count() const override { return frames_; }
  double time_ms() const override {
    if (pts_ == AV_NOPTS_VALUE || time_base_ <= 0) return std::numeric_limits<double>::quiet_NaN();
    return since_start() * 1000.0;
  }

 private:
  static constexpr std::chrono::seconds kNetworkTimeout{30};

  static bool fail(FfmpegOpenFailure& failure, std::string why) {
    failure.why = std::move(why);
    return false;
  }

  // FFmpeg's reason, or for a stream URL whose wait timed out, that (a stop is for the caller
  // to tell: stream_stop_requested()).
  bool fail_open(FfmpegOpenFailure& failure, int code, bool network) const {
    if (network && deadline_.passed())
      return fail(failure, fmt::format("no answer within {} s", kNetworkTimeout.count()));
    return fail(failure, error_text(code));
  }

  static std::string error_text(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
  }

  // Clockwise degrees the picture is to be turned for display (0, 90, 180 or 270), from the
  // stream's display matrix (phone videos): the matrix turns it counter-clockwise by what
  // av_display_rotation_get() says, as FFmpeg's own tools read it. OpenCV 4.6's backend turned
  // quarter turns the other way (tests/video_reader_test.cc).
  static int rotation_of(const AVStream* st) {
    const uint8_t* matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
    if (matrix == nullptr) return 0;
    const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
    if (!std::isfinite(ccw)) return 0;
    int cw = static_cast<int>(-std::lround(ccw)) % 360;
    if (cw < 0) cw += 360;
    return cw;
  }

  // Seconds from the stream's start to the picture just decoded. In doubles: a damaged stream's
  // timestamps can be anywhere in int64's range, and their difference overflow it.
  double since_start() const {
    return (static_cast<double>(pts_) - static_cast<double>(start_)) * time_base_;
  }

  // The frame number of the picture just decoded, from its timestamp; -1 without one.
  int64_t frame_number() const {
    if (pts_ == AV_NOPTS_VALUE) return -1;
    const double n = std::round(since_start() * fps_);
    return n >= 0 && n < 0x1p62 ? static_cast<int64_t>(n) : -1;
  }

  // The next decoded picture into picture_. A packet the decoder rejects is one undecodable
  // frame; decoding goes on with the next one. A container that cannot be read further
  // (its end, a read error, truncation) drains the decoder's delayed pictures, then ends.
  Read decode() {
    if (pending_) {
      pending_ = false;
      return Read::frame;
    }
    for (;;) {
      const int got = avcodec_receive_frame(decoder_, picture_);
      if (got >= 0) {
        // OpenCV's choice, kept so that timestamps agree with it: the picture's pts unless
        // missing or 0, else its packet's dts.
        pts_ = picture_->pts != AV_NOPTS_VALUE && picture_->pts != 0 ? picture_->pts
                                                                     : picture_->pkt_dts;
        return Read::frame;
      }
      if (got == AVERROR_EOF || draining_) return Read::end;
      if (got != AVERROR(EAGAIN)) return Read::undecodable;
      if (network_) deadline_.in(kNetworkTimeout);
      const int r = av_read_frame(format_, packet_);
      if (r == AVERROR(EAGAIN)) continue;
      if (r < 0) {
        draining_ = true;
        avcodec_send_packet(decoder_, nullptr);
        continue;
      }
      if (packet_->stream_index != stream_) {
        av_packet_unref(packet_);
        continue;
      }
      const int sent = avcodec_send_packet(decoder_, packet_);
      av_packet_unref(packet_);
      if (sent < 0 && sent != AVERROR(EAGAIN)) return Read::undecodable;
    }
  }

  // picture_ as 8-bit BGR, sized by the picture itself, turned for display.
  bool convert(cv::Mat& image) {
    const int w = picture_->width, h = picture_->height;
    if (w <= 0 || h <= 0 || picture_->format < 0 || int64_t{w} * h > max_video_pixels())
      return false;
    if (sws_ == nullptr || w != sws_w_ || h != sws_h_ || picture_->format != sws_format_) {
      sws_ = sws_getCachedContext(sws_, w, h, static_cast<AVPixelFormat>(picture_->format), w, h,
                                  AV_PIX_FMT_BGR24, SWS_BICUBIC, nullptr, nullptr, nullptr);
      if (sws_ == nullptr) return false;
      sws_w_ = w;
      sws_h_ = h;
      sws_format_ = picture_->format;
    }
    // Straight into the image, which has rows to spare below it: swscale's vector code may
    // write a little past the last pixel it converts (FFmpeg's own buffers are padded for it).
    const int spare_rows = 1 + 64 / (3 * w);
    cv::Mat buffer(h + spare_rows, w, CV_8UC3);
    uint8_t* const dst[4] = {buffer.data, nullptr, nullptr, nullptr};
    const int dst_stride[4] = {static_cast<int>(buffer.step[0]), 0, 0, 0};
    if (sws_scale(sws_, picture_->data, picture_->linesize, 0, h, dst, dst_stride) != h)
      return false;
    const cv::Mat picture = buffer.rowRange(0, h);  // continuous: whole rows of `buffer`
    switch (rotation_) {
      case 90:
        cv::rotate(picture, image, cv::ROTATE_90_CLOCKWISE);
        break;
      case 180:
        cv::rotate(picture, image, cv::ROTATE_180);
        break;
      case 270:
        cv::rotate(picture, image, cv::ROTATE_90_COUNTERCLOCKWISE);
        break;
      default:
        image = picture;
    }
    return true;
  }

  AVFormatContext* format_ = nullptr;
  AVCodecContext* decoder_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* picture_ = nullptr;
  SwsContext* sws_ = nullptr;
  int sws_w_ = 0, sws_h_ = 0, sws_format_ = -1;  // what sws_ converts from
  Deadline deadline_;
  bool network_ = false;
  int stream_ = -1;
  double time_base_ = 0;  // seconds per timestamp unit
  int64_t start_ = 0;     // the stream's first timestamp
  double fps_ = 0;
  int64_t frames_ = -1;
  int rotation_ = 0;
  int64_t pts_ = AV_NOPTS_VALUE;  // of the picture last decoded
  bool draining_ = false;         // the container is done: only delayed pictures are left
  bool pending_ = false;          // picture_ is decoded and not yet returned (after seek)
};

class CaptureReader final : public VideoReader {
 public:
  explicit CaptureReader(cv::VideoCapture cap) : cap_(std::move(cap)) {}
  Read read(cv::Mat& image) override {
    if (!cap_.grab()) return Read::end;
    try {
      if (cap_.retrieve(image) && !image.empty()) return Read::frame;
    } catch (const cv::Exception&) {
    }
    return Read::undecodable;
  }
  bool skip() override { return cap_.grab(); }
  bool seek(int64_t frame) override {
    return cap_.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(frame));
  }
  double fps() const override { return cap_.get(cv::CAP_PROP_FPS); }
  int64_t frame_count() const override {
    const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);
    return n > 0 ? static_cast<int64_t>(n) : -1;
  }
  double time_ms() const override { return cap_.get(cv::CAP_PROP_POS_MSEC); }

 private:
  cv::VideoCapture cap_;
};

}  // namespace

std::unique_ptr<VideoReader> open_ffmpeg_reader(const std::string& spec, bool network,
                                                FfmpegOpenFailure& failure) {
  quiet_ffmpeg();
  auto reader = std::make_unique<FfmpegReader>();
  if (!reader->open(spec, network, failure)) return nullptr;
  return reader;
}

std::unique_ptr<VideoReader> wrap_capture(cv::VideoCapture cap) {
  return std::make_unique<CaptureReader>(std::move(cap));
}

int64_t max_video_pixels() { return max_pixels.load(std::memory_order_relaxed); }

void set_max_video_pixels(int64_t pixels) { max_pixels.store(pixels, std::memory_order_relaxed); }

void set_stream_stop(const std::atomic<bool>* stop) {
  stream_stop.store(stop, std::memory_order_relaxed);
}

bool stream_stop_requested() {
  const std::atomic<bool>* stop = stream_stop.load(std::memory_order_relaxed);
  return stop != nullptr && stop->load(std::memory_order_relaxed);
}

void quiet_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!library_logs_enabled()) av_log_set_level(AV_LOG_QUIET);
  });
}

}  // namespace mvinfer
