// Entry point of log_softmax.
#include "ops/log_softmax.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void log_softmax(const Tensor& x, Tensor& y) {
  const Device dev = compute_device("log_softmax", kF32Only, x, y);
  MOEMT_CHECK(x.numel() == y.numel(), "log_softmax shapes {} {}", x.shape().str(), y.shape().str());
  MOEMT_DISPATCH(dev, log_softmax, x, y);
}

}  // namespace moemt::ops
