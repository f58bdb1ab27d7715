// OpenBLAS is linked by the ops module, not core; a weak reference lets core set its thread
// count when it is present without making core depend on BLAS.
#include "core/threads.h"

#include <omp.h>

extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace moemt {

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  if (openblas_set_num_threads) openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace moemt
