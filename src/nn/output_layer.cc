// Output layer and fused loss: per row chunk, logits = x·Eᵀ + b, cross-entropy computed in
// place into dlogits, then dx = dlogits·E and dE += dlogitsᵀ·x.
#include "nn/output_layer.h"

#include <algorithm>

#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/fill.h"
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

// Rows whose target is not pad, gathered into contiguous tensors so the (rows, V) products
// skip padding; `index` maps them back. When nothing is padded the inputs are used as they are.
struct OutputLayer::Rows {
  Tensor x, targets, index;  // index undefined when all rows are kept
};

OutputLayer::Rows OutputLayer::select_rows(const Tensor& x2, const Tensor& t1, int32_t pad_id) {
  std::vector<int32_t> tv = t1.to_ivector(), keep, kept_targets;
  for (size_t i = 0; i < tv.size(); ++i)
    if (tv[i] != pad_id) {
      keep.push_back(static_cast<int32_t>(i));
      kept_targets.push_back(tv[i]);
    }
  if (keep.size() == tv.size()) return {x2, t1, Tensor()};
  auto m = static_cast<int64_t>(keep.size());
  Rows r;
  r.index = Tensor::from_vector(keep, {m}).to(x2.device());
  r.targets = Tensor::from_vector(kept_targets, {m}).to(x2.device());
  r.x = Tensor::empty({m, x2.size(1)}, DType::f32, x2.device());
  ops::embedding_lookup(r.index, x2, 1.f, r.x);  // a row gather
  return r;
}

// x (..., D), targets (...) -> statistics and dx (..., D); accumulates dE (V, D), db (V).
LossResult OutputLayer::loss_forward_backward(Ctx& ctx, const Tensor& x, const Tensor& targets,
                                              float label_smoothing, int32_t pad_id,
                                              float grad_scale) {
  int64_t n = x.shape().rows();
  MOEMT_CHECK(x.size(-1) == cfg_.dim && targets.numel() == n,
              "OutputLayer: x {} targets {} (dim {})", x.shape().str(), targets.shape().str(),
              cfg_.dim);
  Rows sel = select_rows(x.reshape({n, cfg_.dim}), targets.reshape({n}), pad_id);
  int64_t k = sel.x.size(0);
  LossResult r;
  Tensor dxk = Tensor::empty({k, cfg_.dim}, DType::f32, x.device());
  Tensor e = weight_.w(), de = weight_.g(), db = bias_.defined() ? bias_.g() : Tensor();
  int64_t rows = chunk_rows();
  Tensor buf = Tensor::empty({std::min(k, rows), cfg_.vocab}, DType::f32, x.device()), none;
  for (int64_t r0 = 0; r0 < k; r0 += rows) {
    int64_t m = std::min(rows, k - r0);
    Tensor xc = sel.x.narrow(r0, m), dxc = dxk.narrow(r0, m), z = buf.narrow(0, m);
    ops::gemm(xc, false, e, true, z);  // z = x · Eᵀ (+ b)
    if (bias_.defined()) ops::add_bias(z, bias_.w());
    // loss = CE(z, targets); z is overwritten by dz = grad_scale * (softmax(z) - q).
    auto s = ops::cross_entropy_fused(z, sel.targets.narrow(r0, m), label_smoothing, pad_id,
                                      grad_scale, z, none);
    r.loss_sum += s.loss_sum;
    r.nll_sum += s.nll_sum;
    r.tokens += s.tokens;
    // Forward was `z = x · Eᵀ + b`, so dx = dz · E, dE += dzᵀ · x, db += sum_rows dz.
    ops::gemm(z, false, e, false, dxc);
    ops::gemm(z, true, xc, false, de, 1.f, 1.f);
    if (bias_.defined()) ops::bias_grad(z, db);
  }
  if (!sel.index.defined()) {
    r.dx = dxk.reshape(x.shape());
  } else {
    // Pad rows were gathered away: their gradient is 0; the others go back to their rows.
    r.dx = Tensor::zeros(x.shape(), DType::f32, x.device());
    Tensor dx2 = r.dx.reshape({n, cfg_.dim});
    ops::embedding_grad(sel.index, dxk, 1.f, dx2);  // a row scatter (indices are distinct)
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
  Rows sel = select_rows(x.reshape({n, cfg_.dim}), targets.reshape({n}), pad_id);
  int64_t k = sel.x.size(0);
  Tensor rl;  // row losses of the kept rows
  if (row_loss.defined()) {
    MOEMT_CHECK(row_loss.numel() == n, "OutputLayer::loss: row_loss {} for {} rows",
                row_loss.shape().str(), n);
    rl = sel.index.defined() ? Tensor::empty({k}, DType::f32, x.device()) : row_loss.reshape({n});
  }
  LossResult r;
  int64_t rows = chunk_rows();
  Tensor buf = Tensor::empty({std::min(k, rows), cfg_.vocab}, DType::f32, x.device());
  for (int64_t r0 = 0; r0 < k; r0 += rows) {
    int64_t m = std::min(rows, k - r0);
    Tensor z = buf.narrow(0, m);
    ops::gemm(sel.x.narrow(r0, m), false, weight_.w(), true, z);
    if (bias_.defined()) ops::add_bias(z, bias_.w());
    Tensor rlc = rl.defined() ? rl.narrow(r0, m) : Tensor();
    auto s = ops::cross_entropy_forward(z, sel.targets.narrow(r0, m), label_smoothing, pad_id, rlc);
    r.loss_sum += s.loss_sum;
    r.nll_sum += s.nll_sum;
    r.tokens += s.tokens;
  }
  if (rl.defined() && sel.index.defined()) {
    Tensor full = row_loss.reshape({n, 1});
    ops::zero(full);
    ops::embedding_grad(sel.index, rl.reshape({k, 1}), 1.f, full);
  }
  return r;
}

}  // namespace moemt::nn
