// RoutingPlan on hand-built batches (stable sort by expert, capacity cuts with first choices
// winning, padding rows consuming nothing, capacity formula) and the plan and capacity ops
// against the host code they replaced (routing_plan_reference.h), bit for bit.
#include "moe/routing_plan.h"

#include <gtest/gtest.h>

#include <random>

#include "ops/moe_plan.h"
#include "routing_plan_reference.h"

namespace moemt::moe {
namespace {

Tensor i32(const std::vector<int32_t>& v) {
  return Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
}

HostRoutingPlan plan_of(const std::vector<int32_t>& ex, const std::vector<float>& g, int64_t n,
                        int k, const std::vector<int32_t>& cap) {
  return make_plan(Tensor::from_vector(ex, {n, k}), Tensor::from_vector(g, {n, k}), i32(cap))
      .read_to_host();
}

TEST(RoutingPlan, CapacityDropsLaterArrivalsAndSecondChoicesFirst) {
  // 5 tokens, k = 2, 3 experts, capacity 2 each. Token 2 is padding (-1).
  //   token: 0      1      2       3      4
  //   choice 0 -> 0, 0, -, 0, 1 ; choice 1 -> 1, 2, -, 1, 0
  std::vector<int32_t> ex = {0, 1, 0, 2, -1, -1, 0, 1, 1, 0};
  std::vector<float> g = {.6f, .4f, .7f, .3f, 0.f, 0.f, .9f, .1f, .5f, .5f};
  HostRoutingPlan p = plan_of(ex, g, 5, 2, {2, 2, 2});
  // Arrival order: first choices (t0 e0, t1 e0, t3 e0, t4 e1), then second (t0 e1, t1 e2,
  // t3 e1, t4 e0). Expert 0 keeps t0, t1; drops t3's first choice and t4's second choice.
  EXPECT_EQ(p.demand, (std::vector<int64_t>{4, 3, 1}));
  EXPECT_EQ(p.offsets, (std::vector<int64_t>{0, 2, 4, 5}));
  EXPECT_EQ(p.position, (std::vector<int32_t>{0, 1, 1, 0, -1, -1, 2, 2, 0, 3}));
  EXPECT_EQ(p.row, (std::vector<int32_t>{0, 3, 1, 4, -1, -1, -1, -1, 2, -1}));
  EXPECT_EQ(p.row_token, (std::vector<int32_t>{0, 1, 4, 0, 1}));
  EXPECT_EQ(p.dropped, (std::vector<int32_t>{6, 7, 9}));
  EXPECT_EQ(p.valid_tokens, 4);
  EXPECT_DOUBLE_EQ(p.drop_fraction(), 3.0 / 8.0);
  // Dropless keeps everything in arrival order.
  const int32_t u = ops::kUnlimitedCapacity;
  HostRoutingPlan q = plan_of(ex, g, 5, 2, {u, u, u});
  EXPECT_TRUE(q.dropped.empty());
  EXPECT_EQ(q.capacity[0], kUnlimited);
  EXPECT_EQ(q.offsets, (std::vector<int64_t>{0, 4, 7, 8}));
  EXPECT_EQ(q.row_token, (std::vector<int32_t>{0, 1, 3, 4, 4, 0, 3, 1}));
}

TEST(RoutingPlan, OffsetsAreTheOnlyHostReadTheLayerNeeds) {
  RoutingPlan p =
      make_plan(Tensor::from_vector(std::vector<int32_t>{1, 0, 1, -1}, {2, 2}),
                Tensor::from_vector(std::vector<float>{.5f, .5f, 1.f, 0.f}, {2, 2}), i32({4, 4}));
  EXPECT_ANY_THROW(p.num_rows());  // not read yet
  p.read_offsets_to_host();
  EXPECT_EQ(p.host_offsets, (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(p.num_rows(), 3);
}

// Capacities of the op for the groups of `group`, as the reference computes them from counts.
std::vector<int64_t> capacity_op(const std::vector<int32_t>& group, float cf, int k,
                                 int64_t min_cap, int groups, int eg) {
  Tensor cap = Tensor::empty({groups * eg}, DType::i32);
  ops::moe_capacity(i32(group), cf, k, min_cap, eg, cap);
  std::vector<int64_t> out;
  for (int32_t c : cap.to_ivector()) out.push_back(c == ops::kUnlimitedCapacity ? kUnlimited : c);
  return out;
}

TEST(RoutingPlan, CapacityFormulaPerGroup) {
  // cf 1.25, k 2, groups of 2 experts with 10 and 3 tokens (and 2 padding rows):
  // ceil(1.25*2*10/2)=13, ceil(1.25*2*3/2)=4 -> min_capacity 5 wins for the second group.
  std::vector<int32_t> group(10, 0);
  for (int32_t x : {1, 1, -1, 1, -1}) group.push_back(x);
  EXPECT_EQ(capacity_op(group, 1.25f, 2, 5, 2, 2), (std::vector<int64_t>{13, 13, 5, 5}));
  EXPECT_EQ(capacity_op(group, 0.f, 2, 5, 2, 2)[0], kUnlimited);
  EXPECT_EQ(reference::expert_capacities(1.25f, 2, 5, {10, 3}, 2),
            (std::vector<int64_t>{13, 13, 5, 5}));
}

// Random routings: experts inside each token's group (distinct per token), padding rows,
// several groups, capacities from tight (many drops) to unlimited.
TEST(RoutingPlan, OpMatchesTheHostReferenceBitForBit) {
  std::mt19937 rng(7);
  int cases = 0, with_drops = 0;
  for (int groups : {1, 2, 4}) {
    for (int k : {1, 2, 3}) {
      for (float cf : {0.f, 0.5f, 1.f, 1.25f, 3.f}) {
        const int eg = 4, e = groups * eg;
        const int64_t n = 1 + static_cast<int64_t>(rng() % 97);
        std::vector<int32_t> group(n), ex(n * k, -1);
        std::vector<float> gate(n * k, 0.f);
        std::vector<int64_t> group_tokens(groups, 0);
        for (int64_t t = 0; t < n; ++t) {
          group[t] = rng() % 7 == 0 ? -1 : static_cast<int32_t>(rng() % groups);
          if (group[t] < 0) continue;
          ++group_tokens[group[t]];
          std::vector<int32_t> cand(eg);
          for (int i = 0; i < eg; ++i) cand[i] = group[t] * eg + i;
          std::shuffle(cand.begin(), cand.end(), rng);
          for (int j = 0; j < k; ++j) {
            ex[t * k + j] = cand[j];
            gate[t * k + j] = std::uniform_real_distribution<float>(0.f, 1.f)(rng);
          }
        }
        const int64_t min_cap = rng() % 3;
        auto ref_cap = reference::expert_capacities(cf, k, min_cap, group_tokens, eg);
        auto cap = capacity_op(group, cf, k, min_cap, groups, eg);
        ASSERT_EQ(cap, ref_cap) << "groups " << groups << " k " << k << " cf " << cf;
        std::vector<int32_t> cap32;
        for (int64_t c : cap) cap32.push_back(c == kUnlimited ? ops::kUnlimitedCapacity : c);
        auto ref = reference::make_plan(ex, gate, n, k, e, ref_cap);
        HostRoutingPlan p = plan_of(ex, gate, n, k, cap32);
        SCOPED_TRACE(::testing::Message() << "groups " << groups << " k " << k << " cf " << cf);
        EXPECT_EQ(p.expert, ref.expert);
        EXPECT_EQ(p.gate, ref.gate);
        EXPECT_EQ(p.position, ref.position);
        EXPECT_EQ(p.row, ref.row);
        EXPECT_EQ(p.demand, ref.demand);
        EXPECT_EQ(p.offsets, ref.offsets);
        EXPECT_EQ(p.row_token, ref.row_token);
        EXPECT_EQ(p.dropped, ref.dropped);
        EXPECT_EQ(p.valid_tokens, ref.valid_tokens);
        ++cases;
        with_drops += !ref.dropped.empty();
      }
    }
  }
  EXPECT_EQ(cases, 45);
  EXPECT_GT(with_drops, 10);  // the capacity cut was exercised
}

}  // namespace
}  // namespace moemt::moe
