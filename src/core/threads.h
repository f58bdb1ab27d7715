// Thread control for the CPU backend (--cpu-threads): OpenMP loops and OpenBLAS together.
#pragma once

namespace moemt {

// n <= 0 means "all cores". Applies to OpenMP and, when linked, OpenBLAS.
void set_num_threads(int n);
int num_threads();
// Cores this process may run on: the affinity mask (taskset, cpusets), lowered to the cgroup
// v2 CPU quota (cpu.max) when there is one. At least 1.
int available_cores();

}  // namespace moemt
