#include "fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

namespace mvinfer::fuzz {
namespace {

struct OwnedDir {
  std::filesystem::path path;
  OwnedDir() {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string name = (base / "mvinfer-fuzz.XXXXXX").string();
    if (!mkdtemp(name.data())) finding("cannot create a temporary directory");
    path = name;
  }
  ~OwnedDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

const std::filesystem::path& temp_dir() {
  static const OwnedDir dir;
  return dir.path;
}

void write_file(const std::filesystem::path& path, std::span<const uint8_t> data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) finding("cannot write " + path.string());
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  write_file(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

void finding(std::string_view what) {
  std::fprintf(stderr, "mvinfer fuzz finding: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace mvinfer::fuzz
