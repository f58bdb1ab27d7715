// Which ops have a CUDA kernel in this build (kernels land op by op): for tests that skip a
// CUDA instance cleanly and for `moemt version`.
#pragma once

#include <string_view>

namespace moemt::ops {

bool has_cuda_kernel(std::string_view op);  // op = the file stem: "softmax", "cast", ...

// The ops with CUDA kernels, comma-separated ("" without any), for `moemt version`.
std::string_view cuda_kernel_ops();

}  // namespace moemt::ops
