#include "mvinfer/core/job.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <tuple>

#include "mvinfer/core/error.h"
#include "mvinfer/core/graph.h"
#include "mvinfer/core/limits.h"
#include "mvinfer/core/provider.h"
#include "mvinfer/io/frame_source.h"
#include "mvinfer/io/looped_source.h"
#include "mvinfer/io/overlay.h"
#include "mvinfer/io/paced_source.h"
#include "mvinfer/io/result_sink.h"
#include "mvinfer/tools/gpu_monitor.h"

namespace mvinfer {
namespace {

// Counts frames as their results are emitted, and draws a progress line on a terminal.
class ProgressSink : public ResultSink {
 public:
  ProgressSink(size_t models, int64_t expected, bool draw)
      : models_(models), expected_(expected), draw_(draw) {}

  void begin(std::span<const ModelSpec>) override { start_ = last_draw_ = Clock::now(); }
  void consume(const Batch& batch, size_t model, const ModelResult&) override {
    if (model + 1 != models_) return;  // a batch is done when its last model's result is in
    frames_ += static_cast<int64_t>(batch.frames.size());
    for (const FrameRef& f : batch.frames) {
      if (static_cast<size_t>(f.stream) >= per_stream_.size()) per_stream_.resize(f.stream + 1, 0);
      per_stream_[static_cast<size_t>(f.stream)]++;
    }
    if (draw_ && Clock::now() - last_draw_ > std::chrono::milliseconds(250)) draw();
  }
  void end() override {
    if (draw_ && drawn_) std::fputs("\r\033[K", stderr);
  }
  int64_t frames_of(size_t stream) const {
    return stream < per_stream_.size() ? per_stream_[stream] : 0;
  }

