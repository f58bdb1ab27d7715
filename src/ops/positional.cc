// Entry point of the positional-table op.
#include "ops/positional.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void sinusoidal_positions(Tensor& table, int64_t first_pos) {
  MOEMT_CHECK(table.dtype() == DType::f32 && table.rank() == 2,
              "sinusoidal_positions: table {} {}, expected (N, D) f32", table.shape().str(),
              dtype_name(table.dtype()));
  MOEMT_CHECK(first_pos >= 0, "sinusoidal_positions: first position {}", first_pos);
  if (table.numel() == 0) return;
  MOEMT_DISPATCH(table.device(), sinusoidal_positions, table, first_pos);
}

}  // namespace moemt::ops
