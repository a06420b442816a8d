// `worker --results-dir DIR`: a segment's lines as one file per (job, segment) in a directory
// that every worker and collect can reach (a shared file system); the job's results hash then
// holds only a reference to the file, so a job's results are not bounded by Redis' memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mvinfer::dist {

// How a reference starts in the results hash (lines are JSON objects: none starts with it).
inline constexpr std::string_view kFileRef = "@file ";

// Writes `lines` to DIR/result_file_name(job, seg): first to a temporary file in DIR (same file
// system), then published with link(2), which fails when the file is there already: the first
// copy wins and a later one (a duplicate run) leaves it untouched, so the file is never partial
// or doubled. Where hard links are not supported, rename(2) (atomic; a duplicate's content is
// the same segment's). Returns the reference to store. Throws Error{io} about `results_dir`.
std::string write_result_file(const std::string& dir, const std::string& job, int64_t seg,
                              std::string_view lines);

// The lines of a stored result: the value itself, or the file it refers to, looked up in `dir`
// when not empty (where collect sees the shared directory), else where the worker wrote it.
// Throws Error{io} about `results_dir` when the file cannot be read.
std::string read_result(const std::string& stored, const std::string& dir);

}  // namespace mvinfer::dist
