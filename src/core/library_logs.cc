#include "core/library_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace mvinfer {
namespace {

// fd 2 is one per process, so is its redirection: how many scopes hold it, and where the real
// stderr was kept meanwhile.
std::mutex g_mutex;
int g_depth = 0;
int g_saved = -1;

}  // namespace

bool library_logs_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("MVINFER_LIB_LOGS");
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

StderrSilenced::StderrSilenced() {
  if (library_logs_enabled()) return;
  std::lock_guard lock(g_mutex);
  if (g_depth == 0) {
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0) return;  // nothing silenced, nothing to undo
    std::fflush(stderr);
    g_saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    if (g_saved < 0 || dup2(null, STDERR_FILENO) < 0) {
      if (g_saved >= 0) close(g_saved);
      g_saved = -1;
      close(null);
      return;
    }
    close(null);
  }
  ++g_depth;
  active_ = true;
}

StderrSilenced::~StderrSilenced() {
  if (!active_) return;
  std::lock_guard lock(g_mutex);
  if (--g_depth == 0) {
    std::fflush(stderr);
    dup2(g_saved, STDERR_FILENO);
    close(g_saved);
    g_saved = -1;
  }
}

}  // namespace mvinfer
