// The reductions of bias_grad, layer_norm_backward, embedding_grad, sum and cross-entropy
// promise results independent of the thread count: compare 1 thread with 3, bit for bit.
#include <gtest/gtest.h>

#include <functional>

#include "core/rng.h"
#include "core/threads.h"
#include "ops/cross_entropy.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/layer_norm.h"
#include "ops/reduce.h"

namespace moemt::ops {
namespace {
Tensor rnd(const Shape& s, uint64_t stream) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  RngStream r{12, stream};
  for (size_t i = 0; i < v.size(); ++i) v[i] = r.normal(i);
  return Tensor::from_vector(v, s);
}

// Runs f under 1 and 3 threads and returns both outputs.
std::pair<std::vector<float>, std::vector<float>> both(
    const std::function<std::vector<float>()>& f) {
  int saved = num_threads();
  set_num_threads(1);
  auto a = f();
  set_num_threads(3);
  auto b = f();
  set_num_threads(saved);
  return {a, b};
}
}  // namespace

TEST(ThreadDeterminism, ReductionsDoNotDependOnThreads) {
  const int64_t rows = 1000, c = 96, vocab = 50;  // large enough for the parallel paths
  Tensor x = rnd({rows, c}, 1), dy = rnd({rows, c}, 2), g = rnd({c}, 3), b = rnd({c}, 4);
  std::vector<int32_t> idv(rows);
  for (int64_t i = 0; i < rows; ++i) idv[i] = static_cast<int32_t>((i * 37) % vocab);
  Tensor ids = Tensor::from_vector(idv, {rows});

  auto r1 = both([&] {
    Tensor db = Tensor::zeros({c});
    bias_grad(dy, db);
    return db.to_vector();
  });
  EXPECT_EQ(r1.first, r1.second) << "bias_grad";

  auto r2 = both([&] {
    Tensor y = Tensor::empty({rows, c}), m = Tensor::empty({rows}), rs = Tensor::empty({rows});
    layer_norm_forward(x, g, b, 1e-5f, y, m, rs);
    Tensor dx = Tensor::empty({rows, c}), dg = Tensor::zeros({c}), dbb = Tensor::zeros({c});
    layer_norm_backward(dy, x, g, m, rs, dx, dg, dbb);
    auto out = dg.to_vector(), v2 = dbb.to_vector(), v3 = dx.to_vector();
    out.insert(out.end(), v2.begin(), v2.end());
    out.insert(out.end(), v3.begin(), v3.end());
    return out;
  });
  EXPECT_EQ(r2.first, r2.second) << "layer_norm";

  auto r3 = both([&] {
    Tensor dt = Tensor::zeros({vocab, c});
    embedding_grad(ids, dy, 1.5f, dt);
    return dt.to_vector();
  });
  EXPECT_EQ(r3.first, r3.second) << "embedding_grad";

  Tensor big = rnd({5, 40000}, 5);
  auto r4 = both([&] {
    return std::vector<float>{static_cast<float>(sum(big)), static_cast<float>(sum_squares(big))};
  });
  EXPECT_EQ(r4.first, r4.second) << "sum";

  auto r5 = both([&] {
    Tensor dz = Tensor::empty({rows, c}), none;
    Tensor t = Tensor::from_vector(idv, {rows});
    Tensor st = Tensor::zeros({kCrossEntropyStats}, DType::f64);
    cross_entropy_fused(x, t, 0.1f, 0, 1.f, dz, st, none);
    auto s = read_cross_entropy_stats_to_host(st);
    auto out = dz.to_vector();
    out.push_back(static_cast<float>(s.loss_sum));
    out.push_back(static_cast<float>(s.nll_sum));
    return out;
  });
  EXPECT_EQ(r5.first, r5.second) << "cross_entropy";
}

}  // namespace moemt::ops
