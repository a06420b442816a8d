// Reads the float32 .npy files NpySink writes (tests only).
#pragma once

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mvinfer/core/tensor.h"

namespace mvinfer::testing {

inline Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[10];
  if (!in.read(magic, 10) || std::string(magic + 1, 5) != "NUMPY")
    throw std::runtime_error("not an npy file: " + path);
  const uint16_t len = static_cast<uint16_t>(static_cast<unsigned char>(magic[8]) |
                                             (static_cast<unsigned char>(magic[9]) << 8));
  std::string header(len, '\0');
  in.read(header.data(), len);
  if (header.find("'<f4'") == std::string::npos) throw std::runtime_error("not float32: " + path);
  Tensor t;
  auto open = header.find('(', header.find("'shape'")), close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  for (size_t pos = 0; pos < dims.size();) {
    size_t comma = dims.find(',', pos);
    std::string d = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (d.find_first_of("0123456789") != std::string::npos) t.shape.push_back(std::stoll(d));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  t.data.resize(static_cast<size_t>(Tensor::element_count(t.shape)));
  in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(t.data.size() * 4));
  if (!in) throw std::runtime_error("short npy file: " + path);
  return t;
}

}  // namespace mvinfer::testing
