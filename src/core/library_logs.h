// The other libraries' own output (OpenCV, FFmpeg, libjpeg, libpng, ONNX Runtime) is kept off
// stderr, so that what mvinfer prints there is one line per message; MVINFER_LIB_LOGS=1 lets
// it through, for debugging.
#pragma once

namespace mvinfer {

// Whether MVINFER_LIB_LOGS is set to something other than "" or "0" (read once).
bool library_logs_enabled();

// While one is alive, file descriptor 2 points at /dev/null (unless library_logs_enabled()):
// for calls into libraries that print to stderr with no setting to stop them (libjpeg's
// "Premature end of JPEG file" and libpng's warnings through cv::imread). Anything else the
// process writes to stderr meanwhile is lost too, so keep the scope to the one call. Scopes
// on several threads at once share one redirection: fd 2 comes back when the last one ends.
class StderrSilenced {
 public:
  StderrSilenced();
  ~StderrSilenced();
  StderrSilenced(const StderrSilenced&) = delete;
  StderrSilenced& operator=(const StderrSilenced&) = delete;

 private:
  bool active_ = false;
};

}  // namespace mvinfer
