// Predictions from real models on real frames, end to end: PaddleOCR det -> cls -> rec reads
// strings rendered onto vtest.avi frames (colour order, normalisation, resizing, cropping and
// coordinate mapping all have to be right for that), and the dependent graph gives the same
// results under every strategy that accepts it, with one stream and several.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/core/job.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/result_sink.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

struct Rendered {
  std::string text;
  cv::Rect box;  // where it was drawn, background included
};

// Draws `text` at `at` with a filled background: light on dark or dark on light.
Rendered render(cv::Mat& img, const std::string& text, cv::Point at, double scale, bool light) {
  const int font = cv::FONT_HERSHEY_DUPLEX, thick = scale > 1.5 ? 3 : 2;
  int base = 0;
  const cv::Size sz = cv::getTextSize(text, font, scale, thick, &base);
  const cv::Rect bg(at.x - 10, at.y - sz.height - 10, sz.width + 20, sz.height + base + 20);
  cv::rectangle(img, bg, light ? cv::Scalar(20, 20, 20) : cv::Scalar(235, 235, 235), cv::FILLED);
  cv::putText(img, text, at, font, scale, light ? cv::Scalar(250, 250, 250) : cv::Scalar(0, 0, 0),
              thick, cv::LINE_AA);
  return {text, bg};
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}

double char_accuracy(const std::string& want, const std::string& got) {
  return 1.0 - static_cast<double>(edit_distance(want, got)) / static_cast<double>(want.size());
}

// Frames 0, 40, 80, ... of vtest.avi with strings drawn on all but the last (left clean).
struct TextFrames {
  fs::path dir;
  std::vector<std::vector<Rendered>> truth;  // per frame
};

TextFrames make_text_frames(const std::string& tag, int count) {
  TextFrames t;
  t.dir = scratch_dir(tag);
  auto src = open_frame_source(kVideo);
  Frame f;
  const std::vector<std::string> words = {"HELLO WORLD",     "mvinfer 2026", "31415926",
                                          "Video Analytics", "CAMERA 25",    "EXIT"};
  for (int i = 0, k = 0; i < count; ++k) {
    if (!src->next(f)) break;
    if (k % 40) continue;
    std::vector<Rendered> r;
    if (i + 1 < count) {
      const bool light = i % 2 == 0;
      r.push_back(
          render(f.image, words[static_cast<size_t>(i) % words.size()], {60, 120}, 1.2, light));
      r.push_back(render(f.image, words[static_cast<size_t>(i + 3) % words.size()], {60, 420}, 1.9,
                         !light));
    }
    cv::imwrite((t.dir / fmt::format("{:04d}.png", i)).string(), f.image);
    t.truth.push_back(std::move(r));
    ++i;
  }
  return t;
}

std::vector<ModelSpec> ocr_specs() {
  return load_model_config(std::string(kConfigs) + "/ocr.yaml");
}

struct GraphRun {
  std::vector<ModelSpec> specs;
  CollectingSink sink;
};

GraphRun run_graph(const std::vector<std::string>& videos, const std::string& strategy, int batch,
                   bool across = false) {
  GraphRun g;
  g.specs = ocr_specs();
  BatchingOptions b{batch, false, across};
  resolve_models(g.specs, b, 0, 0, videos.front());
  std::vector<std::unique_ptr<FrameSource>> owned;
  std::vector<FrameSource*> sources;
  for (size_t i = 0; i < videos.size(); ++i) {
    owned.push_back(open_frame_source(videos[i], -1, static_cast<int>(i)));
    sources.push_back(owned.back().get());
  }
  Batcher batcher(sources, g.specs, b);
  StrategyOptions o;
  o.probe_fraction = 0.3;
  ProfileObserver profile;
  make_strategy(strategy, o)->run(batcher, g.specs, g.sink, profile);
  return g;
}

size_t index_of(const std::vector<ModelSpec>& specs, const std::string& name) {
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name) return i;
  throw std::runtime_error("no model " + name);
}

