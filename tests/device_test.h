// Device-parameterised op tests (as CTranslate2's): each TEST_P runs on the CPU and on cuda:0,
// the CUDA instance skipping cleanly where no GPU is visible. Inputs are made on the host and
// moved with on(); results are read back with to_vector(), which copies from any device.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "core/cuda_runtime.h"
#include "core/tensor.h"
#include "ops/kernels_available.h"

namespace moemt::testing {

class DeviceTest : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    if (!GetParam().is_cpu() && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  Device dev() const { return GetParam(); }
  // Skips the CUDA instance while one of these ops has no CUDA kernel yet.
  void needs(std::initializer_list<const char*> ops) {
    if (dev().is_cpu()) return;
    for (const char* op : ops)
      if (!ops::has_cuda_kernel(op)) GTEST_SKIP() << "op '" << op << "' has no CUDA kernel yet";
  }
  Tensor on(const Tensor& host) const { return host.to(dev()); }
  Tensor empty(const Shape& s, DType t = DType::f32) const { return Tensor::empty(s, t, dev()); }
  Tensor zeros(const Shape& s, DType t = DType::f32) const { return Tensor::zeros(s, t, dev()); }
};

inline std::string device_name(const ::testing::TestParamInfo<Device>& info) {
  return info.param.is_cpu() ? "cpu" : "cuda" + std::to_string(info.param.index);
}

}  // namespace moemt::testing

#define MOEMT_INSTANTIATE_ON_DEVICES(Suite)                                                   \
  INSTANTIATE_TEST_SUITE_P(Devices, Suite,                                                    \
                           ::testing::Values(::moemt::Device::cpu(), ::moemt::Device::cuda(0)), \
                           ::moemt::testing::device_name)

// Returns from the test when its CUDA instance lacks one of the ops' kernels (skipped).
#define MOEMT_NEEDS_KERNELS(...)        \
  do {                                  \
    needs({__VA_ARGS__});               \
    if (IsSkipped()) return;            \
  } while (0)
