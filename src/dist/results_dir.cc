#include "mvinfer/dist/results_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mvinfer/core/error.h"
#include "mvinfer/dist/rules.h"
#include "mvinfer/io/line_file.h"

namespace mvinfer::dist {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw Error(ErrorCode::io, Error::Option{"results_dir"},
              fmt::format(": cannot {} '{}': {}", what, path, std::strerror(err)));
}

}  // namespace

std::string write_result_file(const std::string& dir, const std::string& job, int64_t seg,
                              std::string_view lines) {
  const std::string name = result_file_name(job, seg);
  const std::string final_path = (fs::path(dir) / name).string();
  char host[128] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  const std::string temp =
      (fs::path(dir) / fmt::format(".{}.part-{}-{}", name, host, getpid())).string();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", temp, errno);
  if (!write_all(fd, lines)) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    fail("write", temp, err);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail("write", temp, err);
  }
  if (::link(temp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    if (err != EEXIST) {
      // A file system without hard links: rename replaces atomically (same segment, same lines).
      if ((err == EPERM || err == EOPNOTSUPP || err == ENOSYS) &&
          ::rename(temp.c_str(), final_path.c_str()) == 0)
        return std::string(kFileRef) + final_path;
      ::unlink(temp.c_str());
      fail("publish", final_path, err);
    }
  }
  ::unlink(temp.c_str());
  return std::string(kFileRef) + final_path;
}

std::string read_result(const std::string& stored, const std::string& dir) {
  if (!stored.starts_with(kFileRef)) return stored;
  std::string path = stored.substr(kFileRef.size());
  if (!dir.empty()) path = (fs::path(dir) / fs::path(path).filename()).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("read", path, errno != 0 ? errno : ENOENT);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) fail("read", path, EIO);
  return s.str();
}

}  // namespace mvinfer::dist
