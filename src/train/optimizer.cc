// Adam step: global norm, clipping factor and skip decision, then the update; the arithmetic
// over the buffers is in ops (ops/global_norm.h, ops/adam.h).
#include "train/optimizer.h"

#include <cmath>

#include "ops/adam.h"
#include "ops/global_norm.h"

namespace moemt::train {

Adam::Adam(ParamStore& store, AdamOptions opts) : store_(store), opts_(opts) {
  m_ = Tensor::zeros({store.numel()}, DType::f32, store.device());
  v_ = Tensor::zeros({store.numel()}, DType::f32, store.device());
  norm_sq_ = Tensor::zeros({1}, DType::f64, store.device());
}

double Adam::step(float lr) {
  Tensor w = store_.values(), g = store_.grads();
  ops::global_norm_sq(g, norm_sq_);
  // The one host read of an update: the clipping factor and the skip decision need the norm
  // (and the trainer logs it). A device backend could decide both on the device instead.
  const double norm = std::sqrt(read_scalar<double>(norm_sq_));
  float clip = 1.f;
  if (opts_.clip_norm > 0 && norm > opts_.clip_norm)
    clip = static_cast<float>(opts_.clip_norm / norm);
  if (!std::isfinite(norm)) return norm;  // skip a non-finite update rather than poison weights
  ++t_;
  ops::adam_step(w, g, m_, v_,
                 {.lr = lr,
                  .beta1 = opts_.beta1,
                  .beta2 = opts_.beta2,
                  .eps = opts_.eps,
                  .weight_decay = opts_.weight_decay,
                  .step = t_,
                  .grad_scale = clip});
  return norm;
}

}  // namespace moemt::train
