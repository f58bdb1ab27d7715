// MoeLayer forward against a per-token reference (k = 1, 2, 4), capacity dropping at layer
// level, padding rows, hierarchical group restriction and determinism of the gating noise.
#include "moe/moe_layer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/threads.h"
#include "moe/routing_stats.h"
#include "moe_fixture.h"

namespace moemt::moe {
namespace {

using testing::aux_loss_of;
using testing::MoeFixture;

// Reference: every token through every chosen expert with plain loops in double.
std::vector<double> reference(MoeFixture& f, const Tensor& x, const MoeConfig& c,
                              const std::vector<int32_t>& dropped_slots = {}) {
  const int64_t n = x.size(0), d = x.size(1);
  const int e = c.num_experts, k = c.top_k;
  auto xv = x.to_vector();
  auto wg = f.ps.get("moe.router.wg").w().to_vector();
  std::vector<double> out(n * d, 0.0);
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> logit(e, 0.0);
    for (int i = 0; i < e; ++i)
      for (int64_t c2 = 0; c2 < d; ++c2) logit[i] += xv[t * d + c2] * wg[c2 * e + i];
    std::vector<int> order(e);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logit[a] > logit[b]; });
    double mx = logit[order[0]], s_all = 0, s_kept = 0;
    for (int i = 0; i < e; ++i) s_all += std::exp(logit[i] - mx);
    for (int j = 0; j < k; ++j) s_kept += std::exp(logit[order[j]] - mx);
    for (int j = 0; j < k; ++j) {
      if (std::find(dropped_slots.begin(), dropped_slots.end(), t * k + j) != dropped_slots.end())
        continue;
      int ex = order[j];
      double gate = std::exp(logit[ex] - mx) / (c.renormalize ? s_kept : s_all);
      const auto& w = f.layer->experts().expert(ex);
      auto w1 = w.w1.w().to_vector(), b1 = w.b1.w().to_vector(), w2 = w.w2.w().to_vector(),
           b2 = w.b2.w().to_vector();
      int64_t ff = static_cast<int64_t>(b1.size());
      std::vector<double> h(ff);
      for (int64_t q = 0; q < ff; ++q) {
        double v = b1[q];
        for (int64_t c2 = 0; c2 < d; ++c2) v += xv[t * d + c2] * w1[c2 * ff + q];
        h[q] = v > 0 ? v : 0;  // relu
      }
      for (int64_t c2 = 0; c2 < d; ++c2) {
        double v = b2[c2];
        for (int64_t q = 0; q < ff; ++q) v += h[q] * w2[q * d + c2];
        out[t * d + c2] += gate * v;
      }
    }
  }
  return out;
}

TEST(MoeLayer, MatchesPerTokenReferenceForK124) {
  for (int k : {1, 2, 4}) {
    for (bool renorm : {true, false}) {
      MoeConfig c;
      c.num_experts = 8;
      c.top_k = k;
      c.renormalize = renorm;
      c.router_init_std = 0.3f;
      c.capacity_factor_train = 0;
      MoeFixture f(c, 16, 12, ops::Activation::relu);
      Tensor x = nn::random_tensor({40, 16}, 10 + k);
      Tensor y = f.layer->forward(f.ctx, x);
      auto ref = reference(f, x, c);
      auto yv = y.to_vector();
      double worst = 0;
      for (size_t i = 0; i < yv.size(); ++i) worst = std::max(worst, std::abs(yv[i] - ref[i]));
      EXPECT_LT(worst, 1e-4) << "k=" << k << " renormalize=" << renorm;
      EXPECT_EQ(f.layer->plan().num_rows(), 40 * k);
      EXPECT_EQ(f.layer->plan().read_to_host().num_rows(), 40 * k);
    }
  }
}

