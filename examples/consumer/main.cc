// Runs one model over a few frames of a video with the serial strategy and prints the
// summary: the smallest program built on the installed library.
#include <cstdio>

#include "mvinfer/core/error.h"
#include "mvinfer/core/job.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s VIDEO MODEL\n", argv[0]);
    return 2;
  }
  try {
    mvinfer::JobConfig job;
    job.videos = {argv[1]};
    job.models = {mvinfer::parse_model_arg(argv[2])};
    job.max_frames = 8;
    job.batching.batch = 4;
    job.width = job.height = 64;
    mvinfer::RunReport r = mvinfer::run_job(job);
    std::printf("%s\n", mvinfer::format_summary(r).c_str());
    return r.frames == 8 ? 0 : 1;
  } catch (const mvinfer::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return mvinfer::exit_code(e.code());
  }
}
