// Multi-head attention: finite-difference gradients (inputs and every parameter) for padded
// self-attention, causal self-attention and cross-attention, padding invariance, incremental
// decoding against the full causal forward, cache reordering, and reproducible dropout.
#include "nn/attention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "device_test.h"
#include "nn/gradcheck.h"
#include "ops/elementwise.h"

namespace moemt::nn {
namespace {

constexpr int64_t kB = 2, kD = 8, kH = 2;
constexpr double kTol = 3e-3;  // max |numeric - analytic| with eps 1e-2 in f32

AttentionConfig config(float dropout = 0.f) {
  AttentionConfig c;
  c.d_model = kD;
  c.heads = kH;
  c.dropout = dropout;
  c.bias = true;
  return c;
}

Tensor lengths(std::vector<int32_t> v) {
  auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

void expect_close(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.numel(), b.numel()) << what;
  auto x = a.to_vector(), y = b.to_vector();
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], tol) << what << " element " << i;
}

// Checks the gradients of q_in, kv_in (or of the shared input for self-attention) and of every
// parameter in the store against central differences of L = sum(out * probe).
void check_gradients(Device dev, bool self, bool causal, const Tensor& lens, int64_t tq,
                     int64_t tk, float dropout = 0.f) {
  ParamStore store;
  MultiHeadAttention mha(store, "attn", config(dropout));
  store.finalize(dev, 5);
  Tensor q_in = random_tensor({kB, tq, kD}, 1).to(dev);
  Tensor kv_in = self ? q_in : random_tensor({kB, tk, kD}, 2).to(dev);
  Tensor probe = random_tensor({kB, tq, kD}, 3).to(dev);
  Tensor key_lengths = lens.defined() ? lens.to(dev) : lens;
  Ctx ctx;
  ctx.device = dev;
  ctx.training = true;
  ctx.seed = 17;
  auto loss = [&] {
    ctx.begin_step(4);  // the same dropout masks at every evaluation
    return dot(mha.forward(ctx, q_in, kv_in, key_lengths, causal), probe);
  };
  loss();
  store.zero_grad();
  auto g = mha.backward(ctx, probe);
  if (self) {
    ops::add_inplace(g.dq_in, g.dkv_in);
    auto r = grad_check(loss, q_in, g.dq_in, 32);
    EXPECT_LT(r.max_abs_err, kTol) << "x: " << r.worst;
  } else {
    auto r = grad_check(loss, q_in, g.dq_in, 32);
    EXPECT_LT(r.max_abs_err, kTol) << "q_in: " << r.worst;
    r = grad_check(loss, kv_in, g.dkv_in, 32);
    EXPECT_LT(r.max_abs_err, kTol) << "kv_in: " << r.worst;
  }
  ASSERT_EQ(store.size(), 8);  // q, k, v, o weights and biases
  for (int i = 0; i < store.size(); ++i) {
    auto r = grad_check(loss, store.value(i), store.grad(i), 24);
    EXPECT_LT(r.max_abs_err, kTol) << store.info(i).name << ": " << r.worst;
  }
}

TEST(DotProductAttention, GradientsWithMasks) {
  Tensor q = random_tensor({kB * kH, 3, 4}, 1), k = random_tensor({kB * kH, 5, 4}, 2);
  Tensor v = random_tensor({kB * kH, 5, 4}, 3), probe = random_tensor({kB * kH, 3, 4}, 4);
  ops::SoftmaxMask mask;
  mask.key_lengths = lengths({5, 3});
  mask.causal = true;
  mask.causal_offset = 2;
  Ctx ctx;
  DotProductAttention att;
  auto loss = [&] { return dot(att.forward(ctx, q, k, v, mask, 0.f), probe); };
  loss();
  auto g = att.backward(ctx, probe);
  for (auto [t, d, n] : {std::tuple{q, g.dq, "q"}, {k, g.dk, "k"}, {v, g.dv, "v"}}) {
    auto r = grad_check(loss, t, d, 60);
    EXPECT_LT(r.max_abs_err, kTol) << n << ": " << r.worst;
  }
  // Masked keys get no gradient: item 1 has 3 keys, so keys 3 and 4 of its heads are unused.
  auto dk = g.dk.to_vector();
  for (int64_t bh = kH; bh < 2 * kH; ++bh)
    for (int64_t j = 3; j < 5; ++j)
      for (int e = 0; e < 4; ++e) EXPECT_EQ(dk[(bh * 5 + j) * 4 + e], 0.f);
}

