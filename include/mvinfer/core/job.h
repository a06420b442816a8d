// Job: the whole `mvinfer run` as a library call. Resolves the models, opens the video,
// forms batches, runs the chosen strategy and writes the results; returns what it measured.
// Everything is validated before any output is opened, so a bad model or video never
// truncates an existing results file.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "mvinfer/core/model.h"
#include "mvinfer/core/observer.h"
#include "mvinfer/core/run_report.h"
#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/result_sink.h"

namespace mvinfer {

struct JobConfig {
  std::vector<std::string> videos;  // file, image folder, camera index or URL
  std::vector<ModelSpec> models;
  int64_t max_frames = -1;  // per video; < 0 = all
  // A segment of one video file or image folder: frames [start_frame, start_frame +
  // max_frames), with the frame indices, timestamps and batch numbers of the whole video, so
  // that its result lines are those a run over the whole video writes for these frames
  // (distributed runs). A multiple of the batch; one video; not with loop. A live
  // source (or live_fps replay) continues there: see SourceStart::renumber.
  SourceStart start;
  BatchingOptions batching;
  int width = 0, height = 0;  // --size: used for models whose H/W are dynamic
  std::string strategy = "serial";
  StrategyOptions strategy_options;
  bool preload = false;          // decode + preprocess everything before timing starts
  std::string out_jsonl;         // empty = none
  std::string save_tensors_dir;  // empty = none
  std::string overlay;           // .mp4 or .avi with the predictions drawn; empty = none
  bool progress = false;         // frames, frames/s, ETA on stderr
  double live_fps = 0;           // > 0: replay the inputs as live sources at this rate
  int loop = 1;                  // play each input this many times in a row
  // --max-memory in bytes: what the run's batches may hold at once (limits.h); < 0 = the
  // default share of physical memory, 0 = no limit.
  int64_t max_memory = -1;
  // --provider: cpu, cuda, tensorrt or auto (provider.h); validate_job() resolves it into
  // strategy_options.provider and provider_reason.
  std::string provider = "auto";
  std::string provider_reason;
  // Files read besides the videos and models (configs): an output may not be one of them.
  std::vector<std::string> other_inputs;
  // An input that ends before max_frames (or the frames its container holds), or an
  // undecodable frame, is an Error{bad_input} instead of a short run or a skipped frame.
  bool strict = false;
};

// Throws Error (bad_flag, bad_model, bad_input, io, worker, internal). On an error after
// results started flowing, the outputs written so far are flushed and stay valid.
// `extra_sink` (optional) receives every result besides the configured outputs.
RunReport run_job(JobConfig& config, Observer* extra_observer = nullptr,
                  ResultSink* extra_sink = nullptr);

// Checks the models and batching that `run` and `bench` share, makes the model names unique,
// resolves every spec for the batch and size, and pads a last short batch where a model's batch
// dim is fixed. Throws Error{bad_flag, bad_model}.
// `first_video` gives the frame size for models with a max_side rule (opened only then).
void resolve_models(std::vector<ModelSpec>& models, BatchingOptions& batching, int width,
                    int height, const std::string& first_video = {});

// Resolves each model's own provider= into ModelSpec::runs_on (choose_provider(), looking for
// the GPU's libraries once) and returns the summary's provider line: `run`'s reason, then the
// models that run elsewhere than the run ("; model 'x' on cpu: as asked (provider=cpu)").
// Throws Error{bad_flag} naming the model when its provider is not usable.
std::string resolve_model_providers(std::span<ModelSpec> models, const ProviderChoice& run);

// Checks `config` and resolves its models (fills the specs) without running anything.
void validate_job(JobConfig& config);

// Throws Error{io} about setting `option` naming `path` when a file could not be written
// there; leaves an existing file as it is (the check runs long before the output is replaced).
void check_writable(const std::string& option, const std::string& path);

// Throws Error{bad_flag} about setting `option` when `path` is the same file as one of
// `inputs` (a video, a model, a config, a decoder's dictionary or labels): writing it would
// destroy an input.
void check_not_an_input(const std::string& option, const std::string& path,
                        const std::vector<std::string>& inputs);
// Every file a job reads: videos, models, decoders' files (labels=, dict=) and other_inputs.
std::vector<std::string> input_files(const JobConfig& config);

}  // namespace mvinfer
