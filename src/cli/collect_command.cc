// mvinfer collect: a job's results from Redis, in order, as one JSON Lines file.
#include <fmt/format.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "mvinfer/dist/collect.h"

namespace mvinfer::cli {
namespace {
struct CollectFlags {
  RedisFlags redis;
  std::vector<std::string> jobs;
  std::string out, results_dir;
  bool wait = false, follow = false, as_one_run = false;
};
}  // namespace

Command add_collect_command(CLI::App& app) {
  auto f = std::make_shared<CollectFlags>();
  CLI::App* c = app.add_subcommand(
      "collect", "Write a job's results, every segment in order, as the JSON Lines `run` writes");
  add_redis_flags(c, f->redis);
  c->add_option("--job", f->jobs,
                "Job id(s) submit printed (repeatable or several after one --job): their lines "
                "one job after another, in the order given")
      ->required();
  c->add_option("--out", f->out, "JSON Lines file ('-' = stdout)")->required();
  c->add_option("--results-dir", f->results_dir,
                "Where the workers' --results-dir is seen from this host (default: the path "
                "they wrote)");
  c->add_flag("--wait", f->wait, "Wait until every segment is done");
  c->add_flag("--as-one-run", f->as_one_run,
              "Order and number the lines as one `run` given every video of the jobs (in the "
              "order given) does: batches of the videos in turn, instead of one after another");
  c->add_flag("--follow", f->follow,
              "Write each segment's lines as soon as it and those before it are done");
  return [f] {
    dist::CollectOptions o;
    o.jobs = f->jobs;
    o.out = f->out;
    o.wait = f->wait;
    o.follow = f->follow;
    o.results_dir = f->results_dir;
    o.as_one_run = f->as_one_run;
    o.progress = isatty(STDERR_FILENO);
    const RedisOptions options = redis_options(f->redis);
    check_writable("out", f->out);
    o.stop = &stop_on_signals();
    RedisClient redis(options);
    for (const dist::JobProgress& p : dist::collect_jobs(redis, o))
      fmt::print(stderr, "job {}: {} segments collected to {}; {} duplicates dropped\n",
                 p.spec.name, p.segments, f->out, p.duplicates);
    return 0;
  };
}

}  // namespace mvinfer::cli
