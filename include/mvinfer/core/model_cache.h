// ModelCache: sessions created once and shared by every run that uses the cache.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "mvinfer/core/model.h"

namespace mvinfer {

// Sessions keyed by (model, session settings), shared by every run that uses the cache: auto's
// probes and the strategy it keeps reuse the same sessions instead of loading models again.
// Thread-safe.
class ModelCache {
 public:
  const Model& get(const ModelSpec& spec, const SessionSettings& settings);
  void clear();

 private:
  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int, bool, Provider, bool, uint64_t>,
           std::unique_ptr<Model>>
      models_;
};

}  // namespace mvinfer
