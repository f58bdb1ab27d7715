// Thread-local current streams, one per device.
#include "core/stream.h"

#include <map>
#include <utility>

namespace moemt {

namespace {
thread_local std::map<std::pair<int, int>, void*> t_current;
std::pair<int, int> key(Device d) { return {static_cast<int>(d.kind), d.index}; }
}  // namespace

Stream current_stream(Device device) {
  if (device.is_cpu()) return {device, nullptr};
  auto it = t_current.find(key(device));
  return {device, it == t_current.end() ? nullptr : it->second};
}

StreamGuard::StreamGuard(Stream s) : prev_(current_stream(s.device)) {
  if (!s.device.is_cpu()) t_current[key(s.device)] = s.handle;
}

StreamGuard::~StreamGuard() {
  if (!prev_.device.is_cpu()) t_current[key(prev_.device)] = prev_.handle;
}

}  // namespace moemt
