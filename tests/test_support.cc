#include "test_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <onnxruntime_cxx_api.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/ort_env.h"
#include "mvinfer/tools/zoo.h"

extern char** environ;

namespace mvinfer::testing {

std::string paddle_model(const std::string& file) { return std::string(kModelsDir) + "/" + file; }

std::filesystem::path scratch_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = tag;
  if (info) name = std::string(info->test_suite_name()) + "." + info->name() + "." + tag;
  for (char& c : name)
    if (c == '/') c = '_';
  std::filesystem::path dir = std::filesystem::path(MVINFER_TEST_TMP) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

static std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult run_cli(const std::vector<std::string>& args) {
  std::filesystem::path dir = scratch_dir("cli");
  std::string out_path = (dir / "stdout").string(), err_path = (dir / "stderr").string();
  std::vector<std::string> argv_s{kCli};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, kCli, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + std::string(kCli));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  CommandResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

std::vector<std::string> small_zoo(const std::filesystem::path& dir, int count, int size,
                                   uint64_t seed) {
  ZooOptions o;
  o.count = count;
  o.height = o.width = size;
  o.width_mult = 8;
  o.depth = 1;
  o.classes = 10;
  o.seed = seed;
  std::vector<std::string> paths;
  for (const ZooModel& m : write_zoo(dir.string(), o)) paths.push_back(m.path);
  return paths;
}

std::vector<DirectRun> direct_onnx_runs(const std::string& model,
                                        std::vector<DirectInput>& inputs) {
  // The process's one Env, as mvinfer creates it: an Env of our own would leave ONNX Runtime's
  // telemetry files ($TMPDIR/mat-debug-PID.log, .ses) behind in processes that never call
  // ort_env(). The session and its Run() calls below are still our own, apart from mvinfer.
  Ort::Env& env = mvinfer::ort_env();
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(1);
  Ort::Session s(env, model.c_str(), so);
  Ort::AllocatorWithDefaultOptions alloc;
  const std::string input_name = s.GetInputNameAllocated(0, alloc).get();
  const std::string output_name = s.GetOutputNameAllocated(0, alloc).get();
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<DirectRun> runs;
  for (DirectInput& input : inputs) {
    DirectRun r{input_name, output_name, {}, {}};
    Ort::Value in = Ort::Value::CreateTensor<float>(mem, input.data.data(), input.data.size(),
                                                    input.shape.data(), input.shape.size());
    const char* in_names[] = {r.input_name.c_str()};
    const char* out_names[] = {r.output_name.c_str()};
    auto out = s.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
    auto info = out[0].GetTensorTypeAndShapeInfo();
    r.shape = info.GetShape();
    const float* p = out[0].GetTensorData<float>();
    r.data.assign(p, p + info.GetElementCount());
    runs.push_back(std::move(r));
  }
  return runs;
}

DirectRun direct_onnx_run(const std::string& model, std::vector<float>& input,
                          std::vector<int64_t> shape) {
  std::vector<DirectInput> inputs{{input, std::move(shape)}};
  return std::move(direct_onnx_runs(model, inputs).front());
}

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace mvinfer::testing
