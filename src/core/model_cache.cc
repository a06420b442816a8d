#include "mvinfer/core/model_cache.h"

namespace mvinfer {

const Model& ModelCache::get(const ModelSpec& spec, const SessionSettings& settings) {
  std::lock_guard lock(mu_);
  auto key = std::make_tuple(spec.path, spec.name, settings.intra_threads, settings.allow_spinning,
                             settings.provider, settings.cuda_graph, settings.gpu_mem_limit);
  auto it = models_.find(key);
  if (it == models_.end()) it = models_.emplace(key, std::make_unique<Model>(spec, settings)).first;
  return *it->second;
}

void ModelCache::clear() {
  std::lock_guard lock(mu_);
  models_.clear();
}

}  // namespace mvinfer
