// OutputLayer: logits against a naive product; the fused loss and its gradients (dx, weight,
// bias) by finite differences with label smoothing and pads; chunking changes nothing; the
// statistics stay in a device tensor. On every device.
#include "nn/output_layer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "device_test.h"
#include "grad_expect.h"

namespace moemt::nn {

namespace {
ops::CrossEntropyStats host(const LossResult& r) {
  return ops::read_cross_entropy_stats_to_host(r.stats);
}
}  // namespace

class OutputLayerTest : public moemt::testing::DeviceTest {};

TEST_P(OutputLayerTest, LogitsLossAndGradients) {
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "compact", "cross_entropy", "embedding", "fill");
  const int64_t vocab = 11, dim = 5, n = 7;
  const int32_t pad = 0;
  ParamStore store;
  OutputLayer out(store, "out", {.vocab = vocab, .dim = dim, .bias = true});
  OutputLayer chunked(store, "chunked",
                      {.vocab = vocab, .dim = dim, .bias = true, .max_chunk_elems = 3 * vocab});
  store.finalize(dev(), 4);
  Tensor b = out.bias().w();
  b.copy_from(on(random_tensor({vocab}, 9, 0.5f)));
  Tensor cw = chunked.weight().w(), cb = chunked.bias().w();
  cw.copy_from(out.weight().w());
  cb.copy_from(b);
  Ctx ctx;
  ctx.device = dev();
  ctx.training = true;
  Tensor x = on(random_tensor({1, n, dim}, 1, 1.5f));
  Tensor targets = on(Tensor::from_vector(std::vector<int32_t>{3, pad, 10, 1, pad, 7, 3}, {1, n}));

  Tensor z = out.logits(ctx, x);
  ASSERT_EQ(z.shape(), (Shape{1, n, vocab}));
  auto xv = x.to_vector(), wv = out.weight().w().to_vector(), bv = b.to_vector(),
       zv = z.to_vector();
  for (int64_t r = 0; r < n; ++r)
    for (int64_t v = 0; v < vocab; ++v) {
      double s = bv[v];
      for (int64_t j = 0; j < dim; ++j) s += xv[r * dim + j] * wv[v * dim + j];
      EXPECT_NEAR(zv[r * vocab + v], s, 1e-5);
    }

  const float eps = 0.1f, gs = 0.2f;
  LossResult res = out.loss_forward_backward(ctx, x, targets, eps, pad, gs);
  ASSERT_EQ(res.stats.device(), dev());
  EXPECT_EQ(host(res).tokens, 5);
  ASSERT_EQ(res.dx.shape(), x.shape());
  // Loss statistics from a double reference over the logits computed above.
  double ref_loss = 0, ref_nll = 0;
  auto tv = targets.to_ivector();
  for (int64_t r = 0; r < n; ++r) {
    if (tv[r] == pad) continue;
    double m = -1e30, se = 0, sz = 0;
    for (int64_t v = 0; v < vocab; ++v) m = std::max(m, double(zv[r * vocab + v]));
    for (int64_t v = 0; v < vocab; ++v) {
      se += std::exp(zv[r * vocab + v] - m);
      sz += zv[r * vocab + v];
    }
    double lse = m + std::log(se), nll = lse - zv[r * vocab + tv[r]];
    ref_nll += nll;
    ref_loss += (1 - eps) * nll + eps * (lse - sz / vocab);
  }
  EXPECT_NEAR(host(res).loss_sum, ref_loss, 1e-4);
  EXPECT_NEAR(host(res).nll_sum, ref_nll, 1e-4);

  // The statistics-only path agrees, and its row losses add up.
  Tensor rl = empty({1, n});
  LossResult ev = out.loss(ctx, x, targets, eps, pad, rl);
  EXPECT_EQ(host(ev).loss_sum, host(res).loss_sum);
  double rs = 0;
  for (float v : rl.to_vector()) rs += v;
  EXPECT_NEAR(rs, host(ev).loss_sum, 1e-4);
  auto rlv = rl.to_vector();
  for (int64_t r = 0; r < n; ++r) {
    if (tv[r] == pad)
      EXPECT_EQ(rlv[r], 0.f) << r;
    else
      EXPECT_GT(rlv[r], 0.f) << r;
  }
  Tensor none;
  // Without padding (no pad id matches) every row counts: 7 tokens, and the pads' rows add.
  LossResult all = out.loss(ctx, x, targets, eps, -1, none);
  EXPECT_EQ(host(all).tokens, n);
  EXPECT_GT(host(all).loss_sum, host(ev).loss_sum);

  auto loss = [&] { return gs * host(out.loss(ctx, x, targets, eps, pad, none)).loss_sum; };
  testing::expect_grad(loss, x, res.dx, "dx");
  testing::expect_grad(loss, out.weight().w(), out.weight().g(), "dW", 2e-2, 55);
  testing::expect_grad(loss, out.bias().w(), out.bias().g(), "db");
  // Pad rows get no input gradient.
  auto dxv = res.dx.to_vector();
  for (int64_t j = 0; j < dim; ++j) EXPECT_EQ(dxv[1 * dim + j], 0.f);

  // Chunks of 3 rows: same statistics and gradients up to float rounding (on the CPU, products
  // of up to 4 rows take GEMV, which sums in another order than GEMM).
  LossResult rc = chunked.loss_forward_backward(ctx, x, targets, eps, pad, gs);
  EXPECT_NEAR(host(rc).loss_sum, host(res).loss_sum, 1e-6 * host(res).loss_sum);
  auto cdx = rc.dx.to_vector();
  for (size_t i = 0; i < cdx.size(); ++i) EXPECT_NEAR(cdx[i], dxv[i], 1e-6);
  auto g1 = out.weight().g().to_vector(), g2 = chunked.weight().g().to_vector();
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], g2[i], 1e-6);
  auto gb1 = out.bias().g().to_vector(), gb2 = chunked.bias().g().to_vector();
  for (size_t i = 0; i < gb1.size(); ++i) EXPECT_NEAR(gb1[i], gb2[i], 1e-6);
}

MOEMT_INSTANTIATE_ON_DEVICES(OutputLayerTest);

}  // namespace moemt::nn
