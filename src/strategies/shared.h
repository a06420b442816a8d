// Machinery shared by the concurrent strategies: batches handed to every model, results put
// back in frame order, the first error of any worker kept for the caller.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "mvinfer/core/strategy.h"
#include "mvinfer/io/batch.h"
#include "mvinfer/io/result_sink.h"

namespace mvinfer::strategies {

// Gives batch i to each of `consumers` consumers, pulling from the source on demand; a batch
// is dropped once every consumer has taken it. Thread-safe.
class BatchFanout {
 public:
  // `lead` > 0: a consumer asking for a batch `lead` or more ahead of the slowest consumer
  // waits until that one catches up (memory bounded by `lead` batches whatever the input's
  // length). Consumers that wait must be threads, and each must call done() when it stops.
  // `stop` (optional): once set, no batch is read from the source any more, but every batch
  // one consumer took is still given to the others, so a stopped run ends with whole batches.
  BatchFanout(BatchSource& source, size_t consumers, int64_t lead = 0,
              const std::atomic<bool>* stop = nullptr)
      : source_(source), taken_(consumers, 0), lead_(lead), stop_(stop) {}
  // `consumer` takes no more batches: nobody waits for it.
  void done(size_t consumer);
  // Batch number `i` for `consumer` (who must ask for 0, 1, 2, ... in turn); null at the end.
  // A source that fails ends there: every consumer still gets the batches before the failure,
  // then null; source_error() has the error for the strategy to raise once they are done.
  std::shared_ptr<const Batch> get(size_t consumer, int64_t i);
  std::exception_ptr source_error() const {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  BatchSource& source_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const Batch>> window_;  // batches base_ .. base_+size-1
  int64_t base_ = 0;
  bool ended_ = false;
  std::exception_ptr error_;
  std::vector<int64_t> taken_;  // per consumer: batches taken so far
  int64_t lead_;
  const std::atomic<bool>* stop_;
  std::condition_variable caught_up_;
};

// Collects (batch, model, result) from any thread and hands them to the sink in frame order:
// batch by batch, model by model. The sink is called under a lock, one call at a time.
class OrderedEmitter {
 public:
  // Emits from batch `first_seq` on (BatchSource::next_seq() when the run starts).
  OrderedEmitter(ResultSink& sink, size_t models, int64_t first_seq = 0)
      : sink_(sink), models_(models), next_seq_(first_seq) {}
  void submit(std::shared_ptr<const Batch> batch, size_t model, ModelResult result);
  // The most results that ever waited at once for an earlier one.
  size_t max_pending() const;

 private:
  ResultSink& sink_;
  size_t models_;
  mutable std::mutex mu_;
  int64_t next_seq_;
  size_t next_model_ = 0;
  struct Entry {
    std::shared_ptr<const Batch> batch;
    ModelResult result;
  };
  std::map<std::pair<int64_t, size_t>, Entry> waiting_;
  size_t max_pending_ = 0;
};

// The first exception raised by any worker; later ones are dropped. Setting it asks every
// worker to stop.
class FirstError {
 public:
  void set(std::exception_ptr e);
  bool failed() const { return failed_.load(); }
  void rethrow_if_failed();

 private:
  std::mutex mu_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

}  // namespace mvinfer::strategies
