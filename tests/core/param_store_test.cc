// Flat parameter layout: dense before expert, aligned slices, name-keyed deterministic init.
#include "core/param_store.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace moemt {
namespace {
// Core tests sit below ops (ops::fill): write a CPU gradient's memory directly.
void fill_host(const Tensor& t, float v) { std::fill_n(t.data<float>(), t.numel(), v); }
}  // namespace

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
  fill_host(b.g(), 2.f);
  EXPECT_EQ(s.grads().to_vector()[s.info(b.id).offset], 2.f);
  s.zero_grad();
  EXPECT_EQ(b.g().to_vector()[0], 0.f);
  EXPECT_THROW(s.get("nope"), Error);
}

TEST(ParamStore, LazyGradientsReadAsZeroAfterZeroGrad) {
  ParamStore s;
  Param d = s.add("d", {5}, InitSpec::Zeros());
  Param e = s.add("e", {3, 4}, InitSpec::Zeros(), ParamGroup::expert);
  Param f = s.add("f", {7}, InitSpec::Zeros(), ParamGroup::expert);
  s.set_lazy_grad(e);
  s.set_lazy_grad(f);
  s.finalize(Device::cpu(), 1);
  // Step 1: the owner overwrites e (take_grad says so once), f is accumulated through g().
  s.zero_grad();
  EXPECT_TRUE(s.take_grad(e.id));
  EXPECT_FALSE(s.take_grad(e.id));
  fill_host(e.g(), 3.f);  // stands for the owner's beta = 0 write
  fill_host(f.g(), 5.f);
  fill_host(d.g(), 1.f);
  EXPECT_EQ(e.g().to_vector(), std::vector<float>(12, 3.f));
  // Step 2: nothing was written yet, so every reader sees zeros, the stale 3s and 5s included,
  // and an accumulator starts from zero.
  s.zero_grad();
  std::vector<float> all = s.grads().to_vector();
  for (float v : all) EXPECT_EQ(v, 0.f);
  EXPECT_FALSE(s.take_grad(e.id));  // grads() settled it: accumulate from now on
  EXPECT_FALSE(s.take_grad(d.id));  // eager gradients never need overwriting
  s.zero_grad();
  f.g().data<float>()[0] += 2.f;  // an accumulation into a stale lazy gradient
  EXPECT_EQ(f.g().to_vector()[0], 2.f);
  EXPECT_EQ(f.g().to_vector()[1], 0.f);
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

TEST(ParamStore, RemoteExpertsGetNoStorageButKeepTheirPlaceInTheFullLayout) {
  // Expert parallelism: this rank holds e0 and e2; e1 (a lazily zeroed one) is another rank's.
  auto build = [](ParamStore& s, bool shard) {
    s.add("d", {5}, InitSpec::Normal(1.f));
    Param e0 = s.add("e0", {3, 7}, InitSpec::Normal(1.f), ParamGroup::expert);
    Param e1 = s.add("e1", {9}, InitSpec::Normal(1.f), ParamGroup::expert);
    s.add("e2", {2, 2}, InitSpec::Normal(1.f), ParamGroup::expert);
    s.set_lazy_grad(e1);
    if (shard) s.set_remote(e1);
    EXPECT_THROW(s.set_remote(s.get("d")), InternalError) << "dense parameters are never remote";
    (void)e0;
  };
  ParamStore full, part;
  build(full, false);
  build(part, true);
  full.finalize(Device::cpu(), 3);
  part.finalize(Device::cpu(), 3);
  EXPECT_EQ(part.full_numel(), full.numel());
  EXPECT_EQ(part.numel(), full.numel() - ParamStore::slot(9));
  EXPECT_EQ(part.dense_numel(), full.dense_numel());
  EXPECT_FALSE(part.resident(part.find("e1")));
  EXPECT_TRUE(part.resident(part.find("e2")));
  for (const char* name : {"d", "e0", "e2"}) {
    const int id = part.find(name);
    EXPECT_EQ(part.info(id).full_offset, full.info(id).offset) << name;
    EXPECT_EQ(part.value(id).to_vector(), full.value(id).to_vector()) << name;  // same init
  }
  EXPECT_EQ(part.info(part.find("e1")).full_offset, full.info(full.find("e1")).offset);
  EXPECT_THROW(part.value(part.find("e1")), InternalError);
  EXPECT_THROW(part.grad(part.find("e1")), InternalError);
  // Zeroing and reading every gradient skip the remote one.
  fill_host(part.grads(), 1.f);
  part.zero_grad();
  const std::vector<float> g = part.grads().to_vector();
  EXPECT_EQ(static_cast<int64_t>(g.size()), part.numel());
  EXPECT_TRUE(std::all_of(g.begin(), g.end(), [](float x) { return x == 0.f; }));
}

}  // namespace moemt
