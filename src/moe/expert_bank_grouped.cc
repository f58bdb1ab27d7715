// ExpertBank's grouped formulation: the math of forward_job / backward_job over all experts at
// once, one ops::gemm_grouped call per projection (one cuBLAS grouped launch on CUDA), one
// activation over all hidden rows, per-expert bias ops in between. Routed experts own disjoint
// output rows, so their products run concurrently; shared experts all add into the same rows of
// y and dx, so those products run one after another on the stream (grouped problems may run in
// any order, which would race on a shared output).
#include "moe/expert_bank.h"

#include "ops/cast.h"
#include "ops/elementwise.h"
#include "ops/gemm.h"

namespace moemt::moe {

namespace {
Tensor rows(const Tensor& t, int64_t start, int64_t len) { return t.narrow(start, len); }

// db += colsum(dout) (the step's first contribution overwrites); returns the beta of dW's
// product: 0 for the step's first gradient of the lazily zeroed weight, 1 after.
float bias_grad_and_weight_beta(const Tensor& dout, const Param& w, const Param& b) {
  ParamStore& ps = *w.store;
  const bool new_w = ps.take_grad(w.id), new_b = ps.take_grad(b.id);
  Tensor gb = b.g();
  if (new_b) gb.zero();
  ops::bias_grad(dout, gb);
  return new_w ? 0.f : 1.f;
}

// Overlapping outputs (shared experts): c += a·op(b) problem by problem, in order.
void accumulate_in_order(const std::vector<ops::GemmProblem>& ps, bool trans_b) {
  for (const ops::GemmProblem& p : ps) {
    Tensor c = p.c;
    ops::gemm(p.a, false, p.b, trans_b, c, 1.f, 1.f);
  }
}
}  // namespace

void ExpertBank::forward_grouped_gemm(Tensor& y, float beta, Saved& s) {
  std::vector<ops::GemmProblem> up, down;
  std::vector<const Job*> live;
  for (const Job& j : s.jobs) {
    if (j.rows == 0) continue;
    const Weights& w = experts_[j.expert];
    live.push_back(&j);
    up.push_back({rows(s.xc, j.in_row, j.rows), w.w1.wc(), rows(s.h, j.hid_row, j.rows), 0.f});
    down.push_back({rows(s.ac, j.hid_row, j.rows), w.w2.wc(), rows(y, j.in_row, j.rows), beta});
  }
  if (live.empty()) return;
  ops::gemm_grouped(up, false, false);
  for (size_t i = 0; i < live.size(); ++i) ops::add_bias(up[i].c, experts_[live[i]->expert].b1.w());
  // Every hidden row belongs to exactly one live job, so one call covers them all.
  ops::activation_forward(act_, s.h, s.a);
  if (s.ac.dtype() != DType::f32) {
    Tensor ac = s.ac;
    ops::cast(s.a, ac);  // the down projection reads a in the compute dtype
  }
  if (s.shared)
    accumulate_in_order(down, false);
  else
    ops::gemm_grouped(down, false, false);
  for (size_t i = 0; i < live.size(); ++i)
    ops::add_bias(down[i].c, experts_[live[i]->expert].b2.w());
}

void ExpertBank::backward_grouped_gemm(const Tensor& dy, const Tensor& dyc, const Saved& s,
                                       Tensor& da, Tensor& dac, Tensor& dx) {
  // out = a W2 + b2: db2 += colsum(dout), dW2 (+)= aᵀ dout, da = dout W2ᵀ; a = act(h):
  // dh = act'(h) * da (in place); h = x W1 + b1: db1 += colsum(dh), dW1 (+)= xᵀ dh, dx = dh W1ᵀ.
  std::vector<ops::GemmProblem> dw2, dh_of, dw1, dx_of;
  std::vector<const Job*> live;
  for (const Job& j : s.jobs) {
    if (j.rows == 0) continue;
    const Weights& w = experts_[j.expert];
    live.push_back(&j);
    Tensor dout = rows(dy, j.in_row, j.rows), dh = rows(da, j.hid_row, j.rows);
    Tensor dout_c = rows(dyc, j.in_row, j.rows);
    const float beta = bias_grad_and_weight_beta(dout, w.w2, w.b2);
    dw2.push_back({rows(s.ac, j.hid_row, j.rows), dout_c, w.w2.g(), beta});
    dh_of.push_back({dout_c, w.w2.wc(), dh, 0.f});
  }
  if (live.empty()) return;
  ops::gemm_grouped(dw2, true, false);
  ops::gemm_grouped(dh_of, false, true);
  ops::activation_backward(act_, s.h, da, da);
  if (dac.dtype() != DType::f32) ops::cast(da, dac);  // dW1 and dx read dh in the compute dtype
  for (size_t i = 0; i < live.size(); ++i) {
    const Job& j = *live[i];
    const Weights& w = experts_[j.expert];
    const Tensor& dh = dh_of[i].c;
    const Tensor dh_c = rows(dac, j.hid_row, j.rows);
    const float beta = bias_grad_and_weight_beta(dh, w.w1, w.b1);
    dw1.push_back({rows(s.xc, j.in_row, j.rows), dh_c, w.w1.g(), beta});
    dx_of.push_back({dh_c, w.w1.wc(), rows(dx, j.in_row, j.rows), 0.f});
  }
  ops::gemm_grouped(dw1, true, false);
  if (s.shared)
    accumulate_in_order(dx_of, true);
  else
    ops::gemm_grouped(dx_of, false, true);
}

}  // namespace moemt::moe
