// Router forward and backward. Shapes: x (N, D), Wg and Wnoise (D, E), logits (N, E).
#include "moe/router.h"

#include <algorithm>

#include "ops/gemm.h"

namespace moemt::moe {

Router::Router(ParamStore& ps, const std::string& name, int64_t d_model, const RouterOptions& opt)
    : opt_(opt), d_model_(d_model) {
  MOEMT_CHECK(opt.num_groups >= 1 && opt.num_experts % opt.num_groups == 0 && opt.k >= 1 &&
                  opt.k <= opt.num_experts / opt.num_groups,
              "router options E={} G={} k={}", opt.num_experts, opt.num_groups, opt.k);
  wg_ = ps.add(name + ".wg", {d_model, opt.num_experts}, InitSpec::Normal(opt.init_std));
  if (opt.noisy) wnoise_ = ps.add(name + ".wnoise", {d_model, opt.num_experts}, InitSpec::Zeros());
  if (!opt.allowed.empty()) {
    MOEMT_CHECK(static_cast<int>(opt.allowed.size()) == opt.num_experts,
                "router {}: {} allowed flags for {} outputs", name, opt.allowed.size(),
                opt.num_experts);
    std::vector<int32_t> a;
    for (bool b : opt.allowed) a.push_back(b ? 1 : 0);
    MOEMT_CHECK(std::count(a.begin(), a.end(), 1) > 0, "router {}: no output allowed", name);
    allowed_ = Tensor::from_vector(a, {opt.num_experts});
  }
}

void Router::forward(nn::Ctx& ctx, const Tensor& x, const Tensor& group, Saved& s) const {
  const int e = opt_.num_experts, k = opt_.k;
  const int64_t n = x.shape().rows();
  MOEMT_CHECK(group.numel() == n, "router groups {} for {} rows", group.numel(), n);
  const bool noise_on = opt_.noisy && ctx.training && opt_.noise_scale > 0.f;
  s = {};
  s.x = x;
  ops::RouterGateOptions& gate_opt_ = s.gate_opt;
  ops::GateTensors& t_ = s.t;
  gate_opt_.num_groups = opt_.num_groups;
  gate_opt_.k = k;
  // Top-k keeps k+1 indices when the load loss needs the k-th value excluding each expert.
  gate_opt_.ktop = (opt_.coefs.load > 0 && noise_on) ? std::min(k + 1, e) : k;
  gate_opt_.renormalize = opt_.renormalize;
  t_.group = group;
  if (allowed_.defined()) {
    if (allowed_.device() != x.device()) allowed_ = allowed_.to(x.device());
    t_.allowed = allowed_;
  }
  // clean = x Wg; with noise raw = x Wnoise, H = clean + eps * noise_scale * softplus(raw).
  t_.clean = Tensor::empty({n, e}, DType::f32, x.device());
  ops::gemm(x, false, wg_.w(), false, t_.clean);
  if (noise_on) {
    t_.raw = Tensor::empty({n, e}, DType::f32, x.device());
    ops::gemm(x, false, wnoise_.w(), false, t_.raw);
    RngStream rng = ctx.next_rng();
    gate_opt_.noise_scale = opt_.noise_scale;
    gate_opt_.seed = rng.seed;
    gate_opt_.stream = rng.stream;
  }
  ops::router_gate_forward(gate_opt_, t_);
  s.values = Tensor::empty({ops::kNumBalanceLosses}, DType::f32, x.device());
  Tensor none;
  ops::balance_loss_forward(gate_opt_, opt_.coefs, t_, s.values,
                            opt_.coefs.any() ? ctx.aux_loss_buffer(x.device()) : none);
}

double Router::read_entropy_sum_to_host(const Saved& s) {
  Tensor h = Tensor::empty({1}, DType::f32, s.t.probs.device());
  ops::router_entropy(s.t.probs, h);
  return h.to_vector()[0];  // device -> host: one number, for statistics only
}

Tensor Router::backward(Tensor dgate, double aux_scale, const Saved& s) const {
  const ops::GateTensors& t_ = s.t;
  const ops::RouterGateOptions& gate_opt_ = s.gate_opt;
  const Tensor& x_ = s.x;
  const int64_t n = t_.clean.size(0), e = opt_.num_experts;
  const Device dev = x_.device();
  // Gradient buffers only for the enabled losses (dgate: the combine and importance).
  const ops::BalanceCoefs& c = opt_.coefs;
  const bool load = c.load > 0 && t_.noisy();
  ops::GateGrads g;
  g.dgate = dgate;
  if (c.switch_aux > 0) g.dprobs = Tensor::zeros({n, e}, DType::f32, dev);
  if (c.z > 0 || load) g.dh = Tensor::zeros({n, e}, DType::f32, dev);
  if (load) g.dclean = Tensor::zeros({n, e}, DType::f32, dev);
  if (load) g.dstd = Tensor::zeros({n, e}, DType::f32, dev);
  if (c.any()) ops::balance_loss_backward(gate_opt_, c, t_, aux_scale, g);
  Tensor dc = Tensor::empty({n, e}, DType::f32, dev), dr;
  if (t_.noisy()) dr = Tensor::empty({n, e}, DType::f32, dev);
  ops::router_gate_backward(gate_opt_, t_, g, dc, dr);
  // clean = x Wg: dWg += x^T dclean, dx = dclean Wg^T (and the same for the noise path).
  Tensor dx = Tensor::empty({n, d_model_}, DType::f32, dev);
  Tensor gw = wg_.g();
  ops::gemm(x_, true, dc, false, gw, 1.f, 1.f);
  ops::gemm(dc, false, wg_.w(), true, dx, 1.f, 0.f);
  if (t_.noisy()) {
    Tensor gn = wnoise_.g();
    ops::gemm(x_, true, dr, false, gn, 1.f, 1.f);
    ops::gemm(dr, false, wnoise_.w(), true, dx, 1.f, 1.f);
  }
  return dx;
}

}  // namespace moemt::moe
