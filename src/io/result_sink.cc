#include "mvinfer/io/result_sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "mvinfer/core/error.h"

namespace mvinfer {
namespace {

using json = nlohmann::ordered_json;  // keys in the order a reader expects

// Compact summary of one output: per-row argmax and top-5 for 2-D outputs (classifier
// logits), min/max/mean for anything else (maps, feature tensors).
json summarize(const std::string& name, const Tensor& t) {
  json o{{"name", name}, {"shape", t.shape}};
  if (t.shape.size() == 2 && t.shape[1] > 0) {
    const size_t rows = static_cast<size_t>(t.shape[0]), cols = static_cast<size_t>(t.shape[1]);
    json argmax = json::array(), top5 = json::array();
    // Sized by the data, not the shape alone: 0 x 2^60 is an empty tensor (found by the decoder
    // fuzz target: it asked for 2^63 bytes).
    std::vector<size_t> idx(rows > 0 ? cols : 0);
    for (size_t r = 0; r < rows; ++r) {
      const float* row = t.data.data() + r * cols;
      std::iota(idx.begin(), idx.end(), size_t{0});
      const size_t k = std::min<size_t>(5, cols);
      // Ties keep the lower index first, like numpy's argmax.
      std::partial_sort(
          idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
          [&](size_t a, size_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
      argmax.push_back(idx[0]);
      json top = json::array();
      for (size_t i = 0; i < k; ++i) top.push_back(json::array({idx[i], row[idx[i]]}));
      top5.push_back(std::move(top));
    }
    o["argmax"] = std::move(argmax);
    o["top5"] = std::move(top5);
  } else if (!t.data.empty()) {
    double sum = 0;
    float lo = t.data[0], hi = t.data[0];
    for (float v : t.data) {
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    o["min"] = lo;
    o["max"] = hi;
    o["mean"] = sum / static_cast<double>(t.data.size());
  }
  return o;
}

json point_json(const Point& p) { return json::array({p.x, p.y}); }

// Adds one prediction's fields to `o`: only those its decoder fills. (In place: update() from a
// temporary object deep-copied every detection, most of the sink's time on detector output.)
void add_prediction(const Prediction& p, json& o) {
  if (!p.detections.empty() || (p.top.empty() && !p.has_text)) {
    json dets = json::array();
    for (const Detection& d : p.detections) {
      const std::array<float, 4> b = d.box();
      json det{{"box", b}, {"score", d.score}};
      json poly = json::array();
      for (const Point& q : d.polygon) poly.push_back(point_json(q));
      det["polygon"] = std::move(poly);
      if (!d.keypoints.empty()) {
        json kps = json::array();
        for (const Point& q : d.keypoints) kps.push_back(point_json(q));
        det["keypoints"] = std::move(kps);
      }
      dets.push_back(std::move(det));
    }
    o["detections"] = std::move(dets);
  }
  if (!p.top.empty()) {
    json top = json::array();
    for (const ClassScore& c : p.top) {
      json e{{"class", c.index}, {"score", c.score}};
      if (!c.label.empty()) e["label"] = c.label;
      top.push_back(std::move(e));
    }
    o["top"] = std::move(top);
    o["angle"] = p.angle;
  }
  if (p.has_text) {
    o["text"] = p.text;
    o["text_score"] = p.text_score;
  }
}

std::string model_dir_name(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (c == '/' || c == '\\' || c == ' ') c = '_';
  return s;
}

}  // namespace

JsonlSink::JsonlSink(const std::string& path, std::vector<std::string> source_names)
    : sources_(std::move(source_names)), file_(std::make_unique<LineFile>(path, "out_jsonl")) {}

JsonlSink::JsonlSink(LineHandler on_line, std::vector<std::string> source_names)
    : sources_(std::move(source_names)), on_line_(std::move(on_line)) {}

JsonlSink::~JsonlSink() = default;

void JsonlSink::commit() {
  if (file_) file_->commit();
}

void JsonlSink::begin(std::span<const ModelSpec> models) {
  model_names_.clear();
  output_names_.clear();
  decoded_.clear();
  for (const ModelSpec& m : models) {
    model_names_.push_back(m.name);
    decoded_.push_back(m.decoder.name != "raw");
    std::vector<std::string> outs;
    for (const TensorInfo& o : m.outputs) outs.push_back(o.name);
    output_names_.push_back(std::move(outs));
  }
}

void JsonlSink::consume(const Batch& batch, size_t model, const ModelResult& result) {
  json frames = json::array(), stamps = json::array();
  for (size_t r : result.frames) {
    frames.push_back(batch.frames[r].index);
    stamps.push_back(batch.frames[r].timestamp_ms);
  }
  json line{{"batch", batch.seq}, {"stream", batch.stream}};
  if (batch.stream >= 0 && static_cast<size_t>(batch.stream) < sources_.size()) {
    line["source"] = sources_[static_cast<size_t>(batch.stream)];
  } else if (batch.stream < 0) {  // a batch formed across streams: each frame's own stream
    json streams = json::array();
    for (const FrameRef& f : batch.frames) streams.push_back(f.stream);
    line["streams"] = std::move(streams);
  }
  line["frames"] = std::move(frames);
  line["timestamps_ms"] = std::move(stamps);
  line["model"] = model_names_[model];
  if (decoded_[model]) {
    json results = json::array();
    for (size_t k = 0; k < result.predictions.size(); ++k) {
      json e{{"frame", batch.frames[result.rows[k]].index}};
      if (k < result.regions.size()) e["region"] = result.regions[k];
      add_prediction(result.predictions[k], e);
      results.push_back(std::move(e));
    }
    line["results"] = std::move(results);
  } else {
    json outs = json::array();
    for (size_t i = 0; i < result.outputs.size(); ++i) {
      const std::string& name =
          i < output_names_[model].size() ? output_names_[model][i] : fmt::format("output{}", i);
      outs.push_back(summarize(name, result.outputs[i]));
    }
    line["outputs"] = std::move(outs);
  }
  // One write per line: a run that dies later leaves only whole lines behind.
  std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  if (file_)
    file_->write_line(text);
  else
    on_line_(batch, std::move(text));
}

NpySink::NpySink(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec || !std::filesystem::is_directory(dir_))
    throw Error(ErrorCode::io, Error::Option{"save_tensors_dir"},
                fmt::format(" '{}': cannot create directory ({})", dir_,
                            ec ? ec.message() : "not a directory"));
}

void NpySink::begin(std::span<const ModelSpec> models) {
  model_names_.clear();
  output_names_.clear();
  for (const ModelSpec& m : models) {
    model_names_.push_back(model_dir_name(m.name));
    std::vector<std::string> outs;
    for (const TensorInfo& o : m.outputs) outs.push_back(model_dir_name(o.name));
    output_names_.push_back(std::move(outs));
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dir_) / model_names_.back(), ec);
    if (ec)
      throw Error(ErrorCode::io, Error::Option{"save_tensors_dir"},
                  fmt::format(" '{}': {}", dir_, ec.message()));
  }
}

void NpySink::consume(const Batch& batch, size_t model, const ModelResult& result) {
  const std::vector<Tensor>& outputs = result.outputs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string out =
        i < output_names_[model].size() ? output_names_[model][i] : fmt::format("output{}", i);
    write_npy((std::filesystem::path(dir_) / model_names_[model] /
               fmt::format("s{}_b{:06d}_{}.npy", batch.stream, batch.seq, out))
                  .string(),
              outputs[i]);
  }
}

