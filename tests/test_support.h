// Helpers shared by the tests: real data paths, scratch directories, running the CLI.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mvinfer::testing {

inline const char* kVideo = MVINFER_TEST_VIDEO;      // vtest.avi, 795 frames, 768x576
inline const char* kModelsDir = MVINFER_MODELS_DIR;  // PaddleOCR models from setup
inline const char* kCli = MVINFER_CLI;               // the built `mvinfer` binary
inline const char* kConfigs = MVINFER_CONFIGS_DIR;   // configs/ of the source tree
inline const char* kMegamind = MVINFER_MEGAMIND;     // Megamind.avi (opencv-doc): faces

std::string paddle_model(const std::string& file);  // kModelsDir + "/" + file
inline std::string cls_model() { return paddle_model("ch_ppocr_mobile_v2.0_cls_infer.onnx"); }

// A fresh, empty directory under the build tree, unique per test.
std::filesystem::path scratch_dir(const std::string& tag);

struct CommandResult {
  int exit_code = -1;    // -1 when killed by a signal
  int signal = 0;        // the signal that killed it, 0 otherwise
  std::string out, err;  // captured stdout and stderr
};
// Runs the mvinfer CLI with `args` (no shell), waits, returns its exit status and output.
CommandResult run_cli(const std::vector<std::string>& args);

// Writes `count` small zoo models (fast to run) into `dir`, returns their paths.
std::vector<std::string> small_zoo(const std::filesystem::path& dir, int count, int size = 64,
                                   uint64_t seed = 1);

// One ONNX Runtime Run() called directly (one intra-op thread, nothing of mvinfer involved):
// the independent computation outputs are checked against. First input and first output.
struct DirectRun {
  std::string input_name, output_name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};
DirectRun direct_onnx_run(const std::string& model, std::vector<float>& input,
                          std::vector<int64_t> shape);

// The same, for many inputs through one session (one intra-op thread): the first output of
// each Run(), in input order.
struct DirectInput {
  std::vector<float> data;
  std::vector<int64_t> shape;
};
std::vector<DirectRun> direct_onnx_runs(const std::string& model, std::vector<DirectInput>& inputs);

// Lines of a text file.
std::vector<std::string> read_lines(const std::filesystem::path& file);

}  // namespace mvinfer::testing
