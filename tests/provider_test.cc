// Where models run: the rule on synthetic findings, the CLI without a GPU (this machine and
// CI), and, where a GPU exists, the same outputs on it as on the CPU.
#include "mvinfer/core/provider.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../src/core/cuda_runtime.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/gpu_rules.h"
#include "mvinfer/core/job.h"
#include "mvinfer/core/model.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/result_sink.h"
#include "mvinfer/tools/gpu_monitor.h"
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

TEST(ChooseProvider, TensorRtAlsoNeedsTensorRtsRuntime) {
  CudaFindings f = all_found();
  f.tensorrt_missing = "libnvinfer.so.10";
  EXPECT_EQ(choose_provider("cuda", f).provider, Provider::cuda);  // CUDA's provider does not
  EXPECT_EQ(choose_provider("auto", f).provider, Provider::cuda);
  EXPECT_NE(refusal("tensorrt", f).find("libnvinfer.so.10 not found (TensorRT 10"),
            std::string::npos)
      << refusal("tensorrt", f);
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

// A model's own provider=: parsed, checked, resolved per model, said in the summary.
TEST(ModelProvider, ParsedFromTheModelArgAndTheConfig) {
  EXPECT_EQ(parse_model_arg("m.onnx:provider=cpu").provider, "cpu");
  EXPECT_EQ(parse_model_arg("m.onnx").provider, "");
  try {
    parse_model_arg("m.onnx:provider=gpu");
    ADD_FAILURE() << "provider=gpu was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_flag);
    EXPECT_NE(std::string(e.what()).find(
                  "provider='gpu' is not valid (expected cpu, cuda, tensorrt or auto)"),
              std::string::npos)
        << e.what();
  }
  const std::vector<ModelSpec> specs = parse_model_config(
      "models:\n  - path: a.onnx\n    provider: tensorrt\n  - path: b.onnx\n", "/cfg/m.yaml");
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].provider, "tensorrt");
  EXPECT_EQ(specs[1].provider, "");
}

TEST(ModelProvider, EachModelResolvesItsOwnAndTheSummarySaysWhichDiffer) {
  std::vector<ModelSpec> specs(2);
  specs[0].name = "a";
  specs[1].name = "b";
  specs[1].provider = "cpu";
  // The run on the GPU (as choose_provider would say on a machine with one), b on the CPU.
  const ProviderChoice gpu{Provider::cuda, "cuda: found a GPU on NVIDIA H200"};
  EXPECT_EQ(resolve_model_providers(specs, gpu),
            "cuda: found a GPU on NVIDIA H200; model 'b' on cpu (provider=cpu)");
  EXPECT_FALSE(specs[0].runs_on);
  EXPECT_EQ(specs[1].runs_on, Provider::cpu);
  StrategyOptions o;
  o.provider = Provider::cuda;
  EXPECT_EQ(session_settings_for(specs[0], 1, o).provider, Provider::cuda);
  EXPECT_EQ(session_settings_for(specs[1], 1, o).provider, Provider::cpu);
  // The same provider as the run's: nothing more to say.
  const ProviderChoice cpu{Provider::cpu, "cpu: as asked (--provider cpu)"};
  EXPECT_EQ(resolve_model_providers(specs, cpu), cpu.reason);
}

