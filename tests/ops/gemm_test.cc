// gemm against a naive triple loop, for every transpose combination and the batched form.
#include "ops/gemm.h"

#include <gtest/gtest.h>

#include "core/rng.h"
#include "device_test.h"
#include "ops/cast.h"

namespace moemt::ops {
namespace {
Tensor rand_tensor(const Shape& s, uint64_t stream) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  RngStream r{3, stream};
  for (size_t i = 0; i < v.size(); ++i) v[i] = r.normal(i);
  return Tensor::from_vector(v, s);
}
float at(const std::vector<float>& v, const Tensor& t, bool tr, int64_t i, int64_t j) {
  int64_t cols = t.shape().cols();
  return tr ? v[j * cols + i] : v[i * cols + j];
}
}  // namespace

class GemmTest : public moemt::testing::DeviceTest {};

TEST_P(GemmTest, MatchesNaiveAllTransposes) {
  MOEMT_NEEDS_KERNELS("gemm");
  // 1 and 3 rows: the CPU's one-GEMV-per-row path; 5: GEMM.
  const int64_t k = 7, n = 3;
  for (int64_t m : {1, 3, 5})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        Tensor a = on(rand_tensor(ta ? Shape{k, m} : Shape{m, k}, 1));
        Tensor b = on(rand_tensor(tb ? Shape{n, k} : Shape{k, n}, 2));
        Tensor c = on(rand_tensor({m, n}, 3));
        auto c0 = c.to_vector();
        gemm(a, ta, b, tb, c, 0.5f, 2.f);
        auto av = a.to_vector(), bv = b.to_vector(), cv = c.to_vector();
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (int64_t p = 0; p < k; ++p) s += at(av, a, ta, i, p) * at(bv, b, tb, p, j);
            EXPECT_NEAR(cv[i * n + j], 0.5 * s + 2.0 * c0[i * n + j], 1e-4);
          }
      }
}

TEST_P(GemmTest, BatchedAndBroadcast) {
  MOEMT_NEEDS_KERNELS("gemm");
  Tensor a = on(rand_tensor({4, 3, 6}, 4)), b = on(rand_tensor({4, 6, 2}, 5)), w = on(rand_tensor({6, 2}, 6));
  Tensor c = empty({4, 3, 2}), d = empty({4, 3, 2});
  gemm_batched(a, false, b, false, c);
  gemm_batched(a, false, w, false, d);
  for (int64_t i = 0; i < 4; ++i) {
    Tensor ci = matmul(a.narrow(i, 1).reshape({3, 6}), false, b.narrow(i, 1).reshape({6, 2}), false);
    Tensor di = matmul(a.narrow(i, 1).reshape({3, 6}), false, w, false);
    auto cv = c.narrow(i, 1).to_vector(), dv = d.narrow(i, 1).to_vector();
    for (int j = 0; j < 6; ++j) {
      EXPECT_NEAR(cv[j], ci.to_vector()[j], 1e-5);
      EXPECT_NEAR(dv[j], di.to_vector()[j], 1e-5);
    }
  }
  Tensor bad = empty({3, 3});
  EXPECT_THROW(gemm(a.reshape({12, 6}), false, b.reshape({24, 2}), false, bad), InternalError);
}

// Experts of different row counts (one with none), as a MoE layer groups them, against one
// gemm per problem; both transposes of the weight-gradient form (aᵀ·b) too.
TEST_P(GemmTest, GroupedMatchesOneGemmPerProblem) {
  MOEMT_NEEDS_KERNELS("gemm");
  const int64_t k = 6, n = 5;
  const std::vector<int64_t> rows = {3, 0, 7, 1};
  Tensor x = on(rand_tensor({11, k}, 7));
  for (bool ta : {false, true}) {
    std::vector<GemmProblem> grouped, single;
    int64_t r0 = 0;
    for (size_t e = 0; e < rows.size(); ++e) {
      Tensor a = x.narrow(r0, rows[e]);
      r0 += rows[e];
      // ta: c (k,n) = aᵀ (k,rows) · b (rows,n); else c (rows,n) = a (rows,k) · w (k,n).
      Tensor b = on(rand_tensor(ta ? Shape{rows[e], n} : Shape{k, n}, 10 + e));
      Shape cs = ta ? Shape{k, n} : Shape{rows[e], n};
      Tensor c0 = on(rand_tensor(cs, 20 + e));
      const float beta = e % 2 ? 1.f : 0.f;  // per-problem beta: overwrite or accumulate
      grouped.push_back({a, b, c0.clone(), beta});
      single.push_back({a, b, c0.clone(), beta});
    }
    gemm_grouped(grouped, ta, false, 0.5f);
    for (GemmProblem& p : single) gemm(p.a, ta, p.b, false, p.c, 0.5f, p.beta);
    for (size_t e = 0; e < rows.size(); ++e) {
      auto g = grouped[e].c.to_vector(), s = single[e].c.to_vector();
      ASSERT_EQ(g.size(), s.size());
      for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], s[i], 1e-5) << e << " " << i;
    }
  }
  std::vector<GemmProblem> bad = {{x, on(rand_tensor({5, n}, 30)), empty({11, n})}};
  EXPECT_THROW(gemm_grouped(bad, false, false), InternalError);
}

// The CPU computes in f32 only; reduced-precision inputs are for the CUDA path.
// The CPU widens bf16 inputs to f32 (the reference path of mixed precision; exactness is
// CpuRejectsReduced.CpuGemmWidensReduced); inputs of two dtypes are an error.
TEST(GemmCpu, WidensBf16InputsButNotMixedOnes) {
  Tensor a = Tensor::empty({2, 3}, DType::bf16), b = Tensor::empty({3, 2}, DType::bf16);
  cast(Tensor::from_vector(std::vector<float>(6, 1.5f), {2, 3}), a);
  cast(Tensor::from_vector(std::vector<float>(6, -2.f), {3, 2}), b);
  Tensor c = Tensor::zeros({2, 2});
  gemm(a, false, b, false, c);
  EXPECT_EQ(c.to_vector(), std::vector<float>(4, -9.f));
  EXPECT_THROW(gemm(a, false, Tensor::zeros({3, 2}), false, c), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(GemmTest);

}  // namespace moemt::ops
