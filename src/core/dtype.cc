// Names of dtypes and devices, for logs, checkpoints and the --devices flag.
#include "core/dtype.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace moemt {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::bf16: return "bf16";
    case DType::f16: return "f16";
    case DType::i32: return "i32";
    case DType::f64: return "f64";
  }
  return "?";
}

DType dtype_from_name(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "f32" || n == "float32") return DType::f32;
  if (n == "bf16" || n == "bfloat16") return DType::bf16;
  if (n == "f16" || n == "float16") return DType::f16;
  if (n == "i32" || n == "int32") return DType::i32;
  if (n == "f64" || n == "float64") return DType::f64;
  throw Error("unknown dtype '{}' (expected f32, bf16, f16, i32 or f64)", name);
}

std::string Device::str() const {
  return kind == DeviceKind::cpu ? std::string("cpu") : fmt::format("cuda:{}", index);
}

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::cpu();
  // A bare index is a GPU, as in Marian's --devices 0 1.
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 6)
    return Device::cuda(std::stoi(s));
  auto num = [&](size_t pos) {
    if (pos >= s.size()) return 0;
    size_t used = 0;
    int v = -1;
    try {
      v = std::stoi(s.substr(pos), &used);
    } catch (...) {
    }
    if (v < 0 || pos + used != s.size()) throw Error("bad device '{}' (use cpu, cuda:N, gpuN or a GPU index N)", s);
    return v;
  };
  if (s.rfind("cuda", 0) == 0) return Device::cuda(s.size() > 4 && s[4] == ':' ? num(5) : num(4));
  if (s.rfind("gpu", 0) == 0) return Device::cuda(num(3));
  throw Error("bad device '{}' (use cpu, cuda:N, gpuN or a GPU index N)", s);
}

}  // namespace moemt
