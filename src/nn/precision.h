// Mixed precision at the GEMMs (--precision bfloat16): every layer GEMM reads its weight's
// compute copy (Param::wc) and its activation in the same dtype, accumulating and writing f32;
// everything else (softmax, LayerNorm, losses, the router, biases, embeddings) stays f32.
#pragma once

#include "core/param_store.h"
#include "core/tensor.h"

namespace moemt::nn {

// x itself when it already has dtype t, else a new tensor holding x cast to t.
Tensor in_dtype(const Tensor& x, DType t);

// Gives the store a compute copy in `t` (f32: none) and fills it.
void set_compute_precision(ParamStore& store, DType t);
// Refills the compute copy from the f32 values with one ops::cast (per parameter for a store
// of memory-mapped views); nothing without a copy. Call after every change of the values:
// an optimizer update, a load, a swap of averaged weights.
void refresh_compute_copy(ParamStore& store);

}  // namespace moemt::nn
