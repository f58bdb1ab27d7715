// Output layer and fused loss: per row chunk, logits = x·Eᵀ + b, cross-entropy computed in
// place into dlogits, then dx = dlogits·E and dE += dlogitsᵀ·x.
#include "nn/output_layer.h"

#include <algorithm>

#include "ops/elementwise.h"
#include "ops/gemm.h"

namespace moemt::nn {

namespace {
void check_table(Param p, const OutputLayerConfig& cfg) {
  const auto& info = p.store->info(p.id);
  MOEMT_CHECK(info.shape == (Shape{cfg.vocab, cfg.dim}),
              "OutputLayer: parameter '{}' is {}, not ({},{})", info.name, info.shape.str(),
              cfg.vocab, cfg.dim);
}
}  // namespace

OutputLayer::OutputLayer(ParamStore& store, const std::string& name, const OutputLayerConfig& cfg)
    : cfg_(cfg) {
  MOEMT_CHECK(cfg.vocab > 0 && cfg.dim > 0, "OutputLayer '{}' needs positive sizes", name);
  weight_ = store.add(name + ".weight", {cfg.vocab, cfg.dim}, InitSpec::Xavier());
  if (cfg.bias) bias_ = store.add(name + ".bias", {cfg.vocab}, InitSpec::Zeros());
}

OutputLayer::OutputLayer(ParamStore& store, const std::string& name, Param table,
                         const OutputLayerConfig& cfg)
    : cfg_(cfg), weight_(table) {
  MOEMT_CHECK(table.defined(), "tied OutputLayer '{}' needs a parameter", name);
  check_table(table, cfg);
  if (cfg.bias) bias_ = store.add(name + ".bias", {cfg.vocab}, InitSpec::Zeros());
}

int64_t OutputLayer::chunk_rows() const {
  return std::max<int64_t>(1, cfg_.max_chunk_elems / cfg_.vocab);
}

// x (..., D) -> logits (..., V)
Tensor OutputLayer::logits(Ctx& ctx, const Tensor& x) const {
  MOEMT_CHECK(x.size(-1) == cfg_.dim, "OutputLayer: input {} for dim {}", x.shape().str(),
              cfg_.dim);
  Shape s = x.shape();
  s[-1] = cfg_.vocab;
  Tensor z = Tensor::empty(s, DType::f32, x.device());
  ops::gemm(x, false, weight_.w(), true, z);  // z = x · Eᵀ
  if (bias_.defined()) ops::add_bias(z, bias_.w());
  return z;
}

// x (..., D), targets (...) -> statistics and dx (..., D); accumulates dE (V, D), db (V).
LossResult OutputLayer::loss_forward_backward(Ctx& ctx, const Tensor& x, const Tensor& targets,
                                              float label_smoothing, int32_t pad_id,
                                              float grad_scale) {
  int64_t n = x.shape().rows();
  MOEMT_CHECK(x.size(-1) == cfg_.dim && targets.numel() == n,
              "OutputLayer: x {} targets {} (dim {})", x.shape().str(), targets.shape().str(),
              cfg_.dim);
  Tensor x2 = x.reshape({n, cfg_.dim}), t1 = targets.reshape({n});
  LossResult r;
  r.dx = Tensor::empty(x.shape(), DType::f32, x.device());
  Tensor dx2 = r.dx.reshape({n, cfg_.dim});
  Tensor e = weight_.w(), de = weight_.g(), db = bias_.defined() ? bias_.g() : Tensor();
  int64_t rows = chunk_rows();
  Tensor buf = Tensor::empty({std::min(n, rows), cfg_.vocab}, DType::f32, x.device()), none;
  for (int64_t r0 = 0; r0 < n; r0 += rows) {
    int64_t m = std::min(rows, n - r0);
    Tensor xc = x2.narrow(r0, m), dxc = dx2.narrow(r0, m), z = buf.narrow(0, m);
    ops::gemm(xc, false, e, true, z);  // z = x · Eᵀ (+ b)
    if (bias_.defined()) ops::add_bias(z, bias_.w());
    // loss = CE(z, targets); z is overwritten by dz = grad_scale * (softmax(z) - q).
    auto s = ops::cross_entropy_fused(z, t1.narrow(r0, m), label_smoothing, pad_id, grad_scale, z,
                                      none);
    r.loss_sum += s.loss_sum;
    r.nll_sum += s.nll_sum;
    r.tokens += s.tokens;
    // Forward was `z = x · Eᵀ + b`, so dx = dz · E, dE += dzᵀ · x, db += sum_rows dz.
    ops::gemm(z, false, e, false, dxc);
    ops::gemm(z, true, xc, false, de, 1.f, 1.f);
    if (bias_.defined()) ops::bias_grad(z, db);
  }
  return r;
}

// x (..., D), targets (...) -> statistics; row_loss (N) optional.
LossResult OutputLayer::loss(Ctx& ctx, const Tensor& x, const Tensor& targets,
                             float label_smoothing, int32_t pad_id, Tensor& row_loss) const {
  int64_t n = x.shape().rows();
  MOEMT_CHECK(x.size(-1) == cfg_.dim && targets.numel() == n,
              "OutputLayer: x {} targets {} (dim {})", x.shape().str(), targets.shape().str(),
              cfg_.dim);
  Tensor x2 = x.reshape({n, cfg_.dim}), t1 = targets.reshape({n});
  Tensor rl = row_loss.defined() ? row_loss.reshape({n}) : Tensor();
  LossResult r;
  int64_t rows = chunk_rows();
  Tensor buf = Tensor::empty({std::min(n, rows), cfg_.vocab}, DType::f32, x.device());
  for (int64_t r0 = 0; r0 < n; r0 += rows) {
    int64_t m = std::min(rows, n - r0);
    Tensor z = buf.narrow(0, m);
    ops::gemm(x2.narrow(r0, m), false, weight_.w(), true, z);
    if (bias_.defined()) ops::add_bias(z, bias_.w());
    Tensor rlc = rl.defined() ? rl.narrow(r0, m) : Tensor();
    auto s = ops::cross_entropy_forward(z, t1.narrow(r0, m), label_smoothing, pad_id, rlc);
    r.loss_sum += s.loss_sum;
    r.nll_sum += s.nll_sum;
    r.tokens += s.tokens;
  }
  return r;
}

}  // namespace moemt::nn