// An independent forward in double precision: per (item, head, query) loops over the projected
// rows, for cross-attention with key padding and a causal mask at once.
TEST(MultiHeadAttention, ForwardMatchesNaiveReference) {
  ParamStore store;
  MultiHeadAttention mha(store, "attn", config());
  store.finalize(Device::cpu(), 5);
  const int64_t tq = 3, tk = 5, dh = kD / kH;
  Tensor q_in = random_tensor({kB, tq, kD}, 1), kv_in = random_tensor({kB, tk, kD}, 2);
  const std::vector<int32_t> lens{4, 2};
  // Non-zero biases, so their use is checked too.
  for (const char* n : {"attn.q.bias", "attn.k.bias", "attn.v.bias", "attn.o.bias"})
    store.get(n).w().copy_from(random_tensor({kD}, 7));
  Ctx ctx;
  auto got = mha.forward(ctx, q_in, kv_in, lengths(lens), true).to_vector();
  auto proj = [&](const std::string& n, const Tensor& x) {  // x (rows, D) -> x·W + b
    auto w = store.get(n + ".weight").w().to_vector(), b = store.get(n + ".bias").w().to_vector();
    auto xv = x.to_vector();
    int64_t rows = x.numel() / kD;
    std::vector<double> y(rows * kD);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < kD; ++o) {
        double s = b[o];
        for (int64_t i = 0; i < kD; ++i) s += xv[r * kD + i] * static_cast<double>(w[i * kD + o]);
        y[r * kD + o] = s;
      }
    return y;
  };
  auto q = proj("attn.q", q_in), k = proj("attn.k", kv_in), v = proj("attn.v", kv_in);
  std::vector<float> merged(kB * tq * kD);
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t h = 0; h < kH; ++h)
      for (int64_t i = 0; i < tq; ++i) {
        // Queries are the last tq positions of the keys' sequence: i sees j <= i + tk - tq.
        std::vector<double> p(tk, 0.0);
        double m = -1e300, z = 0;
        auto visible = [&](int64_t j) { return j < lens[b] && j <= i + tk - tq; };
        for (int64_t j = 0; j < tk; ++j) {
          if (!visible(j)) continue;
          double s = 0;
          for (int64_t e = 0; e < dh; ++e)
            s += q[(b * tq + i) * kD + h * dh + e] * k[(b * tk + j) * kD + h * dh + e];
          p[j] = s / std::sqrt(static_cast<double>(dh));
          m = std::max(m, p[j]);
        }
        for (int64_t j = 0; j < tk; ++j)
          if (visible(j)) z += (p[j] = std::exp(p[j] - m));
        for (int64_t e = 0; e < dh; ++e) {
          double o = 0;
          for (int64_t j = 0; j < tk; ++j)
            if (visible(j)) o += p[j] / z * v[(b * tk + j) * kD + h * dh + e];
          merged[(b * tq + i) * kD + h * dh + e] = static_cast<float>(o);
        }
      }
  auto want = proj("attn.o", Tensor::from_vector(merged, {kB * tq, kD}));
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

// The gradient checks run on every device (the CUDA instance skips without a GPU or kernels).
class AttentionGradTest : public moemt::testing::DeviceTest {};
#define MOEMT_ATTENTION_KERNELS \
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "heads", "softmax", "dropout")

TEST_P(AttentionGradTest, SelfWithPadding) {
  MOEMT_ATTENTION_KERNELS;
  check_gradients(dev(), true, false, lengths({4, 2}), 4, 4);
}
TEST_P(AttentionGradTest, CausalSelf) {
  MOEMT_ATTENTION_KERNELS;
  check_gradients(dev(), true, true, Tensor(), 5, 5);
}
TEST_P(AttentionGradTest, Cross) {
  MOEMT_ATTENTION_KERNELS;
  check_gradients(dev(), false, false, lengths({3, 5}), 3, 5);
}
TEST_P(AttentionGradTest, WithProbabilityDropout) {
  MOEMT_ATTENTION_KERNELS;
  check_gradients(dev(), false, true, lengths({4, 2}), 4, 4, 0.3f);
}
MOEMT_INSTANTIATE_ON_DEVICES(AttentionGradTest);

