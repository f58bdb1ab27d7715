// Flat parameter layout: dense before expert, aligned slices, name-keyed deterministic init.
#include "core/param_store.h"

#include <gtest/gtest.h>

namespace moemt {

TEST(ParamStore, DenseFirstThenExpert) {
  ParamStore s;
  Param a = s.add("a", {3, 5}, InitSpec::Normal(0.1f));
  Param e = s.add("moe.experts.0.w1", {4, 4}, InitSpec::Xavier(), ParamGroup::expert);
  Param b = s.add("b", {7}, InitSpec::Ones());
  s.finalize(Device::cpu(), 42);
  EXPECT_LT(s.info(b.id).offset, s.info(e.id).offset);
  EXPECT_LE(s.info(b.id).offset + 7, s.dense_numel());
  EXPECT_GE(s.info(e.id).offset, s.dense_numel());
  EXPECT_EQ(s.info(a.id).offset % 16, 0);
  EXPECT_EQ(b.w().to_vector(), std::vector<float>(7, 1.f));
  // Gradients are views into the flat gradient buffer.
  b.g().fill(2.f);
  EXPECT_EQ(s.grads().to_vector()[s.info(b.id).offset], 2.f);
  s.zero_grad();
  EXPECT_EQ(b.g().to_vector()[0], 0.f);
  EXPECT_THROW(s.get("nope"), Error);
}

TEST(ParamStore, InitDependsOnNameNotOrder) {
  ParamStore s1, s2;
  Param x1 = s1.add("x", {10}, InitSpec::Normal(1.f));
  s1.add("y", {10}, InitSpec::Normal(1.f));
  s2.add("y", {10}, InitSpec::Normal(1.f));
  s2.add("z", {3}, InitSpec::Normal(1.f));
  Param x2 = s2.add("x", {10}, InitSpec::Normal(1.f));
  s1.finalize(Device::cpu(), 1);
  s2.finalize(Device::cpu(), 1);
  EXPECT_EQ(x1.w().to_vector(), x2.w().to_vector());
  EXPECT_NE(x1.w().to_vector(), s1.get("y").w().to_vector());
}

}  // namespace moemt
