// Per-model settings: "PATH:key=value,..." on the command line, or a YAML/JSON config file.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string_view>
#include <tuple>

#include "mvinfer/core/error.h"
#include "mvinfer/core/model.h"
#include "mvinfer/io/preprocess.h"

namespace mvinfer {
namespace {

// Settings handed to the model's decoder, which says which of them it takes.
constexpr std::array<std::string_view, 9> kDecoderKeys{
    "labels",        "topk",         "softmax",        "threshold", "iou",
    "box_threshold", "unclip_ratio", "max_candidates", "dict"};

// Both the command line and the config file end up here, so the rules live in one place.
// Messages name the culprit: `option` ("model" or "config") then `where` (" 'x.onnx:size=3'" or
// " 'config.yaml', model 2").
class SettingParser {
 public:
  SettingParser(ModelSpec& spec, std::string option, std::string where)
      : spec_(spec), option_{std::move(option)}, where_(std::move(where)) {}

  void set(const std::string& key, const std::string& value) {
    claim(key);
    PreprocessSpec& p = spec_.preprocess;
    if (key == "name") {
      if (value.empty()) fail(key, value, "a non-empty name");
      spec_.name = value;
    } else if (key == "size") {
      try {
        std::tie(p.width, p.height) = parse_size(value);
      } catch (const Error&) {
        fail(key, value, fmt::format("WxH with integers from 1 to {}, e.g. 256x256", kMaxSide));
      }
    } else if (key == "width") {
      p.width = positive_int(key, value);
    } else if (key == "height") {
      p.height = positive_int(key, value);
    } else if (key == "color" || key == "colour") {
      if (value == "rgb")
        p.color = ColorOrder::rgb;
      else if (value == "bgr")
        p.color = ColorOrder::bgr;
      else
        fail(key, value, "rgb or bgr");
    } else if (key == "layout") {
      if (value == "nchw")
        p.layout = Layout::nchw;
      else if (value == "nhwc")
        p.layout = Layout::nhwc;
      else
        fail(key, value, "nchw or nhwc");
      spec_.layout_given = true;
    } else if (key == "resize") {
      if (value == "stretch")
        p.resize = Resize::stretch;
      else if (value == "letterbox")
        p.resize = Resize::letterbox;
      else if (value == "pad")
        p.resize = Resize::pad;
      else if (value == "pad-grow")
        p.resize = Resize::pad_grow;
      else
        fail(key, value, "stretch, letterbox, pad or pad-grow");
    } else if (key == "decode") {
      if (value.empty()) fail(key, value, "a decoder name");
      spec_.decoder.name = value;
    } else if (key == "on") {
      if (value.empty()) fail(key, value, "the name of another model");
      spec_.on = value;
    } else if (key == "interval") {
      spec_.interval = positive_int(key, value);
    } else if (key == "max_side") {
      spec_.max_side = positive_int(key, value);
    } else if (key == "multiple") {
      spec_.multiple = positive_int(key, value);
    } else if (std::find(kDecoderKeys.begin(), kDecoderKeys.end(), key) != kDecoderKeys.end()) {
      spec_.decoder.options[key] = value;  // the decoder checks them
    } else if (key == "scale") {
      p.scale = number(key, value);
    } else if (key == "mean") {
      p.mean = triple(key, value, false);
    } else if (key == "std") {
      p.std = triple(key, value, true);
    } else if (key == "threads") {
      spec_.intra_threads = positive_int(key, value);
    } else if (key == "provider") {
      if (value != "cpu" && value != "cuda" && value != "tensorrt" && value != "auto")
        fail(key, value, "cpu, cuda, tensorrt or auto");
      spec_.provider = value;
    } else if (key.starts_with("dim.") && key.size() > 4) {
      spec_.dims[key.substr(4)] = positive_int(key, value);
    } else {
      throw Error(
          ErrorCode::bad_flag, option_,
          fmt::format("{}: unknown setting '{}' (expected name, size, width, height, "
                      "color, layout, resize, scale, mean, std, threads, provider, dim.NAME, "
                      "decode, on, interval, max_side, multiple, or a decoder option: {})",
                      where_, key, fmt::join(kDecoderKeys, ", ")));
    }
  }

  [[noreturn]] void fail(std::string_view problem) const {
    throw Error(ErrorCode::bad_flag, option_, fmt::format("{}: {}", where_, problem));
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& value,
                         std::string_view expected) {
    fail(fmt::format("{}='{}' is not valid (expected {})", key, value, expected));
  }
  float number(const std::string& key, const std::string& value) {
    float v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(v))
      fail(key, value, "a number");
    return v;
  }
  int positive_int(const std::string& key, const std::string& value) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size() || v <= 0)
      fail(key, value, "a positive integer");
    return v;
  }
  std::array<float, 3> triple(const std::string& key, const std::string& value, bool nonzero) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= value.size(); ++i)
      if (i == value.size() || value[i] == '/') {
        parts.push_back(value.substr(start, i - start));
        start = i + 1;
      }
    if (parts.size() != 1 && parts.size() != 3) fail(key, value, "one number or three as a/b/c");
    std::array<float, 3> out{};
    for (size_t c = 0; c < 3; ++c) {
      out[c] = number(key, parts[parts.size() == 1 ? 0 : c]);
      if (nonzero && out[c] == 0) fail(key, value, "non-zero values");
    }
    return out;
  }

  // A setting given twice (size and width count as one, colour and color too) is refused:
  // which one wins would be a guess.
  void claim(const std::string& key) {
    std::vector<std::string> fields{key == "colour" ? "color" : key};
    if (key == "size") fields = {"width", "height"};
    for (const std::string& f : fields) {
      auto [it, fresh] = claimed_.emplace(f, key);
      if (fresh) continue;
      if (it->second == key) fail(fmt::format("'{}' is given twice (expected it once)", key));
      fail(fmt::format("'{}' and '{}' both set {} (expected one of them)", it->second, key, f));
    }
  }

  ModelSpec& spec_;
  Error::Option option_;
  std::string where_;
  std::map<std::string, std::string> claimed_;  // field -> the key that set it
};

}  // namespace

