// MoE router gating as ops: noisy logits, restriction to the token's expert group, top-k,
// softmax probabilities and gates (forward), and the gradient back to the logits (backward).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

struct RouterGateOptions {
  int num_groups = 1;       // candidates of a token are the experts of its group
  int k = 1;                // choices per token
  int ktop = 1;             // indices kept in `top`: k, or k + 1 for the load loss
  bool renormalize = true;  // gates = softmax over the k kept logits (else p of the choice)
  float noise_scale = 0.f;  // noise is on when raw is defined
  // Noise stream: eps[t, i] = RngStream{seed, stream}.normal(t * E + i), so every device draws
  // the same numbers.
  uint64_t seed = 0, stream = 0;
};

// One router level's tensors, on one device. Inputs: group, clean, raw. The forward writes
// the rest; the balancing losses and the backward read them. (N, E) f32 unless noted.
struct GateTensors {
  Tensor group;      // (N) i32: the token's group, -1 for padding rows (routed nowhere)
  Tensor clean;      // x Wg
  Tensor raw;        // x Wnoise; undefined without noise
  // (E) i32, optional: choices (top, expert) only among columns with allowed != 0, while
  // probs stay the softmax over all candidates. A sub-model's group gate: a token whose best
  // group was left out takes its best kept one, with the probability the full model gives it,
  // and every other token routes exactly as in the full model. Every row's candidates must
  // include an allowed column; where fewer than ktop are allowed, top ends in disallowed ones.
  Tensor allowed;
  Tensor eps;        // the noise draws, saved for the backward; undefined without noise
  Tensor noise_std;  // noise_scale * softplus(raw), saved for the load loss; likewise
  Tensor h;          // clean + eps * noise_scale * softplus(raw), -inf outside the group
  Tensor probs;      // softmax of h over the candidates, 0 elsewhere and on padding rows
  Tensor top;        // (N, ktop) i32: indices of h, largest first (ties: lower index first)
  Tensor expert;     // (N, k) i32: chosen experts, -1 on padding rows
  Tensor gate;       // (N, k) f32: combine weights, 0 on padding rows
  bool noisy() const { return raw.defined() && raw.numel() > 0; }
};

// Gradients with respect to one level's gating tensors, f32; (N, E) unless noted. The
// combine and the balancing losses add into dgate, the losses into the others, which stay
// undefined (zero) where no enabled loss writes them.
struct GateGrads {
  Tensor dgate;                     // (N, k)
  Tensor dprobs, dh, dclean, dstd;  // dstd: d/d(noise std), only with noise
};

// Allocates t.eps and t.noise_std (with noise), t.h, t.probs, t.top, t.expert and t.gate on clean's
// device and fills them.
void router_gate_forward(const RouterGateOptions& o, GateTensors& t);

// From g (dgate, dprobs, dh, dclean, dstd) to dclean_out = dLoss/dclean and, with noise,
// draw = dLoss/draw; both (N, E) f32 and allocated by the caller.
void router_gate_backward(const RouterGateOptions& o, const GateTensors& t, const GateGrads& g,
                          Tensor& dclean_out, Tensor& draw);

// out (1) f32 = sum over rows of the entropy (nats) of probs (N, E) f32; zero entries (outside
// the group, padding rows) add nothing. For routing statistics, read once per call.
void router_entropy(const Tensor& probs, Tensor& out);

namespace cpu {
void router_gate_forward(const RouterGateOptions& o, GateTensors& t);
void router_entropy(const Tensor& probs, Tensor& out);
void router_gate_backward(const RouterGateOptions& o, const GateTensors& t, const GateGrads& g,
                          Tensor& dclean_out, Tensor& draw);
}  // namespace cpu
namespace cuda {
void router_gate_forward(const RouterGateOptions& o, GateTensors& t);
void router_entropy(const Tensor& probs, Tensor& out);
void router_gate_backward(const RouterGateOptions& o, const GateTensors& t, const GateGrads& g,
                          Tensor& dclean_out, Tensor& draw);
}  // namespace cuda

}  // namespace moemt::ops
