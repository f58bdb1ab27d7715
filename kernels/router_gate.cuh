// Raw-pointer launchers of the MoE router gating (ops/router_gate.h). (n, e) f32 row-major
// unless noted; pointers of the noise path are null without noise.
#pragma once

#include <cstdint>

namespace moemt::kernels {

struct RouterGateArgs {
  int64_t n, e;
  int num_groups, k, ktop;
  bool renormalize;
  float noise_scale;
  uint64_t seed, stream;
};

struct RouterForwardPointers {
  const int32_t* group;  // (n)
  const float* clean;
  const float* raw;  // null without noise
  const int32_t* allowed;  // (e), null: every column may be chosen
  float* eps;        // null without noise
  float* noise_std;  // null without noise
  float* h;
  float* probs;
  int32_t* top;     // (n, ktop)
  int32_t* expert;  // (n, k)
  float* gate;      // (n, k)
  double* scratch;  // 2 * n * e doubles
  float* vals;      // n * ktop floats
};

void launch_router_gate_forward(const RouterGateArgs& a, const RouterForwardPointers& p, int device,
                                void* stream);

struct RouterBackwardPointers {
  const int32_t* group;
  const float* probs;
  const int32_t* top;
  const float* gate;
  const float* dgate;
  const float* dprobs;  // null: zero
  const float* dh;      // null: zero
  const float* dclean;  // null: zero
  const float* dstd;    // null: zero
  const float* raw;     // null without noise
  const float* eps;     // null without noise
  float* dclean_out;
  float* draw;      // null without noise
  double* scratch;  // 2 * n * e doubles
};

void launch_router_gate_backward(const RouterGateArgs& a, const RouterBackwardPointers& p,
                                 int device, void* stream);

// *out = sum of -p log p over the positive entries of probs (count floats), summed in double.
void launch_router_entropy(const float* probs, int64_t count, float* out, int device, void* stream);

}  // namespace moemt::kernels
