// Entry point of log_softmax.
#include "ops/log_softmax.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "log_softmax.cuh"
#endif

namespace moemt::ops {

void log_softmax(const Tensor& x, Tensor& y) {
  const Device dev = compute_device("log_softmax", kF32Only, x, y);
  MOEMT_CHECK(x.numel() == y.numel(), "log_softmax shapes {} {}", x.shape().str(), y.shape().str());
  MOEMT_DISPATCH(dev, log_softmax, x, y);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void log_softmax(const Tensor& x, Tensor& y) {
  kernels::launch_log_softmax(x.data<float>(), y.data<float>(), x.shape().rows(), x.shape().cols(),
                              x.device().index, current_stream(x.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
