// Embedding: lookup with sqrt(D) scaling, table gradient by finite differences, and tying
// (two embeddings and the output layer share one table; gradients from all uses add up).
#include "nn/embedding.h"

#include <gtest/gtest.h>

#include <cmath>

#include "grad_expect.h"
#include "nn/output_layer.h"

namespace moemt::nn {

TEST(EmbeddingLayer, LookupScaleAndGradient) {
  ParamStore store;
  Embedding emb(store, "emb", {.vocab = 7, .dim = 4});
  store.finalize(Device::cpu(), 1);
  Ctx ctx;
  ctx.training = true;
  Tensor ids = Tensor::from_vector(std::vector<int32_t>{1, 3, 1, 6, 0, 3}, {2, 3});
  Tensor y = emb.forward(ctx, ids);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  auto tv = emb.table().w().to_vector(), yv = y.to_vector();
  for (int j = 0; j < 4; ++j) EXPECT_FLOAT_EQ(yv[1 * 4 + j], 2.f * tv[3 * 4 + j]);  // sqrt(4) = 2
  // Init: normal(0, D^-0.5); loose bounds on 28 samples.
  double ss = 0;
  for (float v : tv) ss += v * v;
  EXPECT_GT(std::sqrt(ss / 28), 0.25);
  EXPECT_LT(std::sqrt(ss / 28), 0.9);

  Tensor probe = random_tensor({2, 3, 4}, 2);
  emb.backward(ctx, probe);
  auto loss = [&] { return dot(emb.forward(ctx, ids), probe); };
  testing::expect_grad(loss, emb.table().w(), emb.table().g(), "dtable", 2e-2, 28);
}

TEST(EmbeddingLayer, TiedGradientsAccumulateFromAllUses) {
  const int64_t vocab = 9, dim = 6;
  ParamStore store;
  Embedding src(store, "emb", {.vocab = vocab, .dim = dim});
  Embedding tgt(src.table(), {.vocab = vocab, .dim = dim});
  OutputLayer out(store, "out", src.table(), {.vocab = vocab, .dim = dim});
  EXPECT_THROW(Embedding(src.table(), {.vocab = vocab, .dim = dim + 1}), InternalError);
  store.finalize(Device::cpu(), 3);
  EXPECT_EQ(store.size(), 1);  // one shared parameter, no bias
  Ctx ctx;
  ctx.training = true;
  Tensor ids1 = Tensor::from_vector(std::vector<int32_t>{1, 2, 5, 2}, {4});
  Tensor ids2 = Tensor::from_vector(std::vector<int32_t>{2, 8, 5}, {3});
  Tensor targets = Tensor::from_vector(std::vector<int32_t>{4, 2, 0, 5, 7}, {5});
  Tensor p1 = random_tensor({4, dim}, 4), p2 = random_tensor({3, dim}, 5);
  Tensor h = random_tensor({5, dim}, 6);
  const float gs = 0.5f;

  src.forward(ctx, ids1);
  src.backward(ctx, p1);
  tgt.forward(ctx, ids2);
  tgt.backward(ctx, p2);
  out.loss_forward_backward(ctx, h, targets, 0.1f, 0, gs);

  Tensor none;
  auto loss = [&] {
    return dot(src.forward(ctx, ids1), p1) + dot(tgt.forward(ctx, ids2), p2) +
           gs *
               ops::read_cross_entropy_stats_to_host(out.loss(ctx, h, targets, 0.1f, 0, none).stats)
                   .loss_sum;
  };
  Tensor table = src.table().w();
  testing::expect_grad(loss, table, src.table().g(), "tied table", 2e-2, 54);
  // Rows used by only the output layer (e.g. 3) still have gradient: softmax over all of V.
  EXPECT_NE(src.table().g().to_vector()[3 * dim], 0.f);
}

}  // namespace moemt::nn
