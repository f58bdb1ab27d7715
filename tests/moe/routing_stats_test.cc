// RoutingStats: sums from hand-built plans, derived figures, per-language matrix, merge and
// the checkpoint round trip.
#include "moe/routing_stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moemt::moe {
namespace {

HostRoutingPlan hand_plan() {
  // 4 tokens (token 3 padding), k = 2, 3 experts, capacity 2: experts 0 and 1 get 3 slots each
  // and drop one each.
  std::vector<int32_t> ex = {0, 1, 0, 1, 0, 1, -1, -1};
  std::vector<float> g = {.75f, .25f, .5f, .5f, .6f, .4f, 0.f, 0.f};
  return make_plan(Tensor::from_vector(ex, {4, 2}), Tensor::from_vector(g, {4, 2}),
                   Tensor::from_vector(std::vector<int32_t>{2, 2, 2}, {3}))
      .read_to_host();
}

TEST(RoutingStats, SumsDerivedFiguresAndLanguageMatrix) {
  RoutingStats s;
  s.record("enc.1", hand_plan(), 1.5, {7, 7, 2, 2});
  s.record("enc.1", hand_plan(), 1.5, {});
  auto j = s.to_json({"a", "b", "de", "c", "d", "e", "f", "fr"})["enc.1"];
  EXPECT_EQ(j["calls"], 2);
  EXPECT_EQ(j["tokens"], 6);
  EXPECT_EQ(j["tokens_per_expert"], (std::vector<int64_t>{6, 6, 0}));
  EXPECT_EQ(j["processed_per_expert"], (std::vector<int64_t>{4, 4, 0}));
  EXPECT_NEAR(j["importance_per_expert"][0].get<double>(), 2 * (0.75 + 0.5 + 0.6), 1e-6);
  EXPECT_DOUBLE_EQ(j["drop_fraction"].get<double>(), 4.0 / 12.0);
  EXPECT_DOUBLE_EQ(j["router_entropy"].get<double>(), 0.5);  // 3.0 over 6 tokens
  EXPECT_EQ(j["dead_experts"], (std::vector<int>{2}));
  // load CV of (6, 6, 0): mean 4, std sqrt(8) -> 0.7071
  EXPECT_NEAR(j["load_cv"].get<double>(), std::sqrt(8.0) / 4.0, 1e-12);
  EXPECT_EQ(j["lang_expert"]["fr"], (std::vector<int64_t>{2, 2, 0}));
  EXPECT_EQ(j["lang_expert"]["de"], (std::vector<int64_t>{1, 1, 0}));
  EXPECT_NE(s.summary().find("dead 1/3"), std::string::npos) << s.summary();
}

TEST(RoutingStats, MergeAndCheckpointRoundTrip) {
  RoutingStats a, b;
  a.record("dec.1", hand_plan(), 1.0, {0, 1, 1, 1});
  b.record("dec.1", hand_plan(), 2.0, {1, 1, 1, 1});
  b.record("enc.1", hand_plan(), 2.0, {});
  a.merge(b);
  RoutingStats c = RoutingStats::from_state(a.state());
  EXPECT_EQ(c.to_json().dump(), a.to_json().dump());
  EXPECT_EQ(c.layers().at("dec.1").tokens, 6);
  EXPECT_EQ(c.layers().at("dec.1").lang_routed.at(1), (std::vector<int64_t>{5, 5, 0}));
  EXPECT_THROW(RoutingStats::from_state(nlohmann::json::parse(R"({"x": {"k": 1}})")), Error);
  c.reset();
  EXPECT_TRUE(c.empty());
}

}  // namespace
}  // namespace moemt::moe
