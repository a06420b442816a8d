// Factories of the built-in strategies (one .cc each), used by make_strategy().
#pragma once

#include <memory>

#include "mvinfer/strategy.h"

namespace mvinfer::strategies {

std::unique_ptr<Strategy> make_serial(const StrategyOptions& options);

// Creates one Model per spec with the settings `concurrent` sessions at once would get, and
// records them in `settings` / `intra_threads` for the report.
std::vector<Model> create_models(std::span<const ModelSpec> specs, int concurrent,
                                 const StrategyOptions& options, std::string& settings,
                                 int& intra_threads);

bool stop_requested(const StrategyOptions& options);

}  // namespace mvinfer::strategies
