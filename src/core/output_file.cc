// Temporary-name-and-rename output files.
#include "core/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/file_io.h"

namespace moemt {

namespace fs = std::filesystem;

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (is_stdout()) {
    out_ = &std::cout;
    return;
  }
  std::error_code ec;
  if (fs::is_directory(path_, ec)) throw Error("{}: is a directory, not an output file", path_);
  tmp_ = temp_sibling(path_, "tmp");
  file_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!file_) throw Error("{}: cannot create output file ({})", path_, std::strerror(errno));
  out_ = &file_;
}

OutputFile::~OutputFile() {
  if (committed_ || is_stdout()) return;
  file_.close();
  std::remove(tmp_.c_str());
}

void OutputFile::commit() {
  if (committed_) return;
  if (is_stdout()) {
    std::cout.flush();
    if (!std::cout) throw Error("error writing to standard output");
    committed_ = true;
    return;
  }
  file_.flush();
  bool ok = static_cast<bool>(file_);
  file_.close();
  if (!ok || file_.fail()) throw Error("{}: write error (disk full?); the old file is unchanged", path_);
  // fsync before the rename, so a crash cannot leave the new name pointing at missing data.
  int fd = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw Error("{}: cannot flush to disk ({})", path_, std::strerror(errno));
  }
  ::close(fd);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw Error("{}: cannot rename into place ({})", path_, std::strerror(errno));
  committed_ = true;
}

void write_output_file(const std::string& path, const std::string& text) {
  OutputFile f(path);
  f.stream() << text;
  f.commit();
}

}  // namespace moemt
