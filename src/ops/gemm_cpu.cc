// CPU gemm through OpenBLAS (row-major CBLAS). bf16/f16 inputs are widened to f32 first and
// then take the f32 path: a reference for mixed precision (the CPU computes exactly the product
// of the rounded inputs, as cuBLAS does up to summation order), not a fast path.
#include <cblas.h>
#include <omp.h>

#include "ops/cast.h"
#include "ops/gemm.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kSerialGemmMacs = int64_t{1} << 22;

// t itself when it is f32, else an f32 copy (bf16 and f16 widen exactly).
Tensor widened(const Tensor& t) {
  if (t.dtype() == DType::f32) return t;
  Tensor w = Tensor::empty(t.shape(), DType::f32, t.device());
  cast(t, w);
  return w;
}
}  // namespace

void gemm(const Tensor& a16, bool ta, const Tensor& b16, bool tb, Tensor& c, float alpha,
          float beta) {
  const Tensor a = widened(a16), b = widened(b16);
  int64_t m = c.shape().rows(), n = c.shape().cols();
  int64_t k = ta ? a.shape().rows() : a.shape().cols();
  if (m == 0 || n == 0) return;
  // OpenBLAS threads by omp_get_max_threads() of the caller; a small product finishes before
  // a sleeping thread would wake up, so it runs on this thread alone.
  const bool small = m * n * k < kSerialGemmMacs && omp_get_max_threads() > 1;
  const int threads = small ? omp_get_max_threads() : 0;
  if (small) omp_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a.data<float>(), a.shape().cols(), b.data<float>(), b.shape().cols(), beta,
              c.data<float>(), n);
  if (small) omp_set_num_threads(threads);
}

void gemm_batched(const Tensor& a16, bool ta, const Tensor& b16, bool tb, Tensor& c, float alpha,
                  float beta) {
  const Tensor a = widened(a16), b = widened(b16);
  int64_t batch = a.size(0);
  int64_t ar = a.size(1), ac = a.size(2);
  int64_t br = b.size(-2), bc = b.size(-1);
  int64_t m = c.size(1), n = c.size(2), k = ta ? ar : ac;
  int64_t sa = ar * ac, sb = b.rank() == 3 ? br * bc : 0, sc = m * n;
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = c.data<float>();
  // Small per-item products (attention heads) parallelise better across items than inside BLAS.
#pragma omp parallel for schedule(static) if (batch > 1 && m * n * k < (1 << 20) && batch * m * n * k > (1 << 15))
  for (int64_t i = 0; i < batch; ++i)
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, alpha, pa + i * sa, ac, pb + i * sb, bc, beta, pc + i * sc, n);
}

void gemm_grouped(const std::vector<GemmProblem>& problems, bool ta, bool tb, float alpha) {
  for (const GemmProblem& p : problems) {
    Tensor c = p.c;
    gemm(p.a, ta, p.b, tb, c, alpha, p.beta);
  }
}

}  // namespace moemt::ops::cpu
