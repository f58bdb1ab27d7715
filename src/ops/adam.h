// One Adam(W) update over flat f32 buffers (parameters, gradients, both moments), on their
// device. The per-element formula is ops/math/adam.h, shared with the CUDA kernel.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "ops/math/adam.h"

namespace moemt::ops {

struct AdamStepArgs {
  float lr = 0.f;
  float beta1 = 0.9f;
  float beta2 = 0.98f;
  float eps = 1e-9f;
  float weight_decay = 0.f;  // decoupled (AdamW): w -= lr * weight_decay * w
  int64_t step = 1;          // 1-based update count, for the bias corrections
  float grad_scale = 1.f;    // multiplies every gradient first (the clipping factor)
};

// m, v and param updated in place from grad; all four f32 of the same numel on one device.
void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamStepArgs& a);

namespace cpu {
void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const math::AdamCoeffs& c);
}  // namespace cpu
namespace cuda {
void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const math::AdamCoeffs& c);
}  // namespace cuda

}  // namespace moemt::ops
