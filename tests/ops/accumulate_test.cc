// accumulate_f64: acc += scale * x in double from f32 and f64 inputs; repeated calls add up as a
// host double would; wrong dtypes fail.
#include "ops/accumulate.h"

#include <gtest/gtest.h>

#include "device_test.h"

namespace moemt::ops {
namespace {

class AccumulateTest : public moemt::testing::DeviceTest {};

Tensor f64_host(const std::vector<double>& v) {
  Tensor t = Tensor::empty({static_cast<int64_t>(v.size())}, DType::f64);
  for (size_t i = 0; i < v.size(); ++i) t.data<double>()[i] = v[i];
  return t;
}
std::vector<double> read(const Tensor& t) {
  Tensor h = t.to(Device::cpu());
  return {h.data<double>(), h.data<double>() + h.numel()};
}

TEST_P(AccumulateTest, AddsInDouble) {
  MOEMT_NEEDS_KERNELS("accumulate");
  Tensor acc = zeros({3}, DType::f64);
  Tensor xf = on(Tensor::from_vector(std::vector<float>{0.1f, -2.5f, 3e7f}, {3}));
  Tensor xd = on(f64_host({1e-17, 0.25, 1.0 / 3.0}));
  accumulate_f64(acc, xf);
  accumulate_f64(acc, xd, 0.5);
  accumulate_f64(acc, xf, 3.0);
  std::vector<double> want(3, 0.0);
  const double f[3] = {0.1f, -2.5f, 3e7f}, d[3] = {1e-17, 0.25, 1.0 / 3.0};
  for (int i = 0; i < 3; ++i) {
    want[i] += f[i];
    want[i] += 0.5 * d[i];
    want[i] += 3.0 * f[i];
  }
  EXPECT_EQ(read(acc), want);
  Tensor wrong = zeros({3});
  EXPECT_THROW(accumulate_f64(wrong, xf), InternalError);
  Tensor short_acc = zeros({2}, DType::f64);
  EXPECT_THROW(accumulate_f64(short_acc, xf), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(AccumulateTest);

}  // namespace
}  // namespace moemt::ops
