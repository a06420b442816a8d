// Writes the generated part of the fuzz targets' seed corpora (fuzz/seed_corpus.sh adds the
// real files): tiny zoo models (onnx/), small images in every format OpenCV writes here
// (image/), short videos (video/) and decoder cases in decoder_case.h's format (decoder/).
// Usage: make_seeds OUTDIR. Every file is made here, so nothing third-party is committed.
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "decoder_case.h"
#include "mvinfer/core/error.h"
#include "mvinfer/tools/zoo.h"

namespace fs = std::filesystem;
using mvinfer::fuzz::DecoderCase;
using mvinfer::fuzz::DimKind;
using mvinfer::fuzz::ValueKind;

namespace {

int written = 0;

void save(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
  ++written;
}

void zoo(const fs::path& dir) {
  fs::create_directories(dir);
  struct Variant {
    const char* name;
    mvinfer::ZooOptions options;
  };
  auto tiny = [](int channels, int side, int only_batch) {
    mvinfer::ZooOptions o;
    o.count = 1;
    o.channels = channels;
    o.height = o.width = side;
    o.width_mult = 2;
    o.depth = 1;
    o.classes = 10;
    o.only_batch = only_batch;
    return o;
  };
  // An ordinary model, a grey one (refused: 1 channel) and one whose output batch is fixed.
  for (const Variant& v :
       {Variant{"zoo_3x16x16", tiny(3, 16, 0)}, Variant{"zoo_1x8x8", tiny(1, 8, 0)},
        Variant{"zoo_only_batch2", tiny(3, 8, 2)}}) {
    const fs::path tmp = dir / "tmp";
    const auto models = mvinfer::write_zoo(tmp.string(), v.options);
    fs::rename(models.at(0).path, dir / fmt::format("{}.onnx", v.name));
    fs::remove_all(tmp);
    ++written;
  }
}

// A model whose Reshape target is computed from the input's shape through the ops
// inspect_graph() evaluates itself when libonnx's inference leaves a shape unknown (Shape,
// Gather, Slice, Mul, Div, Sub, Add, Concat, Cast): x [n, 3, 8, 8] -> [n, 2, 96] -> MatMul
// [96, 10]. The zoo models have no such chain; PaddleOCR's are large.
void shape_chain(const fs::path& path) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.set_producer_name("make_seeds");
  m.add_opset_import()->set_version(13);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("shape_chain");
  auto value = [](onnx::ValueInfoProto* v, const std::string& name,
                  const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) {
      auto* dim = t->mutable_shape()->add_dim();
      if (d < 0)
        dim->set_dim_param("n");
      else
        dim->set_dim_value(d);
    }
  };
  auto node = [&](const std::string& op, std::vector<std::string> in, const std::string& out) {
    onnx::NodeProto* n = g.add_node();
    n->set_op_type(op);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  };
  auto ints = [&](const std::string& out, std::vector<int64_t> values) {
    onnx::AttributeProto* a = node("Constant", {}, out)->add_attribute();
    a->set_name("value_ints");
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  };
  value(g.add_input(), "x", {-1, 3, 8, 8});
  value(g.add_output(), "y", {-1, 2, 10});
  node("Shape", {"x"}, "s");
  ints("i0", {0});
  ints("i1", {1});
  ints("i2", {2});
  ints("i4", {4});
  node("Gather", {"s", "i0"}, "n");
  node("Slice", {"s", "i1", "i2"}, "c");
  node("Slice", {"s", "i2", "i4"}, "hw");
  node("Gather", {"hw", "i0"}, "h");
  node("Gather", {"hw", "i1"}, "w");
  node("Mul", {"h", "w"}, "area");
  node("Mul", {"c", "area"}, "chw");
  node("Div", {"chw", "i2"}, "half");
  node("Sub", {"half", "i1"}, "less");
  node("Add", {"less", "i1"}, "k");
  node("Concat", {"n", "i2", "k"}, "target")->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("axis");
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(0);
    return a;
  }());
  node("Cast", {"target"}, "target64")->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("to");
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(onnx::TensorProto::INT64);
    return a;
  }());
  node("Reshape", {"x", "target64"}, "r");
  node("MatMul", {"r", "W"}, "y");
  onnx::TensorProto* w = g.add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(96);
  w->add_dims(10);
  for (int i = 0; i < 960; ++i) w->add_float_data(static_cast<float>(i % 7) / 7.0f - 0.5f);
  auto save_model = [](const onnx::ModelProto& model, const fs::path& file) {
    std::ofstream out(file, std::ios::binary);
    if (!model.SerializeToOstream(&out)) throw std::runtime_error("cannot write " + file.string());
    ++written;
  };
  save_model(m, path);
  // Two damaged copies on which fuzz_onnx_model found graph inspection reading past a node's
  // inputs or outputs (fixed; Graph.ANodeWithoutItsInputOrOutputIsNotACrash): the Shape node
  // without its input, and the MatMul without its output and W, after an op no opset has.
  onnx::ModelProto damaged = m;
  damaged.mutable_graph()->mutable_node(0)->clear_input();  // Shape(x) -> s
  save_model(damaged, path.parent_path() / "shape_without_input.onnx");
  damaged = m;
  for (onnx::NodeProto& n : *damaged.mutable_graph()->mutable_node()) {
    if (n.op_type() == "Mul") n.set_op_type("NoSuchOp");
    if (n.op_type() == "MatMul") {
      n.clear_output();
      n.mutable_input()->RemoveLast();
    }
  }
  save_model(damaged, path.parent_path() / "matmul_without_output.onnx");
}