void write_npy(const std::string& path, const Tensor& t) {
  std::string shape;
  for (int64_t d : t.shape) shape += fmt::format("{}, ", d);
  if (t.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (t.shape.size() == 1)
    shape.resize(shape.size() - 1);
  std::string header =
      fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", shape);
  // NPY 1.0: magic, version, header length; the header is padded so data starts at a multiple
  // of 64 bytes and ends with a newline.
  const size_t preamble = 10;
  header.append(64 - (preamble + header.size() + 1) % 64, ' ');
  header += '\n';
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f)
    throw Error(ErrorCode::io,
                fmt::format("'{}': cannot be written ({})", path, std::strerror(errno)));
  const uint16_t len = static_cast<uint16_t>(header.size());
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const unsigned char len_le[2] = {static_cast<unsigned char>(len & 0xff),
                                   static_cast<unsigned char>(len >> 8)};
  bool ok = std::fwrite(magic, 1, 8, f) == 8 && std::fwrite(len_le, 1, 2, f) == 2 &&
            std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            std::fwrite(t.data.data(), sizeof(float), t.data.size(), f) == t.data.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw Error(ErrorCode::io, fmt::format("'{}': write failed", path));
}

void CollectingSink::consume(const Batch& batch, size_t model, const ModelResult& result) {
  entries_.push_back({batch.seq, model, batch.frames, result.outputs, without_outputs(result)});
}

void SinkList::begin(std::span<const ModelSpec> models) {
  for (ResultSink* s : sinks_) s->begin(models);
}

void SinkList::consume(const Batch& batch, size_t model, const ModelResult& result) {
  for (ResultSink* s : sinks_) s->consume(batch, model, result);
}

void SinkList::end() {
  for (ResultSink* s : sinks_) s->end();
}

}  // namespace mvinfer