TEST(MultiHeadAttention, PaddedKeysDoNotChangeOutputs) {
  ParamStore store;
  MultiHeadAttention mha(store, "attn", config());
  store.finalize(Device::cpu(), 5);
  Ctx ctx;
  Tensor lens = lengths({5, 3});
  Tensor x = random_tensor({kB, 5, kD}, 1);
  Tensor y0 = mha.forward(ctx, x, x, lens, false).clone();
  // Change item 1's padded positions 3 and 4.
  Tensor x2 = x.clone();
  float* p = x2.data<float>();
  for (int64_t t = 3; t < 5; ++t)
    for (int64_t e = 0; e < kD; ++e) p[(5 + t) * kD + e] += 10.f;
  Tensor y1 = mha.forward(ctx, x2, x2, lens, false);
  auto a = y0.to_vector(), b = y1.to_vector();
  for (int64_t i = 0; i < kB * 5 * kD; ++i) {
    int64_t item = i / (5 * kD), t = (i / kD) % 5;
    if (item == 0 || t < 3) {
      EXPECT_NEAR(a[i], b[i], 1e-6) << i;  // valid positions unchanged
    }
  }
  // Sanity: the change was visible to the padded positions themselves.
  EXPECT_GT(std::abs(a[(5 + 4) * kD] - b[(5 + 4) * kD]), 1e-3);
}

TEST(MultiHeadAttention, IncrementalEqualsFullCausalForward) {
  ParamStore store;
  MultiHeadAttention mha(store, "attn", config(0.2f));  // dropout is off in eval mode
  store.finalize(Device::cpu(), 5);
  Ctx ctx;
  const int64_t t = 5;
  Tensor x = random_tensor({kB, t, kD}, 1);
  Tensor full = mha.forward(ctx, x, x, Tensor(), true).clone();
  KVCache cache;
  // Steps of 1, 1, 2, 1 positions: chunks must match too (causal within the chunk).
  int64_t pos = 0;
  for (int64_t n : {1, 1, 2, 1}) {
    Tensor xt = Tensor::empty({kB, n, kD});
    for (int64_t b = 0; b < kB; ++b)
      xt.narrow(b, 1).copy_from(
          Tensor::wrap(x.data<float>() + (b * t + pos) * kD, {n * kD}, DType::f32));
    Tensor yt = mha.forward_incremental(ctx, xt, cache);
    ASSERT_EQ(cache.length(), pos + n);
    for (int64_t b = 0; b < kB; ++b)
      expect_close(yt.narrow(b, 1),
                   Tensor::wrap(full.data<float>() + (b * t + pos) * kD, {n * kD}, DType::f32),
                   1e-5, "step at " + std::to_string(pos));
    pos += n;
  }
}

TEST(MultiHeadAttention, CrossCacheEqualsFullForward) {
  ParamStore store;
  MultiHeadAttention mha(store, "attn", config());
  store.finalize(Device::cpu(), 5);
  Ctx ctx;
  Tensor q = random_tensor({kB, 3, kD}, 1), enc = random_tensor({kB, 4, kD}, 2);
  Tensor lens = lengths({2, 4});
  Tensor full = mha.forward(ctx, q, enc, lens, false).clone();
  KVCache cache;
  mha.init_cache(ctx, enc, lens, cache);
  EXPECT_TRUE(cache.fixed);
  expect_close(mha.forward_incremental(ctx, q, cache), full, 1e-5, "cross");
  EXPECT_EQ(cache.length(), 4);  // a fixed cache does not grow
}

TEST(MultiHeadAttention, ReorderedCacheContinuesReorderedSequences) {
  ParamStore store;
  MultiHeadAttention self(store, "self", config()), cross(store, "cross", config());
  store.finalize(Device::cpu(), 5);
  Ctx ctx;
  const int64_t t = 3;
  Tensor x = random_tensor({kB, t, kD}, 1), enc = random_tensor({kB, 4, kD}, 2);
  Tensor lens = lengths({4, 2});
  // Three hypotheses: rows 1, 0, 1 of the batch (beam expansion plus a swap).
  const std::vector<int32_t> idx{1, 0, 1};
  Tensor xr = Tensor::empty({3, t, kD}), encr = Tensor::empty({3, 4, kD});
  for (int r = 0; r < 3; ++r) {
    xr.narrow(r, 1).copy_from(x.narrow(idx[r], 1));
    encr.narrow(r, 1).copy_from(enc.narrow(idx[r], 1));
  }
  Tensor full_self = self.forward(ctx, xr, xr, Tensor(), true).clone();
  Tensor full_cross = cross.forward(ctx, xr, encr, lengths({2, 4, 2}), false).clone();
  KVCache sc, cc;
  cross.init_cache(ctx, enc, lens, cc);
  // Two steps on the original batch, then reorder, then the last step on the new rows.
  Tensor first = Tensor::empty({kB, 2, kD});
  for (int64_t b = 0; b < kB; ++b)
    first.narrow(b, 1).copy_from(x.narrow(b, 1).reshape({t, kD}).narrow(0, 2));
  self.forward_incremental(ctx, first, sc);
  // Two reorders before the next step compose: a swap {1, 0}, then rows {0, 1, 0} of that,
  // which is rows {1, 0, 1} (= idx) of the original.
  sc.reorder({1, 0});
  sc.reorder({0, 1, 0});
  cc.reorder(idx);
  EXPECT_EQ(sc.batch(), 3);
  EXPECT_EQ(cc.key_lengths_host, (std::vector<int32_t>{2, 4, 2}));
  Tensor last = Tensor::empty({3, 1, kD});
  for (int r = 0; r < 3; ++r)
    last.narrow(r, 1).copy_from(xr.narrow(r, 1).reshape({t, kD}).narrow(2, 1));
  Tensor ys = self.forward_incremental(ctx, last, sc);
  Tensor yc = cross.forward_incremental(ctx, last, cc);
  for (int r = 0; r < 3; ++r) {
    expect_close(ys.narrow(r, 1), full_self.narrow(r, 1).reshape({t, kD}).narrow(2, 1), 1e-5,
                 "self");
    expect_close(yc.narrow(r, 1), full_cross.narrow(r, 1).reshape({t, kD}).narrow(2, 1), 1e-5,
                 "cross");
  }
}

