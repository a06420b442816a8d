// What the fuzz targets share: reading structured values out of the fuzzer's bytes, and a
// directory of the process's own for the targets that must go through a path, as the library
// does (model files, videos, image folders).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace mvinfer::fuzz {

// Reads values from the front of the input, in order; an exhausted input reads as zeros, so
// every input (the empty one too) is a valid case.
class Bytes {
 public:
  explicit Bytes(std::span<const uint8_t> data) : data_(data) {}
  uint8_t u8() { return pos_ < data_.size() ? data_[pos_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
  uint64_t u64() { return static_cast<uint64_t>(u32()) | (static_cast<uint64_t>(u32()) << 32); }
  // One of `n` choices (n > 0).
  size_t pick(size_t n) { return u8() % n; }
  // What is left, consumed.
  std::span<const uint8_t> rest() {
    auto r = data_.subspan(std::min(pos_, data_.size()));
    pos_ = data_.size();
    return r;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

// A directory created on first use under $TMPDIR (or /tmp), removed when the process exits
// normally (a crash leaves it behind, with the input that caused it in the fuzzer's artifact).
const std::filesystem::path& temp_dir();

// Writes `data` to `path`, replacing it. Aborts when it cannot: the target would test nothing.
void write_file(const std::filesystem::path& path, std::span<const uint8_t> data);
void write_file(const std::filesystem::path& path, std::string_view text);

// Whether a frame source reads this input strictly (open_frame_source's `strict`): a bit of the
// input's middle byte, so that mutations try both without changing the format.
inline bool strict(const uint8_t* data, size_t size) { return size > 0 && (data[size / 2] & 1); }

// Stops the process with `what` on stderr: a broken invariant, reported by libFuzzer as a crash
// with the input that caused it.
[[noreturn]] void finding(std::string_view what);

}  // namespace mvinfer::fuzz
