// Cast between f32 and the 16-bit storage types (bf16, f16): the mixed-precision contract keeps
// fp32 master weights and casts them to bf16/f16 for the CUDA ops, which accumulate in fp32.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// y = x converted to y's dtype (f32, bf16 or f16; same numel). Round to nearest even.
void cast(const Tensor& x, Tensor& y);

namespace cpu {
void cast(const Tensor& x, Tensor& y);
}
namespace cuda {
void cast(const Tensor& x, Tensor& y);
}

}  // namespace moemt::ops
