// FfnBlock: the position-wise sub-layer slot of encoder/decoder layers. A dense feed-forward
// network and an MoE layer both implement it, so a layer stack mixes them freely.
#pragma once

#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

class FfnBlock {
 public:
  virtual ~FfnBlock() = default;
  // x is (N, D): one row per token. Returns (N, D). Saves what backward needs.
  virtual Tensor forward(Ctx& ctx, const Tensor& x) = 0;
  // dy is (N, D); returns dx (N, D) and accumulates parameter gradients (+=).
  virtual Tensor backward(Ctx& ctx, const Tensor& dy) = 0;
};

}  // namespace moemt::nn
