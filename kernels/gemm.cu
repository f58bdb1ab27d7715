// cuBLAS matrix products for ops/gemm.h. cuBLAS is column-major: a row-major c (m,n) is the
// column-major c^T (n,m) = op(b)^T op(a)^T, so every call passes b before a with m and n
// swapped, and no data moves. A handle per (device, stream) per thread (cuBLAS handles are not
// shared between threads that set different streams), created on first use and kept for the
// process: destroying it at thread exit could run after the CUDA context is gone.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gemm.cuh"

namespace moemt::kernels {

namespace {

void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuBLAS ") + what + ": " + cublasGetStatusString(s));
}

cublasHandle_t handle_for(int device, void* stream) {
  thread_local std::map<std::pair<int, void*>, cublasHandle_t> handles;
  cudaSetDevice(device);
  auto key = std::make_pair(device, stream);
  auto it = handles.find(key);
  if (it == handles.end()) {
    cublasHandle_t h;
    check(cublasCreate(&h), "create");
    check(cublasSetStream(h, static_cast<cudaStream_t>(stream)), "set stream");
    // f32 accumulation as requested (no TF32: that needs COMPUTE_32F_FAST_TF32) and no
    // reduced-precision split-K reductions for bf16/f16 inputs; tensor cores stay allowed.
    check(cublasSetMathMode(
              h, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                           CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)),
          "math mode");
    it = handles.emplace(key, h).first;
  }
  return it->second;
}

cudaDataType_t input_type(int ab_type) {
  switch (ab_type) {
    case 1:
      return CUDA_R_16BF;
    case 2:
      return CUDA_R_16F;
    default:
      return CUDA_R_32F;
  }
}

cublasOperation_t op(bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }

}  // namespace

void launch_gemm(const void* a, const void* b, float* c, int ab_type, bool ta, bool tb, GemmDims d,
                 float alpha, float beta, int device, void* stream) {
  if (d.m == 0 || d.n == 0) return;
  const cudaDataType_t t = input_type(ab_type);
  check(cublasGemmEx_64(handle_for(device, stream), op(tb), op(ta), d.n, d.m, d.k, &alpha, b, t,
                        d.ldb, a, t, d.lda, &beta, c, CUDA_R_32F, d.n, CUBLAS_COMPUTE_32F,
                        CUBLAS_GEMM_DEFAULT),
        "gemm");
}

void launch_gemm_strided_batched(const void* a, const void* b, float* c, int ab_type, bool ta,
                                 bool tb, GemmDims d, int64_t batch, int64_t stride_a,
                                 int64_t stride_b, int64_t stride_c, float alpha, float beta,
                                 int device, void* stream) {
  if (d.m == 0 || d.n == 0 || batch == 0) return;
  const cudaDataType_t t = input_type(ab_type);
  check(cublasGemmStridedBatchedEx_64(handle_for(device, stream), op(tb), op(ta), d.n, d.m, d.k,
                                      &alpha, b, t, d.ldb, stride_b, a, t, d.lda, stride_a, &beta,
                                      c, CUDA_R_32F, d.n, stride_c, batch, CUBLAS_COMPUTE_32F,
                                      CUBLAS_GEMM_DEFAULT),
        "strided batched gemm");
}

void launch_gemm_grouped(const GemmItem* items, int count, int ab_type, bool ta, bool tb,
                         float alpha, void** device_ptrs, int device, void* stream) {
  // Empty items (an expert without tokens) are left out: cuBLAS wants m, n > 0.
  std::vector<const void*> ptrs;  // b's, then a's, then c's: cuBLAS's A, B, C arrays
  std::vector<int64_t> m, n, k, lda, ldb, ldc, size;
  std::vector<float> betas;
  std::vector<const GemmItem*> live;
  for (int i = 0; i < count; ++i)
    if (items[i].d.m > 0 && items[i].d.n > 0) live.push_back(&items[i]);
  const int64_t g = static_cast<int64_t>(live.size());
  if (g == 0) return;
  ptrs.resize(3 * g);
  for (int64_t i = 0; i < g; ++i) {
    const GemmItem& it = *live[i];
    ptrs[i] = it.b;
    ptrs[g + i] = it.a;
    ptrs[2 * g + i] = it.c;
    m.push_back(it.d.n);  // swapped, as in launch_gemm
    n.push_back(it.d.m);
    k.push_back(it.d.k);
    lda.push_back(it.d.ldb);
    ldb.push_back(it.d.lda);
    ldc.push_back(it.d.n);
    size.push_back(1);
    betas.push_back(it.beta);
  }
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  cudaError_t e = cudaMemcpyAsync(device_ptrs, ptrs.data(), ptrs.size() * sizeof(void*),
                                  cudaMemcpyHostToDevice, s);
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("grouped gemm pointers: ") + cudaGetErrorString(e));
  std::vector<cublasOperation_t> opa(g, op(tb)), opb(g, op(ta));
  std::vector<float> alphas(g, alpha);
  const cudaDataType_t t = input_type(ab_type);
  const void* const* dev = const_cast<const void* const*>(device_ptrs);
  cublasStatus_t st = cublasGemmGroupedBatchedEx_64(
      handle_for(device, stream), opa.data(), opb.data(), m.data(), n.data(), k.data(),
      alphas.data(), dev, t, lda.data(), dev + g, t, ldb.data(), betas.data(), device_ptrs + 2 * g,
      CUDA_R_32F, ldc.data(), g, size.data(), CUBLAS_COMPUTE_32F);
  if (st == CUBLAS_STATUS_NOT_SUPPORTED) {
    for (const GemmItem* it : live)
      launch_gemm(it->a, it->b, it->c, ab_type, ta, tb, it->d, alpha, it->beta, device, stream);
    return;
  }
  check(st, "grouped gemm");
}

}  // namespace moemt::kernels
