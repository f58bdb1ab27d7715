// Entry point of the positional-table op.
#include "ops/positional.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "positional.cuh"
#endif

namespace moemt::ops {

void sinusoidal_positions(Tensor& table, int64_t first_pos) {
  const Device dev = compute_device("sinusoidal_positions", kF32Only, table);
  MOEMT_CHECK(table.rank() == 2, "sinusoidal_positions: table {}, expected (N, D)",
              table.shape().str());
  MOEMT_CHECK(first_pos >= 0, "sinusoidal_positions: first position {}", first_pos);
  if (table.numel() == 0) return;
  MOEMT_DISPATCH(dev, sinusoidal_positions, table, first_pos);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void sinusoidal_positions(Tensor& table, int64_t first_pos) {
  kernels::launch_sinusoidal_positions(table.data<float>(), table.size(0), table.size(1), first_pos,
                                       table.device().index, current_stream(table.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
