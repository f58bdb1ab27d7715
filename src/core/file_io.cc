// Atomic file and directory replacement, so an interrupted write never leaves a half file.
#include "core/file_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <signal.h>

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
  std::string tmp = temp_sibling(path, "tmp");
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

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

std::string temp_sibling(const std::string& path, const char* tag) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p + "." + tag + "." + std::to_string(::getpid());
}

namespace {
bool process_alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }
}  // namespace

int remove_stale_temps(const std::string& path) {
  fs::path target(path);
  while (target.has_relative_path() && target.filename().empty()) target = target.parent_path();
  fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string base = target.filename().string();
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= base.size() + 1 || name.compare(0, base.size() + 1, base + ".") != 0) continue;
    std::string rest = name.substr(base.size() + 1);  // TAG.PID
    auto dot = rest.find('.');
    if (dot == std::string::npos) continue;
    std::string tag = rest.substr(0, dot), pid = rest.substr(dot + 1);
    if (tag != "tmp" && tag != "writing" && tag != "old") continue;
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (process_alive(std::stol(pid))) continue;
    std::error_code rm;
    fs::remove_all(entry.path(), rm);
    if (!rm) ++removed;
  }
  return removed;
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
    std::string old = temp_sibling(dst, "old");
    if (::rename(dst.c_str(), old.c_str()) != 0 || ::rename(src.c_str(), dst.c_str()) != 0)
      throw Error("{}: cannot replace directory ({})", dst, std::strerror(errno));
    fs::remove_all(old);
    return;
  }
  std::error_code ec;
  fs::remove_all(src, ec);  // src now holds the previous contents
}

}  // namespace moemt
