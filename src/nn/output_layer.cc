// Output layer and fused loss: per row chunk, logits = x·Eᵀ + b, cross-entropy computed in
// place into dlogits, then dx = dlogits·E and dE += dlogitsᵀ·x.
#include "nn/output_layer.h"

#include <algorithm>

#include "nn/precision.h"
#include "ops/cast.h"
#include "ops/compact.h"
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
  ops::gemm(in_dtype(x, compute_dtype()), false, weight_.wc(), true, z);  // z = x · Eᵀ
  if (bias_.defined()) ops::add_bias(z, bias_.w());
  return z;
}

// Rows whose target is not pad, gathered into contiguous tensors so the (rows, V) products
// skip padding; `index` maps them back. When nothing is padded the inputs are used as they are.
struct OutputLayer::Rows {
  Tensor x, targets, index;  // index undefined when all rows are kept
};

// The one host read of the loss path: the number of non-pad rows, which the vocabulary GEMMs
// need as their shape. Once per loss call.
int64_t OutputLayer::read_kept_count_to_host(const Tensor& count) { return count.to_ivector()[0]; }

OutputLayer::Rows OutputLayer::select_rows(const Tensor& x2, const Tensor& t1, int32_t pad_id) {
  // t1 (N) -> index (m), targets (m): a stable compaction on the targets' device.
  const int64_t n = t1.numel();
  const Device dev = x2.device();
  Tensor index = Tensor::empty({n}, DType::i32, dev), kept = Tensor::empty({n}, DType::i32, dev);
  Tensor count = Tensor::empty({1}, DType::i32, dev);
  ops::compact_nonpad(t1, pad_id, index, kept, count);
  const int64_t m = read_kept_count_to_host(count);
  if (m == n) return {x2, t1, Tensor()};
  Rows r;
  r.index = index.narrow(0, m);
  r.targets = kept.narrow(0, m);
  r.x = Tensor::empty({m, x2.size(1)}, DType::f32, dev);
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
  r.stats = Tensor::zeros({ops::kCrossEntropyStats}, DType::f64, x.device());
  Tensor dxk = Tensor::empty({k, cfg_.dim}, DType::f32, x.device());
  // The GEMMs read x, E and dz in the compute dtype (bf16 under mixed precision); the logits,
  // the loss and dz themselves are f32.
  const DType dt = compute_dtype();
  const Tensor xk = in_dtype(sel.x, dt);
  Tensor e = weight_.wc(), de = weight_.g(), db = bias_.defined() ? bias_.g() : Tensor();
  int64_t rows = chunk_rows();
  Tensor buf = Tensor::empty({std::min(k, rows), cfg_.vocab}, DType::f32, x.device()), none;
  Tensor buf_c = dt == DType::f32 ? buf : Tensor::empty(buf.shape(), dt, x.device());
  for (int64_t r0 = 0; r0 < k; r0 += rows) {
    int64_t m = std::min(rows, k - r0);
    Tensor xc = xk.narrow(r0, m), dxc = dxk.narrow(r0, m), z = buf.narrow(0, m);
    ops::gemm(xc, false, e, true, z);  // z = x · Eᵀ (+ b)
    if (bias_.defined()) ops::add_bias(z, bias_.w());
    // loss = CE(z, targets); z is overwritten by dz = grad_scale * (softmax(z) - q).
    ops::cross_entropy_fused(z, sel.targets.narrow(r0, m), label_smoothing, pad_id, grad_scale, z,
                             r.stats, none);
    Tensor zc = buf_c.narrow(0, m);
    if (dt != DType::f32) ops::cast(z, zc);
    // Forward was `z = x · Eᵀ + b`, so dx = dz · E, dE += dzᵀ · x, db += sum_rows dz.
    ops::gemm(zc, false, e, false, dxc);
    ops::gemm(zc, true, xc, false, de, 1.f, 1.f);
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
  r.stats = Tensor::zeros({ops::kCrossEntropyStats}, DType::f64, x.device());
  int64_t rows = chunk_rows();
  Tensor buf = Tensor::empty({std::min(k, rows), cfg_.vocab}, DType::f32, x.device());
  const Tensor xk = in_dtype(sel.x, compute_dtype());
  for (int64_t r0 = 0; r0 < k; r0 += rows) {
    int64_t m = std::min(rows, k - r0);
    Tensor z = buf.narrow(0, m);
    ops::gemm(xk.narrow(r0, m), false, weight_.wc(), true, z);
    if (bias_.defined()) ops::add_bias(z, bias_.w());
    Tensor rlc = rl.defined() ? rl.narrow(r0, m) : Tensor();
    ops::cross_entropy_forward(z, sel.targets.narrow(r0, m), label_smoothing, pad_id, r.stats, rlc);
  }
  if (rl.defined() && sel.index.defined()) {
    Tensor full = row_loss.reshape({n, 1});
    ops::zero(full);
    ops::embedding_grad(sel.index, rl.reshape({k, 1}), 1.f, full);
  }
  return r;
}

}  // namespace moemt::nn
