// Thread control for the CPU backend (--cpu-threads): OpenMP loops and OpenBLAS together.
#pragma once

namespace moemt {

// n <= 0 means "all cores". Applies to OpenMP and, when linked, OpenBLAS.
void set_num_threads(int n);
int num_threads();

}  // namespace moemt
