// Raw-pointer launchers of the cuBLAS matrix products behind ops/gemm.h (no Tensor, no C++20).
// Matrices are row-major; a and b share one input type (DType values: f32 0, bf16 1, f16 2),
// c is f32 and the products accumulate in f32 (CUBLAS_COMPUTE_32F, no TF32) on both paths.
#pragma once

#include <cstdint>

namespace moemt::kernels {

// One row-major product: c (m,n) = alpha * op(a) op(b) + beta * c, lda/ldb = the stored row
// lengths of a and b.
struct GemmDims {
  int64_t m, n, k, lda, ldb;
};

void launch_gemm(const void* a, const void* b, float* c, int ab_type, bool ta, bool tb, GemmDims d,
                 float alpha, float beta, int device, void* stream);

// `batch` products at fixed strides (elements); stride_b 0 broadcasts one b to every item.
void launch_gemm_strided_batched(const void* a, const void* b, float* c, int ab_type, bool ta,
                                 bool tb, GemmDims d, int64_t batch, int64_t stride_a,
                                 int64_t stride_b, int64_t stride_c, float alpha, float beta,
                                 int device, void* stream);

// One item of a grouped product: its own pointers, sizes and beta; alpha and the transposes
// are shared.
struct GemmItem {
  const void* a;
  const void* b;
  float* c;
  GemmDims d;
  float beta;
};

// All items in one cublasGemmGroupedBatchedEx call (one group per item). `device_ptrs` is a
// device buffer of 3 * count pointers the launcher fills on `stream` (an asynchronous copy from
// pageable memory returns once the source is staged, so a local array suffices). Where cuBLAS
// rejects the type combination (CUBLAS_STATUS_NOT_SUPPORTED) the items run as a loop of launch_gemm
// calls.
void launch_gemm_grouped(const GemmItem* items, int count, int ab_type, bool ta, bool tb,
                         float alpha, void** device_ptrs, int device, void* stream);

}  // namespace moemt::kernels
