// Mixed precision at the layers (--precision bfloat16): the store keeps f32 master weights and a
// bf16 copy equal to their cast; a bf16 Linear equals the f32 Linear run on the rounded input,
// weights and output gradient (bit for bit on the CPU, which widens bf16 to f32 before the same
// BLAS call; 1e-5 of the largest value on CUDA, where cuBLAS sums in another order); attention
// and the output layer stay within bf16 rounding of f32 and their gradients flow.
#include "nn/precision.h"

#include <gtest/gtest.h>

#include <cmath>

#include "device_test.h"
#include "nn/attention.h"
#include "nn/gradcheck.h"
#include "nn/linear.h"
#include "nn/output_layer.h"
#include "ops/cross_entropy.h"

namespace moemt::nn {
namespace {

// t rounded to bf16 and widened back: the value a bf16 GEMM reads, in f32.
Tensor rounded(const Tensor& t) { return in_dtype(in_dtype(t, DType::bf16), DType::f32); }

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::abs(x)));
  return m;
}

// Elementwise |a - b| <= rel * max|b|; rel 0 means bit-identical.
void expect_close(const Tensor& a, const Tensor& b, double rel, const std::string& what) {
  auto x = a.to_vector(), y = b.to_vector();
  ASSERT_EQ(x.size(), y.size()) << what;
  if (rel == 0) {
    EXPECT_EQ(x, y) << what;
    return;
  }
  const double tol = rel * max_abs(y);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], tol) << what << " element " << i;
}

// Largest |a - b| relative to max|b|.
double rel_diff(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector(), y = b.to_vector();
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(static_cast<double>(x[i]) - y[i]));
  return d / max_abs(y);
}

}  // namespace

class MixedPrecisionTest : public moemt::testing::DeviceTest {
 protected:
  // Exact on the CPU (same BLAS call on widened inputs); cuBLAS's bf16 kernels sum otherwise.
  double exact_tol() const { return dev().is_cpu() ? 0.0 : 1e-5; }
};

TEST_P(MixedPrecisionTest, StoreKeepsF32MastersAndABf16Copy) {
  MOEMT_NEEDS_KERNELS("cast");
  ParamStore store;
  Linear lin(store, "l", 6, 5);
  store.finalize(dev(), 3);
  EXPECT_EQ(store.compute_dtype(), DType::f32);
  EXPECT_EQ(lin.weight.wc().raw(), lin.weight.w().raw());  // without a copy: the value itself
  set_compute_precision(store, DType::bf16);
  EXPECT_EQ(store.compute_dtype(), DType::bf16);
  EXPECT_EQ(store.values().dtype(), DType::f32);
  EXPECT_EQ(store.grads().dtype(), DType::f32);
  EXPECT_EQ(lin.weight.wc().dtype(), DType::bf16);
  EXPECT_EQ(lin.weight.wc().shape(), lin.weight.w().shape());
  EXPECT_EQ(in_dtype(lin.weight.wc(), DType::f32).to_vector(), rounded(lin.weight.w()).to_vector());
  // A change of the masters reaches the copy at the next refresh, not before.
  Tensor w = lin.weight.w();
  w.copy_from(on(random_tensor(w.shape(), 9)));
  EXPECT_NE(in_dtype(lin.weight.wc(), DType::f32).to_vector(), rounded(w).to_vector());
  refresh_compute_copy(store);
  EXPECT_EQ(in_dtype(lin.weight.wc(), DType::f32).to_vector(), rounded(w).to_vector());
  set_compute_precision(store, DType::f32);
  EXPECT_EQ(store.compute_dtype(), DType::f32);
}

