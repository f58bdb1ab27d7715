// Raw-pointer launchers of the activations (ops/activation.h); `act` is the Activation enum's
// value (relu 0, gelu 1, gelu_erf 2).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_activation_forward(int act, const float* x, float* y, int64_t n, int device,
                               void* stream);
void launch_activation_backward(int act, const float* x, const float* dy, float* dx, int64_t n,
                                int device, void* stream);

}  // namespace moemt::kernels
