// Output files that never lose what users keep: an existing file is replaced only by a new one
// that has something in it, a failed write leaves whole lines, and a file deleted or replaced
// under a run is reported instead of silently losing the results.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace mvinfer {

// An output of whole lines (JSON Lines results).
//  - A path: lines go to a temporary file beside it (".NAME.part-PID", same file system) that
//    is renamed over the path when the first line is written, so a run that fails before its
//    first result leaves an existing file as it was. The rename replaces a symbolic link at the
//    path; it never writes through one. commit() publishes an empty file for a run without
//    results and checks that the file was not deleted or replaced while the run wrote it.
//  - "-": standard output; a path that writes_in_place() (/dev/null, /dev/stdout, a named
//    pipe) is opened and written as it is, like standard output.
// Each line is one write(2) (looped over short writes). A failed write (a full disk, a pipe
// closed by its reader, a closed stdout) truncates a regular file back to its last whole line
// and throws Error{io} about `option`. The destructor removes an unpublished temporary file.
class LineFile {
 public:
  LineFile(std::string path, std::string option);
  LineFile(const LineFile&) = delete;
  LineFile& operator=(const LineFile&) = delete;
  ~LineFile();

  void write_line(std::string_view line);  // `line` ends with '\n'
  void commit();
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }  // empty for stdout

 private:
  [[noreturn]] void fail(const std::string& what, int err);
  void publish();

  std::string path_, option_, temp_;
  int fd_ = -1;
  bool published_ = false;
  bool regular_ = false;  // a regular file: can be truncated back to its last whole line
  off_t whole_ = 0;       // bytes of whole lines written
};

// Whether `path` is written in place instead of replaced by a new file: it exists (also
// behind a symbolic link) and is a character device, FIFO or socket (/dev/null, /dev/stdout,
// a named pipe). Renaming a file over it would replace the device node or the pipe itself.
bool writes_in_place(const std::string& path);

// Writes `text` to a temporary file beside `path` and renames it over `path` (replacing a
// symbolic link, never writing through it): `path` is either as it was or the whole new text.
// A path that writes_in_place() gets the text written into it.
// Throws Error{io} about `option` (a library option name, see Error::Option).
void replace_file(const std::string& option, const std::string& path, std::string_view text);

// Writes all of `data` to `fd`, looping over short writes and EINTR; false (errno set) on the
// first failure.
bool write_all(int fd, std::string_view data);

}  // namespace mvinfer
