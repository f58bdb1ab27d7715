// Device dispatch for ops: an op's entry point switches once on the device and calls
// cpu::<op> (src/ops/<op>_cpu.cc) or cuda::<op> (kernels/<op>.cu). The CUDA branch of <op>.cc
// is compiled when kernels/<op>.cu exists (src/ops/CMakeLists.txt defines MOEMT_OP_HAS_CUDA for
// that file alone), so kernels land op by op; until then a CUDA tensor gets a clear error.
//
// Dtypes: every op's entry point first passes its floating-point tensors through
// compute_device(op, support, ...), the one place the (device, dtype) contract is checked:
// the tensors share a device and a dtype, and that pair is one the op implements (`support`).
// The contract: f32 is the compute type of every CPU op; bf16/f16 are storage types for CUDA
// ops (fp32 master weights, fp32 accumulation; ops::cast converts), declared per op as its
// kernels land. A CPU op given bf16/f16 fails with one line naming the op, the device and the
// dtype, rather than computing in reduced precision. Fixed-type arguments (i32 indices and
// lengths, f64 statistics) go through expect_dtype.
#pragma once

#include <initializer_list>
#include <string_view>

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

// The compute dtypes an op implements on each device, as bit sets over DType.
constexpr uint32_t dtype_bit(DType t) { return 1u << static_cast<unsigned>(t); }
struct DTypeSupport {
  uint32_t cpu = 0, cuda = 0;
  bool allows(Device d, DType t) const { return ((d.is_cpu() ? cpu : cuda) & dtype_bit(t)) != 0; }
};
// What every op implements today: f32 on both devices.
inline constexpr DTypeSupport kF32Only{dtype_bit(DType::f32), dtype_bit(DType::f32)};
// The floating storage types: ops::cast converts between them on both devices.
inline constexpr uint32_t kFloatBits =
    dtype_bit(DType::f32) | dtype_bit(DType::bf16) | dtype_bit(DType::f16);
inline constexpr DTypeSupport kFloatStorage{kFloatBits, kFloatBits};

// Throws the one-line error for a (device, dtype) pair the op does not implement.
inline void check_dtype(std::string_view op, Device d, DType t, DTypeSupport support) {
  if (support.allows(d, t)) return;
  const bool reduced = t == DType::bf16 || t == DType::f16;
  throw Error("op '{}' has no {} implementation on {}{}", op, dtype_name(t), d.str(),
              reduced && d.is_cpu() ? " (the CPU computes in f32: convert with ops::cast)" : "");
}

// An op's floating-point tensors: one device, one dtype, a pair the op implements. Returns the
// device to dispatch on.
template <typename... Ts>
Device compute_device(std::string_view op, DTypeSupport support, const Tensor& first,
                      const Ts&... rest) {
  for (const Tensor* t : std::initializer_list<const Tensor*>{&first, &rest...})
    MOEMT_CHECK(t->defined(), "op '{}': an undefined tensor", op);
  check_dtype(op, first.device(), first.dtype(), support);
  for (const Tensor* t : std::initializer_list<const Tensor*>{&rest...}) {
    MOEMT_CHECK(t->device() == first.device(), "op '{}': tensors on {} and {}", op,
                first.device().str(), t->device().str());
    MOEMT_CHECK(t->dtype() == first.dtype(), "op '{}': tensors of {} and {}", op,
                dtype_name(first.dtype()), dtype_name(t->dtype()));
  }
  return first.device();
}

// A fixed-type argument (i32 indices or lengths, f64 statistics): its dtype, named.
inline void expect_dtype(std::string_view op, const char* what, const Tensor& t, DType want) {
  MOEMT_CHECK(t.defined() && t.dtype() == want, "op '{}': {} is {}, expected {}", op, what,
              t.defined() ? dtype_name(t.dtype()) : "undefined", dtype_name(want));
}

}  // namespace moemt::ops