// What the graph read in each frame: (det box, text, score) per region.
struct Read {
  std::array<float, 4> box;
  std::string text;
  float score;
  int angle;
};
std::map<int64_t, std::vector<Read>> reads_by_frame(const GraphRun& g) {
  const size_t det = index_of(g.specs, "det"), cls = index_of(g.specs, "cls"),
               rec = index_of(g.specs, "rec");
  std::map<int64_t, std::vector<Read>> out;
  std::map<std::pair<int64_t, size_t>, const CollectingSink::Entry*> at;
  for (const auto& e : g.sink.entries()) at[{e.batch, e.model}] = &e;
  for (const auto& e : g.sink.entries()) {
    if (e.model != rec) continue;
    const auto& d = *at.at({e.batch, det});
    const auto& c = *at.at({e.batch, cls});
    for (size_t k = 0; k < e.result.predictions.size(); ++k) {
      const size_t row = e.result.rows[k];
      size_t drow = 0;
      while (d.result.rows[drow] != row) ++drow;
      const Detection& det_box =
          d.result.predictions[drow].detections.at(static_cast<size_t>(e.result.regions[k]));
      out[e.frames[row].index].push_back({det_box.box(), e.result.predictions[k].text,
                                          e.result.predictions[k].text_score,
                                          c.result.predictions[k].angle});
    }
  }
  return out;
}

