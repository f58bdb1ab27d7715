// LossHistory: rows come back in push order with their exact values, also past the device
// capacity (spilled to the host), and a read empties the history.
#include "train/loss_history.h"

#include <gtest/gtest.h>

namespace moemt::train {
namespace {

model::LossStats stats(double loss, double nll, int64_t tokens, double aux) {
  Tensor t = Tensor::empty({model::LossStats::kCount}, DType::f64);
  double* p = t.data<double>();
  p[model::LossStats::kLossSum] = loss;
  p[model::LossStats::kNllSum] = nll;
  p[model::LossStats::kTokens] = static_cast<double>(tokens);
  p[model::LossStats::kAuxLoss] = aux;
  return {t};
}

TEST(LossHistory, RowsInOrderExactAndSpilled) {
  LossHistory h(Device::cpu(), 2);
  for (int i = 0; i < 5; ++i) h.push(stats(1.0 / (i + 3), 0.1 * i, 10 + i, i * 1e-17));
  auto rows = h.read_to_host();
  ASSERT_EQ(rows.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(rows[i].loss_sum, 1.0 / (i + 3)) << i;
    EXPECT_EQ(rows[i].nll_sum, 0.1 * i) << i;
    EXPECT_EQ(rows[i].tokens, 10 + i) << i;
    EXPECT_EQ(rows[i].aux_loss, i * 1e-17) << i;
  }
  EXPECT_TRUE(h.read_to_host().empty());
  h.push(stats(7, 8, 9, 0));  // the buffer was zeroed: the next row is exact again
  rows = h.read_to_host();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].loss_sum, 7.0);
  EXPECT_EQ(rows[0].tokens, 9);
}

}  // namespace
}  // namespace moemt::train
