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

void Adam::set_shard(int64_t dense_end, std::vector<std::pair<int64_t, int64_t>> local,
                     dist::Communicator* group) {
  ranges_.clear();
  ranges_.emplace_back(0, dense_end);
  for (const auto& r : local) ranges_.push_back(r);
  group_ = group;
}

double Adam::step(float lr) {
  Tensor w = store_.values(), g = store_.grads();
  // The one host read of an update: the clipping factor and the skip decision need the norm
  // (and the trainer logs it). A device backend could decide both on the device instead.
  double norm_sq = 0;
  if (ranges_.empty()) {
    ops::global_norm_sq(g, norm_sq_);
    norm_sq = read_scalar<double>(norm_sq_);
  } else {
    // Sharded experts: the dense part here, the experts' parts summed over the group.
    double part[2] = {0, 0};
    for (size_t i = 0; i < ranges_.size(); ++i) {
      ops::global_norm_sq(g.narrow(ranges_[i].first, ranges_[i].second - ranges_[i].first),
                          norm_sq_);
      part[i == 0 ? 0 : 1] += read_scalar<double>(norm_sq_);
    }
    if (group_ != nullptr) group_->all_reduce_sum(&part[1], 1, "gradient norm");
    norm_sq = part[0] + part[1];
  }
  const double norm = std::sqrt(norm_sq);
  float clip = 1.f;
  if (opts_.clip_norm > 0 && norm > opts_.clip_norm)
    clip = static_cast<float>(opts_.clip_norm / norm);
  if (!std::isfinite(norm)) return norm;  // skip a non-finite update rather than poison weights
  ++t_;
  const ops::AdamStepArgs args{.lr = lr,
                               .beta1 = opts_.beta1,
                               .beta2 = opts_.beta2,
                               .eps = opts_.eps,
                               .weight_decay = opts_.weight_decay,
                               .step = t_,
                               .grad_scale = clip};
  if (ranges_.empty()) {
    ops::adam_step(w, g, m_, v_, args);
    return norm;
  }
  for (const auto& [b, e] : ranges_) {
    Tensor wr = w.narrow(b, e - b), mr = m_.narrow(b, e - b), vr = v_.narrow(b, e - b);
    ops::adam_step(wr, g.narrow(b, e - b), mr, vr, args);
  }
  return norm;
}

}  // namespace moemt::train
