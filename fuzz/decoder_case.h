// The decoder fuzz target's input format, read by the target and written by make_seeds (so
// that seeds are realistic cases: a BlazeFace pair of outputs, a DB probability map with text
// blobs, CTC steps over a dictionary).
//
// Bytes, in order (an exhausted input reads as zeros):
//   decoder       u8 % 6: classify, blazeface, ppocr-det, ppocr-cls, ppocr-rec, raw
//   options       u8 bit mask over the decoder's options (kOptions), then u8 per set bit: an
//                 index into kValues (a file option: a file in kFiles instead)
//   input size    u8 % 3 picks 128, 256 or u16 % 1024 + 1 for the width, the same for height
//   resize        u8 % 4 (stretch, letterbox, pad, pad-grow)
//   image size    u16 % 512 + 1 width, u16 % 512 + 1 height (the frame the mapping goes back to)
//   row           u8 % 4
//   outputs       u8 % 3 + 1, each: rank u8 % 6, dims (kind u8 % 4: u8 value, u16 value, one of
//                 kDims, raw int64), value kind u8 % 4 (raw float32 bits, (b - 128) / 16,
//                 b / 255, one of kSpecials), and u8 % 16 == 0 makes the data one value short
//   pool          the rest: the values, read cyclically (each output starts where the last
//                 one stopped; an empty pool gives zeros)
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace mvinfer::fuzz {

inline constexpr std::array<std::string_view, 6> kDecoderNames{
    "classify", "blazeface", "ppocr-det", "ppocr-cls", "ppocr-rec", "raw"};

// Per decoder, its options plus one it does not know.
inline constexpr std::array<std::array<std::string_view, 5>, 6> kOptions{{
    {"labels", "topk", "softmax", "bogus", ""},
    {"threshold", "iou", "bogus", "", ""},
    {"threshold", "box_threshold", "unclip_ratio", "max_candidates", "bogus"},
    {"threshold", "bogus", "", "", ""},
    {"dict", "bogus", "", "", ""},
    {"bogus", "", "", "", ""},
}};

inline constexpr std::array<std::string_view, 20> kValues{
    "0", "1",   "0.5",  "0.3", "5",  "1000",  "-1",   "1e40",  "nan",    "inf",
    "",  "abc", "auto", "yes", "no", "0.999", "3e38", "1e-30", "100000", "2147483648"};

// labels= and dict= files (written by the target): 5 entries, one entry, empty, missing.
inline constexpr std::array<std::string_view, 4> kFiles{"five.txt", "one.txt", "empty.txt",
                                                        "missing.txt"};

inline constexpr std::array<int64_t, 12> kDims{896,
                                               16,
                                               1,
                                               2,
                                               0,
                                               -1,
                                               6,
                                               7,
                                               std::numeric_limits<int64_t>::max(),
                                               std::numeric_limits<int64_t>::min(),
                                               int64_t{1} << 32,
                                               int64_t{3} << 62};

inline constexpr std::array<float, 14> kSpecials{0.0f,
                                                 1.0f,
                                                 -1.0f,
                                                 0.5f,
                                                 0.9f,
                                                 100.0f,
                                                 -100.0f,
                                                 std::numeric_limits<float>::quiet_NaN(),
                                                 std::numeric_limits<float>::infinity(),
                                                 -std::numeric_limits<float>::infinity(),
                                                 std::numeric_limits<float>::max(),
                                                 std::numeric_limits<float>::lowest(),
                                                 std::numeric_limits<float>::denorm_min(),
                                                 1e-30f};

enum class DimKind : uint8_t { byte, u16, special, raw };
enum class ValueKind : uint8_t { raw, centred, unit, special };

// A case as make_seeds writes it; each field is the byte (or u16) the format stores.
struct DecoderCase {
  uint8_t decoder = 0;
  uint8_t option_mask = 0;
  std::vector<uint8_t> option_values;  // one per set bit, lowest first
  uint8_t width_kind = 0, height_kind = 0;
  uint16_t width = 0, height = 0;  // when the kind is 2
  uint8_t resize = 0;
  uint16_t image_width = 0, image_height = 0;
  uint8_t row = 0;
  struct Dim {
    DimKind kind = DimKind::byte;
    uint64_t value = 0;  // the byte, the u16, the kDims index or the raw bits
  };
  struct Output {
    std::vector<Dim> dims;
    ValueKind values = ValueKind::raw;
    bool short_data = false;
  };
  std::vector<Output> outputs;
  std::vector<uint8_t> pool;

  std::vector<uint8_t> encode() const {
    std::vector<uint8_t> b;
    auto u8 = [&](uint64_t v) { b.push_back(static_cast<uint8_t>(v)); };
    auto u16 = [&](uint64_t v) {
      u8(v);
      u8(v >> 8);
    };
    u8(decoder);
    u8(option_mask);
    for (uint8_t v : option_values) u8(v);
    u8(width_kind);
    if (width_kind == 2) u16(width);
    u8(height_kind);
    if (height_kind == 2) u16(height);
    u8(resize);
    u16(image_width);
    u16(image_height);
    u8(row);
    u8(outputs.empty() ? 0 : outputs.size() - 1);
    for (const Output& o : outputs) {
      u8(o.dims.size());
      for (const Dim& d : o.dims) {
        u8(static_cast<uint8_t>(d.kind));
        if (d.kind == DimKind::u16) {
          u16(d.value);
        } else if (d.kind == DimKind::raw) {
          u16(d.value);
          u16(d.value >> 16);
          u16(d.value >> 32);
          u16(d.value >> 48);
        } else {
          u8(d.value);
        }
      }
      u8(static_cast<uint8_t>(o.values));
      u8(o.short_data ? 0 : 1);
    }
    b.insert(b.end(), pool.begin(), pool.end());
    return b;
  }
};

}  // namespace mvinfer::fuzz