std::string model_file_problem(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return "";
  if (std::filesystem::is_directory(path, ec)) return "a folder, not a file";
  if (std::filesystem::exists(path, ec)) return "not a regular file";
  return "no such file";
}

ModelSpec parse_model_arg(const std::string& arg) {
  ModelSpec spec;
  // PATH:key=value,... : the settings start at the last ':' that is followed by a '='.
  size_t colon = arg.rfind(':');
  std::string settings;
  if (colon != std::string::npos && arg.find('=', colon) != std::string::npos) {
    spec.path = arg.substr(0, colon);
    settings = arg.substr(colon + 1);
  } else {
    spec.path = arg;
  }
  SettingParser parser(spec, "model", fmt::format(" '{}'", arg));
  if (spec.path.empty()) parser.fail("no model path given");
  size_t start = 0;
  while (start < settings.size()) {
    size_t end = settings.find(',', start);
    if (end == std::string::npos) end = settings.size();
    std::string kv = settings.substr(start, end - start);
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      parser.fail(fmt::format("setting '{}' is not key=value", kv));
    parser.set(kv.substr(0, eq), kv.substr(eq + 1));
    start = end + 1;
  }
  return spec;
}

namespace {
// A scalar's text; anything else (a list, a map) fails naming the key.
std::string scalar(SettingParser& parser, const YAML::Node& v, const std::string& what) {
  if (!v.IsScalar()) parser.fail(fmt::format("{} must be a single value", what));
  return v.as<std::string>();
}
}  // namespace

std::vector<ModelSpec> load_model_config(const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw Error(ErrorCode::bad_flag, Error::Option{"config"},
                fmt::format(" '{}': is a directory (expected a YAML or JSON file)", file));
  std::ifstream in(file, std::ios::binary);
  // istream::read turns a read error (EIO) into badbit; istreambuf_iterator let it escape.
  std::string text;
  for (char chunk[4096]; in.read(chunk, sizeof chunk) || in.gcount() > 0;)
    text.append(chunk, static_cast<size_t>(in.gcount()));
  if (!in.is_open() || in.bad())
    throw Error(ErrorCode::bad_flag, Error::Option{"config"},
                fmt::format(" '{}': cannot be read", file));
  return parse_model_config(text, file);
}

std::vector<ModelSpec> parse_model_config(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::bad_flag, Error::Option{"config"},
                fmt::format(" '{}': not valid YAML or JSON ({})", file, e.msg));
  }
  YAML::Node models = root.IsMap() ? root["models"] : YAML::Node();
  if (!models || !models.IsSequence() || models.size() == 0)
    throw Error(ErrorCode::bad_flag, Error::Option{"config"},
                fmt::format(" '{}': expected a 'models:' list with at least one entry", file));
  std::filesystem::path base = std::filesystem::path(file).parent_path();
  std::vector<ModelSpec> specs;
  for (size_t i = 0; i < models.size(); ++i) {
    const YAML::Node& m = models[i];
    ModelSpec spec;
    SettingParser parser(spec, "config", fmt::format(" '{}', model {}", file, i + 1));
    if (!m.IsMap() || !m["path"] || !m["path"].IsScalar())
      parser.fail("expected a map with a 'path'");
    std::filesystem::path path = m["path"].as<std::string>();
    spec.path = (path.is_relative() ? base / path : path).lexically_normal().string();
    spec.decoder.base_dir = base.string();
    for (const auto& kv : m) {
      const std::string key = scalar(parser, kv.first, "a key");
      if (key == "path") continue;
      const YAML::Node& v = kv.second;
      if (key == "dims") {
        if (!v.IsMap()) parser.fail("dims must be a map");
        for (const auto& d : v)
          parser.set(fmt::format("dim.{}", scalar(parser, d.first, "a dims key")),
                     scalar(parser, d.second, "each of dims' values"));
      } else if ((key == "mean" || key == "std") && v.IsSequence()) {
        std::string joined;
        for (size_t k = 0; k < v.size(); ++k)
          joined += fmt::format("{}{}", k ? "/" : "",
                                scalar(parser, v[k], "each of " + key + "'s values"));
        parser.set(key, joined);
      } else if (key == "size" && v.IsSequence() && v.size() == 2) {
        parser.set(key, fmt::format("{}x{}", scalar(parser, v[0], "size's width"),
                                    scalar(parser, v[1], "size's height")));
      } else if (v.IsScalar()) {
        parser.set(key, v.as<std::string>());
      } else {
        parser.fail(fmt::format("'{}' must be a single value", key));
      }
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace mvinfer