 private:
  void draw() {
    last_draw_ = Clock::now();
    double s = std::chrono::duration<double>(last_draw_ - start_).count();
    double fps = s > 0 ? static_cast<double>(frames_) / s : 0;
    std::string eta = "?";
    if (expected_ > 0 && fps > 0)
      eta = fmt::format("{:.0f} s",
                        static_cast<double>(std::max<int64_t>(0, expected_ - frames_)) / fps);
    fmt::print(stderr, "\r\033[K{} frames{}, {:.1f} frames/s, ETA {}", frames_,
               expected_ > 0 ? fmt::format("/{}", expected_) : "", fps, eta);
    std::fflush(stderr);
    drawn_ = true;
  }
  size_t models_;
  int64_t expected_;
  bool draw_;
  bool drawn_ = false;
  int64_t frames_ = 0;
  std::vector<int64_t> per_stream_;
  Clock::time_point start_, last_draw_;
};

}  // namespace

void check_writable(const std::string& option, const std::string& path) {
  if (path.empty() || path == "-") return;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::string why;
  if (!std::filesystem::is_directory(dir, ec))
    why = fmt::format("its folder '{}' {}", dir.string(),
                      std::filesystem::exists(dir, ec) ? "is not a folder" : "does not exist");
  else if (access(dir.c_str(), W_OK) != 0)
    why = fmt::format("its folder '{}' is not writable", dir.string());
  else if (std::filesystem::is_directory(path, ec))
    why = "it is a folder; expected a file";
  else if (std::filesystem::exists(path, ec) && access(path.c_str(), W_OK) != 0)
    why = "it exists and is not writable";
  if (!why.empty())
    throw Error(ErrorCode::io, Error::Option{option},
                fmt::format(" '{}': cannot be written ({})", path, why));
}

void check_not_an_input(const std::string& option, const std::string& path,
                        const std::vector<std::string>& inputs) {
  if (path.empty() || path == "-") return;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  for (const std::string& in : inputs)
    if (std::filesystem::equivalent(path, in, ec) && !ec)
      throw Error(ErrorCode::bad_flag, Error::Option{option},
                  fmt::format(" '{}': is one of the inputs ('{}'); expected a file that is not "
                              "read by this run",
                              path, in));
}

std::vector<std::string> input_files(const JobConfig& c) {
  std::vector<std::string> files = c.videos;
  files.insert(files.end(), c.other_inputs.begin(), c.other_inputs.end());
  for (const ModelSpec& m : c.models) {
    files.push_back(m.path);
    for (const char* key : {"labels", "dict"})
      if (auto it = m.decoder.options.find(key); it != m.decoder.options.end()) {
        std::filesystem::path p(it->second);
        if (p.is_relative() && !m.decoder.base_dir.empty()) p = m.decoder.base_dir / p;
        files.push_back(p.string());
      }
  }
  return files;
}

namespace {
// A model's name becomes a folder under --save-tensors and a label in results: no path
// separators, no "." or "..", nothing unprintable.
void check_model_name(const ModelSpec& m) {
  const bool bad = m.name.empty() || m.name == "." || m.name == ".." ||
                   std::any_of(m.name.begin(), m.name.end(), [](char c) {
                     return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
                   });
  if (bad)
    throw Error(ErrorCode::bad_flag,
                fmt::format("model '{}': name '{}' is not a usable name (expected no '/', '\\', "
                            "control characters, and not '.' or '..')",
                            m.path, m.name));
}
}  // namespace

void resolve_models(std::vector<ModelSpec>& models, BatchingOptions& batching, int width,
                    int height, const std::string& first_video) {
  if (models.empty())
    throw Error(ErrorCode::bad_flag, "no models given (expected at least one in ",
                Error::Option{"models"}, ")");
  if (batching.batch < 1)
    throw Error(ErrorCode::bad_flag, Error::Option{"batch"},
                fmt::format(" {}: expected a positive integer", batching.batch));
  if (width < 0 || height < 0)
    throw Error(ErrorCode::bad_flag, Error::Option{"size"}, ": expected WxH with positive values");
  make_names_unique(models);
  for (const ModelSpec& m : models) {
    check_model_name(m);
    if (m.intra_threads > 0)
      check_threads(fmt::format("model '{}': threads=", m.name), m.intra_threads);
  }
  order_graph(models);
  int frame_w = 0, frame_h = 0;
  for (ModelSpec& m : models) {
    if (m.max_side <= 0 || m.preprocess.width > 0 || m.preprocess.height > 0) continue;
    if (frame_w == 0) {
      if (first_video.empty())
        throw Error(ErrorCode::bad_flag,
                    fmt::format("model '{}': max_side= needs the frame size, and there is no "
                                "video to read it from (give size=WxH)",
                                m.name));
      Frame f;
      std::unique_ptr<FrameSource> src = open_frame_source(first_video, 1);
      if (!src->next(f))
        throw Error(ErrorCode::bad_input, fmt::format("video '{}': no frames", first_video));
      frame_w = f.image.cols;
      frame_h = f.image.rows;
    }
    std::tie(m.preprocess.width, m.preprocess.height) =
        size_by_max_side(m.max_side, m.multiple, frame_w, frame_h);
  }
  for (ModelSpec& m : models) {
    // --size is for models on frames; a dependent model's size comes from its own settings.
    resolve_model_spec(m, batching.batch, m.on.empty() ? width : 0, m.on.empty() ? height : 0);
    make_decoder(m.decoder);  // an unknown decoder or option fails here, before any output
  }
  if (has_dependents(models)) batching.keep_images = true;
}

std::string resolve_model_providers(std::span<ModelSpec> models, const ProviderChoice& run) {
  std::string line = run.reason;
  std::optional<CudaFindings> found;  // looked for once, when a model asks for more than cpu
  for (ModelSpec& m : models) {
    m.runs_on.reset();
    if (m.provider.empty()) continue;
    if (m.provider != "cpu" && !found) found = find_cuda();
    ProviderChoice own;
    try {
      own = choose_provider(m.provider, m.provider == "cpu" ? CudaFindings{} : *found);
    } catch (const Error& e) {
      // "provider cuda: libcuda.so.1 not found ..." -> "model 'x': provider=cuda: ..."
      std::string why = e.what();
      if (const size_t colon = why.find(": "); colon != std::string::npos)
        why = why.substr(colon + 2);
      throw Error(ErrorCode::bad_flag,
                  fmt::format("model '{}': provider={}: {}", m.name, m.provider, why));
    }
    m.runs_on = own.provider;
    if (own.provider == run.provider) continue;
    // own.reason is "cpu: as asked (--provider cpu)" or "cpu: <why not the GPU>" and so on.
    const std::string why = own.reason.substr(own.reason.find(": ") + 2);
    line += m.provider == "cpu" || m.provider == to_string(own.provider)
                ? fmt::format("; model '{}' on {} (provider={})", m.name, m.provider, m.provider)
                : fmt::format("; model '{}' on {} (provider={}: {})", m.name,
                              to_string(own.provider), m.provider, why);
  }
  return line;
}

void validate_job(JobConfig& c) {
  if (c.videos.empty())
    throw Error(ErrorCode::bad_flag, "no input given (expected ", Error::Option{"videos"},
                ": a file, image folder, camera index or URL)");
  const StrategyInfo* strategy = find_strategy(c.strategy);
  if (c.strategy_options.drop_late && strategy && !strategy->drops_late) {
    std::vector<std::string_view> able;
    for (const StrategyInfo& s : strategy_table())
      if (s.drops_late) able.push_back(s.name);
    throw Error(ErrorCode::bad_flag, Error::Option{"drop_late"},
                fmt::format(": strategy {} does not drop late frames (expected one of: {})",
                            c.strategy, fmt::join(able, ", ")));
  }
  if (c.start.frame != 0) {
    const int64_t per = c.batching.replicate ? 1 : c.batching.batch;
    if (c.start.frame < 0 || c.start.frame % per != 0)
      throw Error(ErrorCode::bad_flag, Error::Option{"start_frame"},
                  fmt::format(" {}: expected 0 or more and a multiple of the batch ({})",
                              c.start.frame, per));
    // Live replay (live_fps) may start inside: a live job continued by another worker.
    if (c.videos.size() != 1 || c.loop > 1)
      throw Error(ErrorCode::bad_flag, Error::Option{"start_frame"},
                  fmt::format(" {}: expected one video, played once", c.start.frame));
    c.batching.first_seq = c.start.frame / per;
  }
  const ProviderChoice provider = resolve_provider(c.provider);
  c.strategy_options.provider = provider.provider;
  c.provider_reason = provider.reason;
  if (c.strategy_options.intra_threads > 0)
    check_threads("--intra-threads", c.strategy_options.intra_threads);
  if (c.strategy_options.cores > 0) check_threads("--cores", c.strategy_options.cores);
  check_writable("out_jsonl", c.out_jsonl);
  check_writable("overlay", c.overlay);
  if (!c.overlay.empty()) {
    overlay_fourcc(c.overlay);  // a known extension
    c.batching.keep_images = true;
  }
  if (c.strategy_options.cuda_graph && c.provider == "cpu")
    throw Error(ErrorCode::bad_flag, Error::Option{"cuda_graph"},
                ": CUDA graphs are for the GPU, and the provider is cpu (expected cuda or auto)");
  resolve_models(c.models, c.batching, c.width, c.height, c.videos.front());
  c.provider_reason = resolve_model_providers(c.models, provider);
  if (c.strategy_options.cuda_graph && provider.provider == Provider::cpu)
    c.provider_reason += "; CUDA graphs were asked for, and have no effect on the CPU";
  check_strategy_runs(c.strategy, c.models);
  const std::vector<std::string> inputs = input_files(c);
  for (const auto& [option, path] :
       {std::pair<const char*, const std::string&>{"out_jsonl", c.out_jsonl},
        {"overlay", c.overlay},
        {"save_tensors_dir", c.save_tensors_dir}})
    check_not_an_input(option, path, inputs);
  if (c.max_memory < 0) c.max_memory = default_max_memory(physical_memory_bytes());
  // Streaming: what the queues and the calls in flight hold, before anything is allocated.
  const double per_batch =
      batch_bytes(c.models, c.batching.batch, c.batching.keep_images, c.width, c.height);
  const bool up_front = c.preload || c.strategy == "processes";
  const auto units = static_cast<size_t>(std::count_if(
      c.models.begin(), c.models.end(), [](const ModelSpec& m) { return m.on.empty(); }));
  if (!up_front)  // decoding up front is checked once the inputs' lengths are known
    check_memory(
        per_batch * batches_held(false, 0, c.strategy_options.queue_depth, units,
                                 cores_of(c.strategy_options)),
        c.max_memory,
        fmt::format("one batch ({}) times the batches in flight", format_bytes(per_batch)));
}

RunReport run_job(JobConfig& c, Observer* extra_observer, ResultSink* extra_sink) {
  validate_job(c);
  std::unique_ptr<Strategy> strategy = make_strategy(c.strategy, c.strategy_options);
  std::vector<std::unique_ptr<FrameSource>> sources;
  std::vector<FrameSource*> raw_sources;
  int64_t expected = 0;
  for (size_t i = 0; i < c.videos.size(); ++i) {
    if (c.loop > 1)
      sources.push_back(std::make_unique<LoopedSource>(c.videos[i], c.loop, c.max_frames,
                                                       static_cast<int>(i), c.strict));
    else
      sources.push_back(
          open_frame_source(c.videos[i], c.max_frames, static_cast<int>(i), c.strict, c.start));
    if (c.live_fps > 0)
      sources.back() = std::make_unique<PacedSource>(std::move(sources.back()), c.live_fps,
                                                     c.strategy_options.stop);
    raw_sources.push_back(sources.back().get());
    const int64_t n = sources.back()->frame_count_hint();
    expected = (expected < 0 || n < 0) ? -1 : expected + n;
  }

  // Decoding everything before the run (--preload, processes): all the batches at once.
  const bool up_front = c.preload || c.strategy == "processes";
  if (up_front) {
    const int64_t batches =
        expected < 0
            ? -1
            : (c.batching.replicate ? expected
                                    : (expected + c.batching.batch - 1) / c.batching.batch);
    const double per_batch =
        batch_bytes(c.models, c.batching.batch, c.batching.keep_images, c.width, c.height);
    check_memory(
        per_batch * batches_held(true, batches, 0, 0, 0), c.max_memory,
        fmt::format("{} ({} batches of {}{})",
                    c.preload ? "--preload" : "processes' up-front decoding",
                    batches < 0 ? std::string("an unknown number of") : std::to_string(batches),
                    format_bytes(per_batch), batches < 0 ? "; give --frames" : ""));
  }
  Batcher batcher(raw_sources, c.models, c.batching);
  BatchSource* feed = &batcher;
  std::unique_ptr<PreloadedBatches> preloaded;
  if (c.preload) {
    preloaded = preload(batcher, c.strategy_options.stop);
    feed = preloaded.get();
  }

  // Outputs are opened last: a bad model or video never truncates an existing results file.
  std::unique_ptr<JsonlSink> jsonl;
  std::unique_ptr<NpySink> npy;
  if (!c.out_jsonl.empty()) jsonl = std::make_unique<JsonlSink>(c.out_jsonl, c.videos);
  if (!c.save_tensors_dir.empty()) npy = std::make_unique<NpySink>(c.save_tensors_dir);
  std::unique_ptr<OverlaySink> overlay;
  if (!c.overlay.empty()) overlay = std::make_unique<OverlaySink>(c.overlay);

  ProgressSink progress(c.models.size(), expected, c.progress && isatty(STDERR_FILENO));
  std::vector<ResultSink*> sinks{&progress};
  if (jsonl) sinks.push_back(jsonl.get());
  if (npy) sinks.push_back(npy.get());
  if (overlay) sinks.push_back(overlay.get());
  if (extra_sink) sinks.push_back(extra_sink);
  SinkList sink(sinks);
  ProfileObserver profile;
  std::vector<Observer*> observers{&profile};
  if (extra_observer) observers.push_back(extra_observer);
  ObserverList observer(observers);

  RunReadings readings;
  readings.cores = cores_of(c.strategy_options);
  const double cpu0 = cpu_seconds_self() + cpu_seconds_children();
  sink.begin(c.models);
  // The GPU's memory and utilisation, sampled over the run when a model is on it.
  std::optional<GpuMonitor> gpu;
  if (std::any_of(c.models.begin(), c.models.end(), [&](const ModelSpec& m) {
        return m.runs_on.value_or(c.strategy_options.provider) != Provider::cpu;
      })) {
    gpu.emplace();
    gpu->start();
  }
  readings.called = Clock::now();
  StrategyStats stats;
  try {
    stats = strategy->run(*feed, c.models, sink, observer);
  } catch (...) {
    sink.end();  // what was written stays whole
    throw;
  }
  readings.returned = Clock::now();
  if (gpu) {
    const GpuMonitor::Usage u = gpu->stop();
    readings.gpu_mem_mib = u.memory_mib;
    readings.gpu_util = u.util_pct;
  }
  sink.end();
  if (jsonl) jsonl->commit();
  if (overlay) overlay->commit();
  readings.cpu_s = cpu_seconds_self() + cpu_seconds_children() - cpu0;
  readings.peak_rss_mib = peak_rss_mib_self();
  readings.interrupted = c.strategy_options.stop && c.strategy_options.stop->load();
  RunReport r = make_run_report(strategy->name(), stats, profile.intervals(), c.models, readings);
  const std::vector<int64_t>& dropped = stats.dropped_frames;
  for (size_t i = 0; i < c.videos.size(); ++i) {
    StreamReport st;
    st.source = c.videos[i];
    st.frames = progress.frames_of(i);
    st.fps = r.wall_s > 0 ? static_cast<double>(st.frames) / r.wall_s : 0;
    st.dropped = i < dropped.size() ? dropped[i] : 0;
    const SourceCounts n = sources[i]->counts();
    st.read = n.read;
    st.expected = n.expected;
    st.undecodable = n.undecodable;
    st.discarded = n.discarded;
    st.seek_ms = n.seek_ms;
    r.streams.push_back(st);
  }
  return r;
}

}  // namespace mvinfer
