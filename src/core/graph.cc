#include "mvinfer/core/graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <opencv2/core.hpp>

#include "mvinfer/core/error.h"

namespace mvinfer {
namespace {

[[noreturn]] void graph_error(const ModelSpec& m, std::string_view problem) {
  throw Error(ErrorCode::bad_flag, fmt::format("model '{}': {}", m.name, problem));
}

// The image size a root's decoder maps back to: the frame's, or the input's when a batch was
// made without frames (tests).
InputMapping frame_mapping(const PreprocessSpec& p, const FrameRef& f) {
  return input_mapping(p, f.width > 0 ? f.width : p.width, f.height > 0 ? f.height : p.height);
}

}  // namespace

struct Graph::Region {
  size_t row;  // index into Batch::frames
  int detection;
  cv::Mat image;  // the crop, the right way up
};

ModelResult without_outputs(const ModelResult& result) {
  ModelResult r;
  r.rows = result.rows;
  r.regions = result.regions;
  r.frames = result.frames;
  r.predictions = result.predictions;
  return r;
}

ModelResult raw_result(const Batch& batch, std::vector<Tensor> outputs) {
  ModelResult r;
  r.outputs = std::move(outputs);
  for (size_t i = 0; i < batch.frames.size(); ++i) r.rows.push_back(i);
  r.frames = r.rows;
  return r;
}

void order_graph(std::vector<ModelSpec>& specs) {
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < specs.size(); ++i) by_name[specs[i].name] = i;
  std::vector<int> parent(specs.size(), -1);
  for (size_t i = 0; i < specs.size(); ++i) {
    const ModelSpec& m = specs[i];
    if (m.on.empty()) continue;
    auto it = by_name.find(m.on);
    if (it == by_name.end()) {
      std::vector<std::string> names;
      for (const ModelSpec& o : specs)
        if (o.name != m.name) names.push_back(o.name);
      graph_error(m, fmt::format("on='{}' names no model of this run (expected one of: {})", m.on,
                                 fmt::join(names, ", ")));
    }
    if (it->second == i) graph_error(m, "on= names the model itself");
    if (m.interval != 1)
      graph_error(m,
                  "interval= applies to models on frames; a dependent model runs on every "
                  "region its parent found");
    parent[i] = static_cast<int>(it->second);
  }
  // Cycles: following parents from any model must reach a root within n steps.
  for (size_t i = 0; i < specs.size(); ++i) {
    int p = static_cast<int>(i);
    std::vector<std::string> chain;
    for (size_t steps = 0; p >= 0; ++steps) {
      chain.push_back(specs[static_cast<size_t>(p)].name);
      if (steps > specs.size())
        graph_error(specs[i], fmt::format("on= links form a cycle ({})", fmt::join(chain, " -> ")));
      p = parent[static_cast<size_t>(p)];
    }
  }
  // What each parent's decoder does with regions.
  for (size_t i = 0; i < specs.size(); ++i) {
    if (parent[i] < 0) continue;
    const ModelSpec& p = specs[static_cast<size_t>(parent[i])];
    std::unique_ptr<Decoder> d = make_decoder(p.decoder);
    const bool yields = d && d->yields_regions(), passes = d && d->passes_regions();
    if (!yields && !passes)
      graph_error(specs[i],
                  fmt::format("on='{}', but {}'s decoder '{}' yields no regions (expected a "
                              "detector such as decode=ppocr-det or decode=blazeface)",
                              p.name, p.name, p.decoder.name));
    if (yields && parent[static_cast<size_t>(parent[i])] >= 0)
      graph_error(specs[i], fmt::format("on='{}': {} is itself a dependent model, and detections "
                                        "inside regions are not supported (run {} on frames)",
                                        p.name, p.name, p.name));
    if (passes && parent[static_cast<size_t>(parent[i])] < 0)
      graph_error(specs[i], fmt::format("on='{}': {}'s decoder '{}' passes on the regions it is "
                                        "given, but {} runs on frames (give it on= a detector)",
                                        p.name, p.name, p.decoder.name, p.name));
  }
  // Depth-first from each root, in the given order.
  std::vector<size_t> order;
  std::function<void(size_t)> visit = [&](size_t i) {
    order.push_back(i);
    for (size_t k = 0; k < specs.size(); ++k)
      if (parent[k] == static_cast<int>(i)) visit(k);
  };
  for (size_t i = 0; i < specs.size(); ++i)
    if (parent[i] < 0) visit(i);
  std::vector<ModelSpec> sorted;
  std::vector<int> new_index(specs.size());
  for (size_t k = 0; k < order.size(); ++k) new_index[order[k]] = static_cast<int>(k);
  for (size_t k = 0; k < order.size(); ++k) {
    sorted.push_back(std::move(specs[order[k]]));
    const int p = parent[order[k]];
    sorted.back().parent = p < 0 ? -1 : new_index[static_cast<size_t>(p)];
  }
  specs = std::move(sorted);
}

