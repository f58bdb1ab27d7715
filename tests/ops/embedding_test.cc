// Embedding lookup and gradient against naive loops; repeated ids accumulate.
#include "ops/embedding.h"

#include <gtest/gtest.h>

#include "core/rng.h"

#include "device_test.h"

namespace moemt::ops {

class EmbeddingTest : public moemt::testing::DeviceTest {};
namespace {
std::vector<float> rndv(size_t n, uint64_t stream) {
  std::vector<float> v(n);
  RngStream r{8, stream};
  for (size_t i = 0; i < n; ++i) v[i] = r.normal(i);
  return v;
}
}  // namespace

TEST_P(EmbeddingTest, LookupAndGradMatchNaive) {
  MOEMT_NEEDS_KERNELS("embedding");
  const int64_t vocab = 11, d = 5, n = 300;  // n >> vocab: many repeated ids
  std::vector<int32_t> idv(n);
  RngStream r{8, 100};
  for (int64_t i = 0; i < n; ++i)
    idv[i] = static_cast<int32_t>(r.bits(i) % (vocab - 1));  // id 10 unused
  auto tv = rndv(vocab * d, 1), dyv = rndv(n * d, 2), init = rndv(vocab * d, 3);
  Tensor ids = on(Tensor::from_vector(idv, {3, n / 3})), table = on(Tensor::from_vector(tv, {vocab, d}));
  Tensor out = empty({3, n / 3, d});
  embedding_lookup(ids, table, 2.f, out);
  auto ov = out.to_vector();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) ASSERT_FLOAT_EQ(ov[i * d + j], 2.f * tv[idv[i] * d + j]);

  Tensor dy = on(Tensor::from_vector(dyv, {n, d})), dt = on(Tensor::from_vector(init, {vocab, d}));
  embedding_grad(ids, dy, 2.f, dt);
  std::vector<double> ref(init.begin(), init.end());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) ref[idv[i] * d + j] += 2.0 * dyv[i * d + j];
  auto dtv = dt.to_vector();
  for (int64_t k = 0; k < vocab * d; ++k) EXPECT_NEAR(dtv[k], ref[k], 1e-4) << k;
  for (int64_t j = 0; j < d; ++j) EXPECT_EQ(dtv[10 * d + j], init[10 * d + j]);  // untouched row

  Tensor bad_ids = on(Tensor::from_vector(std::vector<int32_t>{0, 11}, {2}));
  Tensor out2 = empty({2, d});
  EXPECT_THROW(embedding_lookup(bad_ids, table, 1.f, out2), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(EmbeddingTest);

}  // namespace moemt::ops
