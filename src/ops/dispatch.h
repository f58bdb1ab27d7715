// Device dispatch for ops: an op's entry point switches once on the device and calls
// cpu::<op> (src/ops/<op>_cpu.cc) or cuda::<op> (kernels/<op>.cu). The CUDA branch is compiled
// only when the kernels library has kernels (MOEMT_WITH_CUDA_KERNELS); until then a tensor on a
// CUDA device gets a clear error instead of a link failure.
#pragma once

#include "core/error.h"
#include "core/tensor.h"

#ifdef MOEMT_WITH_CUDA_KERNELS
#define MOEMT_CUDA_CASE(fn, ...) \
  case ::moemt::DeviceKind::cuda: return ::moemt::ops::cuda::fn(__VA_ARGS__);
#else
#define MOEMT_CUDA_CASE(fn, ...)                                                          \
  case ::moemt::DeviceKind::cuda:                                                         \
    throw ::moemt::Error("op '" #fn "' was asked to run on CUDA, but this moemt build has " \
                         "no CUDA kernels");
#endif

#define MOEMT_DISPATCH(device, fn, ...)                             \
  switch ((device).kind) {                                          \
    case ::moemt::DeviceKind::cpu: return ::moemt::ops::cpu::fn(__VA_ARGS__); \
    MOEMT_CUDA_CASE(fn, __VA_ARGS__)                                \
  }                                                                 \
  MOEMT_CHECK(false, "unknown device kind")

namespace moemt::ops {
// Checks that all tensors live on one device and returns it.
template <typename... Ts>
Device same_device(const Tensor& first, const Ts&... rest) {
  for (const Tensor* t : {&rest...})
    MOEMT_CHECK(t->device() == first.device(), "tensors on {} and {}", first.device().str(),
                t->device().str());
  return first.device();
}
}  // namespace moemt::ops
