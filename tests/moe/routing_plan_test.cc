// RoutingPlan on hand-built batches: stable sort by expert, capacity cuts with first choices
// winning, padding rows consuming nothing, capacity formula.
#include "moe/routing_plan.h"

#include <gtest/gtest.h>

namespace moemt::moe {
namespace {

TEST(RoutingPlan, CapacityDropsLaterArrivalsAndSecondChoicesFirst) {
  // 5 tokens, k = 2, 3 experts, capacity 2 each. Token 2 is padding (-1).
  //   token: 0      1      2       3      4
  //   choice 0 -> 0, 0, -, 0, 1 ; choice 1 -> 1, 2, -, 1, 0
  std::vector<int32_t> ex = {0, 1, 0, 2, -1, -1, 0, 1, 1, 0};
  std::vector<float> g = {.6f, .4f, .7f, .3f, 0.f, 0.f, .9f, .1f, .5f, .5f};
  RoutingPlan p = make_plan(ex, g, 5, 2, 3, {2, 2, 2});
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
  RoutingPlan q = make_plan(ex, g, 5, 2, 3, {kUnlimited, kUnlimited, kUnlimited});
  EXPECT_TRUE(q.dropped.empty());
  EXPECT_EQ(q.offsets, (std::vector<int64_t>{0, 4, 7, 8}));
  EXPECT_EQ(q.row_token, (std::vector<int32_t>{0, 1, 3, 4, 4, 0, 3, 1}));
}

TEST(RoutingPlan, CapacityFormulaPerGroup) {
  // cf 1.25, k 2, groups of 2 experts with 10 and 3 tokens: ceil(1.25*2*10/2)=13,
  // ceil(1.25*2*3/2)=4 -> min_capacity 5 wins for the second group.
  auto cap = expert_capacities(1.25f, 2, 5, {10, 3}, 2);
  EXPECT_EQ(cap, (std::vector<int64_t>{13, 13, 5, 5}));
  auto unl = expert_capacities(0.f, 2, 5, {10, 3}, 2);
  EXPECT_EQ(unl[0], kUnlimited);
}

}  // namespace
}  // namespace moemt::moe
