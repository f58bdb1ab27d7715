// Entry points of the gemm ops: shape checks, then device dispatch.
#include "ops/gemm.h"

#include "ops/dispatch.h"

namespace moemt::ops {

namespace {
struct Dims {
  int64_t m, k, n;
};
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
  const Device dev = compute_device("gemm", kF32Only, a, b, c);
  check_2d(a, trans_a, b, trans_b, c);
  MOEMT_DISPATCH(dev, gemm, a, trans_a, b, trans_b, c, alpha, beta);
}

void gemm_batched(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
                  float alpha, float beta) {
  const Device dev = compute_device("gemm_batched", kF32Only, a, b, c);
  MOEMT_CHECK(a.rank() == 3 && c.rank() == 3 && (b.rank() == 3 || b.rank() == 2),
              "gemm_batched ranks a {} b {} c {}", a.shape().str(), b.shape().str(),
              c.shape().str());
  MOEMT_CHECK(a.size(0) == c.size(0) && (b.rank() == 2 || b.size(0) == a.size(0)),
              "gemm_batched batch sizes a {} b {} c {}", a.shape().str(), b.shape().str(),
              c.shape().str());
  MOEMT_DISPATCH(dev, gemm_batched, a, trans_a, b, trans_b, c, alpha, beta);
}

Tensor matmul(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b) {
  int64_t m = trans_a ? a.shape().cols() : a.shape().rows();
  int64_t n = trans_b ? b.shape().rows() : b.shape().cols();
  Tensor c = Tensor::empty({m, n}, DType::f32, a.device());
  gemm(a, trans_a, b, trans_b, c, 1.f, 0.f);
  return c;
}

}  // namespace moemt::ops