TEST(MultiHeadAttention, DropoutIsReproducibleAndActiveOnlyInTraining) {
  ParamStore store;
  MultiHeadAttention mha(store, "attn", config(0.5f));
  store.finalize(Device::cpu(), 5);
  Tensor x = random_tensor({kB, 4, kD}, 1);
  auto run = [&](bool training, uint64_t step) {
    Ctx ctx;
    ctx.training = training;
    ctx.seed = 3;
    ctx.begin_step(step);
    return mha.forward(ctx, x, x, Tensor(), false).to_vector();
  };
  EXPECT_EQ(run(true, 1), run(true, 1));
  EXPECT_NE(run(true, 1), run(true, 2));
  EXPECT_NE(run(true, 1), run(false, 1));
  EXPECT_EQ(run(false, 1), run(false, 2));
}

TEST(MultiHeadAttention, RejectsBadConfigAndShapes) {
  ParamStore store;
  AttentionConfig c = config();
  c.heads = 3;
  EXPECT_THROW(MultiHeadAttention(store, "bad", c), Error);
  MultiHeadAttention mha(store, "attn", config());
  store.finalize(Device::cpu(), 5);
  Ctx ctx;
  Tensor x = random_tensor({kB, 3, kD}, 1), wrong = random_tensor({kB, 3, kD + 1}, 2);
  EXPECT_THROW(mha.forward(ctx, x, wrong, Tensor(), false), InternalError);
  EXPECT_THROW(mha.forward(ctx, x, x, lengths({1, 2, 3}), false), InternalError);
}

// Per-call saved state: one layer attends twice (a recurrent decoder attends at every step)
// before both backwards run in reverse order; the input gradients equal single-use runs and the
// parameter gradients their sum.
TEST(MultiHeadAttention, RunsSeveralTimesBeforeItsBackwards) {
  ParamStore store;
  MultiHeadAttention mha(store, "attn", config());
  store.finalize(Device::cpu(), 5);
  Ctx ctx;
  ctx.training = true;
  Tensor enc = random_tensor({kB, 5, kD}, 21), lens = lengths({5, 3});
  Tensor q1 = random_tensor({kB, 1, kD}, 22), q2 = random_tensor({kB, 1, kD}, 23);
  Tensor d1 = random_tensor({kB, 1, kD}, 24), d2 = random_tensor({kB, 1, kD}, 25);
  auto single = [&](const Tensor& q, const Tensor& d) {
    store.zero_grad();
    mha.forward(ctx, q, enc, lens, false);
    auto g = mha.backward(ctx, d);
    return std::make_pair(g, store.grads().to_vector());
  };
  auto [g1, p1] = single(q1, d1);
  auto [g2, p2] = single(q2, d2);
  store.zero_grad();
  MultiHeadAttention::Saved s1, s2;
  mha.forward(ctx, q1, enc, lens, false, s1);
  mha.forward(ctx, q2, enc, lens, false, s2);
  auto h2 = mha.backward(ctx, d2, s2);
  auto h1 = mha.backward(ctx, d1, s1);
  expect_close(h1.dq_in, g1.dq_in, 1e-6, "dq 1");
  expect_close(h2.dq_in, g2.dq_in, 1e-6, "dq 2");
  expect_close(h1.dkv_in, g1.dkv_in, 1e-6, "dkv 1");
  auto both = store.grads().to_vector();
  for (size_t i = 0; i < both.size(); ++i) ASSERT_NEAR(both[i], p1[i] + p2[i], 1e-5) << i;
}

}  // namespace
}  // namespace moemt::nn
