// CUDA row top-k with the CPU's order (largest first, the earlier index on ties): the shared
// row kernels of topk_rows.cuh over the rows as they are.
#include "topk.cuh"
#include "topk_rows.cuh"

namespace moemt::kernels {

namespace {
struct PlainRows {
  const float* x;
  int64_t e;
  __device__ math::RowLoad operator()(int64_t r) const { return {x + r * e}; }
};
}  // namespace

void launch_topk(const float* x, int64_t n, int64_t e, int k, float* values, int32_t* indices,
                 int device, void* stream) {
  topk_rows::launch("topk", PlainRows{x, e}, n, e, k, values, indices, device, stream);
}

}  // namespace moemt::kernels
