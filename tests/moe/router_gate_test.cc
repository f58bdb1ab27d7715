// The router gating (and entropy), balancing-loss and gate-product ops against the host router they
// replaced (router_reference.h): random logits with padding rows, several groups, k = 1..3,
// with and without noise and renormalisation, every balancing loss on.
// Tolerances: experts and top-k indices identical; gates and probabilities within 1e-6
// (the ops round to f32 what the reference keeps in double); loss values within 1e-5
// relative; dclean/draw within 1e-5 of the largest reference gradient.
#include "ops/router_gate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/threads.h"
#include "moe/routing_plan.h"
#include "ops/balance_loss.h"
#include "ops/moe_gate_scale.h"
#include "ops/moe_plan.h"
#include "router_reference.h"
#include "routing_plan_reference.h"

namespace moemt::moe {
namespace {

struct Case {
  int groups, k;
  bool renormalize, noisy;
  ops::BalanceCoefs coefs{0.3, 0.5, 0.7, 0.2};
};

std::vector<float> normal_vector(std::mt19937& rng, size_t n, float stddev) {
  std::normal_distribution<float> d(0.f, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::abs(x)));
  return m;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, double tol,
                     const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << what << " " << i;
}

void check_case(const Case& c, uint32_t seed) {
  SCOPED_TRACE(::testing::Message()
               << "groups " << c.groups << " k " << c.k << " renorm " << c.renormalize << " noisy "
               << c.noisy << " seed " << seed << " coefs " << c.coefs.importance << c.coefs.load
               << c.coefs.switch_aux << c.coefs.z);
  std::mt19937 rng(seed);
  const int e = 4 * c.groups, k = c.k;
  const int64_t n = 40 + rng() % 30;
  std::vector<int32_t> group(n);
  for (auto& g : group) g = rng() % 6 == 0 ? -1 : static_cast<int32_t>(rng() % c.groups);
  std::vector<float> clean = normal_vector(rng, n * e, 1.5f), raw;
  if (c.noisy) raw = normal_vector(rng, n * e, 1.f);
  const RngStream stream{1234 + seed, (uint64_t{7} << 24) + 3};

  reference::RouterRef ref;
  ref.e = e;
  ref.groups = c.groups;
  ref.k = k;
  ref.renormalize = c.renormalize;
  ref.noise_scale = c.noisy ? 0.8f : 0.f;
  ref.coefs = {c.coefs.importance, c.coefs.load, c.coefs.switch_aux, c.coefs.z};
  ref.forward(clean, raw, group, stream);

  ops::RouterGateOptions o;
  o.num_groups = c.groups;
  o.k = k;
  o.ktop = ref.ktop_;
  o.renormalize = c.renormalize;
  o.noise_scale = ref.noise_scale;
  o.seed = stream.seed;
  o.stream = stream.stream;
  ops::GateTensors t;
  t.group = Tensor::from_vector(group, {n});
  t.clean = Tensor::from_vector(clean, {n, e});
  if (c.noisy) t.raw = Tensor::from_vector(raw, {n, e});
  ops::router_gate_forward(o, t);
  EXPECT_EQ(t.expert.to_ivector(), ref.expert_);
  EXPECT_EQ(t.top.to_ivector(), ref.top_);
  expect_near_all(t.gate.to_vector(), ref.gate_f_, 1e-6, "gate");
  expect_near_all(t.probs.to_vector(), std::vector<float>(ref.p_.begin(), ref.p_.end()), 1e-6,
                  "probs");

  // Route -> plan with capacity drops: the same plan as the host code built, bit for bit.
  std::vector<int64_t> group_tokens(c.groups, 0);
  for (int32_t g : group)
    if (g >= 0) ++group_tokens[g];
  auto ref_plan = reference::make_plan(ref.expert_, ref.gate_f_, n, k, e,
                                       reference::expert_capacities(0.8f, k, 1, group_tokens, 4));
  Tensor capacity = Tensor::empty({e}, DType::i32);
  ops::moe_capacity(t.group, 0.8f, k, 1, 4, capacity);
  HostRoutingPlan plan = make_plan(t.expert, t.gate, capacity).read_to_host();
  EXPECT_EQ(plan.expert, ref_plan.expert);
  EXPECT_EQ(plan.position, ref_plan.position);
  EXPECT_EQ(plan.row, ref_plan.row);
  EXPECT_EQ(plan.offsets, ref_plan.offsets);
  EXPECT_EQ(plan.row_token, ref_plan.row_token);
  EXPECT_EQ(plan.dropped, ref_plan.dropped);
  EXPECT_EQ(plan.valid_tokens, ref_plan.valid_tokens);
  expect_near_all(plan.gate, ref_plan.gate, 1e-6, "plan gate");
  if (k > 1 || c.groups == 1) {
    EXPECT_FALSE(ref_plan.dropped.empty());
  }

  Tensor entropy = Tensor::empty({1});
  ops::router_entropy(t.probs, entropy);
  EXPECT_NEAR(entropy.to_vector()[0], ref.entropy_sum(), 1e-5 * ref.entropy_sum());

  const ops::BalanceCoefs coefs = c.coefs;
  Tensor values = Tensor::empty({4}), aux = Tensor::zeros({1});
  ops::balance_loss_forward(o, coefs, t, values, aux);
  auto v = values.to_vector();
  const double want[4] = {ref.values_.importance, ref.values_.load, ref.values_.switch_aux,
                          ref.values_.z};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(v[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << i;
  if (c.noisy && c.coefs.load > 0) {
    EXPECT_GT(want[ops::kLoad], 0.0);
  }
  const double weighted = ref.values_.weighted(ref.coefs);
  EXPECT_NEAR(aux.to_vector()[0], weighted, 1e-5 * (1 + weighted));

  // Backward from a random dgate with a loss scale, as the layer runs it.
  std::vector<float> dgate = normal_vector(rng, n * k, 1.f);
  const double scale = 1.7;
  std::vector<float> ref_dclean, ref_draw;
  ref.backward(dgate, scale, ref_dclean, ref_draw);
  ops::GateGrads g;
  g.dgate = Tensor::from_vector(dgate, {n, k});
  g.dprobs = Tensor::zeros({n, e});
  g.dh = Tensor::zeros({n, e});
  g.dclean = Tensor::zeros({n, e});
  if (c.noisy) g.dstd = Tensor::zeros({n, e});
  ops::balance_loss_backward(o, coefs, t, scale, g);
  Tensor dclean = Tensor::empty({n, e}), draw;
  if (c.noisy) draw = Tensor::empty({n, e});
  ops::router_gate_backward(o, t, g, dclean, draw);
  expect_near_all(dclean.to_vector(), ref_dclean, 1e-5 * std::max(1.0, max_abs(ref_dclean)),
                  "dclean");
  if (c.noisy)
    expect_near_all(draw.to_vector(), ref_draw, 1e-5 * std::max(1.0, max_abs(ref_draw)), "draw");
}

TEST(RouterGateOps, MatchTheHostRouterForwardLossesAndBackward) {
  uint32_t seed = 1;
  for (int groups : {1, 2, 3})
    for (int k : {1, 2, 3})
      for (bool renorm : {true, false})
        for (bool noisy : {false, true}) check_case({groups, k, renorm, noisy}, seed++);
}

TEST(RouterGateOps, MatchTheHostRouterWithEachLossAlone) {
  // Each loss reads its own subset of the router's tensors.
  uint32_t seed = 100;
  for (int which = 0; which < 5; ++which) {
    Case c{2, 2, true, true};
    c.coefs = {};
    if (which == 0) c.coefs.importance = 1;
    if (which == 1) c.coefs.load = 1;
    if (which == 2) c.coefs.switch_aux = 1;
    if (which == 3) c.coefs.z = 1;  // which == 4: no loss at all
    check_case(c, seed++);
  }
}

TEST(RouterGateOps, ResultsDoNotDependOnThreads) {
  // Large enough (N * E = 2^15) for the row loops to run in parallel.
  std::mt19937 rng(11);
  const int64_t n = 2048, e = 16, k = 2;
  std::vector<int32_t> group(n);
  for (auto& g : group) g = static_cast<int32_t>(rng() % 3) - 1;
  Tensor clean = Tensor::from_vector(normal_vector(rng, n * e, 1.f), {n, e});
  Tensor raw = Tensor::from_vector(normal_vector(rng, n * e, 1.f), {n, e});
  Tensor dgate = Tensor::from_vector(normal_vector(rng, n * k, 1.f), {n, k});
  auto run = [&](int threads) {
    const int before = num_threads();
    set_num_threads(threads);
    ops::RouterGateOptions o;
    o.num_groups = 2;
    o.k = k;
    o.ktop = 3;
    o.noise_scale = 1.f;
    o.seed = 9;
    ops::GateTensors t;
    t.group = Tensor::from_vector(group, {n});
    t.clean = clean;
    t.raw = raw;
    ops::router_gate_forward(o, t);
    ops::GateGrads g;
    g.dgate = dgate.clone();
    g.dh = Tensor::zeros({n, e});
    g.dclean = Tensor::zeros({n, e});
    g.dstd = Tensor::zeros({n, e});
    ops::balance_loss_backward(o, {0, 1, 0, 1}, t, 1.0, g);
    Tensor dc = Tensor::empty({n, e}), dr = Tensor::empty({n, e});
    ops::router_gate_backward(o, t, g, dc, dr);
    set_num_threads(before);
    std::vector<float> all;
    for (const Tensor* x : {&t.gate, &t.h, &t.probs, &dc, &dr}) {
      std::vector<float> v = x->to_vector();
      all.insert(all.end(), v.begin(), v.end());
    }
    auto ex = t.top.to_ivector();
    all.insert(all.end(), ex.begin(), ex.end());
    return all;
  };
  EXPECT_EQ(run(1), run(2));
}

TEST(RouterGateOps, PaddingRowsAreRoutedNowhere) {
  ops::RouterGateOptions o;
  o.num_groups = 2;
  o.k = o.ktop = 2;
  ops::GateTensors t;
  t.group = Tensor::from_vector(std::vector<int32_t>{-1, 1}, {2});
  t.clean = Tensor::from_vector(std::vector<float>{5, 4, 3, 2, 1, 2, 3, 4}, {2, 4});
  ops::router_gate_forward(o, t);
  EXPECT_EQ(t.expert.to_ivector(), (std::vector<int32_t>{-1, -1, 3, 2}));
  auto gate = t.gate.to_vector(), p = t.probs.to_vector();
  EXPECT_EQ(gate[0] + gate[1], 0.f);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(p[i], 0.f);
  EXPECT_EQ(p[4] + p[5], 0.f);  // outside the token's group
  EXPECT_NEAR(gate[2], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
}

// A mask of allowed columns (a sub-model's kept groups) restricts the choices only: the
// probabilities stay the softmax over all candidates, a row whose best column is allowed is
// routed exactly as without the mask, and any other row takes its best allowed columns.
TEST(RouterGateOps, AllowedColumnsRestrictChoicesNotProbabilities) {
  std::mt19937 rng(11);
  const std::vector<int32_t> allowed{1, 0, 1, 1, 0, 1, 0, 1};
  const int64_t n = 64, e = 8;
  for (int groups : {1, 2})
    for (int k : {1, 2}) {
      SCOPED_TRACE(::testing::Message() << "groups " << groups << " k " << k);
      ops::RouterGateOptions o;
      o.num_groups = groups;
      o.k = o.ktop = k;
      o.renormalize = k > 1;
      std::vector<int32_t> group(n);
      for (auto& g : group) g = rng() % 9 == 0 ? -1 : static_cast<int32_t>(rng() % groups);
      ops::GateTensors plain, masked;
      plain.group = masked.group = Tensor::from_vector(group, {n});
      plain.clean = masked.clean = Tensor::from_vector(normal_vector(rng, n * e, 2.f), {n, e});
      masked.allowed = Tensor::from_vector(allowed, {e});
      ops::router_gate_forward(o, plain);
      ops::router_gate_forward(o, masked);
      EXPECT_EQ(masked.probs.to_vector(), plain.probs.to_vector());
      const auto p = plain.probs.to_vector();
      const auto ex0 = plain.expert.to_ivector(), ex = masked.expert.to_ivector();
      const auto g0 = plain.gate.to_vector(), gt = masked.gate.to_vector();
      int rerouted = 0;
      for (int64_t r = 0; r < n; ++r) {
        if (group[r] < 0) {
          for (int j = 0; j < k; ++j) EXPECT_EQ(ex[r * k + j], -1);
          continue;
        }
        // The k most probable allowed candidates (lower index first on ties).
        std::vector<int32_t> want;
        for (int j = 0; j < k; ++j) {
          int best = -1;
          for (int i = 0; i < e; ++i)
            if (allowed[i] && p[r * e + i] > 0 &&
                std::find(want.begin(), want.end(), i) == want.end() &&
                (best < 0 || p[r * e + i] > p[r * e + best]))
              best = i;
          want.push_back(best);
        }
        bool same = true;
        for (int j = 0; j < k; ++j) {
          ASSERT_EQ(ex[r * k + j], want[j]) << "row " << r;
          same = same && ex0[r * k + j] == want[j];
        }
        double kept = 0;
        for (int j = 0; j < k; ++j) kept += p[r * e + want[j]];
        for (int j = 0; j < k; ++j)
          EXPECT_NEAR(gt[r * k + j], o.renormalize ? p[r * e + want[j]] / kept : p[r * e + want[j]],
                      1e-6);
        if (same) {
          for (int j = 0; j < k; ++j) EXPECT_EQ(gt[r * k + j], g0[r * k + j]) << "row " << r;
        } else {
          ++rerouted;
        }
      }
      EXPECT_GT(rerouted, 5);  // the mask mattered
    }
}

TEST(RouterGateOps, GateScaleMatchesTheHostLoops) {
  std::mt19937 rng(3);
  const int64_t n = 13, k = 3;
  auto g2 = normal_vector(rng, n * k, 1.f), pg = normal_vector(rng, n, 1.f),
       dgate = normal_vector(rng, n * k, 1.f);
  Tensor out = Tensor::empty({n, k});
  ops::moe_gate_scale(Tensor::from_vector(g2, {n, k}), Tensor::from_vector(pg, {n, 1}), out);
  Tensor dg = Tensor::from_vector(dgate, {n, k}), dpg = Tensor::empty({n, 1});
  ops::moe_gate_scale_backward(dg, Tensor::from_vector(g2, {n, k}), Tensor::from_vector(pg, {n, 1}),
                               dg, dpg);
  // The host code of MoeLayer before the op (bit-identical).
  std::vector<float> gate = g2, dpg_ref(n, 0.f), dgate_ref = dgate;
  for (int64_t t = 0; t < n; ++t)
    for (int j = 0; j < k; ++j) {
      gate[t * k + j] *= pg[t];
      dpg_ref[t] += dgate_ref[t * k + j] * g2[t * k + j];
      dgate_ref[t * k + j] *= pg[t];
    }
  EXPECT_EQ(out.to_vector(), gate);
  EXPECT_EQ(dg.to_vector(), dgate_ref);
  EXPECT_EQ(dpg.to_vector(), dpg_ref);
}

}  // namespace
}  // namespace moemt::moe
