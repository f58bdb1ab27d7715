// OpenBLAS is linked by the ops module, not core; a weak reference lets core set its thread
// count when it is present without making core depend on BLAS.
#include "core/threads.h"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace moemt {

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  if (openblas_set_num_threads) openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

int available_cores() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  n = std::max(n, 1);
  // cgroup v2: "max 100000" (no quota) or "200000 100000" (two CPUs' worth of time).
  std::ifstream f("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long long period = 0;
  if (f >> quota >> period && quota != "max" && period > 0) {
    try {
      const long long q = std::stoll(quota);
      if (q > 0) n = std::min<long long>(n, std::max<long long>(1, (q + period - 1) / period));
    } catch (const std::exception&) {
    }
  }
  return n;
}

}  // namespace moemt
