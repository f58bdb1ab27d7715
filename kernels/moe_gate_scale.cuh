// Raw-pointer launchers of the gate product (ops/moe_gate_scale.h): gate, out (n, k), scale (n).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_moe_gate_scale(const float* gate, const float* scale, float* out, int64_t n, int64_t k,
                           int device, void* stream);
// dscale[t] = sum_j dout[t,j] gate[t,j] (in j order), dgate[t,j] = dout[t,j] scale[t]; dgate
// may alias dout.
void launch_moe_gate_scale_backward(const float* dout, const float* gate, const float* scale,
                                    float* dgate, float* dscale, int64_t n, int64_t k, int device,
                                    void* stream);

}  // namespace moemt::kernels