TEST_P(MixedPrecisionTest, Bf16LinearEqualsF32LinearOnRoundedValues) {
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "cast");
  ParamStore s16, s32;
  Linear l16(s16, "l", 6, 5), l32(s32, "l", 6, 5);
  s16.finalize(dev(), 3);
  s32.finalize(dev(), 3);
  Tensor b16 = l16.bias.w();
  b16.copy_from(on(random_tensor({5}, 4)));
  set_compute_precision(s16, DType::bf16);
  s32.values().copy_from(rounded(s16.values()));
  Tensor b32 = l32.bias.w();
  b32.copy_from(b16);  // biases are added in f32: the masters, not rounded
  Ctx ctx;
  ctx.device = dev();
  ctx.training = true;
  Tensor x = on(random_tensor({2, 3, 6}, 1)), dy = on(random_tensor({2, 3, 5}, 2));

  Linear::Saved sv16, sv32;
  Tensor y16 = l16.forward(ctx, x, sv16), y32 = l32.forward(ctx, rounded(x), sv32);
  EXPECT_EQ(y16.dtype(), DType::f32);
  EXPECT_EQ(sv16.x.dtype(), DType::bf16);  // saved for backward at half the size
  expect_close(y16, y32, exact_tol(), "y");
  expect_close(l16.apply(x), y32, exact_tol(), "apply");
  // Rounding is real: the f32 layer on the unrounded input differs by about 2^-8.
  ParamStore f32;
  Linear lf(f32, "l", 6, 5);
  f32.finalize(dev(), 3);
  Tensor bf = lf.bias.w();
  bf.copy_from(b16);
  const double d = rel_diff(y16, lf.apply(x));
  EXPECT_GT(d, 1e-4);
  EXPECT_LT(d, 2e-2);

  s16.zero_grad();
  s32.zero_grad();
  Tensor dx16 = l16.backward(ctx, dy, sv16), dx32 = l32.backward(ctx, rounded(dy), sv32);
  expect_close(dx16, dx32, exact_tol(), "dx");
  expect_close(l16.weight.g(), l32.weight.g(), exact_tol(), "dW");
  // db sums the f32 dy (bias_grad is not a GEMM).
  std::vector<float> dyv = dy.to_vector(), want(5, 0.f);
  for (size_t i = 0; i < dyv.size(); ++i) want[i % 5] += dyv[i];
  expect_close(l16.bias.g(), Tensor::from_vector(want, {5}), 1e-6, "db");
  EXPECT_EQ(l16.weight.g().dtype(), DType::f32);
}

// Attention and the output layer in bf16 against the same layers in f32 from the same masters:
// outputs, input gradients and weight gradients within bf16 rounding (2^-8 relative per
// rounded operand; stated: 3e-2 of the largest value), and all of them non-trivially different
// from f32 (the bf16 path is taken).
TEST_P(MixedPrecisionTest, AttentionAndOutputLayerTrackF32) {
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "cast", "softmax", "heads", "cross_entropy", "compact",
                      "embedding", "fill");
  AttentionConfig ac;
  ac.d_model = 8;
  ac.heads = 2;
  ParamStore s16, s32;
  MultiHeadAttention a16(s16, "att", ac), a32(s32, "att", ac);
  OutputLayer o16(s16, "out", {.vocab = 11, .dim = 8, .bias = true});
  OutputLayer o32(s32, "out", {.vocab = 11, .dim = 8, .bias = true});
  s16.finalize(dev(), 5);
  s32.finalize(dev(), 5);
  set_compute_precision(s16, DType::bf16);
  Ctx ctx;
  ctx.device = dev();
  ctx.training = true;
  Tensor x = on(random_tensor({2, 4, 8}, 1)), dy = on(random_tensor({2, 4, 8}, 2));
  Tensor lens = on(Tensor::from_vector(std::vector<int32_t>{4, 3}, {2}));
  Tensor targets = on(Tensor::from_vector(std::vector<int32_t>{1, 4, 7, 2, 9, 3, 0, 0}, {2, 4}));

  MultiHeadAttention::Saved sv16, sv32;
  Tensor y16 = a16.forward(ctx, x, x, lens, true, sv16);
  Tensor y32 = a32.forward(ctx, x, x, lens, true, sv32);
  EXPECT_EQ(sv16.core.q.dtype(), DType::bf16);
  s16.zero_grad();
  s32.zero_grad();
  auto g16 = a16.backward(ctx, dy, sv16);
  auto g32 = a32.backward(ctx, dy, sv32);
  auto l16 = o16.loss_forward_backward(ctx, y16, targets, 0.1f, 0, 1.f);
  auto l32 = o32.loss_forward_backward(ctx, y32, targets, 0.1f, 0, 1.f);
  const std::vector<std::pair<std::string, std::pair<Tensor, Tensor>>> pairs = {
      {"attention y", {y16, y32}},
      {"attention dq_in", {g16.dq_in, g32.dq_in}},
      {"attention dkv_in", {g16.dkv_in, g32.dkv_in}},
      {"output dx", {l16.dx, l32.dx}},
      {"logits", {o16.logits(ctx, y32), o32.logits(ctx, y32)}},
      {"all weight gradients", {s16.grads(), s32.grads()}}};
  for (const auto& [what, t] : pairs) {
    const double d = rel_diff(t.first, t.second);
    EXPECT_LT(d, 3e-2) << what;
    EXPECT_GT(d, 1e-5) << what << ": no rounding seen, the bf16 path was not taken";
  }
  const double loss16 = ops::read_cross_entropy_stats_to_host(l16.stats).loss_sum;
  const double loss32 = ops::read_cross_entropy_stats_to_host(l32.stats).loss_sum;
  EXPECT_NEAR(loss16, loss32, 1e-2 * std::abs(loss32));
}

MOEMT_INSTANTIATE_ON_DEVICES(MixedPrecisionTest);

}  // namespace moemt::nn
