// Bounds on what a run may ask for, checked before anything large is allocated or started: a
// thread count that would hang ONNX Runtime's session creation, and memory beyond what the
// machine has. The rules with numbers in them are named here and unit-tested
// (tests/limits_test.cc).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "mvinfer/core/model.h"
#include "mvinfer/io/batch.h"

namespace mvinfer {

// Rule `max_threads`: a thread count (intra-op threads, --cores) is at most kMaxThreadsPerCore x
// the machine's cores. More only oversubscribes; far more (thousands) makes ONNX Runtime's
// session creation spin for minutes while it eats memory.
inline constexpr int kMaxThreadsPerCore = 4;
int max_threads(int machine_cores);
// Throws Error{bad_flag} naming `what` (a flag, or "model 'x': threads=") when n > max_threads().
void check_threads(const std::string& what, int n);

// Rule `malloc_arenas`: how many malloc arenas glibc may keep. Its default (8 per core) lets a
// long streaming run under `threads` creep (+19% RSS over 20,000 frames, bench/soak.sh) as each
// worker and ONNX Runtime thread frees into an arena of its own; one per core, at least
// kMinMallocArenas, held it within 9% at the same speed.
inline constexpr int kMinMallocArenas = 2;
int malloc_arenas(int machine_cores);
// The bound to apply given MALLOC_ARENA_MAX's value (`env_value`, null when unset): 0 (none)
// when the user set it (their choice wins), else malloc_arenas(machine_cores).
int malloc_arena_bound(const char* env_value, int machine_cores);
// Applies malloc_arena_bound() for this machine to this process (mallopt M_ARENA_MAX); returns
// the bound applied, 0 when none was (the user's setting, or an allocator without arenas: the
// sanitizers').
int bound_malloc_arenas(const char* env_value);

// Physical memory of this machine, in bytes (0 when unknown).
int64_t physical_memory_bytes();
// Rule `default_max_memory`: kDefaultMemoryShare of physical memory (what --max-memory is
// when not given); 0 (no limit) when the physical memory is unknown.
inline constexpr double kDefaultMemoryShare = 0.8;
int64_t default_max_memory(int64_t physical);
// "512M", "8G", "1.5G", "1024K", "2T" (powers of 1024), a plain number of bytes, or "75%" of
// `physical`; throws Error{bad_flag} naming `flag`.
int64_t parse_memory(const std::string& flag, const std::string& text, int64_t physical);
std::string format_bytes(double bytes);  // "1.5 GiB", "300 MiB"

// Bytes of one batch in memory: every model's input tensor (float32) for `batch` rows (a model
// with a fixed batch size runs calls of its own size, still over the batch's rows), plus the
// decoded frames when they are kept (overlay, dependent models) at `frame_w` x `frame_h`.
double batch_bytes(std::span<const ModelSpec> models, int batch, bool keep_images, int frame_w,
                   int frame_h);
// Rule `batches_held`: how many batches a run holds at once. Preloading or processes' up-front
// decoding: all of them (`total` < 0 = unknown: unbounded); a streaming strategy: its queues and
// what is in flight, (queue_depth + 2) per unit of the graph plus one per core.
double batches_held(bool all_up_front, int64_t total, int queue_depth, size_t units, int cores);
// Throws Error{bad_flag} about option "max_memory" when `need` > `limit` (> 0), saying what
// needs it; `limit` 0 = no limit.
void check_memory(double need, int64_t limit, const std::string& what);

}  // namespace mvinfer
