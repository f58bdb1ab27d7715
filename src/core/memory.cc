// Reads /proc/meminfo and the cgroup memory files (v2 first, then v1).
#include "core/memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace moemt {
namespace {

// The first number in a file, or -1 ("max" and missing files give -1).
int64_t read_number(const std::string& path) {
  std::ifstream f(path);
  std::string word;
  if (!(f >> word)) return -1;
  try {
    size_t pos = 0;
    long long v = std::stoll(word, &pos);
    return pos == word.size() && v >= 0 ? v : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

int64_t mem_available() {
  std::ifstream f("/proc/meminfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream in(line.substr(13));
    long long kb = -1;
    if (in >> kb && kb >= 0) return kb * 1024;
  }
  return -1;
}

}  // namespace

int64_t available_memory_bytes() {
  int64_t avail = mem_available();
  // v2: memory.max / memory.current; v1: memory.limit_in_bytes / memory.usage_in_bytes (an
  // unlimited v1 group reports a huge limit, which the min below ignores).
  for (const auto& [limit_file, usage_file] :
       {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
        std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    const int64_t limit = read_number(limit_file);
    if (limit < 0) continue;
    const int64_t left =
        std::max<int64_t>(0, limit - std::max<int64_t>(0, read_number(usage_file)));
    avail = avail < 0 ? left : std::min(avail, left);
    break;
  }
  return avail;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

}  // namespace moemt
