#include "mvinfer/io/line_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "mvinfer/core/error.h"

namespace mvinfer {
namespace {

namespace fs = std::filesystem;

// ".NAME.part-PID" beside `path`.
std::string temp_beside(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / fmt::format(".{}.part-{}", p.filename().string(), getpid())).string();
}

// A new, empty temporary file (a stale one of this pid from a killed run is replaced).
int open_temp(const std::string& temp) {
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST) {
    ::unlink(temp.c_str());
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  }
  return fd;
}

// `path` opened for writing as it is (no temporary, no truncation); -1 and errno on failure.
int open_in_place(const std::string& path) { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); }

}  // namespace

bool writes_in_place(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 &&
         (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

LineFile::LineFile(std::string path, std::string option)
    : path_(std::move(path)), option_(std::move(option)) {
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    struct stat st {};
    regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
    if (regular_) whole_ = ::lseek(fd_, 0, SEEK_CUR);
    if (whole_ < 0) regular_ = false;
    published_ = true;
    return;
  }
  if (writes_in_place(path_)) {
    fd_ = open_in_place(path_);
    if (fd_ < 0)
      throw Error(ErrorCode::io, Error::Option{option_},
                  fmt::format(" '{}': cannot be written ({})", path_, std::strerror(errno)));
    published_ = true;  // no temporary: temp_ stays empty
    return;
  }
  temp_ = temp_beside(path_);
  fd_ = open_temp(temp_);
  if (fd_ < 0)
    throw Error(ErrorCode::io, Error::Option{option_},
                fmt::format(" '{}': cannot be written ({})", path_, std::strerror(errno)));
  regular_ = true;
}

LineFile::~LineFile() {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) ::close(fd_);
  if (!published_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void LineFile::fail(const std::string& what, int err) {
  if (regular_) {
    // Back to the last whole line: what is in the file stays valid.
    if (::ftruncate(fd_, whole_) == 0) ::lseek(fd_, whole_, SEEK_SET);
  }
  const std::string where = path_ == "-" ? "'-' (standard output)" : fmt::format("'{}'", path_);
  std::string why = std::strerror(err);
  if (err == EPIPE) why = "its reader closed the pipe";
  if (err == EBADF && path_ == "-") why = "standard output is closed";
  throw Error(ErrorCode::io, Error::Option{option_},
              fmt::format(" {}: {} ({}); it ends with its last whole line", where, what, why));
}

void LineFile::publish() {
  if (published_) return;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    throw Error(ErrorCode::io, Error::Option{option_},
                fmt::format(" '{}': cannot be written ({})", path_, std::strerror(err)));
  }
  published_ = true;
}

void LineFile::write_line(std::string_view line) {
  if (!write_all(fd_, line)) fail("write failed", errno);
  whole_ += static_cast<off_t>(line.size());
  publish();
}

void LineFile::commit() {
  if (path_ == "-") return;
  if (temp_.empty()) {  // written in place (writes_in_place())
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0)
      throw Error(ErrorCode::io, Error::Option{option_},
                  fmt::format(" '{}': write failed ({})", path_, std::strerror(errno)));
    return;
  }
  publish();
  struct stat open_st {
  }, path_st{};
  if (::fstat(fd_, &open_st) != 0 || open_st.st_nlink == 0)
    throw Error(
        ErrorCode::io, Error::Option{option_},
        fmt::format(" '{}': the file was deleted during the run; its results are lost", path_));
  if (::stat(path_.c_str(), &path_st) != 0 || path_st.st_ino != open_st.st_ino ||
      path_st.st_dev != open_st.st_dev)
    throw Error(
        ErrorCode::io, Error::Option{option_},
        fmt::format(" '{}': the file was replaced during the run; its results are lost", path_));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    throw Error(ErrorCode::io, Error::Option{option_},
                fmt::format(" '{}': write failed ({})", path_, std::strerror(errno)));
}

void replace_file(const std::string& option, const std::string& path, std::string_view text) {
  const bool in_place = writes_in_place(path);
  const std::string temp = in_place ? path : temp_beside(path);
  const int fd = in_place ? open_in_place(path) : open_temp(temp);
  const auto fail = [&](int err) {
    if (!in_place) ::unlink(temp.c_str());
    throw Error(ErrorCode::io, Error::Option{option},
                fmt::format(" '{}': cannot be written ({})", path, std::strerror(err)));
  };
  if (fd < 0) fail(errno);
  if (!write_all(fd, text)) {
    const int err = errno;
    ::close(fd);
    fail(err);
  }
  if (::close(fd) != 0) fail(errno);
  if (!in_place && ::rename(temp.c_str(), path.c_str()) != 0) fail(errno);
}

}  // namespace mvinfer
