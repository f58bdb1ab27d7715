// CPU/CUDA parity for the ops whose tests are CPU-only elsewhere (tests/moe checks the router,
// plan and balancing ops against host references on the CPU): each test runs the op on both
// devices from the same inputs and compares. They skip without a GPU (every run so far: the
// CUDA code is compiled, not run on a GPU). Tolerances: integer outputs (routing, plans, top-k)
// identical; f32 values within 1e-5 relative to the largest magnitude (the kernels sum in a
// different, but fixed, order); reductions in double within 1e-9 relative; bf16 GEMM inputs
// within 1e-2 relative (8-bit mantissas).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/cuda_runtime.h"
#include "core/rng.h"
#include "ops/balance_loss.h"
#include "ops/cast.h"
#include "ops/gemm.h"
#include "ops/global_norm.h"
#include "ops/kernels_available.h"
#include "ops/log_softmax.h"
#include "ops/moe_gate_scale.h"
#include "ops/moe_plan.h"
#include "ops/reduce.h"
#include "ops/reverse_sequence.h"
#include "ops/router_gate.h"
#include "ops/topk.h"

namespace moemt::ops {
namespace {

const Device kGpu = Device::cuda(0);

#define MOEMT_NEEDS_GPU(...)                                                            \
  do {                                                                                  \
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";                     \
    for (const char* op : {__VA_ARGS__})                                                \
      if (!has_cuda_kernel(op)) GTEST_SKIP() << "op '" << op << "' has no CUDA kernel"; \
  } while (0)

Tensor randn(const Shape& s, uint64_t stream, float stddev = 1.f) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  RngStream r{21, stream};
  for (size_t i = 0; i < v.size(); ++i) v[i] = stddev * r.normal(i);
  return Tensor::from_vector(v, s);
}

// |a - b| <= rel * max(1, max finite |b|) elementwise; infinities (masked router logits) must
// match exactly.
void expect_close(const Tensor& a, const Tensor& b, double rel, const char* what) {
  auto av = a.to_vector(), bv = b.to_vector();
  ASSERT_EQ(av.size(), bv.size()) << what;
  double scale = 1;
  for (float x : bv)
    if (std::isfinite(x)) scale = std::max(scale, static_cast<double>(std::abs(x)));
  for (size_t i = 0; i < av.size(); ++i) {
    if (!std::isfinite(bv[i])) {
      ASSERT_EQ(av[i], bv[i]) << what << " " << i;
      continue;
    }
    ASSERT_NEAR(av[i], bv[i], rel * scale) << what << " " << i;
  }
}

TEST(CudaParity, LogSoftmaxReduceAndGlobalNorm) {
  MOEMT_NEEDS_GPU("log_softmax", "reduce", "global_norm");
  Tensor x = randn({37, 1000}, 1, 3.f);
  Tensor yc = Tensor::empty(x.shape()), yg = Tensor::empty(x.shape(), DType::f32, kGpu);
  log_softmax(x, yc);
  log_softmax(x.to(kGpu), yg);
  expect_close(yg, yc, 1e-5, "log_softmax");
  const double sc = sum(x), sg = sum(x.to(kGpu));
  EXPECT_NEAR(sg, sc, 1e-9 * std::abs(sc) + 1e-9);
  const double qc = sum_squares(x), qg = sum_squares(x.to(kGpu));
  EXPECT_NEAR(qg, qc, 1e-9 * qc);
  Tensor rc = Tensor::empty({37}), rg = Tensor::empty({37}, DType::f32, kGpu);
  row_sum(x, rc);
  row_sum(x.to(kGpu), rg);
  expect_close(rg, rc, 1e-6, "row_sum");
  Tensor nc = Tensor::empty({1}, DType::f64), ng = Tensor::empty({1}, DType::f64, kGpu);
  global_norm_sq(x, nc);
  global_norm_sq(x.to(kGpu), ng);
  EXPECT_NEAR(read_scalar<double>(ng), read_scalar<double>(nc), 1e-9 * qc);
  // Deterministic: the same input gives the same bits.
  EXPECT_EQ(sum_squares(x.to(kGpu)), qg);
}

TEST(CudaParity, GemmBf16InputsAccumulateInF32) {
  MOEMT_NEEDS_GPU("gemm", "cast");
  Tensor a = randn({64, 96}, 2), b = randn({96, 48}, 3);
  Tensor want = matmul(a, false, b, false);
  Tensor a16 = Tensor::empty(a.shape(), DType::bf16, kGpu),
         b16 = Tensor::empty(b.shape(), DType::bf16, kGpu);
  cast(a.to(kGpu), a16);
  cast(b.to(kGpu), b16);
  Tensor c = Tensor::empty({64, 48}, DType::f32, kGpu);
  gemm(a16, false, b16, false, c);
  expect_close(c, want, 1e-2, "bf16 gemm");
  Tensor c32 = matmul(a.to(kGpu), false, b.to(kGpu), false);
  expect_close(c32, want, 1e-5, "f32 gemm");
}

TEST(CudaParity, ReverseSequenceAndGateScale) {
  MOEMT_NEEDS_GPU("reverse_sequence", "moe_gate_scale");
  Tensor x = randn({3, 7, 5}, 4);
  Tensor len = Tensor::from_vector(std::vector<int32_t>{7, 3, 0}, {3});
  Tensor yc = Tensor::empty(x.shape()), yg = Tensor::empty(x.shape(), DType::f32, kGpu);
  reverse_sequence(x, len, yc);
  reverse_sequence(x.to(kGpu), len.to(kGpu), yg);
  EXPECT_EQ(yg.to_vector(), yc.to_vector());
  Tensor gate = randn({9, 2}, 5), scale = randn({9}, 6), dout = randn({9, 2}, 7);
  Tensor oc = Tensor::empty({9, 2}), og = Tensor::empty({9, 2}, DType::f32, kGpu);
  moe_gate_scale(gate, scale, oc);
  moe_gate_scale(gate.to(kGpu), scale.to(kGpu), og);
  EXPECT_EQ(og.to_vector(), oc.to_vector());
  Tensor dgc = Tensor::empty({9, 2}), dsc = Tensor::empty({9});
  Tensor dgg = Tensor::empty({9, 2}, DType::f32, kGpu), dsg = Tensor::empty({9}, DType::f32, kGpu);
  moe_gate_scale_backward(dout, gate, scale, dgc, dsc);
  moe_gate_scale_backward(dout.to(kGpu), gate.to(kGpu), scale.to(kGpu), dgg, dsg);
  expect_close(dgg, dgc, 1e-6, "dgate");
  expect_close(dsg, dsc, 1e-6, "dscale");
}

// Vocabulary-wide rows (the block-per-row kernel for k <= 32, the thread-per-row one above)
// with many ties and -inf entries: the CPU's indices and order exactly.
TEST(CudaParity, TopkOnWideRowsKeepsTheCpuOrder) {
  MOEMT_NEEDS_GPU("topk");
  const int64_t rows = 5, cols = 5000;
  std::vector<float> v(rows * cols);
  RngStream r{3, 4};
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = r.bits(i) % 11 == 0 ? -INFINITY : std::round(4.f * r.normal(i)) / 4.f;  // ties
  Tensor x = Tensor::from_vector(v, {rows, cols});
  for (int k : {1, 8, 32, 40}) {
    Tensor vc = Tensor::empty({rows, k}), ic = Tensor::empty({rows, k}, DType::i32);
    Tensor vg = Tensor::empty({rows, k}, DType::f32, kGpu);
    Tensor ig = Tensor::empty({rows, k}, DType::i32, kGpu);
    topk(x, k, vc, ic);
    topk(x.to(kGpu), k, vg, ig);
    EXPECT_EQ(ig.to_ivector(), ic.to_ivector()) << k;
    EXPECT_EQ(vg.to_vector(), vc.to_vector()) << k;
  }
}

// The gating inputs of c on the GPU; gating on both devices, the outputs compared.
GateTensors gate_on_both(const RouterGateOptions& o, GateTensors& c) {
  GateTensors g;
  g.group = c.group.to(kGpu);
  g.clean = c.clean.to(kGpu);
  if (c.raw.defined()) g.raw = c.raw.to(kGpu);
  if (c.allowed.defined()) g.allowed = c.allowed.to(kGpu);
  router_gate_forward(o, c);
  router_gate_forward(o, g);
  EXPECT_EQ(g.top.to_ivector(), c.top.to_ivector());
  EXPECT_EQ(g.expert.to_ivector(), c.expert.to_ivector());
  // The same Philox words; Box-Muller's double log/cos may differ by an ulp between libms.
  if (c.raw.defined()) expect_close(g.eps, c.eps, 1e-6, "noise");
  expect_close(g.h, c.h, 1e-6, "h");
  expect_close(g.probs, c.probs, 1e-6, "probs");
  expect_close(g.gate, c.gate, 1e-6, "gate");
  return g;
}

// One router level on both devices: gating (noise, groups, padding), the plan with capacity
// drops, the balancing losses and the backward.
TEST(CudaParity, RouterPlanAndBalanceLosses) {
  MOEMT_NEEDS_GPU("router_gate", "moe_plan", "balance_loss");
  std::mt19937 rng(5);
  const int groups = 2, eg = 4, e = groups * eg, k = 2;
  const int64_t n = 301;
  std::vector<int32_t> group(n);
  for (auto& g : group) g = rng() % 7 == 0 ? -1 : static_cast<int32_t>(rng() % groups);
  RouterGateOptions o;
  o.num_groups = groups;
  o.k = k;
  o.ktop = k + 1;
  o.noise_scale = 0.8f;
  o.seed = 99;
  o.stream = 7;
  GateTensors tc;
  tc.group = Tensor::from_vector(group, {n});
  tc.clean = randn({n, e}, 8, 1.5f);
  tc.raw = randn({n, e}, 9);
  GateTensors tg = gate_on_both(o, tc);

  Tensor capc = Tensor::empty({e}, DType::i32), capg = Tensor::empty({e}, DType::i32, kGpu);
  moe_capacity(tc.group, 0.8f, k, 1, eg, capc);
  moe_capacity(tg.group, 0.8f, k, 1, eg, capg);
  EXPECT_EQ(capg.to_ivector(), capc.to_ivector());
  auto plan_on = [&](const GateTensors& t, const Tensor& cap, Device d) {
    PlanTensors p;
    p.position = Tensor::empty({n, k}, DType::i32, d);
    p.row = Tensor::empty({n, k}, DType::i32, d);
    p.row_token = Tensor::empty({n * k}, DType::i32, d);
    p.demand = Tensor::empty({e}, DType::i32, d);
    p.offsets = Tensor::empty({e + 1}, DType::i32, d);
    p.counts = Tensor::empty({2}, DType::i32, d);
    moe_plan(t.expert, cap, p);
    return p;
  };
  PlanTensors pc = plan_on(tc, capc, Device::cpu()), pg = plan_on(tg, capg, kGpu);
  EXPECT_EQ(pg.position.to_ivector(), pc.position.to_ivector());
  EXPECT_EQ(pg.row.to_ivector(), pc.row.to_ivector());
  EXPECT_EQ(pg.row_token.to_ivector(), pc.row_token.to_ivector());
  EXPECT_EQ(pg.demand.to_ivector(), pc.demand.to_ivector());
  EXPECT_EQ(pg.offsets.to_ivector(), pc.offsets.to_ivector());
  EXPECT_EQ(pg.counts.to_ivector(), pc.counts.to_ivector());
  EXPECT_GT(pc.counts.to_ivector()[1], 0);  // capacity 0.8 drops some slots

  const BalanceCoefs coefs{0.3, 0.5, 0.7, 0.2};
  Tensor vc = Tensor::empty({4}), ac = Tensor::zeros({1});
  Tensor vg = Tensor::empty({4}, DType::f32, kGpu), ag = Tensor::zeros({1}, DType::f32, kGpu);
  balance_loss_forward(o, coefs, tc, vc, ac);
  balance_loss_forward(o, coefs, tg, vg, ag);
  expect_close(vg, vc, 1e-5, "balance values");
  expect_close(ag, ac, 1e-5, "aux sum");

  Tensor dgate = randn({n, k}, 10);
  auto grads_on = [&](const GateTensors& t, Device d) {
    GateGrads g;
    g.dgate = dgate.to(d);
    g.dprobs = Tensor::zeros({n, e}, DType::f32, d);
    g.dh = Tensor::zeros({n, e}, DType::f32, d);
    g.dclean = Tensor::zeros({n, e}, DType::f32, d);
    g.dstd = Tensor::zeros({n, e}, DType::f32, d);
    balance_loss_backward(o, coefs, t, 1.7, g);
    return g;
  };
  GateGrads gc = grads_on(tc, Device::cpu()), gg = grads_on(tg, kGpu);
  expect_close(gg.dgate, gc.dgate, 1e-5, "dgate");
  expect_close(gg.dprobs, gc.dprobs, 1e-5, "dprobs");
  expect_close(gg.dh, gc.dh, 1e-5, "dh");
  expect_close(gg.dclean, gc.dclean, 1e-5, "dclean");
  expect_close(gg.dstd, gc.dstd, 1e-5, "dstd");
  Tensor dcc = Tensor::empty({n, e}), drc = Tensor::empty({n, e});
  Tensor dcg = Tensor::empty({n, e}, DType::f32, kGpu),
         drg = Tensor::empty({n, e}, DType::f32, kGpu);
  router_gate_backward(o, tc, gc, dcc, drc);
  router_gate_backward(o, tg, gg, dcg, drg);
  expect_close(dcg, dcc, 1e-5, "dclean out");
  expect_close(drg, drc, 1e-5, "draw");

  Tensor ec = Tensor::empty({1}), eg_out = Tensor::empty({1}, DType::f32, kGpu);
  router_entropy(tc.probs, ec);
  router_entropy(tg.probs, eg_out);
  expect_close(eg_out, ec, 1e-5, "entropy");
}

// A sub-model's group gate: choices among the allowed columns only, probabilities over all.
TEST(CudaParity, RouterGateWithAllowedColumns) {
  MOEMT_NEEDS_GPU("router_gate");
  const int64_t n = 97, e = 4;
  RouterGateOptions o;  // one group, k = 1, noise: the learned group gate
  o.renormalize = false;
  o.noise_scale = 1.f;
  o.seed = 5;
  o.stream = 3;
  GateTensors tc;
  tc.group = Tensor::zeros({n}, DType::i32);
  tc.clean = randn({n, e}, 11, 1.5f);
  tc.raw = randn({n, e}, 12);
  tc.allowed = Tensor::from_vector(std::vector<int32_t>{1, 0, 0, 1}, {e});
  gate_on_both(o, tc);
  for (int32_t x : tc.expert.to_ivector()) EXPECT_TRUE(x == 0 || x == 3) << x;
}

}  // namespace
}  // namespace moemt::ops