TEST(ProviderCli, AModelOnTheGpuWithoutOneFailsNamingTheModel) {
  if (gpu_usable()) GTEST_SKIP() << "a GPU is usable here";
  const std::string zoo = small_zoo(scratch_dir("prov"), 1, 64)[0];
  CommandResult r = run_cli({"run", "--video", kVideo, "--model", zoo + ":provider=cuda",
                             "--frames", "2", "-q", "--provider", "cpu"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.err.starts_with("mvinfer: error: model 'zoo0': provider=cuda: ")) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

TEST(ProviderCli, CudaGraphsOnTheCpuAreRefusedOrSaidToDoNothing) {
  const std::string zoo = small_zoo(scratch_dir("prov"), 1, 64)[0];
  CommandResult r = run_cli({"run", "--video", kVideo, "--model", zoo, "--frames", "2", "-q",
                             "--provider", "cpu", "--cuda-graph"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "mvinfer: error: --cuda-graph: CUDA graphs are for the GPU, and the provider is cpu "
            "(expected cuda or auto)\n");
  if (gpu_usable()) return;
  r = run_cli({"run", "--video", kVideo, "--model", zoo, "--frames", "2", "-q", "--cuda-graph"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("CUDA graphs were asked for, and have no effect on the CPU"),
            std::string::npos)
      << r.err;
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

// A resolved zoo model (64x64, batch 4) and a session for it on `provider`.
ModelSpec zoo_spec(const std::string& tag) {
  ModelSpec spec = parse_model_arg(small_zoo(scratch_dir(tag), 1, 64)[0]);
  resolve_model_spec(spec, 4);
  return spec;
}
SessionSettings on(Provider p, bool graph = false) {
  SessionSettings s;
  s.provider = p;
  s.cuda_graph = graph;
  return s;
}
// Batches of vtest.avi as the zoo model takes them: `n` of 4 rows, then one of 3 (a short one).
std::vector<Tensor> zoo_inputs(const ModelSpec& spec, int n) {
  std::vector<Tensor> inputs;
  for (int b = 0; b <= n; ++b) {
    Tensor t = Tensor::zeros(spec.preprocess.shape(b < n ? 4 : 3));
    for (size_t i = 0; i < t.data.size(); ++i)
      t.data[i] = static_cast<float>((i * 7 + static_cast<size_t>(b) * 13) % 255) / 255.0f;
    inputs.push_back(std::move(t));
  }
  return inputs;
}
void expect_close(const std::vector<Tensor>& a, const std::vector<Tensor>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t o = 0; o < a.size(); ++o) {
    ASSERT_EQ(a[o].shape, b[o].shape);
    for (size_t k = 0; k < a[o].data.size(); ++k)
      ASSERT_NEAR(a[o].data[k], b[o].data[k],
                  tol * std::max({1.0f, std::abs(a[o].data[k]), std::abs(b[o].data[k])}))
          << "output " << o << " element " << k;
  }
}

// On a GPU: every session on a stream of its own, its calls timed on it; the outputs through
// pinned buffers and IOBinding equal the CPU's.
TEST(ProviderGpu, EachSessionHasItsOwnStreamAndItsGpuTime) {
  const ProviderChoice c = choose_provider("auto", find_cuda());
  if (c.provider == Provider::cpu) GTEST_SKIP() << "no usable GPU: " << c.reason;
  const ModelSpec spec = zoo_spec("gpu_stream");
  const Model a(spec, on(Provider::cuda)), b(spec, on(Provider::cuda)),
      cpu(spec, on(Provider::cpu));
  ASSERT_NE(a.cuda_stream(), nullptr);
  ASSERT_NE(b.cuda_stream(), nullptr);
  EXPECT_NE(a.cuda_stream(), b.cuda_stream());
  EXPECT_EQ(cpu.cuda_stream(), nullptr);
  EXPECT_FALSE(cpu.gpu_seconds());
  for (const Tensor& in : zoo_inputs(spec, 3)) expect_close(a.run(in), cpu.run(in), 1e-3);
  EXPECT_GT(*a.gpu_seconds(), 0);
  EXPECT_EQ(*b.gpu_seconds(), 0);
}

// On a GPU: a model run as a CUDA graph gives what the same model gives without one, the short
// last batch included (padded, then cut back).
TEST(ProviderGpu, CudaGraphRunsEqualPlainRuns) {
  const ProviderChoice c = choose_provider("auto", find_cuda());
  if (c.provider == Provider::cpu) GTEST_SKIP() << "no usable GPU: " << c.reason;
  const ModelSpec spec = zoo_spec("gpu_graph");
  ASSERT_EQ(cuda_graph_blocker(spec), "");
  const Model graph(spec, on(Provider::cuda, true)), plain(spec, on(Provider::cuda));
  for (const Tensor& in : zoo_inputs(spec, 5)) expect_close(graph.run(in), plain.run(in), 1e-5);
}

// On a GPU: the device's memory does not grow over a long run once the arena has its size.
TEST(ProviderGpu, NoGpuMemoryGrowthOverALongRun) {
  const ProviderChoice c = choose_provider("auto", find_cuda());
  if (c.provider == Provider::cpu) GTEST_SKIP() << "no usable GPU: " << c.reason;
  const ModelSpec spec = zoo_spec("gpu_growth");
  const Model m(spec, on(Provider::cuda));
  const std::vector<Tensor> inputs = zoo_inputs(spec, 8);
  for (int i = 0; i < 50; ++i) m.run(inputs[static_cast<size_t>(i) % inputs.size()]);
  GpuMonitor nvml;
  const double before = static_cast<double>(nvml.memory()->total_bytes - nvml.memory()->free_bytes);
  for (int i = 0; i < 2000; ++i) m.run(inputs[static_cast<size_t>(i) % inputs.size()]);
  const double after = static_cast<double>(nvml.memory()->total_bytes - nvml.memory()->free_bytes);
  EXPECT_LE(after - before, 16.0 * (1 << 20)) << before << " -> " << after << " bytes used";
}

// On a GPU: processes after CUDA was used in this process is refused, naming why (a forked
// worker cannot use CUDA then).
TEST(ProviderGpu, ProcessesAfterCudaInThisProcessIsRefusedNamingWhy) {
  const ProviderChoice c = choose_provider("auto", find_cuda());
  if (c.provider == Provider::cpu) GTEST_SKIP() << "no usable GPU: " << c.reason;
  const ModelSpec spec = zoo_spec("gpu_fork");
  { const Model m(spec, on(Provider::cuda)); }
  StrategyOptions o;
  o.provider = Provider::cuda;
  PreloadedBatches source({});
  NullSink sink;
  Observer observer;
  try {
    make_strategy("processes", o)->run(source, std::span(&spec, 1), sink, observer);
    ADD_FAILURE() << "processes ran after CUDA was used";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a forked worker cannot use"), std::string::npos)
        << e.what();
  }
}

// Where the CUDA runtime is installed but no GPU is (this project's development machine has
// CUDA 13 in /usr/local/cuda-13.0 and no driver): our use of it fails with a clear error, not
// a crash. Skipped where the runtime is absent (CI) or a GPU is present.
TEST(CudaRuntime, WithoutADeviceAStreamIsAClearError) {
  if (gpu_usable()) GTEST_SKIP() << "a GPU is usable here";
  bool loaded = dlopen("libcudart.so.13", RTLD_NOW | RTLD_GLOBAL) != nullptr;
  for (const std::string& dir : cuda_search_dirs())
    if (!loaded && std::filesystem::exists(dir + "/libcudart.so.13"))
      loaded = dlopen((dir + "/libcudart.so.13").c_str(), RTLD_NOW | RTLD_GLOBAL) != nullptr;
  if (!loaded) GTEST_SKIP() << "no CUDA runtime (libcudart.so.13) here";
  try {
    cuda::OwnStream stream;
    ADD_FAILURE() << "a CUDA stream without a GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_TRUE(std::string(e.what()).starts_with("CUDA: cudaSetDevice(0) failed: ")) << e.what();
  }
}

}  // namespace
}  // namespace mvinfer::testing
