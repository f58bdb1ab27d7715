// FfnBlock: the position-wise sub-layer slot of encoder/decoder layers. A dense feed-forward
// network and an MoE layer both implement it, so a layer stack mixes them freely.
#pragma once

#include <cstdint>
#include <memory>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

class FfnBlock {
 public:
  // What backward needs from one forward call; each block defines its own.
  struct State {
    virtual ~State() = default;
  };

  virtual ~FfnBlock() = default;
  // Single-use forms. x is (N, D): one row per token. Returns (N, D). Saves what backward needs
  // in the block.
  virtual Tensor forward(Ctx& ctx, const Tensor& x) = 0;
  // dy is (N, D); returns dx (N, D) and accumulates parameter gradients (+=).
  virtual Tensor backward(Ctx& ctx, const Tensor& dy) = 0;

  // Per-call forms (DESIGN.md: a layer may run several times before its backwards): forward
  // fills `saved`, backward takes it. A block without per-call state (the MoE layer today)
  // falls back to its single-use forms, and its backward then fails with a clear error if
  // another forward ran since the one it differentiates, instead of using the wrong state.
  virtual Tensor forward_saving(Ctx& ctx, const Tensor& x, std::shared_ptr<State>& saved) {
    auto s = std::make_shared<SingleUse>();
    s->call = ++single_use_calls_;
    saved = s;
    return forward(ctx, x);
  }
  virtual Tensor backward_from(Ctx& ctx, const Tensor& dy, const State* saved) {
    const auto* s = dynamic_cast<const SingleUse*>(saved);
    MOEMT_CHECK(s != nullptr && s->call == single_use_calls_,
                "this FFN block keeps single-use state: run each backward before the next forward");
    return backward(ctx, dy);
  }

 private:
  struct SingleUse : State {
    uint64_t call = 0;
  };
  uint64_t single_use_calls_ = 0;
};

}  // namespace moemt::nn
