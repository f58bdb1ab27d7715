// The LSTM cell op against a naive double-precision reference (with padded rows), its backward
// against central finite differences of the op itself, and reverse_sequence against indexing.
#include "ops/lstm_cell.h"

#include <gtest/gtest.h>

#include <cmath>

#include "device_test.h"
#include "nn/gradcheck.h"
#include "ops/reverse_sequence.h"

namespace moemt::ops {

class LstmCellTest : public moemt::testing::DeviceTest {};
namespace {

constexpr int64_t kB = 3, kH = 5;
constexpr int64_t kT = 2;  // the step index: row 1 (length 2) and row 2 (length 0) are padding

struct Inputs {
  Tensor gx, gh, h_prev, c_prev, lengths;
};

Inputs make_inputs() {
  return {nn::random_tensor({kB, 4 * kH}, 1), nn::random_tensor({kB, 4 * kH}, 2),
          nn::random_tensor({kB, kH}, 3), nn::random_tensor({kB, kH}, 4),
          Tensor::from_vector(std::vector<int32_t>{3, 2, 0}, {kB})};
}

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST_P(LstmCellTest, ForwardMatchesReferenceAndKeepsPaddedState) {
  MOEMT_NEEDS_KERNELS("lstm_cell");
  Inputs in = make_inputs();
  Tensor acts = empty({kB, 4 * kH}), h = empty({kB, kH}), c = empty({kB, kH}), y = empty({kB, kH});
  lstm_cell_forward(on(in.gx), on(in.gh), on(in.h_prev), on(in.c_prev), on(in.lengths), kT, acts, h,
                    c, y);
  auto gx = in.gx.to_vector(), gh = in.gh.to_vector(), hp = in.h_prev.to_vector(),
       cp = in.c_prev.to_vector();
  auto hv = h.to_vector(), cv = c.to_vector(), yv = y.to_vector(), av = acts.to_vector();
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t j = 0; j < kH; ++j) {
      const int64_t s = b * kH + j;
      if (b > 0) {  // padded at step 2: state kept, output 0
        EXPECT_EQ(hv[s], hp[s]);
        EXPECT_EQ(cv[s], cp[s]);
        EXPECT_EQ(yv[s], 0.f);
        continue;
      }
      auto a = [&](int k) {
        return double(gx[b * 4 * kH + k * kH + j]) + gh[b * 4 * kH + k * kH + j];
      };
      double i = sig(a(0)), f = sig(a(1)), g = std::tanh(a(2)), o = sig(a(3));
      double cc = f * cp[s] + i * g, hh = o * std::tanh(cc);
      EXPECT_NEAR(cv[s], cc, 1e-6);
      EXPECT_NEAR(hv[s], hh, 1e-6);
      EXPECT_NEAR(yv[s], hh, 1e-6);
      EXPECT_NEAR(av[b * 4 * kH + 2 * kH + j], g, 1e-6);
    }
  // Without lengths every row is valid.
  lstm_cell_forward(on(in.gx), on(in.gh), on(in.h_prev), on(in.c_prev), Tensor(), kT, acts, h, c,
                    y);
  EXPECT_NE(y.to_vector()[kB * kH - 1], 0.f);
}

// L = <y, py> + <h_next, ph> + <c_next, pc>; the op's backward against differences in double.
TEST_P(LstmCellTest, BackwardMatchesFiniteDifferences) {
  MOEMT_NEEDS_KERNELS("lstm_cell");
  Inputs in = make_inputs();
  Tensor py = nn::random_tensor({kB, kH}, 5), ph = nn::random_tensor({kB, kH}, 6),
         pc = nn::random_tensor({kB, kH}, 7);
  auto loss = [&](const Tensor& gx, const Tensor& c_prev, const Tensor& h_prev) {
    Tensor acts = empty({kB, 4 * kH}), h = empty({kB, kH}), c = empty({kB, kH}),
           y = empty({kB, kH});
    lstm_cell_forward(on(gx), on(in.gh), on(h_prev), on(c_prev), on(in.lengths), kT, acts, h, c, y);
    return nn::dot(y, py) + nn::dot(h, ph) + nn::dot(c, pc);
  };
  Tensor acts = empty({kB, 4 * kH}), h = empty({kB, kH}), c = empty({kB, kH}), y = empty({kB, kH});
  lstm_cell_forward(on(in.gx), on(in.gh), on(in.h_prev), on(in.c_prev), on(in.lengths), kT, acts, h,
                    c, y);
  Tensor dgates = empty({kB, 4 * kH}), dh_prev = empty({kB, kH}), dc_prev = empty({kB, kH});
  lstm_cell_backward(on(py), on(ph), on(pc), acts, on(in.c_prev), c, on(in.lengths), kT, dgates,
                     dh_prev, dc_prev);
  auto numeric = [&](Tensor& target, int64_t idx) {
    auto v = target.to_vector();
    const double eps = 5e-3;
    float orig = v[idx];
    v[idx] = orig + eps;
    Tensor p = Tensor::from_vector(v, target.shape());
    Tensor saved = target;
    target = p;
    double lp = loss(in.gx, in.c_prev, in.h_prev);
    v[idx] = orig - eps;
    target = Tensor::from_vector(v, target.shape());
    double lm = loss(in.gx, in.c_prev, in.h_prev);
    target = saved;
    return (lp - lm) / (2 * eps);
  };
  auto dg = dgates.to_vector(), dc = dc_prev.to_vector(), dh = dh_prev.to_vector();
  for (int64_t k = 0; k < kB * 4 * kH; ++k)
    EXPECT_NEAR(dg[k], numeric(in.gx, k), 2e-3) << "gate element " << k;
  for (int64_t k = 0; k < kB * kH; ++k) {
    EXPECT_NEAR(dc[k], numeric(in.c_prev, k), 2e-3) << "c_prev element " << k;
    // h_prev reaches the outputs only through padded rows (the gh term is the caller's GEMM).
    EXPECT_NEAR(dh[k], numeric(in.h_prev, k), 2e-3) << "h_prev element " << k;
  }
  auto ph_v = ph.to_vector();
  EXPECT_EQ(dh[kH], ph_v[kH]);  // a padded row passes dh_next through
  EXPECT_EQ(dh[0], 0.f);        // a valid row leaves it to dgates · Uᵀ
}

TEST_P(LstmCellTest, ReverseSequenceWithinLengths) {
  MOEMT_NEEDS_KERNELS("reverse_sequence");
  const int64_t b = 3, t = 4, d = 2;
  Tensor x = nn::random_tensor({b, t, d}, 8);
  Tensor lens = Tensor::from_vector(std::vector<int32_t>{4, 2, 0}, {b});
  Tensor y = empty({b, t, d}), z = empty({b, t, d});
  reverse_sequence(on(x), on(lens), y);
  auto xv = x.to_vector(), yv = y.to_vector();
  std::vector<int> n{4, 2, 0};
  for (int64_t i = 0; i < b; ++i)
    for (int64_t s = 0; s < t; ++s)
      for (int64_t e = 0; e < d; ++e)
        EXPECT_EQ(yv[(i * t + s) * d + e], s < n[i] ? xv[(i * t + n[i] - 1 - s) * d + e] : 0.f);
  reverse_sequence(y, on(lens), z);  // its own inverse on the valid positions
  auto zv = z.to_vector();
  for (int64_t s = 0; s < 2 * d; ++s) EXPECT_EQ(zv[t * d + s], xv[t * d + s]);
  EXPECT_THROW(reverse_sequence(y, on(lens), y), InternalError);
}

}  // namespace
MOEMT_INSTANTIATE_ON_DEVICES(LstmCellTest);
}  // namespace moemt::ops
