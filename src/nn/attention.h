// Multi-head attention with explicit forward/backward (self, causal and cross), and the key/value
// cache that incremental decoding and beam search use.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/param_store.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/ctx.h"
#include "nn/linear.h"
#include "ops/softmax.h"

namespace moemt::nn {

struct AttentionConfig {
  int64_t d_model = 512;
  int64_t heads = 8;
  float dropout = 0.f;  // on the attention probabilities, training mode only
  bool bias = true;     // biases of the Q/K/V/O projections
};

// softmax(scale * q·kᵀ + mask) · v over heads already in (B*H, T, dh) layout; the part of
// attention that has no parameters.
class DotProductAttention {
 public:
  // What backward needs from one forward call.
  struct Saved {
    Tensor q, k, v, p, pd;  // pd = dropout(p), the matrix that multiplied v; q, k, v as the
                            // GEMMs read them (the compute dtype)
    float scale = 1.f;
    float p_drop = 0.f;  // 0 when no dropout was applied
    RngStream rng;
  };
  // q (BH,Tq,dh), k and v (BH,Tk,dh) -> (BH,Tq,dh). mask.key_lengths (B) splits BH into B
  // items. Probability dropout p_drop applies in training mode only. `compute` is the GEMMs'
  // input dtype (bf16 under mixed precision: q, k, v and the probabilities are cast to it; the
  // scores, the softmax and the output stay f32).
  Tensor forward(Ctx& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
                 const ops::SoftmaxMask& mask, float p_drop, Saved& saved,
                 DType compute = DType::f32);
  struct Grads {
    Tensor dq, dk, dv;
  };
  // dout (BH,Tq,dh) -> gradients of q, k, v of that forward call.
  Grads backward(Ctx& ctx, const Tensor& dout, const Saved& saved) const;
  // Single-use forms: the state is kept in the object.
  Tensor forward(Ctx& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
                 const ops::SoftmaxMask& mask, float p_drop, DType compute = DType::f32) {
    return forward(ctx, q, k, v, mask, p_drop, last_, compute);
  }
  Grads backward(Ctx& ctx, const Tensor& dout) const { return backward(ctx, dout, last_); }

  // The probabilities of the last single-use forward (BH,Tq,Tk), before dropout (inspection).
  const Tensor& probs() const { return last_.p; }

 private:
  Saved last_;
};

// Keys and values of one attention layer in head layout (B,H,T,dh), kept across decoding
// steps. Self-attention caches grow by one position per step; cross-attention caches are filled
// once from the encoder output and carry the source lengths.
struct KVCache {
  Tensor k, v;
  Tensor key_lengths;                     // i32 (B) on the cache's device, or undefined
  std::vector<int32_t> key_lengths_host;  // the same lengths, for reordering on the host
  bool fixed = false;                     // true for cross-attention: steps do not append

  // A growing (self-attention) cache defers a reorder to its next append, which gathers and
  // appends in one copy: row b of k/v is then row pending_rows[b] of the stored tensors.
  std::vector<int32_t> pending_rows;

  int64_t batch() const {
    if (!pending_rows.empty()) return static_cast<int64_t>(pending_rows.size());
    return k.defined() && k.rank() == 4 ? k.size(0) : 0;
  }
  int64_t length() const { return k.defined() && k.rank() == 4 ? k.size(2) : 0; }
  // Row b of the new cache is row indices[b] of the old one (beam search: hypothesis b now
  // continues hypothesis indices[b]; also expands B sentences to B*beam rows or drops finished
  // ones). Indices may repeat; their count becomes the new batch size.
  void reorder(const std::vector<int32_t>& indices);
  void clear() { *this = KVCache{}; }
};

class MultiHeadAttention {
 public:
  // Parameters: <name>.q, <name>.k, <name>.v, <name>.o (nn::Linear, d_model -> d_model).
  MultiHeadAttention(ParamStore& store, const std::string& name, const AttentionConfig& config);

  // q_in (B,Tq,D), kv_in (B,Tk,D), key_lengths i32 (B) or undefined (no padding), causal masks
  // keys after the query's position. Returns (B,Tq,D). For self-attention pass the same tensor
  // twice and add the two input gradients of backward.
  // What backward needs from one forward call (per call, so the layer may run several times
  // before its backwards: attention at every step of a recurrent decoder).
  struct Saved {
    Linear::Saved q, k, v, o;
    DotProductAttention::Saved core;
    int64_t b = 0, tq = 0, tk = 0;
  };
  Tensor forward(Ctx& ctx, const Tensor& q_in, const Tensor& kv_in, const Tensor& key_lengths,
                 bool causal, Saved& saved);
  struct Grads {
    Tensor dq_in, dkv_in;  // (B,Tq,D), (B,Tk,D)
  };
  // dy (B,Tq,D); accumulates parameter gradients.
  Grads backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // Single-use forms: the state is kept in the layer.
  Tensor forward(Ctx& ctx, const Tensor& q_in, const Tensor& kv_in, const Tensor& key_lengths,
                 bool causal) {
    return forward(ctx, q_in, kv_in, key_lengths, causal, last_);
  }
  Grads backward(Ctx& ctx, const Tensor& dy) { return backward(ctx, dy, std::exchange(last_, {})); }

  // Incremental decoding (no dropout; the projections save nothing).
  // Fills a fixed cache with the keys/values of kv_in (B,S,D) (cross-attention, once per batch).
  void init_cache(Ctx& ctx, const Tensor& kv_in, const Tensor& key_lengths, KVCache& cache);
  // q_in (B,Tn,D), usually Tn = 1. A self-attention cache (not fixed) first appends the keys
  // and values of q_in, and the new queries see every cached position up to their own; a fixed
  // cache is attended to as it is. Returns (B,Tn,D), equal to the matching rows of the full
  // causal forward.
  Tensor forward_incremental(Ctx& ctx, const Tensor& q_in, KVCache& cache);

  const AttentionConfig& config() const { return cfg_; }

 private:
  // (B,T,D) -> heads (B*H, T, dh) of a projection; `saved` (null when decoding) keeps the
  // input for backward.
  Tensor project_heads(Ctx& ctx, Linear& proj, const Tensor& x, Linear::Saved* saved);
  Tensor merge_and_project(Ctx& ctx, const Tensor& heads, int64_t batch, int64_t t,
                           Linear::Saved* saved);
  // The GEMMs' input dtype: the store's compute dtype (bf16 under mixed precision).
  DType compute_dtype() const { return wq_.weight.store->compute_dtype(); }

  AttentionConfig cfg_;
  int64_t dh_;
  Linear wq_, wk_, wv_, wo_;
  DotProductAttention core_;
  Saved last_;
};

}  // namespace moemt::nn
