// Entry points of the gemm ops: shape and dtype checks, then device dispatch.
#include "ops/gemm.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "gemm.cuh"
#endif

namespace moemt::ops {

namespace {
struct Dims {
  int64_t m, k, n;
};
// Inputs in f32, bf16 or f16 (cuBLAS with f32 accumulation on CUDA; widened to f32 on the
// CPU, a reference path for mixed precision); the output is always f32.
constexpr DTypeSupport kGemmInputs{kFloatBits, kFloatBits};
Device check_types(const char* op, const Tensor& a, const Tensor& b, const Tensor& c) {
  const Device dev = compute_device(op, kGemmInputs, a, b);
  expect_dtype(op, "output", c, DType::f32);
  same_device(a, c);
  return dev;
}
Dims check_2d(const Tensor& a, bool ta, const Tensor& b, bool tb, const Tensor& c) {
  int64_t ar = a.shape().rows(), ac = a.shape().cols();
  int64_t br = b.shape().rows(), bc = b.shape().cols();
  int64_t m = ta ? ac : ar, k = ta ? ar : ac;
  int64_t kb = tb ? bc : br, n = tb ? br : bc;
  MOEMT_CHECK(k == kb, "gemm inner dims differ: a {} (t={}), b {} (t={})", a.shape().str(), ta,
              b.shape().str(), tb);
  MOEMT_CHECK(c.shape().rows() == m && c.shape().cols() == n, "gemm output {} for ({},{})",
              c.shape().str(), m, n);
  return {m, k, n};
}
}  // namespace

void gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c, float alpha,
          float beta) {
  const Device dev = check_types("gemm", a, b, c);
  check_2d(a, trans_a, b, trans_b, c);
  MOEMT_DISPATCH(dev, gemm, a, trans_a, b, trans_b, c, alpha, beta);
}

void gemm_batched(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
                  float alpha, float beta) {
  const Device dev = check_types("gemm_batched", a, b, c);
  MOEMT_CHECK(a.rank() == 3 && c.rank() == 3 && (b.rank() == 3 || b.rank() == 2),
              "gemm_batched ranks a {} b {} c {}", a.shape().str(), b.shape().str(),
              c.shape().str());
  MOEMT_CHECK(a.size(0) == c.size(0) && (b.rank() == 2 || b.size(0) == a.size(0)),
              "gemm_batched batch sizes a {} b {} c {}", a.shape().str(), b.shape().str(),
              c.shape().str());
  MOEMT_DISPATCH(dev, gemm_batched, a, trans_a, b, trans_b, c, alpha, beta);
}

void gemm_grouped(const std::vector<GemmProblem>& problems, bool trans_a, bool trans_b,
                  float alpha) {
  if (problems.empty()) return;
  const Device dev = check_types("gemm_grouped", problems[0].a, problems[0].b, problems[0].c);
  for (const GemmProblem& p : problems) {
    check_types("gemm_grouped", p.a, p.b, p.c);
    check_2d(p.a, trans_a, p.b, trans_b, p.c);
    MOEMT_CHECK(p.a.device() == dev && p.a.dtype() == problems[0].a.dtype(),
                "gemm_grouped: problems on {} ({}) and {} ({})", dev.str(),
                dtype_name(problems[0].a.dtype()), p.a.device().str(), dtype_name(p.a.dtype()));
  }
  MOEMT_DISPATCH(dev, gemm_grouped, problems, trans_a, trans_b, alpha);
}

Tensor matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b) {
  int64_t m = trans_a ? a.shape().cols() : a.shape().rows();
  int64_t n = trans_b ? b.shape().rows() : b.shape().cols();
  Tensor c = Tensor::empty({m, n}, DType::f32, a.device());
  gemm(a, trans_a, b, trans_b, c, 1.f, 0.f);
  return c;
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/gemm.cu on the tensors' device's current stream.
namespace cuda {
namespace {
void* stream_of(const Tensor& t) { return current_stream(t.device()).handle; }
kernels::GemmDims dims(const Tensor& a, bool ta, const Tensor& b, const Tensor& c) {
  return {c.shape().rows(), c.shape().cols(), ta ? a.shape().rows() : a.shape().cols(),
          a.shape().cols(), b.shape().cols()};
}
}  // namespace

void gemm(const Tensor& a, bool ta, const Tensor& b, bool tb, Tensor& c, float alpha,
          float beta) {
  kernels::launch_gemm(a.raw(), b.raw(), c.data<float>(), static_cast<int>(a.dtype()), ta, tb,
                       dims(a, ta, b, c), alpha, beta, a.device().index, stream_of(a));
}

void gemm_batched(const Tensor& a, bool ta, const Tensor& b, bool tb, Tensor& c, float alpha,
                  float beta) {
  const int64_t ar = a.size(1), ac = a.size(2);
  kernels::GemmDims d{c.size(1), c.size(2), ta ? ar : ac, ac, b.size(-1)};
  const int64_t sb = b.rank() == 3 ? b.size(1) * b.size(2) : 0;
  kernels::launch_gemm_strided_batched(a.raw(), b.raw(), c.data<float>(),
                                       static_cast<int>(a.dtype()), ta, tb, d, a.size(0), ar * ac,
                                       sb, d.m * d.n, alpha, beta, a.device().index, stream_of(a));
}

void gemm_grouped(const std::vector<GemmProblem>& problems, bool ta, bool tb, float alpha) {
  std::vector<kernels::GemmItem> items;
  for (const GemmProblem& p : problems)
    items.push_back({p.a.raw(), p.b.raw(), p.c.data<float>(), dims(p.a, ta, p.b, p.c), p.beta});
  const Tensor& a0 = problems[0].a;
  // 3 pointers per problem (cuBLAS reads the A, B and C arrays from device memory).
  Tensor ptrs = Tensor::empty({static_cast<int64_t>(6 * items.size())}, DType::i32, a0.device());
  kernels::launch_gemm_grouped(items.data(), static_cast<int>(items.size()),
                               static_cast<int>(a0.dtype()), ta, tb, alpha,
                               static_cast<void**>(ptrs.raw()), a0.device().index, stream_of(a0));
  // The pointer buffer returns to its stream's bin, reused only by work queued after this call.
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