bool has_dependents(std::span<const ModelSpec> specs) {
  return std::any_of(specs.begin(), specs.end(), [](const ModelSpec& m) { return !m.on.empty(); });
}

bool has_intervals(std::span<const ModelSpec> specs) {
  return std::any_of(specs.begin(), specs.end(), [](const ModelSpec& m) { return m.interval > 1; });
}

std::vector<size_t> unit_of(std::span<const ModelSpec> specs) {
  std::vector<size_t> unit(specs.size(), 0);
  size_t roots = 0;
  for (size_t i = 0; i < specs.size(); ++i)
    unit[i] = specs[i].parent < 0 ? roots++ : unit[static_cast<size_t>(specs[i].parent)];
  return unit;
}

std::vector<size_t> rows_for(const ModelSpec& spec, const Batch& batch) {
  std::vector<size_t> rows;
  for (size_t r = 0; r < batch.frames.size(); ++r)
    if (spec.interval <= 1 || batch.frames[r].index % spec.interval == 0) rows.push_back(r);
  return rows;
}

Graph::Graph(std::span<const ModelSpec> specs, std::vector<const Model*> models)
    : specs_(specs), models_(std::move(models)), children_(specs.size()), units_(specs.size()) {
  for (const ModelSpec& s : specs) decoders_.push_back(make_decoder(s.decoder));
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].parent < 0)
      roots_.push_back(i);
    else
      children_[static_cast<size_t>(specs[i].parent)].push_back(i);
  }
  // Specs come depth first (order_graph), so a unit's models are in spec order.
  const std::vector<size_t> unit = unit_of(specs);
  for (size_t i = 0; i < specs.size(); ++i) units_[roots_[unit[i]]].push_back(i);
}

Graph::~Graph() = default;
Graph::Graph(Graph&&) noexcept = default;

const std::vector<size_t>& Graph::unit(size_t root) const { return units_.at(root); }

Graph::RootInput Graph::root_input(size_t root, const Batch& batch) const {
  RootInput in;
  in.rows = rows_for(specs_[root], batch);
  const std::shared_ptr<const Tensor>& all = batch.inputs.at(root);
  if (in.rows.empty()) return in;
  if (in.rows.size() == batch.frames.size()) {
    in.input = all;  // every row (replicated or padded ones too)
    return in;
  }
  auto t = std::make_shared<Tensor>();
  t->shape = all->shape;
  t->shape[0] = static_cast<int64_t>(in.rows.size());
  const size_t per = all->data.size() / static_cast<size_t>(all->shape[0]);
  t->data.resize(per * in.rows.size());
  for (size_t k = 0; k < in.rows.size(); ++k)
    std::copy_n(all->data.begin() + static_cast<ptrdiff_t>(per * in.rows[k]), per,
                t->data.begin() + static_cast<ptrdiff_t>(per * k));
  in.input = std::move(t);
  return in;
}

void Graph::run_unit(size_t root, const Batch& batch, Observer& observer, int pid,
                     const Emit& emit) const {
  RootInput in = root_input(root, batch);
  std::vector<Tensor> out;
  if (in.input)
    out = observe_run(observer, root, batch.seq, static_cast<int64_t>(in.rows.size()), pid,
                      [&] { return models_[root]->run(*in.input); });
  finish_unit(root, batch, std::move(in.rows), std::move(out), observer, pid, emit);
}

ModelResult Graph::decode_rows(size_t model, std::vector<size_t> rows, std::vector<Tensor> outputs,
                               const std::vector<InputMapping>& mappings) const {
  ModelResult r;
  r.rows = std::move(rows);
  r.outputs = std::move(outputs);
  if (const Decoder* d = decoders_[model].get())
    for (size_t k = 0; k < r.rows.size(); ++k)
      r.predictions.push_back(d->decode(DecodeInput{r.outputs, k, mappings[k]}));
  return r;
}

