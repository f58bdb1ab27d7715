// The grouped formulation of the expert FFNs (one ops::gemm_grouped per projection, what CUDA
// runs) against the per-expert one (what the CPU runs), both forced on the CPU: the forward,
// dx and every parameter gradient must be bit-identical, including experts with no rows,
// shared experts (overlapping outputs), and two calls before their backwards (the second
// gradient of a step adds with beta 1). Then the same at MoE-layer level, and on cuda:0.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/cuda_runtime.h"
#include "moe/expert_bank.h"
#include "moe_fixture.h"
#include "nn/precision.h"

namespace moemt::moe {
namespace {

struct Bank {
  ParamStore ps;
  std::unique_ptr<ExpertBank> bank;
  Bank(ExpertGemm g, Device d, DType precision) {
    bank = std::make_unique<ExpertBank>(ps, "ex", 4, 6, 5, ops::Activation::gelu,
                                        ParamGroup::expert);
    ps.finalize(d, 7);
    nn::set_compute_precision(ps, precision);  // bf16: the GEMMs read rounded operands
    bank->set_gemm(g);
  }
};

// Bit-identical when tol is 0, else within tol of the largest magnitude of `want`.
void expect_same(const Tensor& got, const Tensor& want, const char* what, double tol = 0) {
  auto g = got.to(Device::cpu()).to_vector(), w = want.to(Device::cpu()).to_vector();
  ASSERT_EQ(g.size(), w.size()) << what;
  double scale = 0;
  for (float v : w) scale = std::max(scale, static_cast<double>(std::abs(v)));
  for (size_t i = 0; i < g.size(); ++i) {
    if (tol == 0)
      ASSERT_EQ(g[i], w[i]) << what << " [" << i << "]";
    else
      ASSERT_NEAR(g[i], w[i], tol * scale) << what << " [" << i << "]";
  }
}

// Two routed calls (expert 2 gets no rows in the first) and one shared call in one step.
struct Outputs {
  Tensor y1, y2, ys, dx1, dx2, dxs, grads;
};
Outputs run(ExpertGemm g, Device d = Device::cpu(), DType precision = DType::f32) {
  Bank b(g, d, precision);
  b.ps.zero_grad();
  const std::vector<int64_t> off1 = {0, 3, 7, 7, 10}, off2 = {0, 1, 2, 6, 9};
  auto input = [&](const Shape& s, uint64_t stream) { return nn::random_tensor(s, stream).to(d); };
  Tensor x1 = input({10, 6}, 1), x2 = input({9, 6}, 2), xs = input({5, 6}, 3);
  ExpertBank::Saved s1, s2, ss;
  Outputs o;
  o.y1 = b.bank->forward_grouped(x1, off1, s1);
  o.y2 = b.bank->forward_grouped(x2, off2, s2);
  o.ys = input({5, 6}, 4);  // shared experts add into y
  b.bank->forward_all(xs, o.ys, ss);
  o.dxs = b.bank->backward(input({5, 6}, 7), ss);
  o.dx2 = b.bank->backward(input({9, 6}, 6), s2);
  o.dx1 = b.bank->backward(input({10, 6}, 5), s1);
  o.grads = b.ps.grads().to(Device::cpu());
  return o;
}

void expect_all_same(const Outputs& g, const Outputs& p, double tol) {
  expect_same(g.y1, p.y1, "y1", tol);
  expect_same(g.y2, p.y2, "y2", tol);
  expect_same(g.ys, p.ys, "shared y", tol);
  expect_same(g.dx1, p.dx1, "dx1", tol);
  expect_same(g.dx2, p.dx2, "dx2", tol);
  expect_same(g.dxs, p.dxs, "shared dx", tol);
  expect_same(g.grads, p.grads, "parameter gradients", tol);
}

TEST(ExpertGemm, GroupedMatchesPerExpertBitForBit) {
  const Outputs p = run(ExpertGemm::per_expert), g = run(ExpertGemm::grouped);
  expect_all_same(g, p, 0);
  // The test would pass vacuously if every gradient stayed zero.
  double norm = 0;
  for (float v : p.grads.to_vector()) norm += static_cast<double>(v) * v;
  EXPECT_GT(norm, 0.0);
}

// Mixed precision (bf16 GEMM inputs, f32 accumulation): both forms stay bit-identical on the
// CPU, and both differ from f32 by bf16 rounding only (within 3e-2 of the largest value).
TEST(ExpertGemm, Bf16GroupedMatchesPerExpertBitForBit) {
  const Outputs p = run(ExpertGemm::per_expert, Device::cpu(), DType::bf16);
  const Outputs g = run(ExpertGemm::grouped, Device::cpu(), DType::bf16);
  expect_all_same(g, p, 0);
  const Outputs f = run(ExpertGemm::per_expert);
  expect_all_same(p, f, 3e-2);
  EXPECT_NE(p.grads.to_vector(), f.grads.to_vector());  // the bf16 operands were used
}

TEST(ExpertGemm, MoeLayerGroupedMatchesPerExpert) {
  MoeConfig c;
  c.num_experts = 8;
  c.top_k = 2;
  c.num_shared_experts = 1;
  c.router_init_std = 0.3f;
  c.capacity_factor_train = 0.75f;  // some slots dropped, some experts nearly idle
  Tensor x = nn::random_tensor({24, 6}, 9), probe = nn::random_tensor({24, 6}, 10);
  Tensor dx[2], grads[2];
  double loss[2];
  for (int i = 0; i < 2; ++i) {
    testing::MoeFixture f(c);
    f.layer->set_expert_gemm(i == 0 ? ExpertGemm::per_expert : ExpertGemm::grouped);
    dx[i] = f.backward_grads(x, probe);
    loss[i] = f.loss(x, probe);
    grads[i] = f.ps.grads();
  }
  EXPECT_EQ(loss[1], loss[0]);
  expect_same(dx[1], dx[0], "dx");
  expect_same(grads[1], grads[0], "parameter gradients");
}

// On cuda:0 (skips without a GPU; compiled, not run on a GPU so far): the grouped cuBLAS call
// against the per-expert loop on the GPU and against the CPU, within 1e-5 of the largest value.
TEST(CudaParity, ExpertBankGroupedMatchesPerExpertAndCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Outputs cpu = run(ExpertGemm::per_expert);
  const Outputs loop = run(ExpertGemm::per_expert, Device::cuda(0));
  const Outputs grouped = run(ExpertGemm::grouped, Device::cuda(0));
  expect_all_same(grouped, loop, 1e-5);
  expect_all_same(grouped, cpu, 1e-5);
}

// bf16 inputs on cuda:0 (cuBLAS grouped bf16 call, f32 accumulation) against the CPU's bf16
// reference: an activation may round to a neighbouring bf16 value where the sums' order
// differs, so within 1e-2 of the largest value.
TEST(CudaParity, ExpertBankBf16GroupedMatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Outputs cpu = run(ExpertGemm::per_expert, Device::cpu(), DType::bf16);
  const Outputs loop = run(ExpertGemm::per_expert, Device::cuda(0), DType::bf16);
  const Outputs grouped = run(ExpertGemm::grouped, Device::cuda(0), DType::bf16);
  expect_all_same(grouped, loop, 1e-5);
  expect_all_same(grouped, cpu, 1e-2);
}

}  // namespace
}  // namespace moemt::moe
