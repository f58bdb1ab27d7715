// CUDA squared global norm: the deterministic chunked double sum of kernels/reduce.cu, left on
// the device (the caller reads it when it needs it, once per update).
#include "global_norm.cuh"
#include "reduce.cuh"

namespace moemt::kernels {

void launch_global_norm_sq(const float* g, int64_t n, double* partials, double* out, int device,
                           void* stream) {
  launch_sum(g, n, true, partials, out, device, stream);
}

}  // namespace moemt::kernels
