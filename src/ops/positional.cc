// Entry point of the positional-table op.
#include "ops/positional.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void sinusoidal_positions(Tensor& table, int64_t first_pos) {
  const Device dev = compute_device("sinusoidal_positions", kF32Only, table);
  MOEMT_CHECK(table.rank() == 2, "sinusoidal_positions: table {}, expected (N, D)",
              table.shape().str());
  MOEMT_CHECK(first_pos >= 0, "sinusoidal_positions: first position {}", first_pos);
  if (table.numel() == 0) return;
  MOEMT_DISPATCH(dev, sinusoidal_positions, table, first_pos);
}

}  // namespace moemt::ops
