// Row-wise log-softmax (decoding turns the output logits into log-probabilities).
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// x (N, V) -> y (N, V) with y[n] = x[n] - logsumexp(x[n]); y may alias x.
void log_softmax(const Tensor& x, Tensor& y);

namespace cpu {
void log_softmax(const Tensor& x, Tensor& y);
}
namespace cuda {
void log_softmax(const Tensor& x, Tensor& y);
}

}  // namespace moemt::ops
