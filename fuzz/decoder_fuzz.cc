// Fuzz target: every built-in decoder (decoder.h: classify, blazeface, ppocr-det, ppocr-cls,
// ppocr-rec) and the raw summary, on output tensors of fuzzed shapes and values (the format is in
// decoder_case.h), with fuzzed options and input mappings, through what a run does with them:
// make_decoder(), decode(), crop_polygon() on every detection (the dependents' regions), and
// the JSON Lines sink. mvinfer::Error is the expected way to refuse an input. Also checked, as
// decoder.h promises: detections lie on the image (clipped, finite).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "decoder_case.h"
#include "fuzz_support.h"
#include "mvinfer/core/decoder.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/preprocess.h"
#include "mvinfer/io/result_sink.h"

namespace {

using namespace mvinfer;
using fuzz::Bytes;

// Values for the tensors, read cyclically.
class Pool {
 public:
  explicit Pool(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t next() {
    if (bytes_.empty()) return 0;
    const uint8_t b = bytes_[pos_];
    pos_ = (pos_ + 1) % bytes_.size();
    return b;
  }
  float value(fuzz::ValueKind kind) {
    switch (kind) {
      case fuzz::ValueKind::raw: {
        const uint32_t bits = static_cast<uint32_t>(next()) | static_cast<uint32_t>(next()) << 8 |
                              static_cast<uint32_t>(next()) << 16 |
                              static_cast<uint32_t>(next()) << 24;
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
      }
      case fuzz::ValueKind::centred:
        return (static_cast<float>(next()) - 128.0f) / 16.0f;
      case fuzz::ValueKind::unit:
        return static_cast<float>(next()) / 255.0f;
      case fuzz::ValueKind::special:
        return fuzz::kSpecials[next() % fuzz::kSpecials.size()];
    }
    return 0;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

// At most this many values per tensor: larger shapes get a few values (and decoders must
// refuse the mismatch).
constexpr int64_t kMaxValues = 1 << 16;

// Detections per case that are cut out (crop_polygon: the dependents' regions) and written
// (the JSON Lines sink); every detection's corners are checked. What those two do with a
// detection depends on its polygon and values, not on how many came before, and a case of
// hundreds of detections spent most of its time there (BlazeFace: up to 896).
constexpr size_t kMaxUsed = 16;

// The element count of `shape`, or -1 when a dim is negative or the count exceeds kMaxValues.
int64_t bounded_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d == 0) return 0;
    if (n > kMaxValues / d)
      n = kMaxValues + 1;  // stays above the bound
    else
      n *= d;
  }
  return n > kMaxValues ? -1 : n;
}

struct Case {
  DecoderSpec spec;
  PreprocessSpec preprocess;
  int image_width = 1, image_height = 1;
  size_t row = 0;
  std::vector<Tensor> outputs;
  bool consistent = true;  // every tensor's data matches its shape, no negative dims
};

Case read_case(Bytes& in) {
  const std::filesystem::path& dir = fuzz::temp_dir();
  Case c;
  const size_t d = in.pick(fuzz::kDecoderNames.size());
  c.spec.name = fuzz::kDecoderNames[d];
  const uint8_t mask = in.u8();
  for (size_t i = 0; i < fuzz::kOptions[d].size(); ++i) {
    const std::string_view key = fuzz::kOptions[d][i];
    if (key.empty() || !(mask & (1u << i))) continue;
    const uint8_t v = in.u8();
    c.spec.options[std::string(key)] = key == "labels" || key == "dict"
                                           ? (dir / fuzz::kFiles[v % fuzz::kFiles.size()]).string()
                                           : std::string(fuzz::kValues[v % fuzz::kValues.size()]);
  }
  auto side = [&] {
    switch (in.pick(3)) {
      case 0:
        return 128;
      case 1:
        return 256;
      default:
        return in.u16() % 1024 + 1;
    }
  };
  c.preprocess.width = side();
  c.preprocess.height = side();
  c.preprocess.resize = static_cast<Resize>(in.pick(4));
  c.image_width = in.u16() % 512 + 1;
  c.image_height = in.u16() % 512 + 1;
  c.row = in.pick(4);
  const size_t n_outputs = in.pick(3) + 1;
  struct Output {
    std::vector<int64_t> shape;
    fuzz::ValueKind values;
    bool short_data;
  };
  std::vector<Output> layouts;
  for (size_t k = 0; k < n_outputs; ++k) {
    Output l;
    const size_t rank = in.pick(6);
    for (size_t i = 0; i < rank; ++i) switch (static_cast<fuzz::DimKind>(in.pick(4))) {
        case fuzz::DimKind::byte:
          l.shape.push_back(in.u8());
          break;
        case fuzz::DimKind::u16:
          l.shape.push_back(in.u16());
          break;
        case fuzz::DimKind::special:
          l.shape.push_back(fuzz::kDims[in.u8() % fuzz::kDims.size()]);
          break;
        case fuzz::DimKind::raw:
          l.shape.push_back(static_cast<int64_t>(in.u64()));
          break;
      }
    l.values = static_cast<fuzz::ValueKind>(in.pick(4));
    l.short_data = in.u8() % 16 == 0;
    layouts.push_back(std::move(l));
  }
  Pool pool(in.rest());
  for (const Output& l : layouts) {
    Tensor t;
    t.shape = l.shape;
    int64_t n = bounded_count(l.shape);
    if (n < 0) {
      c.consistent = false;
      n = 3;
    } else if (l.short_data && n > 0) {
      c.consistent = false;
      --n;
    }
    t.data.resize(static_cast<size_t>(n));
    for (float& v : t.data) v = pool.value(l.values);
    c.outputs.push_back(std::move(t));
  }
  return c;
}

bool on_image(const Point& p, const InputMapping& m) {
  return std::isfinite(p.x) && std::isfinite(p.y) && p.x >= 0 && p.y >= 0 &&
         p.x <= static_cast<float>(m.image_width) && p.y <= static_cast<float>(m.image_height);
}

// The frame regions are cut from (for dependent models), at the largest image size: a
// gradient, its content is not what is tested.
const cv::Mat& frame() {
  static const cv::Mat m = [] {
    cv::Mat f(512, 512, CV_8UC3);
    for (int y = 0; y < f.rows; ++y)
      for (int x = 0; x < f.cols; ++x)
        f.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x), static_cast<uint8_t>(y), 0);
    return f;
  }();
  return m;
}

