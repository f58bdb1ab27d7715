// Entry points of the reduction ops.
#include "ops/reduce.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "reduce.cuh"
#endif

namespace moemt::ops {

double sum(const Tensor& x) { MOEMT_DISPATCH(compute_device("sum", kF32Only, x), sum, x); }

double sum_squares(const Tensor& x) {
  MOEMT_DISPATCH(compute_device("sum_squares", kF32Only, x), sum_squares, x);
}

void row_sum(const Tensor& x, Tensor& out) {
  const Device dev = compute_device("row_sum", kF32Only, x, out);
  MOEMT_CHECK(out.numel() == x.shape().rows(), "row_sum: x {} out {}", x.shape().str(),
              out.shape().str());
  MOEMT_DISPATCH(dev, row_sum, x, out);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/reduce.cu. sum and sum_squares return a host scalar, so they
// wait for the device (one 8-byte copy): callers use them once per step or display interval.
namespace cuda {
namespace {
double device_sum(const Tensor& x, bool squares) {
  Tensor scratch = Tensor::empty({kernels::reduce_partials(x.numel()) + 1}, DType::f64, x.device());
  double* p = scratch.data<double>();
  const int64_t chunks = scratch.numel() - 1;
  kernels::launch_sum(x.data<float>(), x.numel(), squares, p, p + chunks, x.device().index,
                      current_stream(x.device()).handle);
  double out = 0;
  copy_bytes(&out, Device::cpu(), p + chunks, x.device(), sizeof(double));
  return out;
}
}  // namespace
double sum(const Tensor& x) { return device_sum(x, false); }
double sum_squares(const Tensor& x) { return device_sum(x, true); }
void row_sum(const Tensor& x, Tensor& out) {
  kernels::launch_row_sum(x.data<float>(), out.data<float>(), x.shape().rows(), x.shape().cols(),
                          x.device().index, current_stream(x.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
