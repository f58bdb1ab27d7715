// Token embedding (V, D) with fairseq's convention: table ~ normal(0, D^-0.5) and the looked-up
// rows scaled by sqrt(D). Several users may share one table (tied source/target/output
// embeddings); each accumulates its gradient into the same parameter.
#pragma once

#include <string>
#include <utility>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

struct EmbeddingConfig {
  int64_t vocab = 0, dim = 0;
  bool scale_by_sqrt_dim = true;  // multiply rows by sqrt(dim) (fairseq, Marian)
};

class Embedding {
 public:
  Embedding() = default;
  // Registers `name.weight` (vocab, dim), initialised normal(0, dim^-0.5).
  Embedding(ParamStore& store, const std::string& name, const EmbeddingConfig& cfg);
  // Uses an existing (vocab, dim) parameter (tying); registers nothing.
  Embedding(Param table, const EmbeddingConfig& cfg);

  struct Saved {  // what backward needs from one forward call
    Tensor ids;
  };
  // ids is i32 (...); returns (..., dim) = scale * table[ids] and fills `saved`.
  Tensor forward(Ctx& ctx, const Tensor& ids, Saved& saved);
  // dy is (..., dim); accumulates scale * dy rows into the table's gradient. ids get no gradient.
  void backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // The same for a layer that runs once per backward: the state is kept in the layer.
  Tensor forward(Ctx& ctx, const Tensor& ids) { return forward(ctx, ids, last_); }
  void backward(Ctx& ctx, const Tensor& dy) { backward(ctx, dy, std::exchange(last_, {})); }

  Param table() const { return table_; }
  float scale() const { return scale_; }
  const EmbeddingConfig& config() const { return cfg_; }

 private:
  EmbeddingConfig cfg_;
  Param table_;
  float scale_ = 1.f;
  Saved last_;
};

}  // namespace moemt::nn
