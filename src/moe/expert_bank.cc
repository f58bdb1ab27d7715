// ExpertBank forward/backward. Per job: h = x W1 + b1, a = act(h), y = a W2 + b2.
#include "moe/expert_bank.h"

#include "core/threads.h"
#include "nn/precision.h"
#include "ops/cast.h"
#include "ops/elementwise.h"
#include "ops/gemm.h"

namespace moemt::moe {

namespace {
Tensor rows(const Tensor& t, int64_t start, int64_t len) { return t.narrow(start, len); }
// Backward of y = in·W + b over one expert's rows: db += colsum(dout), dW += inᵀ·dout,
// din = dout·Wᵀ + din_beta·din (beta 1 sums into din, as shared experts need). The first
// contribution of a step overwrites the (lazily zeroed) gradients instead of adding to them.
// in_c and dout_c are in and dout in the GEMMs' input dtype (dout itself is f32).
void linear_backward(const Tensor& in_c, const Tensor& dout, const Tensor& dout_c, const Param& w,
                     const Param& b, Tensor din, float din_beta) {
  ParamStore& ps = *w.store;
  const bool new_w = ps.take_grad(w.id), new_b = ps.take_grad(b.id);
  Tensor gw = w.g(), gb = b.g();
  if (new_b) gb.zero();
  ops::bias_grad(dout, gb);
  ops::gemm(in_c, true, dout_c, false, gw, 1.f, new_w ? 0.f : 1.f);
  ops::gemm(dout_c, false, w.wc(), true, din, 1.f, din_beta);
}
// `to` (rows of a 16-bit buffer) = from; nothing when they are the same f32 tensor.
void cast_rows(const Tensor& from, Tensor to) {
  if (to.dtype() != from.dtype()) ops::cast(from, to);
}
}  // namespace

ExpertBank::ExpertBank(ParamStore& ps, const std::string& name, int num, int64_t d_model,
                       int64_t d_ff, ops::Activation act, ParamGroup group,
                       const std::vector<bool>& kept)
    : num_(num), d_model_(d_model), d_ff_(d_ff), act_(act) {
  MOEMT_CHECK(kept.empty() || static_cast<int>(kept.size()) == num, "{} kept flags for {} experts",
              kept.size(), num);
  for (int e = 0; e < num; ++e) {
    if (!kept.empty() && !kept[e]) {
      experts_.push_back({});
      continue;
    }
    std::string p = name + "." + std::to_string(e);
    Weights w;
    w.w1 = ps.add(p + ".w1", {d_model, d_ff}, InitSpec::Xavier(), group);
    w.b1 = ps.add(p + ".b1", {d_ff}, InitSpec::Zeros(), group);
    w.w2 = ps.add(p + ".w2", {d_ff, d_model}, InitSpec::Xavier(), group);
    w.b2 = ps.add(p + ".b2", {d_model}, InitSpec::Zeros(), group);
    for (const Param& q : {w.w1, w.b1, w.w2, w.b2}) ps.set_lazy_grad(q);
    experts_.push_back(w);
  }
}

bool ExpertBank::across_experts(const std::vector<Job>& jobs) const {
  switch (parallel_) {
    case ExpertParallelism::inside_gemm:
      return false;
    case ExpertParallelism::across_experts:
      return jobs.size() > 1;
    case ExpertParallelism::automatic:
      break;
  }
  // With at least two experts per thread, one single-threaded GEMM per expert (dynamic
  // schedule) keeps every thread busy with far fewer synchronisations than splitting each GEMM
  // over all threads; bench_moe measured 1.4-2x faster expert time on 2 loaded cores.
  // Tiny calls (tests, decoding one token) stay serial: a parallel region costs more there.
  int threads = num_threads();
  int busy = 0;
  int64_t rows = 0;
  for (const Job& j : jobs) busy += j.rows > 0, rows += j.rows;
  return threads > 1 && busy >= 2 * threads && rows * d_model_ * d_ff_ >= (int64_t{1} << 22);
}

DType ExpertBank::compute_dtype() const {
  for (const Weights& w : experts_)
    if (w.w1.defined()) return w.w1.store->compute_dtype();
  return DType::f32;
}

bool ExpertBank::grouped(const Device& d) const {
  return gemm_ == ExpertGemm::grouped || (gemm_ == ExpertGemm::automatic && !d.is_cpu());
}

void ExpertBank::forward_job(const Job& j, const Saved& s, Tensor& y, float beta) {
  // One expert from input to output while its hidden rows are still in cache.
  const Weights& w = experts_[j.expert];
  MOEMT_CHECK(w.w1.defined(), "{} rows for expert {}, which this sub-model does not hold", j.rows,
              j.expert);
  Tensor h = rows(s.h, j.hid_row, j.rows), a = rows(s.a, j.hid_row, j.rows);
  ops::gemm(rows(s.xc, j.in_row, j.rows), false, w.w1.wc(), false, h);
  ops::add_bias(h, w.b1.w());
  ops::activation_forward(act_, h, a);
  Tensor ac = rows(s.ac, j.hid_row, j.rows);
  cast_rows(a, ac);
  Tensor out = rows(y, j.in_row, j.rows);
  ops::gemm(ac, false, w.w2.wc(), false, out, 1.f, beta);
  ops::add_bias(out, w.b2.w());
}

void ExpertBank::backward_job(const Job& j, const Saved& s, const Tensor& dy, const Tensor& dyc,
                              Tensor& da, Tensor& dac, Tensor& dx, float dx_beta) {
  // out = a W2 + b2: db2 += colsum(dout), dW2 += aᵀ dout, da = dout W2ᵀ; a = act(h):
  // dh = act'(h) * da (in place); h = x W1 + b1: db1 += colsum(dh), dW1 += xᵀ dh, dx = dh W1ᵀ.
  const Weights& w = experts_[j.expert];
  Tensor dh = rows(da, j.hid_row, j.rows), dhc = rows(dac, j.hid_row, j.rows);
  linear_backward(rows(s.ac, j.hid_row, j.rows), rows(dy, j.in_row, j.rows),
                  rows(dyc, j.in_row, j.rows), w.w2, w.b2, dh, 0.f);
  ops::activation_backward(act_, rows(s.h, j.hid_row, j.rows), dh, dh);
  cast_rows(dh, dhc);
  linear_backward(rows(s.xc, j.in_row, j.rows), dh, dhc, w.w1, w.b1, rows(dx, j.in_row, j.rows),
                  dx_beta);
}

void ExpertBank::run_forward(const Tensor& x, Tensor& y, float beta, Saved& s) {
  int64_t hid_rows = 0;
  for (const Job& j : s.jobs) hid_rows = std::max(hid_rows, j.hid_row + j.rows);
  const DType dt = compute_dtype();
  s.x = x;
  s.xc = nn::in_dtype(x, dt);
  s.h = Tensor::empty({hid_rows, d_ff_}, DType::f32, x.device());
  s.a = Tensor::empty({hid_rows, d_ff_}, DType::f32, x.device());
  s.ac = dt == DType::f32 ? s.a : Tensor::empty({hid_rows, d_ff_}, dt, x.device());
  if (grouped(x.device())) return forward_grouped_gemm(y, beta, s);
  // Shared experts all add into the same output rows, so they run one after another.
  const bool par = across_experts(s.jobs) && !s.shared;
  const int64_t nj = static_cast<int64_t>(s.jobs.size());
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (int64_t ji = 0; ji < nj; ++ji)
    if (s.jobs[ji].rows > 0) forward_job(s.jobs[ji], s, y, beta);
}

Tensor ExpertBank::forward_grouped(const Tensor& xp, const std::vector<int64_t>& offsets,
                                   Saved& saved) {
  MOEMT_CHECK(static_cast<int>(offsets.size()) == num_ + 1 && offsets.back() == xp.size(0),
              "expert offsets ({} entries, last {}) for {} rows", offsets.size(),
              offsets.empty() ? -1 : offsets.back(), xp.size(0));
  saved = {};
  for (int e = 0; e < num_; ++e)
    saved.jobs.push_back({e, offsets[e], offsets[e + 1] - offsets[e], offsets[e]});
  saved.shared = false;
  Tensor y = Tensor::empty({xp.size(0), d_model_}, DType::f32, xp.device());
  run_forward(xp, y, 0.f, saved);
  return y;
}

void ExpertBank::forward_all(const Tensor& x, Tensor& y, Saved& saved) {
  int64_t n = x.shape().rows();
  saved = {};
  for (int e = 0; e < num_; ++e) saved.jobs.push_back({e, 0, n, e * n});
  saved.shared = true;
  run_forward(x, y, 1.f, saved);
}

Tensor ExpertBank::backward(const Tensor& dy, const Saved& s) {
  Tensor da = Tensor::empty(s.h.shape(), DType::f32, dy.device());
  Tensor dx = Tensor::empty(s.x.shape(), DType::f32, dy.device());
  // Routed experts own disjoint rows of dx; shared ones sum into all of it, one at a time.
  if (s.shared || s.jobs.empty()) dx.zero();
  // The GEMMs read dy and da in the dtype of the saved inputs (bf16 under mixed precision).
  const Tensor dyc = nn::in_dtype(dy, s.xc.dtype());
  Tensor dac =
      s.ac.dtype() == DType::f32 ? da : Tensor::empty(da.shape(), s.ac.dtype(), dy.device());
  if (grouped(dy.device())) {
    backward_grouped_gemm(dy, dyc, s, da, dac, dx);
    return dx;
  }
  const bool par = across_experts(s.jobs) && !s.shared;
  const float dx_beta = s.shared ? 1.f : 0.f;
  const int64_t nj = static_cast<int64_t>(s.jobs.size());
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (int64_t ji = 0; ji < nj; ++ji)
    if (s.jobs[ji].rows > 0) backward_job(s.jobs[ji], s, dy, dyc, da, dac, dx, dx_beta);
  return dx;
}

}  // namespace moemt::moe
