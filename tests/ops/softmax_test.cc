// Masked softmax against a double-precision reference, fully masked rows, and the backward
// against finite differences.
#include "ops/softmax.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nn/gradcheck.h"

#include "device_test.h"

namespace moemt::ops {

class SoftmaxTest : public moemt::testing::DeviceTest {};
namespace {

// Reference: visible keys are j < len[b] and j <= i + offset (when causal).
std::vector<double> reference(const Tensor& x, const std::vector<int32_t>& lens, bool causal,
                              int64_t offset) {
  int64_t bh = x.size(0), tq = x.size(1), tk = x.size(2);
  int64_t heads = lens.empty() ? 1 : bh / static_cast<int64_t>(lens.size());
  auto v = x.to_vector();
  std::vector<double> out(v.size(), 0.0);
  for (int64_t r = 0; r < bh * tq; ++r) {
    int64_t i = r % tq, b = r / tq / heads;
    auto visible = [&](int64_t j) {
      return (lens.empty() || j < lens[b]) && (!causal || j <= i + offset);
    };
    double m = -1e300, s = 0;
    for (int64_t j = 0; j < tk; ++j)
      if (visible(j)) m = std::max(m, static_cast<double>(v[r * tk + j]));
    for (int64_t j = 0; j < tk; ++j)
      if (visible(j)) s += std::exp(v[r * tk + j] - m);
    for (int64_t j = 0; j < tk; ++j)
      if (visible(j)) out[r * tk + j] = std::exp(v[r * tk + j] - m) / s;
  }
  return out;
}

struct Case {
  std::vector<int32_t> lens;
  bool causal;
  int64_t offset;
};

const Case kCases[] = {{{}, false, 0},    {{3, 5}, false, 0}, {{}, true, 0},
                       {{2, 4}, true, 0}, {{5, 1}, true, 1},  {{0, 3}, true, -1}};

TEST_P(SoftmaxTest, MatchesReferenceWithMasks) {
  MOEMT_NEEDS_KERNELS("softmax");
  // (B*H, Tq, Tk) = (2*2, 4, 5); scaled so the max-subtraction matters.
  Tensor x = on(nn::random_tensor({4, 4, 5}, 1, 30.f));
  for (const auto& c : kCases) {
    SoftmaxMask m;
    if (!c.lens.empty()) m.key_lengths = on(Tensor::from_vector(c.lens, {2}));
    m.causal = c.causal;
    m.causal_offset = c.offset;
    Tensor y = empty(x.shape());
    softmax_forward(x, y, m);
    auto ref = reference(x, c.lens, c.causal, c.offset);
    auto got = y.to_vector();
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_FALSE(std::isnan(got[i]));
      ASSERT_NEAR(got[i], ref[i], 1e-6) << "element " << i << " causal " << c.causal;
    }
  }
}

TEST_P(SoftmaxTest, FullyMaskedRowsAreZeroAndInPlaceWorks) {
  MOEMT_NEEDS_KERNELS("softmax");
  Tensor x = on(nn::random_tensor({2, 3, 4}, 2));
  SoftmaxMask m;
  m.key_lengths = on(Tensor::from_vector(std::vector<int32_t>{0, 4}, {2}));
  m.causal = true;
  m.causal_offset = -1;  // query 0 sees no key at all
  softmax_forward(x, x, m);
  auto y = x.to_vector();
  for (int j = 0; j < 12; ++j) EXPECT_EQ(y[j], 0.f) << j;   // batch item 0: length 0
  for (int j = 12; j < 16; ++j) EXPECT_EQ(y[j], 0.f) << j;  // item 1, query 0
  EXPECT_NEAR(y[16], 1.f, 1e-6);                            // item 1, query 1 sees key 0 only
  Tensor dy = on(nn::random_tensor(x.shape(), 3)), dx = empty(x.shape());
  softmax_backward(x, dy, dx);
  for (float v : dx.to_vector()) EXPECT_FALSE(std::isnan(v));
  for (int j = 0; j < 16; ++j) EXPECT_EQ(dx.to_vector()[j], 0.f);
}

TEST_P(SoftmaxTest, UnmaskedAnyRank) {
  MOEMT_NEEDS_KERNELS("softmax");
  Tensor x = on(nn::random_tensor({3, 7}, 4)), y = empty({3, 7});
  softmax_forward(x, y);
  auto ref = reference(x.reshape({1, 3, 7}), {}, false, 0);
  auto got = y.to_vector();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-6);
}

TEST_P(SoftmaxTest, BackwardMatchesFiniteDifferences) {
  MOEMT_NEEDS_KERNELS("softmax");
  for (const auto& c : kCases) {
    Tensor x = on(nn::random_tensor({4, 4, 5}, 5));
    Tensor probe = on(nn::random_tensor(x.shape(), 6));
    SoftmaxMask m;
    if (!c.lens.empty()) m.key_lengths = on(Tensor::from_vector(c.lens, {2}));
    m.causal = c.causal;
    m.causal_offset = c.offset;
    Tensor y = empty(x.shape()), dx = empty(x.shape());
    auto loss = [&] {
      softmax_forward(x, y, m);
      return nn::dot(y, probe);
    };
    loss();
    softmax_backward(y, probe, dx);
    auto r = nn::grad_check(loss, x, dx, 80, 1e-2f);
    EXPECT_LT(r.max_abs_err, 2e-3) << r.worst;
  }
}

TEST_P(SoftmaxTest, RejectsBadShapes) {
  MOEMT_NEEDS_KERNELS("softmax");
  Tensor x = zeros({3, 2, 2}), y = empty({3, 2, 2});
  SoftmaxMask m;
  m.key_lengths = on(Tensor::from_vector(std::vector<int32_t>{1, 2}, {2}));  // 3 rows into 2 items
  EXPECT_THROW(softmax_forward(x, y, m), InternalError);
  m.key_lengths = on(Tensor::from_vector(std::vector<float>{1, 2}, {2}));
  Tensor x2 = x.reshape({2, 3, 2}), y2 = y.reshape({2, 3, 2});
  EXPECT_THROW(softmax_forward(x2, y2, m), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(SoftmaxTest);

}  // namespace
}  // namespace moemt::ops