TEST(GraphAccuracy, OcrGraphFindsAndReadsRenderedStrings) {
  const TextFrames t = make_text_frames("ocr_text", 5);
  const GraphRun g = run_graph({t.dir.string()}, "serial", 2);
  const auto reads = reads_by_frame(g);
  int checked = 0;
  for (size_t f = 0; f < t.truth.size(); ++f) {
    const auto it = reads.find(static_cast<int64_t>(f));
    for (const Rendered& r : t.truth[f]) {
      ASSERT_NE(it, reads.end()) << "frame " << f << ": nothing read";
      // The regions on the string (centre inside its background), left to right: the detector
      // may split a line at a wide space into words, as PaddleOCR's own does.
      std::vector<const Read*> on;
      for (const Read& x : it->second) {
        const float cx = (x.box[0] + x.box[2]) / 2, cy = (x.box[1] + x.box[3]) / 2;
        if (r.box.contains({static_cast<int>(cx), static_cast<int>(cy)}) && !x.text.empty())
          on.push_back(&x);
      }
      ASSERT_FALSE(on.empty()) << "frame " << f << ": no box on '" << r.text << "'";
      std::sort(on.begin(), on.end(), [](auto a, auto b) { return a->box[0] < b->box[0]; });
      std::string read;
      for (const Read* x : on) {
        // Each box lies on the string (its background), in original frame pixels.
        EXPECT_GT(x->box[0], r.box.x - 12) << r.text;
        EXPECT_LT(x->box[2], r.box.br().x + 12) << r.text;
        EXPECT_GT(x->box[1], r.box.y - 12) << r.text;
        EXPECT_LT(x->box[3], r.box.br().y + 12) << r.text;
        EXPECT_EQ(x->angle, 0);
        read += (read.empty() ? "" : " ") + x->text;
      }
      EXPECT_GE(char_accuracy(r.text, read), 0.9)
          << "frame " << f << ": read '" << read << "' for '" << r.text << "'";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8);
  // The clean frame: at most a few low-score readings.
  int confident = 0;
  if (auto it = reads.find(static_cast<int64_t>(t.truth.size() - 1)); it != reads.end())
    for (const Read& x : it->second)
      if (x.score > 0.8 && x.text.size() >= 3) ++confident;
  EXPECT_LE(confident, 1);
}

TEST(GraphAccuracy, UpsideDownTextIsTurnedByClsAndStillRead) {
  TextFrames t = make_text_frames("ocr_flipped", 2);
  const fs::path img = t.dir / "0000.png";
  cv::Mat m = cv::imread(img.string());
  cv::rotate(m, m, cv::ROTATE_180);
  cv::imwrite(img.string(), m);
  const GraphRun g = run_graph({t.dir.string()}, "serial", 1);
  const auto reads = reads_by_frame(g);
  int turned = 0, good = 0;
  for (const Read& x : reads.at(0)) {
    turned += x.angle == 180;
    for (const Rendered& r : t.truth[0]) good += char_accuracy(r.text, x.text) >= 0.9;
  }
  EXPECT_GE(turned, 1);
  EXPECT_GE(good, 1);
}

void expect_same(const GraphRun& a, const GraphRun& b, const std::string& what) {
  ASSERT_EQ(a.sink.entries().size(), b.sink.entries().size()) << what;
  for (size_t i = 0; i < a.sink.entries().size(); ++i) {
    const auto& x = a.sink.entries()[i];
    const auto& y = b.sink.entries()[i];
    ASSERT_EQ(x.batch, y.batch) << what;
    ASSERT_EQ(x.model, y.model) << what;
    ASSERT_EQ(x.result.rows, y.result.rows) << what << " entry " << i;
    ASSERT_EQ(x.result.regions, y.result.regions) << what << " entry " << i;
    ASSERT_EQ(x.result.predictions.size(), y.result.predictions.size()) << what;
    for (size_t k = 0; k < x.result.predictions.size(); ++k) {
      const Prediction& p = x.result.predictions[k];
      const Prediction& q = y.result.predictions[k];
      EXPECT_EQ(p.text, q.text) << what;
      EXPECT_EQ(p.angle, q.angle) << what;
      ASSERT_EQ(p.detections.size(), q.detections.size()) << what;
      for (size_t d = 0; d < p.detections.size(); ++d)
        for (size_t c = 0; c < 4; ++c) {
          EXPECT_NEAR(p.detections[d].polygon[c].x, q.detections[d].polygon[c].x, 0.5) << what;
          EXPECT_NEAR(p.detections[d].polygon[c].y, q.detections[d].polygon[c].y, 0.5) << what;
        }
    }
  }
}

class GraphStrategies : public ::testing::TestWithParam<std::string> {};

TEST_P(GraphStrategies, SameResultsAsSerialOnOneStreamAndTwo) {
  static const TextFrames t = make_text_frames("ocr_graph", 5);
  static const TextFrames u = make_text_frames("ocr_graph2", 3);
  static const GraphRun one = run_graph({t.dir.string()}, "serial", 2);
  static const GraphRun two = run_graph({t.dir.string(), u.dir.string()}, "serial", 2);
  expect_same(run_graph({t.dir.string()}, GetParam(), 2), one, GetParam() + ", one stream");
  expect_same(run_graph({t.dir.string(), u.dir.string()}, GetParam(), 2), two,
              GetParam() + ", two streams");
}

std::vector<std::string> graph_strategies() {
  std::vector<std::string> names;
  for (const StrategyInfo& s : strategy_table())
    if (!s.forks && s.name != "serial") names.emplace_back(s.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Strategies, GraphStrategies, ::testing::ValuesIn(graph_strategies()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Graph, ProcessesRefusesAGraphNamingTheStrategiesThatCan) {
  const TextFrames t = make_text_frames("ocr_processes", 2);
  try {
    run_graph({t.dir.string()}, "processes", 1);
    FAIL() << "processes ran a dependent graph";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("processes: cannot run dependent models"), std::string::npos) << what;
    EXPECT_EQ(e.option(), "strategy");
    EXPECT_NE(what.find("serial, threads"), std::string::npos) << what;
  }
}

std::vector<ModelSpec> with(std::vector<ModelSpec> specs, size_t i, const std::string& key,
                            const std::string& value) {
  if (key == "on") specs[i].on = value;
  if (key == "decode") specs[i].decoder.name = value;
  if (key == "interval") specs[i].interval = std::stoi(value);
  return specs;
}

TEST(Graph, BadLinksAreOneLineErrorsNamingTheModel) {
  auto expect_error = [](std::vector<ModelSpec> specs, const std::string& part) {
    try {
      order_graph(specs);
      FAIL() << "accepted; expected an error with: " << part;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_flag);
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  };
  const std::vector<ModelSpec> ocr = ocr_specs();  // det, cls on det, rec on cls
  expect_error(with(ocr, 2, "on", "nope"), "model 'rec': on='nope' names no model");
  expect_error(with(ocr, 0, "on", "rec"), "cycle");
  expect_error(with(ocr, 1, "on", "cls"), "names the model itself");
  expect_error(with(ocr, 0, "decode", "raw"), "yields no regions");
  expect_error(with(ocr, 2, "interval", "2"), "interval= applies to models on frames");
  expect_error(with(ocr, 1, "on", ""), "passes on the regions it is given");
}

TEST(Graph, OrderPutsEachModelOnFramesBeforeItsDependents) {
  std::vector<ModelSpec> specs = ocr_specs();
  std::swap(specs[0], specs[2]);  // rec, cls, det
  ModelSpec other;
  other.name = "other";
  specs.insert(specs.begin() + 1, other);  // rec, other, cls, det
  order_graph(specs);
  std::vector<std::string> names;
  for (const ModelSpec& s : specs) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"other", "det", "cls", "rec"}));
  EXPECT_EQ(specs[2].parent, 1);
  EXPECT_EQ(specs[3].parent, 2);
  EXPECT_EQ(specs[0].parent, -1);
}

}  // namespace
}  // namespace mvinfer::testing
