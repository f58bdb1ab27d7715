// Element types and devices: the two tags every Tensor carries and every op dispatches on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace moemt {

// f64 holds reductions that must not round to f32 (the squared gradient norm), not parameters.
enum class DType : uint8_t { f32, bf16, f16, i32, f64 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::i32: return 4;
    case DType::bf16: return 2;
    case DType::f16: return 2;
    case DType::f64: return 8;
  }
  return 0;
}
const char* dtype_name(DType t);  // "f32", "bf16", "f16", "i32", "f64"; safetensors uses upper case
DType dtype_from_name(const std::string& name);  // accepts both cases; throws Error

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }

enum class DeviceKind : uint8_t { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;
  static constexpr Device cpu() { return {DeviceKind::cpu, 0}; }
  static constexpr Device cuda(int i) { return {DeviceKind::cuda, i}; }
  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool operator==(const Device&) const = default;
  std::string str() const;  // "cpu" or "cuda:0"
};

// Parses "cpu", "cuda", "cuda:1", "gpu1"; throws Error on anything else.
Device parse_device(const std::string& s);

}  // namespace moemt
