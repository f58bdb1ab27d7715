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
// Products of at most this many rows run as one GEMV per row: OpenBLAS's GEMM packs the whole
// of b for every call, which costs more than the product itself when a has a few rows
// (decoding one sentence, an expert that got a few tokens). Measured with the installed
// OpenBLAS, K 256, N 512, one thread: 1 row 7x faster, 2 rows 3.6x, 4 rows 1.6x, 8 rows 1.06x.
constexpr int64_t kGemvRows = 4;

// c (m, n) = alpha * op(a) op(b) + beta * c on row-major f32 memory; lda, ldb are the stored
// row lengths of a and b.
void product(const float* a, int64_t lda, bool ta, const float* b, int64_t ldb, bool tb, float* c,
             int64_t m, int64_t n, int64_t k, float alpha, float beta) {
  if (m > kGemvRows) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, alpha, a, lda, b, ldb, beta, c, n);
    return;
  }
  // Row i of c = op(b)^T x, x = row i of op(a) (a column of a when transposed).
  for (int64_t i = 0; i < m; ++i) {
    const float* x = ta ? a + i : a + i * lda;
    const int64_t incx = ta ? lda : 1;
    if (tb)  // b is (n, k)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, alpha, b, ldb, x, incx, beta, c + i * n, 1);
    else  // b is (k, n)
      cblas_sgemv(CblasRowMajor, CblasTrans, k, n, alpha, b, ldb, x, incx, beta, c + i * n, 1);
  }
}

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
  product(a.data<float>(), a.shape().cols(), ta, b.data<float>(), b.shape().cols(), tb,
          c.data<float>(), m, n, k, alpha, beta);
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
    product(pa + i * sa, ac, ta, pb + i * sb, bc, tb, pc + i * sc, m, n, k, alpha, beta);
}

void gemm_grouped(const std::vector<GemmProblem>& problems, bool ta, bool tb, float alpha) {
  for (const GemmProblem& p : problems) {
    Tensor c = p.c;
    gemm(p.a, ta, p.b, tb, c, alpha, p.beta);
  }
}

}  // namespace moemt::ops::cpu
