// How much memory this process can still get, for checks that turn an impossible request
// (a huge model, a huge batch) into an error before anything is allocated.
#pragma once

#include <cstdint>
#include <string>

namespace moemt {

// MemAvailable from /proc/meminfo, lowered to the cgroup memory limit minus current usage
// (v2 memory.max / v1 memory.limit_in_bytes) when one is set. -1 if nothing can be read.
int64_t available_memory_bytes();

// "1.5 GiB", "820 MiB", "3.2 TiB".
std::string format_bytes(double bytes);

}  // namespace moemt
