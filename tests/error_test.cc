// Errors about a setting name it as the library does (a library user has no flags), and say
// which setting it is, so that the CLI can name it by its flag instead.
#include "mvinfer/core/error.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/looped_source.h"
#include "mvinfer/io/paced_source.h"
#include "mvinfer/io/result_sink.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

namespace fs = std::filesystem;

TEST(Error, NamesItsOptionFirst) {
  const Error e(ErrorCode::bad_flag, Error::Option{"batch"}, " 0: expected a positive integer");
  EXPECT_EQ(e.code(), ErrorCode::bad_flag);
  EXPECT_EQ(e.option(), "batch");
  EXPECT_STREQ(e.what(), "batch 0: expected a positive integer");
  EXPECT_EQ(e.message_naming_option("--batch"), "--batch 0: expected a positive integer");
}

TEST(Error, NamesItsOptionInside) {
  const Error e(ErrorCode::bad_model, "model 'det': dim 'h' unresolved (give ",
                Error::Option{"size"}, " WxH, or det.onnx:size=WxH)");
  EXPECT_EQ(e.option(), "size");
  EXPECT_STREQ(e.what(), "model 'det': dim 'h' unresolved (give size WxH, or det.onnx:size=WxH)");
  // Only the mention of the option changes, not the other "size" in the message.
  EXPECT_EQ(e.message_naming_option("--size"),
            "model 'det': dim 'h' unresolved (give --size WxH, or det.onnx:size=WxH)");
}

TEST(Error, WithoutOptionTheMessageStays) {
  const Error e(ErrorCode::io, "'x.npy': write failed");
  EXPECT_EQ(e.option(), "");
  EXPECT_EQ(e.message_naming_option("--out"), "'x.npy': write failed");
}

// Runs `call`, which must throw an Error about `option` whose message says `mention` and has
// no command-line flag in it.
void expect_option_error(const std::function<void()>& call, ErrorCode code,
                         const std::string& option, const std::string& mention) {
  try {
    call();
    ADD_FAILURE() << option << ": nothing thrown";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), code) << what;
    EXPECT_EQ(e.option(), option) << what;
    EXPECT_NE(what.find(mention), std::string::npos) << what << " lacks " << mention;
    EXPECT_EQ(what.find("--"), std::string::npos) << what;
    ASSERT_TRUE(what.starts_with(option + " ")) << what;
    EXPECT_EQ(e.message_naming_option("--flag"), "--flag" + what.substr(option.size()));
  }
}

TEST(LibraryErrors, NameSettingsWithoutFlags) {
  const fs::path dir = scratch_dir("errors");
  expect_option_error(
      [] {
        BatchingOptions o;
        o.batch = 0;
        Batcher({}, {}, o);
      },
      ErrorCode::bad_flag, "batch", "batch 0: expected a positive integer");
  expect_option_error([] { LoopedSource(kVideo, 0, -1, 0); }, ErrorCode::bad_flag, "loop",
                      "loop 0: expected a positive integer");
  expect_option_error([] { PacedSource(nullptr, 0); }, ErrorCode::bad_flag, "live_fps",
                      "live_fps 0: expected a positive number");
  expect_option_error([] { JsonlSink("/proc/no/such/r.jsonl", {}); }, ErrorCode::io, "out_jsonl",
                      "out_jsonl '/proc/no/such/r.jsonl': cannot be written");
  expect_option_error([] { NpySink("/proc/no/such"); }, ErrorCode::io, "save_tensors_dir",
                      "save_tensors_dir '/proc/no/such': cannot create directory");
  expect_option_error([] { parse_model_arg("m.onnx:size=3"); }, ErrorCode::bad_flag, "model",
                      "model 'm.onnx:size=3': size='3' is not valid (expected WxH");
  expect_option_error([] { parse_model_arg("m.onnx:size=3x3,colour"); }, ErrorCode::bad_flag,
                      "model", "model 'm.onnx:size=3x3,colour': setting 'colour' is not key=value");
  expect_option_error([] { parse_model_arg(":size=3x3"); }, ErrorCode::bad_flag, "model",
                      "model ':size=3x3': no model path given");
  const std::string missing = (dir / "missing.yaml").string();
  expect_option_error([&] { load_model_config(missing); }, ErrorCode::bad_flag, "config",
                      "config '" + missing + "': cannot be read");
  // A read that fails (EIO at offset 0 of this file) escaped as an internal error.
  expect_option_error([] { load_model_config("/proc/self/mem"); }, ErrorCode::bad_flag, "config",
                      "config '/proc/self/mem': cannot be read");
  const std::string config = (dir / "c.yaml").string();
  std::ofstream(config) << "models:\n  - path: m.onnx\n    layout: sideways\n";
  expect_option_error([&] { load_model_config(config); }, ErrorCode::bad_flag, "config",
                      "config '" + config + "', model 1: layout='sideways' is not valid");
  // The same text from memory (the fuzz target's way in) gives the same answers.
  expect_option_error(
      [] { parse_model_config("models:\n  - path: m.onnx\n    layout: sideways\n", "/c/d.yaml"); },
      ErrorCode::bad_flag, "config", "config '/c/d.yaml', model 1: layout='sideways' is not valid");
  expect_option_error([] { parse_model_config("models: [", "/c/d.yaml"); }, ErrorCode::bad_flag,
                      "config", "config '/c/d.yaml': not valid YAML or JSON");
  const std::vector<ModelSpec> specs =
      parse_model_config(R"({"models": [{"path": "m.onnx", "size": [64, 32]}]})", "/c/d.json");
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].path, "/c/m.onnx");
  EXPECT_EQ(specs[0].preprocess.width, 64);
}

