// Device dispatch for ops: an op's entry point switches once on the device and calls
// cpu::<op> (src/ops/<op>_cpu.cc) or cuda::<op> (kernels/<op>.cu). The CUDA branch of <op>.cc
// is compiled when kernels/<op>.cu exists (src/ops/CMakeLists.txt defines MOEMT_OP_HAS_CUDA for
// that file alone), so kernels land op by op; until then a CUDA tensor gets a clear error.
//
// Dtypes: f32 is the compute type of every CPU op. bf16/f16 are storage types for the CUDA ops
// (fp32 master weights and fp32 accumulation; ops::cast converts); a CPU op given one fails
// with a clear error through check_cpu_dtype rather than computing in reduced precision.
#pragma once

#include "core/error.h"
#include "core/tensor.h"

#if defined(MOEMT_OP_HAS_CUDA)
#define MOEMT_CUDA_CASE(fn, ...) \
  case ::moemt::DeviceKind::cuda: return ::moemt::ops::cuda::fn(__VA_ARGS__);
#else
#define MOEMT_CUDA_CASE(fn, ...)                                                          \
  case ::moemt::DeviceKind::cuda:                                                         \
    throw ::moemt::Error("op '" #fn "' has no CUDA kernel in this build of moemt yet");
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
