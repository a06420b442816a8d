#include "model_settings.h"

#include "mvinfer/core/decoder.h"
#include "mvinfer/core/error.h"
#include "mvinfer/core/job.h"
#include "mvinfer/io/batch.h"

namespace mvinfer::fuzz {

void check_settings(std::vector<ModelSpec>& specs) {
  make_names_unique(specs);  // names from the paths' stems, as they were given
  for (ModelSpec& s : specs) s.path = "/nonexistent/mvinfer-fuzz/model.onnx";
  try {
    BatchingOptions batching;
    resolve_models(specs, batching, 0, 0);
  } catch (const Error&) {
    // Expected at the latest at the model file; the decoders are checked all the same.
  }
  for (const ModelSpec& s : specs) {
    DecoderSpec d = s.decoder;
    d.options.erase("labels");
    d.options.erase("dict");
    make_decoder(d);
  }
}

}  // namespace mvinfer::fuzz
