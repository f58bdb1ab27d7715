// Embedding layer over ops::embedding_{lookup,grad}.
#include "nn/embedding.h"

#include <cmath>

#include "ops/embedding.h"

namespace moemt::nn {

namespace {
float scale_for(const EmbeddingConfig& cfg) {
  return cfg.scale_by_sqrt_dim ? std::sqrt(static_cast<float>(cfg.dim)) : 1.f;
}
}  // namespace

Embedding::Embedding(ParamStore& store, const std::string& name, const EmbeddingConfig& cfg)
    : cfg_(cfg), scale_(scale_for(cfg)) {
  MOEMT_CHECK(cfg.vocab > 0 && cfg.dim > 0, "Embedding '{}' needs positive sizes", name);
  table_ = store.add(name + ".weight", {cfg.vocab, cfg.dim},
                     InitSpec::Normal(1.f / std::sqrt(static_cast<float>(cfg.dim))));
}

Embedding::Embedding(Param table, const EmbeddingConfig& cfg)
    : cfg_(cfg), table_(table), scale_(scale_for(cfg)) {
  MOEMT_CHECK(table.defined(), "tied Embedding needs a parameter");
  const Shape& s = table.store->info(table.id).shape;
  MOEMT_CHECK(s == (Shape{cfg.vocab, cfg.dim}), "tied Embedding: parameter '{}' is {}, not ({},{})",
              table.store->info(table.id).name, s.str(), cfg.vocab, cfg.dim);
}

// ids i32 (...) -> out (..., D) = scale * table[ids]
Tensor Embedding::forward(Ctx& ctx, const Tensor& ids, Saved& saved) {
  std::vector<int64_t> dims = ids.shape().vec();
  dims.push_back(cfg_.dim);
  Tensor out = Tensor::empty(Shape(dims), DType::f32, ids.device());
  ops::embedding_lookup(ids, table_.w(), scale_, out);
  saved.ids = ids;
  return out;
}

// dy (..., D) -> nothing; dtable (V, D) += scale * dy rows at ids.
void Embedding::backward(Ctx& ctx, const Tensor& dy, const Saved& saved) {
  MOEMT_CHECK(saved.ids.defined() && dy.numel() == saved.ids.numel() * cfg_.dim,
              "Embedding::backward: dy {} for ids {}", dy.shape().str(), saved.ids.shape().str());
  // Forward was `out[n] = scale * table[ids[n]]`, so dtable[ids[n]] += scale * dy[n].
  Tensor g = table_.g();
  ops::embedding_grad(saved.ids, dy, scale_, g);
}

}  // namespace moemt::nn
