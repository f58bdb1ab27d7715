// Entry point of log_softmax.
#include "ops/log_softmax.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void log_softmax(const Tensor& x, Tensor& y) {
  MOEMT_CHECK(x.numel() == y.numel(), "log_softmax shapes {} {}", x.shape().str(), y.shape().str());
  MOEMT_DISPATCH(same_device(x, y), log_softmax, x, y);
}

}  // namespace moemt::ops
