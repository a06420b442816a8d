// The checks `run` applies to parsed model settings before and besides opening the model files:
// resolve_models() (unique and valid names, thread counts, the `on=` graph, the max_side rule)
// up to the model file, and each decoder's options (make_decoder()). Shared by the config and
// the model-spec fuzz targets.
#pragma once

#include <vector>

#include "mvinfer/core/model.h"

namespace mvinfer::fuzz {

// The model paths are replaced (after the names were taken from them) by one that exists
// nowhere, so resolve_models() stops at the file; options naming files (labels=, dict=) are left
// out of make_decoder(): a fuzzed path may name /dev/zero or a FIFO, which tests the file system,
// not the parser. Throws Error.
void check_settings(std::vector<ModelSpec>& specs);

}  // namespace mvinfer::fuzz
