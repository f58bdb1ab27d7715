// Expert parallelism of the MoE layer under mpirun (tests/CMakeLists.txt runs it with -np 2 and
// -np 3): each rank routes its own rows, the experts are spread over the ranks, and forward and
// backward equal the one-process layer on all rows (computed on every rank as the reference),
// with uneven and empty per-rank token counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../moe_fixture.h"
#include "dist/communicator.h"

namespace moemt::moe {
namespace {

dist::Communicator* g_world = nullptr;

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double w = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    w = std::max(w, static_cast<double>(std::fabs(a[i] - b[i])));
  return w;
}

// Dropless, noiseless, no balancing losses, one shared expert; 6 experts suit 2 and 3 ranks.
MoeConfig exact_config() {
  MoeConfig c;
  c.num_experts = 6;
  c.top_k = 2;
  c.router_init_std = 0.5f;
  c.capacity_factor_train = 0.f;
  c.switch_loss_coef = c.z_loss_coef = 0.f;
  c.num_shared_experts = 1;
  return c;
}

TEST(ExpertParallelMpi, ForwardBackwardEqualOneProcess) {
  dist::Communicator& world = *g_world;
  const int g = world.size(), me = world.rank();
  const MoeConfig c = exact_config();
  // Per-rank row counts: uneven; the first rank empty; all rows on the last rank.
  std::vector<std::vector<int64_t>> cases(3, std::vector<int64_t>(g, 0));
  for (int r = 0; r < g; ++r) {
    cases[0][r] = 3 + 5 * r;
    cases[1][r] = r == 0 ? 0 : 7;
  }
  cases[2][g - 1] = 10;
  for (const auto& counts : cases) {
    int64_t n = 0, start = 0;
    for (int64_t k : counts) n += k;
    for (int r = 0; r < me; ++r) start += counts[r];
    const std::string what = fmt::format("rank {} counts {}", me, fmt::join(counts, ","));
    Tensor x = nn::random_tensor({n, 6}, 31), dy = nn::random_tensor({n, 6}, 32);
    testing::MoeFixture one(c), ep(c);
    one.ps.zero_grad();
    Tensor y = one.layer->forward(one.ctx, x), dx = one.layer->backward(one.ctx, dy);
    ep.layer->set_expert_group(&world);
    ep.ps.zero_grad();
    ep.ctx.begin_step(1);
    const int64_t m = counts[me];
    Tensor ye = ep.layer->forward(ep.ctx, x.narrow(start, m).clone());
    Tensor dxe = ep.layer->backward(ep.ctx, dy.narrow(start, m).clone());
    if (m > 0) {
      EXPECT_LT(max_diff(ye.to_vector(), y.narrow(start, m).clone().to_vector()), 1e-5) << what;
      EXPECT_LT(max_diff(dxe.to_vector(), dx.narrow(start, m).clone().to_vector()), 1e-5) << what;
    }
    // Dense gradients summed over the ranks; expert gradients on their owner only.
    Tensor dense = ep.ps.grads().narrow(0, ep.ps.dense_numel()).clone();
    world.all_reduce_sum(dense, "dense gradients");
    EXPECT_LT(max_diff(dense.to_vector(),
                       one.ps.grads().narrow(0, one.ps.dense_numel()).clone().to_vector()),
              1e-5)
        << what;
    for (int e = 0; e < c.num_experts; ++e) {
      const bool local = e >= ep.layer->first_local_expert() &&
                         e < ep.layer->first_local_expert() + ep.layer->num_local_experts();
      for (const char* p : {"w1", "b1", "w2", "b2"}) {
        const std::string name = fmt::format("moe.experts.{}.{}", e, p);
        std::vector<float> want = one.ps.get(name).g().to_vector();
        if (!local) std::fill(want.begin(), want.end(), 0.f);
        EXPECT_LT(max_diff(ep.ps.get(name).g().to_vector(), want), 1e-5) << what << " " << name;
      }
    }
  }
}

}  // namespace
}  // namespace moemt::moe

int main(int argc, char** argv) {
  auto world = moemt::dist::make_mpi_world(30);
  moemt::moe::g_world = world.get();
  ::testing::InitGoogleTest(&argc, argv);
  // One rank prints the results; failures on any rank still fail the job (exit code below).
  if (world->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  double failed = rc != 0 ? 1 : 0;
  world->all_reduce_sum(&failed, 1, "test results");
  if (failed > 0 && rc == 0)
    std::fprintf(stderr, "rank %d: passed, but %g rank(s) failed\n", world->rank(), failed);
  world.reset();
  return failed > 0 ? 1 : 0;
}
