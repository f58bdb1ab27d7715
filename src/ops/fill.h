// Filling a tensor with one value on its own device: ops::fill for f32, ops::zero for any
// dtype. Layers, the trainer and tests use these instead of building a host buffer to upload.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// x[i] = value for every element; x is f32.
void fill(Tensor& x, float value);
// Every byte of x zero (0 in every dtype).
void zero(Tensor& x);

namespace cpu {
void fill(Tensor& x, float value);
void zero(Tensor& x);
}  // namespace cpu
namespace cuda {
void fill(Tensor& x, float value);
void zero(Tensor& x);
}  // namespace cuda

}  // namespace moemt::ops
