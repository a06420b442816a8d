// Where models run: the rule on synthetic findings, the CLI without a GPU (this machine and
// CI), and, where a GPU exists, the same outputs on it as on the CPU.
#include "mvinfer/core/provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mvinfer/core/error.h"
#include "test_support.h"

namespace mvinfer::testing {
namespace {

CudaFindings all_found() {
  CudaFindings f;
  f.provider_library = true;
  f.provider_dir = "/deps/lib";
  f.searched = {"/usr/local/cuda-13.0/lib64", "/venv/site-packages/nvidia/cudnn/lib"};
  f.device = "NVIDIA H100 80GB HBM3";
  return f;
}

std::string refusal(const std::string& requested, const CudaFindings& f) {
  try {
    choose_provider(requested, f);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_flag);
    EXPECT_EQ(e.option(), "provider");
    return e.what();
  }
  return "";
}

TEST(ChooseProvider, CpuIsCpuWhateverWasFound) {
  EXPECT_EQ(choose_provider("cpu", all_found()).provider, Provider::cpu);
  EXPECT_EQ(choose_provider("cpu", {}).provider, Provider::cpu);
}

TEST(ChooseProvider, EverythingFoundMeansTheGpu) {
  EXPECT_EQ(choose_provider("cuda", all_found()).provider, Provider::cuda);
  EXPECT_EQ(choose_provider("tensorrt", all_found()).provider, Provider::tensorrt);
  const ProviderChoice a = choose_provider("auto", all_found());
  EXPECT_EQ(a.provider, Provider::cuda);
  EXPECT_NE(a.reason.find("H100"), std::string::npos) << a.reason;
}

TEST(ChooseProvider, AskedForTheGpuNamesWhatIsMissing) {
  CudaFindings f = all_found();
  f.provider_library = false;
  EXPECT_NE(refusal("cuda", f).find("libonnxruntime_providers_cuda.so"), std::string::npos);
  EXPECT_NE(refusal("cuda", f).find("make gpu"), std::string::npos);
  f = all_found();
  f.missing = "libcudnn.so.9";
  const std::string why = refusal("cuda", f);
  EXPECT_NE(why.find("libcudnn.so.9 not found; looked in the loader's path, "
                     "/usr/local/cuda-13.0/lib64, /venv/site-packages/nvidia/cudnn/lib"),
            std::string::npos)
      << why;
  f = all_found();
  f.missing = "libcuda.so.1";
  EXPECT_NE(refusal("tensorrt", f).find("the NVIDIA driver"), std::string::npos);
  f = all_found();
  f.device.clear();
  EXPECT_NE(refusal("cuda", f).find("no NVIDIA GPU"), std::string::npos);
}

TEST(ChooseProvider, AutoFallsBackToTheCpuAndSaysWhy) {
  CudaFindings f = all_found();
  f.device.clear();
  const ProviderChoice c = choose_provider("auto", f);
  EXPECT_EQ(c.provider, Provider::cpu);
  EXPECT_EQ(c.reason, "cpu: no NVIDIA GPU found (NVML lists no device)");
}

TEST(ChooseProvider, UnknownValuesAreRefused) {
  EXPECT_NE(refusal("gpu", all_found()).find("expected cpu, cuda, tensorrt or auto"),
            std::string::npos);
}

// The CLI where there is no usable GPU (CI, this machine): cuda fails fast with one line and
// exit 2; auto runs on the CPU and says so. Skipped where a GPU is usable.
bool gpu_usable() { return choose_provider("auto", find_cuda()).provider != Provider::cpu; }

TEST(ProviderCli, CudaWithoutAGpuFailsFastNamingWhatIsMissing) {
  if (gpu_usable()) GTEST_SKIP() << "a GPU is usable here";
  const std::string zoo = small_zoo(scratch_dir("prov"), 1, 64)[0];
  CommandResult r = run_cli(
      {"run", "--video", kVideo, "--model", zoo, "--frames", "2", "-q", "--provider", "cuda"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.err.starts_with("mvinfer: error: --provider cuda: ")) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_TRUE(r.err.find("not found") != std::string::npos ||
              r.err.find("no NVIDIA GPU") != std::string::npos ||
              r.err.find("make gpu") != std::string::npos)
      << r.err;
}

TEST(ProviderCli, AutoRunsOnTheCpuAndSaysWhy) {
  if (gpu_usable()) GTEST_SKIP() << "a GPU is usable here";
  const std::string zoo = small_zoo(scratch_dir("prov"), 1, 64)[0];
  CommandResult r = run_cli({"run", "--video", kVideo, "--model", zoo, "--frames", "2", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("provider cpu: "), std::string::npos) << r.err;
}

// Same structure, numbers within `tol` x max(1, |a|, |b|).
bool json_close(const nlohmann::json& a, const nlohmann::json& b, double tol) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return std::abs(x - y) <= tol * std::max({1.0, std::abs(x), std::abs(y)});
  }
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_array()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!json_close(a[i], b[i], tol)) return false;
    return true;
  }
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !json_close(it.value(), b[it.key()], tol)) return false;
    return true;
  }
  return a == b;
}
bool json_close(const std::string& a, const std::string& b, double tol) {
  return json_close(nlohmann::json::parse(a), nlohmann::json::parse(b), tol);
}

// On a GPU: every strategy's outputs equal the CPU's within 1e-3 (relative to the output's
// range; cuDNN's convolution algorithms differ from MLAS's in the last bits).
TEST(ProviderGpu, EveryStrategyMatchesTheCpu) {
  const ProviderChoice c = choose_provider("auto", find_cuda());
  if (c.provider == Provider::cpu) GTEST_SKIP() << "no usable GPU: " << c.reason;
  const std::string zoo = small_zoo(scratch_dir("gpu"), 1, 64)[0];
  const std::filesystem::path dir = scratch_dir("gpu_out");
  auto run = [&](const std::string& provider, const std::string& strategy) {
    const std::string out = (dir / (provider + "_" + strategy + ".jsonl")).string();
    CommandResult r =
        run_cli({"run", "--video", kVideo, "--model", zoo, "--frames", "16", "--batch", "4", "-q",
                 "--provider", provider, "--strategy", strategy, "--out", out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_lines(out);
  };
  const std::vector<std::string> cpu = run("cpu", "serial");
  for (const char* s :
       {"serial", "threads", "processes", "coroutines", "coroutines-async", "pipeline"}) {
    const std::vector<std::string> gpu = run("cuda", s);
    ASSERT_EQ(gpu.size(), cpu.size()) << s;
    for (size_t i = 0; i < cpu.size(); ++i)
      EXPECT_TRUE(json_close(cpu[i], gpu[i], 1e-3)) << s << " line " << i;
  }
}

}  // namespace
}  // namespace mvinfer::testing
