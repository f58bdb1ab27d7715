// Matrix products: c = alpha * op(a) · op(b) + beta * c, single, batched and grouped.
// Tensors of rank > 2 are viewed as 2-D (rows = product of leading dims) by gemm().
// c is f32; a and b are both f32, bf16 or f16 (f32 accumulation; the CPU widens 16-bit inputs
// to f32 first, a reference for mixed precision rather than a fast path).
#pragma once

#include <vector>

#include "core/tensor.h"

namespace moemt::ops {

// a is (M,K) or, with trans_a, (K,M); b is (K,N) or (N,K); c is (M,N) and must exist.
void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
          float alpha = 1.f, float beta = 0.f);

// a (B,M,K), b (B,K,N), c (B,M,N) (transposes apply per batch item). A batch stride of 0 for
// b (rank-2 b) broadcasts one matrix to every batch item.
void gemm_batched(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
                  float alpha = 1.f, float beta = 0.f);

// One product of a grouped gemm; a, b, c as for gemm() (2-D views). beta is per problem: a
// MoE layer's first gradient of a step overwrites (0), later ones add (1).
struct GemmProblem {
  Tensor a, b, c;
  float beta = 0.f;
};

// Every problem's c = alpha * op(a) · op(b) + beta * c with shared transposes: the expert
// FFNs of a MoE layer, one problem per expert. CUDA runs them as one grouped cuBLAS call
// (cublasGemmGroupedBatchedEx); the CPU, and the reference in tests, as a loop of gemm().
// Problems with no rows are skipped.
void gemm_grouped(const std::vector<GemmProblem>& problems, bool trans_a, bool trans_b,
                  float alpha = 1.f);

// Convenience: returns op(a) · op(b) as a new tensor (2-D view semantics as gemm).
Tensor matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b);

namespace cpu {
void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, float alpha,
          float beta);
void gemm_batched(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
                  float alpha, float beta);
void gemm_grouped(const std::vector<GemmProblem>& problems, bool trans_a, bool trans_b,
                  float alpha);
}  // namespace cpu
namespace cuda {
void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, float alpha,
          float beta);
void gemm_batched(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
                  float alpha, float beta);
void gemm_grouped(const std::vector<GemmProblem>& problems, bool trans_a, bool trans_b,
                  float alpha);
}  // namespace cuda

}  // namespace moemt::ops