cv::Mat picture(int w, int h, int type) {
  cv::Mat bgr(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      bgr.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>(40 * x), static_cast<uint8_t>(50 * y),
                    static_cast<uint8_t>(20 * (x + y)));
  cv::Mat out;
  switch (type) {
    case CV_8UC1:
      cv::cvtColor(bgr, out, cv::COLOR_BGR2GRAY);
      break;
    case CV_8UC4:
      cv::cvtColor(bgr, out, cv::COLOR_BGR2BGRA);
      break;
    case CV_16UC3:
      bgr.convertTo(out, CV_16U, 257);
      break;
    case CV_32FC3:
      bgr.convertTo(out, CV_32F, 1 / 255.0);
      break;
    default:
      out = bgr;
  }
  return out;
}

void images(const fs::path& dir) {
  fs::create_directories(dir);
  struct Image {
    const char* name;
    int type;
  };
  for (const Image& i :
       {Image{"bgr.png", CV_8UC3}, Image{"grey.png", CV_8UC1}, Image{"bgra.png", CV_8UC4},
        Image{"deep.png", CV_16UC3}, Image{"bgr.jpg", CV_8UC3}, Image{"grey.jpg", CV_8UC1},
        Image{"bgr.bmp", CV_8UC3}, Image{"bgr.ppm", CV_8UC3}, Image{"grey.pgm", CV_8UC1},
        Image{"bgr.tiff", CV_8UC3}, Image{"deep.tiff", CV_16UC3}, Image{"bgr.webp", CV_8UC3},
        Image{"bgr.jp2", CV_8UC3}, Image{"bgr.sr", CV_8UC3}, Image{"float.hdr", CV_32FC3},
        Image{"float.pfm", CV_32FC3}}) {
    // imwrite, not imencode: OpenCV 4.6's imencode goes through a file in /tmp for an encoder
    // that cannot write to memory (JPEG 2000), and leaves it there when the encoder fails (as
    // JPEG 2000 does with this build: no .jp2 seed either way).
    const fs::path path = dir / i.name;
    bool ok = false;
    try {
      ok = cv::imwrite(path.string(), picture(8, 6, i.type));
    } catch (const cv::Exception&) {
      // a format this OpenCV was built without
    }
    std::error_code ec;
    if (ok && fs::file_size(path, ec) > 0) {
      ++written;
    } else {
      fs::remove(path, ec);
    }
  }
}

void videos(const fs::path& dir) {
  fs::create_directories(dir);
  struct Video {
    const char* name;
    int api;
    const char* fourcc;
  };
  for (const Video& v :
       {Video{"mjpg.avi", cv::CAP_OPENCV_MJPEG, "MJPG"}, Video{"mp4v.mp4", cv::CAP_FFMPEG, "mp4v"},
        Video{"ffv1.mkv", cv::CAP_FFMPEG, "FFV1"}}) {
    const fs::path path = dir / v.name;
    {
      cv::VideoWriter w;
      const char* f = v.fourcc;
      if (!w.open(path.string(), v.api, cv::VideoWriter::fourcc(f[0], f[1], f[2], f[3]), 10,
                  cv::Size(16, 12)))
        continue;
      for (int k = 0; k < 3; ++k) w.write(picture(16, 12, CV_8UC3) + cv::Scalar::all(60 * k));
    }
    if (fs::exists(path) && fs::file_size(path) > 0) ++written;
  }
}

