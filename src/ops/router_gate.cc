// Entry points of the router gating ops: shape checks, output allocation, device dispatch.
#include "ops/router_gate.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "router_gate.cuh"
#endif

namespace moemt::ops {

namespace {
Device check_state(const char* op, const RouterGateOptions& o, const GateTensors& t) {
  const Tensor& c = t.clean;
  const Device dev =
      t.noisy() ? compute_device(op, kF32Only, c, t.raw) : compute_device(op, kF32Only, c);
  MOEMT_CHECK(c.rank() == 2, "router logits {}", c.shape().str());
  const int64_t n = c.size(0), e = c.size(1);
  MOEMT_CHECK(o.num_groups >= 1 && e % o.num_groups == 0 && o.k >= 1 && o.k <= e / o.num_groups &&
                  o.ktop >= o.k && o.ktop <= e,
              "router gate E={} G={} k={} ktop={}", e, o.num_groups, o.k, o.ktop);
  expect_dtype(op, "groups", t.group, DType::i32);
  MOEMT_CHECK(t.group.numel() == n, "router groups {} for {} rows", t.group.shape().str(), n);
  same_device(c, t.group);
  if (t.noisy())
    MOEMT_CHECK(t.raw.shape() == c.shape(), "noise logits {} vs {}", t.raw.shape().str(),
                c.shape().str());
  if (t.allowed.defined()) {
    expect_dtype(op, "allowed", t.allowed, DType::i32);
    MOEMT_CHECK(t.allowed.numel() == e, "router mask {} for {} columns", t.allowed.shape().str(), e);
    same_device(c, t.allowed);
  }
  return dev;
}
void check_nk(const Tensor& x, int64_t n, int64_t m, DType dt, const char* what) {
  MOEMT_CHECK(x.defined() && x.numel() == n * m && x.dtype() == dt, "{} is {} {}, wants ({}, {})",
              what, x.shape().str(), dtype_name(x.dtype()), n, m);
}
}  // namespace

void router_gate_forward(const RouterGateOptions& o, GateTensors& t) {
  const Device dev = check_state("router_gate_forward", o, t);
  const int64_t n = t.clean.size(0), e = t.clean.size(1);
  t.eps = t.noisy() ? Tensor::empty({n, e}, DType::f32, dev) : Tensor();
  t.noise_std = t.noisy() ? Tensor::empty({n, e}, DType::f32, dev) : Tensor();
  t.h = Tensor::empty({n, e}, DType::f32, dev);
  t.probs = Tensor::empty({n, e}, DType::f32, dev);
  t.top = Tensor::empty({n, o.ktop}, DType::i32, dev);
  t.expert = Tensor::empty({n, o.k}, DType::i32, dev);
  t.gate = Tensor::empty({n, o.k}, DType::f32, dev);
  if (n == 0) return;
  MOEMT_DISPATCH(dev, router_gate_forward, o, t);
}

void router_gate_backward(const RouterGateOptions& o, const GateTensors& t, const GateGrads& g,
                          Tensor& dclean_out, Tensor& draw) {
  const char* op = "router_gate_backward";
  const Device dev = check_state(op, o, t);
  compute_device(op, kF32Only, t.clean, t.probs, t.gate, g.dgate, dclean_out);
  if (t.noisy()) compute_device(op, kF32Only, t.clean, t.eps, draw);
  expect_dtype(op, "top", t.top, DType::i32);
  const int64_t n = t.clean.size(0), e = t.clean.size(1);
  check_nk(t.probs, n, e, DType::f32, "probs");
  check_nk(t.top, n, o.ktop, DType::i32, "top");
  check_nk(t.gate, n, o.k, DType::f32, "gate");
  check_nk(g.dgate, n, o.k, DType::f32, "dgate");
  for (const Tensor* x : {&g.dprobs, &g.dh, &g.dclean, &g.dstd})
    if (x->defined() && x->numel() > 0) {
      compute_device(op, kF32Only, t.clean, *x);
      check_nk(*x, n, e, DType::f32, "router gradient");
    }
  check_nk(dclean_out, n, e, DType::f32, "dclean");
  if (t.noisy()) {
    check_nk(t.eps, n, e, DType::f32, "noise draws");
    check_nk(draw, n, e, DType::f32, "draw");
  }
  if (n == 0) return;
  MOEMT_DISPATCH(dev, router_gate_backward, o, t, g, dclean_out, draw);
}

void router_entropy(const Tensor& probs, Tensor& out) {
  const Device dev = compute_device("router_entropy", kF32Only, probs, out);
  MOEMT_CHECK(probs.rank() == 2, "router probs {}", probs.shape().str());
  MOEMT_CHECK(out.numel() == 1, "router entropy out {}", out.shape().str());
  MOEMT_DISPATCH(dev, router_entropy, probs, out);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/router_gate.cu on the device's current stream. The kernels
// trust the token groups (the CPU checks them on the host; the MoE layer builds them).
namespace cuda {
namespace {
const float* or_null(const Tensor& t) {
  return t.defined() && t.numel() > 0 ? t.data<float>() : nullptr;
}
kernels::RouterGateArgs args(const RouterGateOptions& o, const GateTensors& t) {
  return {t.clean.size(0), t.clean.size(1), o.num_groups, o.k, o.ktop, o.renormalize,
          o.noise_scale, o.seed, o.stream};
}
}  // namespace
void router_gate_forward(const RouterGateOptions& o, GateTensors& t) {
  const Device dev = t.clean.device();
  const bool noisy = t.noisy();
  // The rows' double temporaries (h and the probabilities) and the top-k values.
  Tensor scratch = Tensor::empty({2 * t.clean.numel()}, DType::f64, dev);
  Tensor vals = Tensor::empty({t.clean.size(0) * o.ktop}, DType::f32, dev);
  kernels::RouterForwardPointers p{t.group.data<int32_t>(),
                                   t.clean.data<float>(),
                                   noisy ? t.raw.data<float>() : nullptr,
                                   t.allowed.defined() ? t.allowed.data<int32_t>() : nullptr,
                                   noisy ? t.eps.data<float>() : nullptr,
                                   noisy ? t.noise_std.data<float>() : nullptr,
                                   t.h.data<float>(),
                                   t.probs.data<float>(),
                                   t.top.data<int32_t>(),
                                   t.expert.data<int32_t>(),
                                   t.gate.data<float>(),
                                   scratch.data<double>(),
                                   vals.data<float>()};
  kernels::launch_router_gate_forward(args(o, t), p, dev.index, current_stream(dev).handle);
}
void router_gate_backward(const RouterGateOptions& o, const GateTensors& t, const GateGrads& g,
                          Tensor& dclean_out, Tensor& draw) {
  const Device dev = t.clean.device();
  const bool noisy = t.noisy();
  Tensor scratch = Tensor::empty({2 * t.clean.numel()}, DType::f64, dev);
  kernels::RouterBackwardPointers p{t.group.data<int32_t>(),
                                    t.probs.data<float>(),
                                    t.top.data<int32_t>(),
                                    t.gate.data<float>(),
                                    g.dgate.data<float>(),
                                    or_null(g.dprobs),
                                    or_null(g.dh),
                                    or_null(g.dclean),
                                    noisy ? or_null(g.dstd) : nullptr,
                                    noisy ? t.raw.data<float>() : nullptr,
                                    noisy ? t.eps.data<float>() : nullptr,
                                    dclean_out.data<float>(),
                                    noisy ? draw.data<float>() : nullptr,
                                    scratch.data<double>()};
  kernels::launch_router_gate_backward(args(o, t), p, dev.index, current_stream(dev).handle);
}
void router_entropy(const Tensor& probs, Tensor& out) {
  kernels::launch_router_entropy(probs.data<float>(), probs.numel(), out.data<float>(),
                                 probs.device().index, current_stream(probs.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
