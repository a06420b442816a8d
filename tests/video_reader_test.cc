// The frame source's own FFmpeg reader (src/io/video_reader.h) on videos written here with
// FFmpeg's libraries: a phone-style MP4 whose display matrix turns the picture 90, 180 or 270
// degrees comes out turned for display, as FFmpeg's own tools turn it, pixel for pixel what
// OpenCV's FFmpeg backend decodes.
#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
}

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "mvinfer/io/frame_source.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

// Sends `frame` (nullptr: the end) to the encoder and writes the packets it gives back.
void encode(AVCodecContext* enc, AVFormatContext* out, AVStream* st, const AVFrame* frame) {
  ASSERT_GE(avcodec_send_frame(enc, frame), 0);
  AVPacket* pkt = av_packet_alloc();
  while (avcodec_receive_packet(enc, pkt) >= 0) {
    av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
    pkt->stream_index = st->index;
    ASSERT_GE(av_interleaved_write_frame(out, pkt), 0);
  }
  av_packet_free(&pkt);
}

// An MPEG-4 Part 2 video in MP4 of `frames` 64 x 48 pictures at 25 frames/s, whose display
// matrix is av_display_rotation_set(`angle`) (none for 0). The luma is a ramp across and down
// (and changes per frame), so any turn or flip shows; the chroma is a ramp too.
fs::path rotated_mp4(const fs::path& file, int angle, int frames = 3) {
  constexpr int kW = 64, kH = 48;
  AVFormatContext* out = nullptr;
  EXPECT_GE(avformat_alloc_output_context2(&out, nullptr, "mp4", file.c_str()), 0);
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  EXPECT_NE(codec, nullptr);
  AVStream* st = avformat_new_stream(out, nullptr);
  AVCodecContext* enc = avcodec_alloc_context3(codec);
  enc->width = kW;
  enc->height = kH;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = {1, 25};
  enc->framerate = {25, 1};
  enc->gop_size = 1;
  enc->bit_rate = 4'000'000;
  if (out->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  EXPECT_GE(avcodec_open2(enc, codec, nullptr), 0);
  EXPECT_GE(avcodec_parameters_from_context(st->codecpar, enc), 0);
  st->time_base = enc->time_base;
  if (angle != 0) {
    auto* matrix = reinterpret_cast<int32_t*>(
        av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
    av_display_rotation_set(matrix, angle);
  }
  EXPECT_GE(avio_open(&out->pb, file.c_str(), AVIO_FLAG_WRITE), 0);
  EXPECT_GE(avformat_write_header(out, nullptr), 0);
  AVFrame* pic = av_frame_alloc();
  pic->format = enc->pix_fmt;
  pic->width = kW;
  pic->height = kH;
  EXPECT_GE(av_frame_get_buffer(pic, 0), 0);
  for (int i = 0; i < frames; ++i) {
    EXPECT_GE(av_frame_make_writable(pic), 0);
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x)
        pic->data[0][y * pic->linesize[0] + x] = static_cast<uint8_t>(16 + 3 * x + y + 10 * i);
    for (int y = 0; y < kH / 2; ++y)
      for (int x = 0; x < kW / 2; ++x) {
        pic->data[1][y * pic->linesize[1] + x] = static_cast<uint8_t>(64 + 4 * x);
        pic->data[2][y * pic->linesize[2] + x] = static_cast<uint8_t>(64 + 5 * y);
      }
    pic->pts = i;
    encode(enc, out, st, pic);
  }
  encode(enc, out, st, nullptr);
  EXPECT_GE(av_write_trailer(out), 0);
  avio_closep(&out->pb);
  av_frame_free(&pic);
  avcodec_free_context(&enc);
  avformat_free_context(out);
  return file;
}

TEST(VideoReader, TurnedVideosComeOutTurnedForDisplay) {
  // The pictures OpenCV decodes with its own turning off, turned here as FFmpeg's display
  // matrix says (av_display_rotation_set(m, a) is read back as a counter-clockwise turn of -a:
  // display the picture turned `a` degrees clockwise), are the images the frame source yields.
  // OpenCV 4.6's own turning (CAP_PROP_ORIENTATION_AUTO) goes the other way for quarter turns.
  const fs::path dir = scratch_dir("rotated");
  for (const int clockwise : {0, 90, 180, 270}) {
    const fs::path video =
        rotated_mp4(dir / ("cw" + std::to_string(clockwise) + ".mp4"), clockwise);
    auto src = open_frame_source(video.string());
    cv::VideoCapture cap(video.string(), cv::CAP_FFMPEG);
    ASSERT_TRUE(cap.isOpened());
    ASSERT_TRUE(cap.set(cv::CAP_PROP_ORIENTATION_AUTO, 0));
    int n = 0;
    for (cv::Mat decoded; cap.read(decoded); ++n) {
      cv::Mat expected = decoded.clone();
      if (clockwise == 90) cv::rotate(decoded, expected, cv::ROTATE_90_CLOCKWISE);
      if (clockwise == 180) cv::rotate(decoded, expected, cv::ROTATE_180);
      if (clockwise == 270) cv::rotate(decoded, expected, cv::ROTATE_90_COUNTERCLOCKWISE);
      Frame f;
      ASSERT_TRUE(src->next(f)) << clockwise << ": frame " << n;
      // A quarter turn stands the 64 x 48 picture up.
      EXPECT_EQ(f.image.size(), clockwise % 180 == 0 ? cv::Size(64, 48) : cv::Size(48, 64));
      ASSERT_EQ(f.image.size(), expected.size()) << clockwise;
      EXPECT_EQ(cv::norm(f.image, expected, cv::NORM_INF), 0.0) << clockwise << ": frame " << n;
      EXPECT_DOUBLE_EQ(f.timestamp_ms, 40.0 * n) << clockwise;
    }
    EXPECT_GE(n, 2) << clockwise;
    Frame more;
    EXPECT_FALSE(src->next(more)) << clockwise << ": more frames than OpenCV reads";
  }
}

}  // namespace
}  // namespace mvinfer::testing