TEST(LibraryErrors, ASettingGivenTwiceIsRefused) {
  expect_option_error([] { parse_model_arg("m.onnx:threads=2,threads=3"); }, ErrorCode::bad_flag,
                      "model",
                      "model 'm.onnx:threads=2,threads=3': 'threads' is given twice (expected "
                      "it once)");
  expect_option_error([] { parse_model_arg("m.onnx:width=32,size=64x64"); }, ErrorCode::bad_flag,
                      "model", "'width' and 'size' both set width (expected one of them)");
  expect_option_error([] { parse_model_arg("m.onnx:size=64x64,height=32"); }, ErrorCode::bad_flag,
                      "model", "'size' and 'height' both set height");
  expect_option_error([] { parse_model_arg("m.onnx:color=rgb,colour=bgr"); }, ErrorCode::bad_flag,
                      "model", "'color' and 'colour' both set color");
  // YAML keeps both copies of a repeated key; a dims map and a dim.NAME key meet too.
  expect_option_error(
      [] {
        parse_model_config("models:\n  - path: m.onnx\n    threads: 2\n    threads: 3\n", "c");
      },
      ErrorCode::bad_flag, "config", "config 'c', model 1: 'threads' is given twice");
  expect_option_error(
      [] {
        parse_model_config("models:\n  - path: m.onnx\n    dims: {n: 2}\n    dim.n: 3\n", "c");
      },
      ErrorCode::bad_flag, "config", "config 'c', model 1: 'dim.n' is given twice");
  // Different settings, and one dim per name, stay fine.
  const ModelSpec ok = parse_model_arg("m.onnx:width=32,height=16,dim.a=2,dim.b=3,colour=bgr");
  EXPECT_EQ(ok.preprocess.width, 32);
  EXPECT_EQ(ok.preprocess.height, 16);
  EXPECT_EQ(ok.dims.size(), 2u);
  const std::vector<ModelSpec> two = parse_model_config(
      "models:\n  - {path: a.onnx, threads: 2}\n  - {path: b.onnx, threads: 3}\n", "c");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].intra_threads, 3);
}

TEST(LibraryErrors, DynamicDimThatNothingResolvesNamesTheSizeSetting) {
  ModelSpec spec = parse_model_arg(paddle_model("ch_PP-OCRv4_det_infer.onnx"));
  spec.name = "det";
  try {
    resolve_model_spec(spec, 1);
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::bad_model);
    EXPECT_EQ(e.option(), "size");
    EXPECT_TRUE(what.starts_with("model 'det': ")) << what;
    EXPECT_NE(what.find("(give size WxH, or "), std::string::npos) << what;
    EXPECT_EQ(what.find("--"), std::string::npos) << what;
    EXPECT_NE(e.message_naming_option("--size").find("(give --size WxH, or "), std::string::npos);
  }
}

}  // namespace
}  // namespace mvinfer::testing