DecoderCase::Dim byte(uint64_t v) { return {DimKind::byte, v}; }
DecoderCase::Dim u16(uint64_t v) { return {DimKind::u16, v}; }

std::vector<uint8_t> ramp(size_t n, int step) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i * static_cast<size_t>(step));
  return p;
}

void decoder_cases(const fs::path& dir) {
  fs::create_directories(dir);
  // Sizes are stored less one (the target adds it back): a 320 x 240 frame.
  DecoderCase c;
  c.image_width = 319;
  c.image_height = 239;

  DecoderCase classify = c;  // topk=5, softmax=auto
  classify.decoder = 0;
  classify.option_mask = 0b0110;
  classify.option_values = {4, 12};
  classify.outputs = {{{byte(2), byte(10)}, ValueKind::centred, false}};
  classify.pool = ramp(20, 37);
  save(dir / "classify.bin", classify.encode());

  // BlazeFace 128: regressors 1 x 896 x 16 (centred bytes: -8 to 8), scores 1 x 896 x 1 (kSpecials
  // by byte % 14: mostly -100, one in ten 1.0, so about 90 anchors pass), letterboxed.
  DecoderCase face = c;
  face.decoder = 1;
  face.resize = 1;
  face.outputs = {{{byte(1), u16(896), byte(16)}, ValueKind::centred, false},
                  {{byte(1), u16(896), byte(1)}, ValueKind::special, false}};
  for (size_t i = 0; i < 97; ++i)
    face.pool.push_back(static_cast<uint8_t>((i % 10 == 0 ? 1 : 6) + 14 * (i % 18)));
  save(dir / "blazeface128.bin", face.encode());
  face.width_kind = face.height_kind = 1;  // 256
  face.resize = 0;
  save(dir / "blazeface256.bin", face.encode());

  // ppocr-det: a 32 x 64 probability map with two text-like blobs, input 64 x 32.
  DecoderCase det = c;
  det.decoder = 2;
  det.width_kind = det.height_kind = 2;
  det.width = 63;
  det.height = 31;
  det.image_width = 511;
  det.image_height = 255;
  det.outputs = {{{byte(1), byte(1), byte(32), byte(64)}, ValueKind::unit, false}};
  det.pool.assign(32 * 64, 0);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x)
      if ((y >= 4 && y < 12 && x >= 6 && x < 40) || (y >= 18 && y < 27 && x >= 20 && x < 60))
        det.pool[static_cast<size_t>(y * 64 + x)] = static_cast<uint8_t>(200 + (x * y) % 56);
  save(dir / "ppocr_det.bin", det.encode());
  det.option_mask = 0b1111;  // threshold, box_threshold, unclip_ratio, max_candidates
  det.option_values = {3, 2, 1, 1};
  save(dir / "ppocr_det_options.bin", det.encode());

  DecoderCase cls = c;  // threshold=0.5
  cls.decoder = 3;
  cls.option_mask = 0b1;
  cls.option_values = {2};
  cls.outputs = {{{byte(3), byte(2)}, ValueKind::unit, false}};
  cls.pool = {10, 245, 200, 55, 128, 127};
  save(dir / "ppocr_cls.bin", cls.encode());

  DecoderCase rec = c;  // dict=five.txt: 6 classes (blank + 5)
  rec.decoder = 4;
  rec.option_mask = 0b1;
  rec.option_values = {0};
  rec.outputs = {{{byte(2), byte(8), byte(6)}, ValueKind::centred, false}};
  rec.pool = ramp(96, 29);
  save(dir / "ppocr_rec.bin", rec.encode());
  rec.outputs[0].dims[2] = byte(7);  // and the space class
  save(dir / "ppocr_rec_space.bin", rec.encode());

  DecoderCase raw = c;
  raw.decoder = 5;
  raw.outputs = {{{byte(2), byte(5)}, ValueKind::centred, false},
                 {{byte(1), byte(3), byte(4), byte(4)}, ValueKind::raw, false}};
  raw.pool = ramp(64, 7);
  save(dir / "raw.bin", raw.encode());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  // Formats this OpenCV cannot write are skipped; its own complaints about them are noise.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  try {
    zoo(out / "onnx_model");
    shape_chain(out / "onnx_model" / "shape_chain.onnx");
    images(out / "image");
    videos(out / "video");
    decoder_cases(out / "decoder");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  std::printf("make_seeds: %d files in %s\n", written, out.c_str());
  return 0;
}
