// Finite-difference gradient checks of MoeLayer: gate combine and experts, the router, the
// noise path, each balancing loss on its own, learned group gates and shared experts.
// Tolerance: relative error (|num - ana| / max(1e-3, |num| + |ana|)) below 2e-2 with central
// differences of step 1e-2 on f32 parameters; router weights start wide (std 0.5) so that no
// perturbation changes the top-k selection.
#include <gtest/gtest.h>

#include <algorithm>

#include "moe/moe_layer.h"
#include "moe_fixture.h"

namespace moemt::moe {
namespace {

using testing::MoeFixture;
constexpr double kTol = 2e-2;

MoeConfig base_config() {
  MoeConfig c;
  c.num_experts = 4;
  c.top_k = 2;
  c.router_init_std = 0.5f;
  c.switch_loss_coef = 0;
  c.z_loss_coef = 0;
  c.capacity_factor_train = 0;  // dropless: capacity cuts are not differentiable
  return c;
}

// Checks dL/d(param) for each named parameter and dL/dx.
void check_all(MoeFixture& f, const Tensor& x, const Tensor& probe,
               const std::vector<std::string>& params, bool check_x = true) {
  Tensor dx = f.backward_grads(x, probe);
  auto loss = [&] { return f.loss(x, probe); };
  for (const auto& name : params) {
    Param p = f.ps.get(name);
    auto r = nn::grad_check(loss, p.w(), p.g().clone(), 24);
    EXPECT_LT(r.max_rel_err, kTol) << name << ": " << r.worst;
  }
  if (check_x) {
    auto r = nn::grad_check(loss, x, dx, 24);
    EXPECT_LT(r.max_rel_err, kTol) << "x: " << r.worst;
  }
}

TEST(MoeGradCheck, GateCombineExpertsAndRouter) {
  for (bool renorm : {true, false}) {
    MoeConfig c = base_config();
    c.renormalize = renorm;
    MoeFixture f(c);
    Tensor x = nn::random_tensor({7, 6}, 1);
    Tensor probe = nn::random_tensor({7, 6}, 2);
    check_all(f, x, probe,
              {"moe.router.wg", "moe.experts.0.w1", "moe.experts.1.b1", "moe.experts.2.w2",
               "moe.experts.3.b2"});
  }
}

TEST(MoeGradCheck, WithCapacityDrops) {
  MoeConfig c = base_config();
  c.capacity_factor_train = 0.5f;  // capacity 4 for an average demand of 8 slots per expert
  c.min_capacity = 1;
  c.switch_loss_coef = 0.1f;
  MoeFixture f(c);
  Tensor x = nn::random_tensor({16, 6}, 8);
  Tensor probe = nn::random_tensor({16, 6}, 9);
  f.loss(x, probe);
  EXPECT_GT(f.layer->plan().read_to_host().dropped.size(), 0u);
  check_all(f, x, probe, {"moe.router.wg", "moe.experts.1.w1", "moe.experts.2.b2"});
}

TEST(MoeGradCheck, NoisePath) {
  MoeConfig c = base_config();
  c.noisy_gating = true;
  c.noise_scale = 0.7f;
  MoeFixture f(c);
  Tensor x = nn::random_tensor({7, 6}, 3);
  Tensor probe = nn::random_tensor({7, 6}, 4);
  check_all(f, x, probe, {"moe.router.wg", "moe.router.wnoise"});
}

// Each balancing loss alone, with a zero probe so the loss is only the balancing term.
void check_balance_loss(void (*set)(MoeConfig&), const char* what) {
  MoeConfig c = base_config();
  c.noisy_gating = true;
  set(c);
  MoeFixture f(c);
  Tensor x = nn::random_tensor({9, 6}, 5);
  Tensor probe = Tensor::zeros({9, 6});
  EXPECT_GT(f.loss(x, probe), 0.0) << what;
  SCOPED_TRACE(what);
  check_all(f, x, probe, {"moe.router.wg", "moe.router.wnoise"});
}

TEST(MoeGradCheck, ImportanceLoss) {
  check_balance_loss([](MoeConfig& c) { c.importance_loss_coef = 1.f; }, "importance");
}
TEST(MoeGradCheck, LoadLoss) {
  check_balance_loss([](MoeConfig& c) { c.load_loss_coef = 1.f; }, "load");
}
TEST(MoeGradCheck, SwitchLoss) {
  check_balance_loss([](MoeConfig& c) { c.switch_loss_coef = 1.f; }, "switch");
}
TEST(MoeGradCheck, ZLoss) {
  check_balance_loss([](MoeConfig& c) { c.z_loss_coef = 1.f; }, "z");
}

TEST(MoeGradCheck, AllLossesWithLearnedGroupsAndSharedExpert) {
  MoeConfig c = base_config();
  c.num_experts = 6;
  c.num_groups = 2;
  c.group_by = GroupBy::learned;
  c.noisy_gating = true;
  c.importance_loss_coef = 0.3f;
  c.load_loss_coef = 0.3f;
  c.switch_loss_coef = 0.3f;
  c.z_loss_coef = 0.3f;
  c.num_shared_experts = 1;
  MoeFixture f(c);
  Tensor x = nn::random_tensor({8, 6}, 6);
  Tensor probe = nn::random_tensor({8, 6}, 7);
  check_all(f, x, probe,
            {"moe.router.wg", "moe.router.wnoise", "moe.group_router.wg", "moe.group_router.wnoise",
             "moe.shared.0.w1", "moe.shared.0.b2", "moe.experts.4.w1"});
}

// A sub-model's group gate chooses among its kept groups (group 1 of 3 is gone): tokens whose
// best group is 1 are re-routed, and their gates (the full softmax's probability of the group
// taken) differentiate like any other.
TEST(MoeGradCheck, SubModelGroupGateReroutesToKeptGroups) {
  MoeConfig c = base_config();
  c.num_experts = 6;
  c.num_groups = 3;
  c.group_by = GroupBy::learned;
  c.kept_groups = {0, 2};
  c.importance_loss_coef = 0.3f;
  MoeFixture f(c);
  Tensor x = nn::random_tensor({12, 6}, 8);
  Tensor probe = nn::random_tensor({12, 6}, 9);
  check_all(f, x, probe,
            {"moe.router.wg", "moe.group_router.wg", "moe.experts.0.w1", "moe.experts.5.b2"});
  // The full layer (same seed: the same values for the same names, the same noise) picks
  // group 1 for some tokens; the sub-model for none, and the same group for the others.
  MoeConfig full_cfg = c;
  full_cfg.kept_groups.clear();
  MoeFixture full(full_cfg);
  full.loss(x, probe);
  f.loss(x, probe);
  const auto want = full.layer->token_groups().to_ivector();
  const auto got = f.layer->token_groups().to_ivector();
  EXPECT_GT(std::count(want.begin(), want.end(), 1), 0);
  EXPECT_EQ(std::count(got.begin(), got.end(), 1), 0);
  for (size_t t = 0; t < want.size(); ++t)
    if (want[t] != 1) EXPECT_EQ(got[t], want[t]) << "token " << t;
}

}  // namespace
}  // namespace moemt::moe