void write_result(const Case& c, const std::vector<Prediction>& predictions) {
  ModelSpec model;
  model.name = "fuzz";
  model.decoder = c.spec;
  for (size_t k = 0; k < c.outputs.size(); ++k)
    model.outputs.push_back(TensorInfo{"out" + std::to_string(k), "float32", {}, {}});
  Batch batch;
  batch.frames.push_back(FrameRef{0, 0, 0, c.image_width, c.image_height});
  ModelResult r;
  if (predictions.empty()) r.outputs = c.outputs;  // the raw summary reads them
  r.rows.push_back(0);
  r.frames = r.rows;
  r.predictions = predictions;
  // The JSON Lines sink of a run, a new one each time: its file is replaced, not appended to.
  JsonlSink sink((fuzz::temp_dir() / "results.jsonl").string(), {"fuzz"});
  sink.begin(std::span(&model, 1));
  sink.consume(batch, 0, r);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::filesystem::path& dir = fuzz::temp_dir();
  fuzz::write_file(dir / "five.txt", "a\nb\r\nc\n\xe4\xb8\x80\n ");
  fuzz::write_file(dir / "one.txt", "x");
  fuzz::write_file(dir / "empty.txt", "");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(std::span(data, size));
  const Case c = read_case(in);
  try {
    std::unique_ptr<Decoder> decoder = make_decoder(c.spec);
    if (!decoder) {
      // raw: the summary of the sink, for what a model can output (no negative dims, the data
      // matches the shape: ONNX Runtime's tensors).
      if (c.consistent) write_result(c, {});
      return 0;
    }
    const InputMapping mapping = input_mapping(c.preprocess, c.image_width, c.image_height);
    Prediction p = decoder->decode(DecodeInput{c.outputs, c.row, mapping});
    const cv::Mat image = frame()(cv::Rect(0, 0, c.image_width, c.image_height));
    for (size_t i = 0; i < p.detections.size(); ++i) {
      const Detection& d = p.detections[i];
      for (const Point& q : d.polygon)
        if (!on_image(q, mapping))
          fuzz::finding("decoder '" + c.spec.name + "': a polygon corner off the image");
      if (i >= kMaxUsed) continue;
      const cv::Mat crop = crop_polygon(image, d.polygon);
      if (!crop.empty() && crop.type() != CV_8UC3) fuzz::finding("crop_polygon: not 8-bit BGR");
    }
    if (p.detections.size() > kMaxUsed) p.detections.resize(kMaxUsed);
    write_result(c, {p});  // reads the predictions only
  } catch (const Error&) {
  }
  return 0;
}