TEST(MoeLayer, ExpertParamsAreInTheExpertGroupAndRoutersInFp32Dense) {
  MoeConfig c;
  c.num_experts = 4;
  c.num_groups = 2;
  c.group_by = GroupBy::learned;
  c.noisy_gating = true;
  c.num_shared_experts = 1;
  MoeFixture f(c, 8, 6);
  int experts = 0, dense = 0;
  for (int i = 0; i < f.ps.size(); ++i) {
    const auto& info = f.ps.info(i);
    bool is_expert = info.name.rfind("moe.experts.", 0) == 0;
    EXPECT_EQ(info.group == ParamGroup::expert, is_expert) << info.name;
    if (is_expert) {
      ++experts;
      EXPECT_GE(info.offset, f.ps.dense_numel()) << info.name;
    } else {
      ++dense;
      EXPECT_LT(info.offset, f.ps.dense_numel()) << info.name;
    }
  }
  EXPECT_EQ(experts, 16);   // 4 experts x (w1, b1, w2, b2)
  EXPECT_EQ(dense, 4 + 4);  // router wg/wnoise, group router wg/wnoise, shared w1 b1 w2 b2
  EXPECT_EQ(f.ps.get("moe.router.wg").w().dtype(), DType::f32);
}

TEST(MoeLayer, DroppedSlotsContributeNothing) {
  MoeConfig c;
  c.num_experts = 4;
  c.top_k = 2;
  c.router_init_std = 1.0f;
  c.capacity_factor_train = 0.5f;  // capacity = ceil(0.5*2*32/4) = 8 of an average demand 16
  c.min_capacity = 1;
  MoeFixture f(c, 8, 6, ops::Activation::relu);
  Tensor x = nn::random_tensor({32, 8}, 20);
  Tensor y = f.layer->forward(f.ctx, x);
  const HostRoutingPlan p = f.layer->plan().read_to_host();
  for (int e = 0; e < 4; ++e) {
    EXPECT_EQ(p.capacity[e], 8);
    EXPECT_LE(p.rows_of(e), 8);
  }
  EXPECT_GE(p.dropped.size(), 64u - 32u);  // 64 slots, at most 32 rows
  auto ref = reference(f, x, c, p.dropped);
  auto yv = y.to_vector();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_NEAR(yv[i], ref[i], 1e-4);
  // The drop rate is measured and reaches the statistics.
  RoutingStats stats;
  f.ctx.routing_stats = &stats;
  f.layer->forward(f.ctx, x);
  auto j = stats.to_json();
  EXPECT_DOUBLE_EQ(j["moe"]["drop_fraction"].get<double>(), p.drop_fraction());
}

TEST(MoeLayer, PaddingRowsUseNoCapacityAndGetZeroOutput) {
  MoeConfig c;
  c.num_experts = 4;
  c.top_k = 2;
  c.capacity_factor_train = 1.0f;
  c.min_capacity = 1;
  c.switch_loss_coef = 0.1f;
  MoeFixture f(c, 8, 6);
  Tensor x = nn::random_tensor({12, 8}, 21);
  f.ctx.row_valid = {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0};
  RoutingStats stats;
  f.ctx.routing_stats = &stats;
  f.ctx.reset_aux_loss();
  Tensor y = f.layer->forward(f.ctx, x);
  const HostRoutingPlan p = f.layer->plan().read_to_host();
  EXPECT_EQ(p.valid_tokens, 6);
  EXPECT_EQ(p.capacity[0], 3);  // ceil(1.0 * 2 * 6 / 4), padding not counted
  int64_t routed = 0;
  for (auto v : p.demand) routed += v;
  EXPECT_EQ(routed, 12);
  auto yv = y.to_vector();
  for (int t : {3, 4, 5, 9, 10, 11})
    for (int c2 = 0; c2 < 8; ++c2) EXPECT_EQ(yv[t * 8 + c2], 0.f);
  EXPECT_EQ(stats.layers().at("moe").tokens, 6);
  // The balancing loss ignores padding: changing padding rows leaves it unchanged.
  double aux = aux_loss_of(f.ctx);
  Tensor x2 = x.clone();
  for (int c2 = 0; c2 < 8; ++c2) x2.data<float>()[4 * 8 + c2] = 5.f;
  f.ctx.reset_aux_loss();
  f.layer->forward(f.ctx, x2);
  EXPECT_DOUBLE_EQ(aux_loss_of(f.ctx), aux);
}

