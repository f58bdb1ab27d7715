// The grouped formulation of the expert FFNs (one ops::gemm_grouped per projection, what CUDA
// runs) against the per-expert one (what the CPU runs), both forced on the CPU: the forward,
// dx and every parameter gradient must be bit-identical, including experts with no rows,
// shared experts (overlapping outputs), and two calls before their backwards (the second
// gradient of a step adds with beta 1). Then the same at MoE-layer level.
#include <gtest/gtest.h>

#include <memory>

#include "moe/expert_bank.h"
#include "moe_fixture.h"

namespace moemt::moe {
namespace {

struct Bank {
  ParamStore ps;
  std::unique_ptr<ExpertBank> bank;
  explicit Bank(ExpertGemm g) {
    bank = std::make_unique<ExpertBank>(ps, "ex", 4, 6, 5, ops::Activation::gelu,
                                        ParamGroup::expert);
    ps.finalize(Device::cpu(), 7);
    bank->set_gemm(g);
  }
};

void expect_same(const Tensor& got, const Tensor& want, const char* what) {
  auto g = got.to_vector(), w = want.to_vector();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) ASSERT_EQ(g[i], w[i]) << what << " [" << i << "]";
}

// Two routed calls (expert 2 gets no rows in the first) and one shared call in one step.
struct Outputs {
  Tensor y1, y2, ys, dx1, dx2, dxs, grads;
};
Outputs run(ExpertGemm g) {
  Bank b(g);
  b.ps.zero_grad();
  const std::vector<int64_t> off1 = {0, 3, 7, 7, 10}, off2 = {0, 1, 2, 6, 9};
  Tensor x1 = nn::random_tensor({10, 6}, 1), x2 = nn::random_tensor({9, 6}, 2);
  Tensor xs = nn::random_tensor({5, 6}, 3);
  ExpertBank::Saved s1, s2, ss;
  Outputs o;
  o.y1 = b.bank->forward_grouped(x1, off1, s1);
  o.y2 = b.bank->forward_grouped(x2, off2, s2);
  o.ys = nn::random_tensor({5, 6}, 4);  // shared experts add into y
  b.bank->forward_all(xs, o.ys, ss);
  o.dxs = b.bank->backward(nn::random_tensor({5, 6}, 7), ss);
  o.dx2 = b.bank->backward(nn::random_tensor({9, 6}, 6), s2);
  o.dx1 = b.bank->backward(nn::random_tensor({10, 6}, 5), s1);
  o.grads = b.ps.grads().to(Device::cpu());
  return o;
}

TEST(ExpertGemm, GroupedMatchesPerExpertBitForBit) {
  const Outputs p = run(ExpertGemm::per_expert), g = run(ExpertGemm::grouped);
  expect_same(g.y1, p.y1, "y1");
  expect_same(g.y2, p.y2, "y2");
  expect_same(g.ys, p.ys, "shared y");
  expect_same(g.dx1, p.dx1, "dx1");
  expect_same(g.dx2, p.dx2, "dx2");
  expect_same(g.dxs, p.dxs, "shared dx");
  expect_same(g.grads, p.grads, "parameter gradients");
  // The test would pass vacuously if every gradient stayed zero.
  double norm = 0;
  for (float v : p.grads.to_vector()) norm += static_cast<double>(v) * v;
  EXPECT_GT(norm, 0.0);
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

}  // namespace
}  // namespace moemt::moe