void Graph::finish_unit(size_t root, const Batch& batch, std::vector<size_t> rows,
                        std::vector<Tensor> outputs, Observer& observer, int pid,
                        const Emit& emit) const {
  std::vector<InputMapping> mappings;
  for (size_t r : rows) mappings.push_back(frame_mapping(specs_[root].preprocess, batch.frames[r]));
  ModelResult result = decode_rows(root, std::move(rows), std::move(outputs), mappings);
  std::vector<Region> regions;
  if (!children_[root].empty()) {
    if (batch.images.size() != batch.frames.size())
      throw Error(ErrorCode::internal,
                  fmt::format("model '{}': its dependents need the batch's frames, which were not "
                              "kept (BatchingOptions::keep_images)",
                              specs_[root].name));
    for (size_t k = 0; k < result.rows.size(); ++k) {
      const std::vector<Detection>& dets = result.predictions[k].detections;
      for (size_t d = 0; d < dets.size(); ++d) {
        cv::Mat crop = crop_polygon(batch.images[result.rows[k]], dets[d].polygon);
        if (crop.empty()) continue;
        regions.push_back({result.rows[k], static_cast<int>(d), std::move(crop)});
      }
    }
  }
  result.frames = result.rows;
  const std::vector<size_t> seen = result.frames;
  emit(root, std::move(result));
  run_children(root, batch, seen, regions, observer, pid, emit);
}

void Graph::run_children(size_t model, const Batch& batch, const std::vector<size_t>& seen,
                         const std::vector<Region>& regions, Observer& observer, int pid,
                         const Emit& emit) const {
  for (size_t child : children_[model]) {
    const ModelSpec& spec = specs_[child];
    PreprocessSpec p = spec.preprocess;
    if (p.resize == Resize::pad_grow)
      for (const Region& g : regions)
        p.width = std::clamp(static_cast<int>(std::ceil(static_cast<double>(p.height) *
                                                        g.image.cols / std::max(1, g.image.rows))),
                             p.width, std::max(p.width, kMaxGrowWidth));
    const size_t per = static_cast<size_t>(p.elements());
    std::vector<Tensor> outputs;
    std::vector<InputMapping> mappings;
    for (size_t first = 0; first < regions.size(); first += kRegionsPerCall) {
      const size_t n = std::min(kRegionsPerCall, regions.size() - first);
      Tensor in;
      const auto rows = static_cast<int64_t>(n);
      in.shape = p.shape(rows);
      in.data.resize(per * n);
      for (size_t k = 0; k < n; ++k) {
        const cv::Mat& img = regions[first + k].image;
        preprocess_frame(img, p, std::span<float>(in.data.data() + per * k, per));
        mappings.push_back(input_mapping(p, img.cols, img.rows));
      }
      std::vector<Tensor> out = observe_run(observer, child, batch.seq, rows, pid,
                                            [&] { return models_[child]->run(in); });
      if (outputs.empty()) {
        outputs = std::move(out);
        continue;
      }
      for (size_t o = 0; o < out.size(); ++o) {  // same width each call: shapes agree past dim 0
        outputs[o].data.insert(outputs[o].data.end(), out[o].data.begin(), out[o].data.end());
        outputs[o].shape[0] += out[o].shape[0];
      }
    }
    std::vector<size_t> rows;
    for (const Region& g : regions) rows.push_back(g.row);
    ModelResult result = decode_rows(child, std::move(rows), std::move(outputs), mappings);
    for (const Region& g : regions) result.regions.push_back(g.detection);
    result.frames = seen;
    // A region-passing decoder (ppocr-cls) hands its regions on, turned the right way up: a
    // turned crop is a new image (the parent's crop stays as it is for its other dependents).
    std::vector<Region> passed;
    if (!children_[child].empty())
      for (size_t k = 0; k < regions.size(); ++k) {
        const bool turn = k < result.predictions.size() && result.predictions[k].angle == 180;
        Region g{regions[k].row, regions[k].detection, turn ? cv::Mat() : regions[k].image};
        if (turn) cv::rotate(regions[k].image, g.image, cv::ROTATE_180);
        passed.push_back(std::move(g));
      }
    emit(child, std::move(result));
    run_children(child, batch, seen, passed, observer, pid, emit);
  }
}

}  // namespace mvinfer
