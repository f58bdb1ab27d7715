// CPU positional table, rows in parallel (built once per length and device, off the hot path).
#include "ops/math/positional.h"
#include "ops/positional.h"

namespace moemt::ops::cpu {

void sinusoidal_positions(Tensor& table, int64_t first_pos) {
  float* p = table.data<float>();
  const int64_t n = table.size(0), dim = table.size(1);
  const double log_step = math::positional_log_step(dim / 2);
#pragma omp parallel for schedule(static) if (n * dim > (1 << 15))
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < dim; ++c)
      p[r * dim + c] = math::positional_value(first_pos + r, c, dim, log_step);
}

}  // namespace moemt::ops::cpu
