// Atomic file and directory replacement, so an interrupted write never leaves a half file.
#include "core/file_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace moemt {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("{}: cannot open ({})", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("{}: read error", path);
  return ss.str();
}

void write_file_atomic(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("{}: cannot create ({})", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("{}: write failed ({})", tmp, std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error("{}: cannot flush to disk", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error("{}: cannot rename into place ({})", path, std::strerror(e));
  }
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error("{}: cannot create directory ({})", path, ec.message());
}

void replace_dir_atomic(const std::string& src, const std::string& dst) {
  if (!path_exists(dst)) {
    if (::rename(src.c_str(), dst.c_str()) != 0)
      throw Error("{}: cannot rename {} into place ({})", dst, src, std::strerror(errno));
    return;
  }
  long r = ::syscall(SYS_renameat2, AT_FDCWD, src.c_str(), AT_FDCWD, dst.c_str(), RENAME_EXCHANGE);
  if (r != 0) {
    // Filesystems without RENAME_EXCHANGE: move the old one aside first (short window).
    std::string old = dst + ".old." + std::to_string(::getpid());
    if (::rename(dst.c_str(), old.c_str()) != 0 || ::rename(src.c_str(), dst.c_str()) != 0)
      throw Error("{}: cannot replace directory ({})", dst, std::strerror(errno));
    fs::remove_all(old);
    return;
  }
  std::error_code ec;
  fs::remove_all(src, ec);  // src now holds the previous contents
}

}  // namespace moemt