TEST(MoeLayer, HierarchicalRoutingNeverLeavesTheGroup) {
  for (GroupBy by : {GroupBy::src_family, GroupBy::tgt_family, GroupBy::learned}) {
    MoeConfig c;
    c.num_experts = 12;
    c.num_groups = 3;
    c.top_k = 2;
    c.group_by = by;
    c.noisy_gating = true;
    c.noise_scale = 2.f;  // lots of noise: candidates outside the group would show up
    c.router_init_std = 1.f;
    c.lang_to_group = {2, 0, 1, 0};  // 4 languages
    MoeFixture f(c, 8, 6);
    f.ctx.rows_per_sentence = 5;
    f.ctx.src_lang = {0, 1, 2, 3, 0, 2};
    f.ctx.tgt_lang = {3, 3, 1, 0, 2, 2};
    for (int step = 0; step < 20; ++step) {
      f.ctx.begin_step(step);
      Tensor x = nn::random_tensor({30, 8}, 100 + step);
      f.layer->forward(f.ctx, x);
      const HostRoutingPlan p = f.layer->plan().read_to_host();
      const auto groups = f.layer->token_groups().to_ivector();
      for (int64_t t = 0; t < 30; ++t) {
        int g = groups[t];
        if (by == GroupBy::src_family) {
          ASSERT_EQ(g, c.lang_to_group[f.ctx.src_lang[t / 5]]);
        } else if (by == GroupBy::tgt_family) {
          ASSERT_EQ(g, c.lang_to_group[f.ctx.tgt_lang[t / 5]]);
        }
        for (int j = 0; j < 2; ++j) {
          int e = p.expert[t * 2 + j];
          ASSERT_GE(e, 4 * g) << "token " << t << " group " << g;
          ASSERT_LT(e, 4 * (g + 1)) << "token " << t << " group " << g;
        }
      }
    }
  }
}

TEST(MoeLayer, UnknownLanguageIsAUserError) {
  MoeConfig c;
  c.num_groups = 2;
  c.group_by = GroupBy::src_family;
  c.lang_to_group = {0, 1};
  MoeFixture f(c, 8, 6);
  f.ctx.src_lang = {0, 5};
  f.ctx.rows_per_sentence = 2;
  EXPECT_THROW(f.layer->forward(f.ctx, nn::random_tensor({4, 8}, 1)), Error);
}

TEST(MoeLayer, NoiseIsDeterministicAndOffAtInference) {
  MoeConfig c;
  c.noisy_gating = true;
  c.noise_scale = 3.f;
  MoeFixture f(c, 8, 6);
  Tensor x = nn::random_tensor({16, 8}, 30);
  Tensor probe = nn::random_tensor({16, 8}, 31);
  double a = f.loss(x, probe), b = f.loss(x, probe);
  EXPECT_EQ(a, b);
  f.ctx.begin_step(4);
  f.ctx.reset_aux_loss();
  double c4 = nn::dot(f.layer->forward(f.ctx, x), probe);
  EXPECT_NE(c4 + aux_loss_of(f.ctx), a);  // another step draws other noise
  f.ctx.training = false;
  f.ctx.begin_step(5);
  Tensor e1 = f.layer->forward(f.ctx, x);
  f.ctx.begin_step(6);
  Tensor e2 = f.layer->forward(f.ctx, x);
  EXPECT_EQ(e1.to_vector(), e2.to_vector());
}

}  // namespace
}  // namespace moemt::moe

