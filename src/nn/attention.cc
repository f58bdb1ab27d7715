// Multi-head attention: forward and backward side by side, then the incremental (cached) path.
#include "nn/attention.h"

#include <cmath>

#include "nn/precision.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/gemm.h"
#include "ops/heads.h"

namespace moemt::nn {

// ---------------------------------------------------------------- dot-product core

Tensor DotProductAttention::forward(Ctx& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
                                    const ops::SoftmaxMask& mask, float p_drop, Saved& sv,
                                    DType compute) {
  // q is (BH,Tq,dh), k and v are (BH,Tk,dh); returns (BH,Tq,dh).
  MOEMT_CHECK(q.rank() == 3 && k.rank() == 3 && v.shape() == k.shape() && q.size(0) == k.size(0) &&
                  q.size(2) == k.size(2),
              "attention q {} k {} v {}", q.shape().str(), k.shape().str(), v.shape().str());
  const int64_t bh = q.size(0), tq = q.size(1), tk = k.size(1), dh = q.size(2);
  sv.q = in_dtype(q, compute);
  sv.k = in_dtype(k, compute);
  sv.v = in_dtype(v, compute);
  sv.scale = 1.f / std::sqrt(static_cast<float>(dh));
  // s = scale * q·kᵀ, then p = softmax(s + mask), in place.
  sv.p = Tensor::empty({bh, tq, tk}, DType::f32, q.device());
  ops::gemm_batched(sv.q, false, sv.k, true, sv.p, sv.scale, 0.f);
  ops::softmax_forward(sv.p, sv.p, mask);
  sv.p_drop = ctx.training ? p_drop : 0.f;
  if (sv.p_drop > 0.f) {
    sv.rng = ctx.next_rng();
    sv.pd = Tensor::empty(sv.p.shape(), DType::f32, q.device());
    Tensor no_mask;  // backward regenerates the mask from the stream
    ops::dropout_forward(sv.p, sv.p_drop, sv.rng, sv.pd, no_mask);
  } else {
    sv.pd = sv.p;
  }
  // out = pd · v
  Tensor out = Tensor::empty({bh, tq, dh}, DType::f32, q.device());
  ops::gemm_batched(in_dtype(sv.pd, compute), false, sv.v, false, out, 1.f, 0.f);
  return out;
}

DotProductAttention::Grads DotProductAttention::backward(Ctx& ctx, const Tensor& dout,
                                                         const Saved& sv) const {
  MOEMT_CHECK(sv.p.defined() && dout.shape() == sv.q.shape(), "attention backward: dout {} for q {}",
              dout.shape().str(), sv.q.shape().str());
  Grads g;
  // The GEMMs read their inputs in the dtype q, k, v were saved in (bf16 under mixed precision).
  const DType dt = sv.v.dtype();
  const Tensor doutc = in_dtype(dout, dt);
  // forward: out = pd · v, so dpd = dout · vᵀ and dv = pdᵀ · dout.
  Tensor dp = Tensor::empty(sv.p.shape(), DType::f32, dout.device());
  ops::gemm_batched(doutc, false, sv.v, true, dp, 1.f, 0.f);
  g.dv = Tensor::empty(sv.v.shape(), DType::f32, dout.device());
  ops::gemm_batched(in_dtype(sv.pd, dt), true, doutc, false, g.dv, 1.f, 0.f);
  // forward: pd = dropout(p), same stream, so the same mask.
  if (sv.p_drop > 0.f) ops::dropout_backward(dp, sv.p_drop, sv.rng, dp);
  // forward: p = softmax(s); ds = p * (dp - sum(dp * p)), in place.
  ops::softmax_backward(sv.p, dp, dp);
  // forward: s = scale * q·kᵀ, so dq = scale * ds · k and dk = scale * dsᵀ · q.
  const Tensor dpc = in_dtype(dp, dt);
  g.dq = Tensor::empty(sv.q.shape(), DType::f32, dout.device());
  ops::gemm_batched(dpc, false, sv.k, false, g.dq, sv.scale, 0.f);
  g.dk = Tensor::empty(sv.k.shape(), DType::f32, dout.device());
  ops::gemm_batched(dpc, true, sv.q, false, g.dk, sv.scale, 0.f);
  return g;
}

// ---------------------------------------------------------------- multi-head attention

namespace {
// Validates before any parameter is registered.
const AttentionConfig& checked(const AttentionConfig& c, const std::string& name) {
  if (c.heads <= 0 || c.d_model <= 0 || c.d_model % c.heads != 0)
    throw Error("attention '{}': d_model {} is not divisible by heads {}", name, c.d_model,
                c.heads);
  if (c.dropout < 0.f || c.dropout >= 1.f)
    throw Error("attention '{}': dropout {} not in [0, 1)", name, c.dropout);
  return c;
}
}  // namespace

MultiHeadAttention::MultiHeadAttention(ParamStore& store, const std::string& name,
                                       const AttentionConfig& config)
    : cfg_(checked(config, name)),
      dh_(config.d_model / config.heads),
      wq_(store, name + ".q", config.d_model, config.d_model, config.bias),
      wk_(store, name + ".k", config.d_model, config.d_model, config.bias),
      wv_(store, name + ".v", config.d_model, config.d_model, config.bias),
      wo_(store, name + ".o", config.d_model, config.d_model, config.bias) {}

Tensor MultiHeadAttention::project_heads(Ctx& ctx, Linear& proj, const Tensor& x,
                                         Linear::Saved* saved) {
  // x (B,T,D) -> proj (B,T,D) -> split (B,H,T,dh) viewed as (B*H,T,dh).
  const int64_t b = x.size(0), t = x.size(1);
  Tensor y = (saved ? proj.forward(ctx, x, *saved) : proj.apply(x)).reshape({b, t, cfg_.d_model});
  Tensor h = Tensor::empty({b, cfg_.heads, t, dh_}, DType::f32, x.device());
  ops::split_heads(y, cfg_.heads, h);
  return h.reshape({b * cfg_.heads, t, dh_});
}

Tensor MultiHeadAttention::merge_and_project(Ctx& ctx, const Tensor& heads, int64_t batch,
                                             int64_t t, Linear::Saved* saved) {
  // heads (B*H,T,dh) -> merge (B,T,D) -> output projection (B,T,D).
  Tensor m = Tensor::empty({batch, t, cfg_.d_model}, DType::f32, heads.device());
  ops::merge_heads(heads.reshape({batch, cfg_.heads, t, dh_}), m);
  return (saved ? wo_.forward(ctx, m, *saved) : wo_.apply(m)).reshape({batch, t, cfg_.d_model});
}

Tensor MultiHeadAttention::forward(Ctx& ctx, const Tensor& q_in, const Tensor& kv_in,
                                   const Tensor& key_lengths, bool causal, Saved& sv) {
  // q_in is (B,Tq,D), kv_in is (B,Tk,D); returns (B,Tq,D).
  MOEMT_CHECK(q_in.rank() == 3 && kv_in.rank() == 3 && q_in.size(0) == kv_in.size(0) &&
                  q_in.size(2) == cfg_.d_model && kv_in.size(2) == cfg_.d_model,
              "attention inputs q {} kv {} (d_model {})", q_in.shape().str(), kv_in.shape().str(),
              cfg_.d_model);
  MOEMT_CHECK(!key_lengths.defined() || key_lengths.numel() == q_in.size(0),
              "attention: {} key lengths for batch {}", key_lengths.numel(), q_in.size(0));
  sv.b = q_in.size(0);
  sv.tq = q_in.size(1);
  sv.tk = kv_in.size(1);
  Tensor q = project_heads(ctx, wq_, q_in, &sv.q);
  Tensor k = project_heads(ctx, wk_, kv_in, &sv.k);
  Tensor v = project_heads(ctx, wv_, kv_in, &sv.v);
  ops::SoftmaxMask mask;
  mask.key_lengths = key_lengths;
  mask.causal = causal;
  mask.causal_offset = sv.tk - sv.tq;  // queries are the last Tq positions of the keys' sequence
  Tensor o = core_.forward(ctx, q, k, v, mask, cfg_.dropout, sv.core, compute_dtype());
  return merge_and_project(ctx, o, sv.b, sv.tq, &sv.o);
}

MultiHeadAttention::Grads MultiHeadAttention::backward(Ctx& ctx, const Tensor& dy,
                                                       const Saved& sv) {
  const int64_t b = sv.b, tq = sv.tq, tk = sv.tk;
  MOEMT_CHECK(dy.numel() == b * tq * cfg_.d_model, "attention backward: dy {} for ({},{},{})",
              dy.shape().str(), b, tq, cfg_.d_model);
  const Device dev = dy.device();
  const int64_t h = cfg_.heads;
  // forward: y = wo(merge(o)), so do = split(wo'(dy)).
  Tensor dm =
      wo_.backward(ctx, dy.reshape({b, tq, cfg_.d_model}), sv.o).reshape({b, tq, cfg_.d_model});
  Tensor dov = Tensor::empty({b, h, tq, dh_}, DType::f32, dev);
  ops::split_heads(dm, h, dov);
  auto g = core_.backward(ctx, dov.reshape({b * h, tq, dh_}), sv.core);
  // forward: q = split(wq(q_in)) etc., so each head gradient is merged and sent through its
  // projection's backward.
  auto unproject = [&](Linear& proj, const Linear::Saved& saved, const Tensor& dheads, int64_t t) {
    Tensor d = Tensor::empty({b, t, cfg_.d_model}, DType::f32, dev);
    ops::merge_heads(dheads.reshape({b, h, t, dh_}), d);
    return proj.backward(ctx, d, saved).reshape({b, t, cfg_.d_model});
  };
  Grads out;
  out.dq_in = unproject(wq_, sv.q, g.dq, tq);
  out.dkv_in = unproject(wk_, sv.k, g.dk, tk);
  Tensor dv_in = unproject(wv_, sv.v, g.dv, tk);
  ops::add_inplace(out.dkv_in, dv_in);
  return out;
}

// ---------------------------------------------------------------- incremental decoding

void MultiHeadAttention::init_cache(Ctx& ctx, const Tensor& kv_in, const Tensor& key_lengths,
                                    KVCache& cache) {
  // kv_in is (B,S,D); the cache gets k and v as (B,H,S,dh).
  MOEMT_CHECK(kv_in.rank() == 3 && kv_in.size(2) == cfg_.d_model, "init_cache: kv_in {}",
              kv_in.shape().str());
  const int64_t b = kv_in.size(0), s = kv_in.size(1);
  cache = KVCache{};
  cache.k = project_heads(ctx, wk_, kv_in, nullptr).reshape({b, cfg_.heads, s, dh_});
  cache.v = project_heads(ctx, wv_, kv_in, nullptr).reshape({b, cfg_.heads, s, dh_});
  if (key_lengths.defined()) {
    MOEMT_CHECK(key_lengths.numel() == b, "init_cache: {} key lengths for batch {}",
                key_lengths.numel(), b);
    cache.key_lengths = key_lengths;
    cache.key_lengths_host = key_lengths.to_ivector();
  }
  cache.fixed = true;
}

Tensor MultiHeadAttention::forward_incremental(Ctx& ctx, const Tensor& q_in, KVCache& cache) {
  // q_in is (B,Tn,D); returns (B,Tn,D).
  MOEMT_CHECK(q_in.rank() == 3 && q_in.size(2) == cfg_.d_model, "forward_incremental: q_in {}",
              q_in.shape().str());
  const int64_t b = q_in.size(0), tn = q_in.size(1), h = cfg_.heads;
  MOEMT_CHECK(cache.batch() == 0 || cache.batch() == b, "cache holds {} rows, input has {}",
              cache.batch(), b);
  if (!cache.fixed) {
    // Append this step's keys and values: (B,H,T,dh) ++ (B,H,Tn,dh).
    Tensor k = project_heads(ctx, wk_, q_in, nullptr).reshape({b, h, tn, dh_});
    Tensor v = project_heads(ctx, wv_, q_in, nullptr).reshape({b, h, tn, dh_});
    if (cache.length() == 0) {
      cache.k = k;
      cache.v = v;
    } else {
      const int64_t t = cache.length() + tn;
      Tensor rows;  // a pending reorder, folded into the copy that grows the cache
      if (!cache.pending_rows.empty())
        rows = Tensor::from_vector(cache.pending_rows, {b}).to(q_in.device());
      Tensor nk = Tensor::empty({b, h, t, dh_}, DType::f32, q_in.device());
      Tensor nv = Tensor::empty({b, h, t, dh_}, DType::f32, q_in.device());
      ops::concat_time(cache.k, rows, k, nk);
      ops::concat_time(cache.v, rows, v, nv);
      cache.k = nk;
      cache.v = nv;
    }
    cache.pending_rows.clear();
  }
  MOEMT_CHECK(cache.length() > 0, "forward_incremental with an empty fixed cache");
  const int64_t tk = cache.length();
  Tensor q = project_heads(ctx, wq_, q_in, nullptr);
  ops::SoftmaxMask mask;
  mask.key_lengths = cache.key_lengths;
  mask.causal = !cache.fixed;
  mask.causal_offset = tk - tn;
  // A local core, so a training forward's saved state survives; p_drop 0: decoding never drops
  // attention probabilities.
  DotProductAttention core;
  Tensor o = core.forward(ctx, q, cache.k.reshape({b * h, tk, dh_}),
                          cache.v.reshape({b * h, tk, dh_}), mask, 0.f, compute_dtype());
  return merge_and_project(ctx, o, b, tn, nullptr);
}

void KVCache::reorder(const std::vector<int32_t>& indices) {
  const int64_t old_b = batch();
  if (old_b == 0) return;  // nothing cached yet (first decoding step)
  for (int32_t i : indices)
    MOEMT_CHECK(i >= 0 && i < old_b, "cache reorder index {} outside batch {}", i, old_b);
  const int64_t nb = static_cast<int64_t>(indices.size());
  if (key_lengths.defined()) {
    std::vector<int32_t> lens(indices.size());
    for (size_t r = 0; r < indices.size(); ++r) lens[r] = key_lengths_host[indices[r]];
    key_lengths_host = lens;
    key_lengths = Tensor::from_vector(lens, {nb}).to(k.device());
  }
  if (!fixed) {
    // Deferred to the next append; two reorders in a row compose.
    std::vector<int32_t> rows = indices;
    if (!pending_rows.empty())
      for (auto& r : rows) r = pending_rows[r];
    pending_rows = std::move(rows);
    return;
  }
  const Tensor ids = Tensor::from_vector(indices, {nb}).to(k.device());
  auto gather = [&](const Tensor& t) {
    // A row gather over the first dimension: the embedding lookup does exactly that.
    Tensor out = Tensor::empty({nb, t.size(1), t.size(2), t.size(3)}, t.dtype(), t.device());
    Tensor out2 = out.reshape({nb, -1});
    ops::embedding_lookup(ids, t.reshape({old_b, -1}), 1.f, out2);
    return out;
  };
  k = gather(k);
  v = gather(v);
}

}  // namespace moemt::nn