namespace moemt::moe {
namespace {

// Runs one forward+backward with each expert-parallel mode and checks output, input gradient
// and parameter gradients agree (relative tolerance `tol`).
void expect_parallel_modes_agree(const MoeConfig& c, int64_t d, int64_t ff, ops::Activation act,
                                 int64_t tokens, double tol) {
  std::vector<std::vector<float>> outs, dxs, grads;
  for (auto mode : {ExpertParallelism::inside_gemm, ExpertParallelism::across_experts}) {
    MoeFixture f(c, d, ff, act);
    f.layer->set_expert_parallelism(mode);
    Tensor x = nn::random_tensor({tokens, d}, 40);
    Tensor probe = nn::random_tensor({tokens, d}, 41);
    f.ps.zero_grad();
    outs.push_back(f.layer->forward(f.ctx, x).to_vector());
    dxs.push_back(f.layer->backward(f.ctx, probe).to_vector());
    grads.push_back(f.ps.grads().to_vector());
  }
  for (auto* v : {&outs, &dxs, &grads})
    for (size_t i = 0; i < (*v)[0].size(); ++i)
      ASSERT_NEAR((*v)[0][i], (*v)[1][i], tol * (1 + std::abs((*v)[0][i]))) << i;
}

TEST(MoeLayer, ExpertParallelismModesAgree) {
  MoeConfig c;
  c.num_experts = 8;
  c.top_k = 2;
  c.num_shared_experts = 2;
  expect_parallel_modes_agree(c, 16, 12, ops::Activation::gelu, 64, 1e-5);
}

TEST(MoeLayer, ExpertParallelismModesAgreeOnLargeJobsWithTwoThreads) {
  // Jobs large enough that each expert's own element-wise ops would split over threads
  // (512 rows x 512 hidden): run across experts, those must not lose rows in nested regions.
  const int before = num_threads();
  set_num_threads(2);
  MoeConfig c;
  c.num_experts = 4;
  c.top_k = 2;
  c.capacity_factor_train = 0.f;
  expect_parallel_modes_agree(c, 64, 512, ops::Activation::relu, 1024, 1e-4);
  set_num_threads(before);
}

TEST(MoeLayer, LazyExpertGradientsAccumulateAndNeverLeakAcrossSteps) {
  // Expert gradients are not zeroed by zero_grad(): the first backward of a step overwrites
  // them. Two micro-batches in one step must sum; an expert that gets no tokens in a step
  // must read zero, not last step's gradient.
  MoeConfig c;
  c.num_experts = 4;
  c.top_k = 1;
  c.capacity_factor_train = 0.f;
  MoeFixture f(c, 8, 6);
  Tensor x1 = nn::random_tensor({12, 8}, 50), x2 = nn::random_tensor({12, 8}, 51);
  Tensor p1 = nn::random_tensor({12, 8}, 52), p2 = nn::random_tensor({12, 8}, 53);
  auto grads_of = [&](const std::vector<std::pair<Tensor, Tensor>>& batches) {
    f.ps.zero_grad();
    for (const auto& [x, p] : batches) {
      f.layer->forward(f.ctx, x);
      f.layer->backward(f.ctx, p);
    }
    return f.ps.grads().to_vector();
  };
  std::vector<float> g1 = grads_of({{x1, p1}}), g2 = grads_of({{x2, p2}});
  std::vector<float> both = grads_of({{x1, p1}, {x2, p2}});
  for (size_t i = 0; i < both.size(); ++i) ASSERT_NEAR(both[i], g1[i] + g2[i], 1e-5) << i;
  // One token routes to a single expert; every other expert's gradient must now be zero.
  Tensor one = x1.narrow(0, 1).clone(), pone = p1.narrow(0, 1).clone();
  grads_of({{x1, p1}});
  f.ps.zero_grad();
  f.layer->forward(f.ctx, one);
  f.layer->backward(f.ctx, pone);
  const int used = f.layer->plan().expert.to_ivector()[0];
  for (int e = 0; e < 4; ++e) {
    std::vector<float> w1 = f.layer->experts().expert(e).w1.g().to_vector();
    double sum = 0;
    for (float v : w1) sum += std::abs(v);
    if (e == used)
      EXPECT_GT(sum, 0) << e;
    else
      EXPECT_EQ(sum, 0) << e;
  }
}

TEST(MoeLayer, StatsUseSourceLanguageInEncoderAndTargetInDecoder) {
  MoeConfig c;
  c.num_experts = 4;
  MoeFixture f(c, 8, 6);
  f.ctx.rows_per_sentence = 3;
  f.ctx.src_lang = {0, 1};
  f.ctx.tgt_lang = {2, 2};
  Tensor x = nn::random_tensor({6, 8}, 50);
  for (int stack : {0, 1}) {
    RoutingStats stats;
    f.ctx.routing_stats = &stats;
    f.ctx.stack = stack;
    f.layer->forward(f.ctx, x);
    auto m = stats.to_json({"de", "fr", "fi"})["moe"]["lang_expert"];
    int64_t total = 0;
    for (const auto& [lang, row] : m.items())
      for (auto v : row) total += v.get<int64_t>();
    EXPECT_EQ(total, 12);  // 6 tokens x k = 2
    if (stack == 0) {
      EXPECT_TRUE(m.contains("de") && m.contains("fr") && !m.contains("fi")) << m.dump();
    } else {
      EXPECT_TRUE(m.contains("fi") && m.size() == 1) << m.dump();
    }
  }
}

}  // namespace
}  // namespace moemt::moe
