// The list comes from kernels/CMakeLists.txt (MOEMT_CUDA_OPS: the stems of kernels/*.cu),
// defined for this file alone by src/ops/CMakeLists.txt.
#include "ops/kernels_available.h"

namespace moemt::ops {

bool has_cuda_kernel(std::string_view op) {
#if defined(MOEMT_CUDA_OPS)
  std::string_view list = MOEMT_CUDA_OPS;
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (list.substr(0, comma) == op) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
#endif
  (void)op;
  return false;
}

std::string_view cuda_kernel_ops() {
#if defined(MOEMT_CUDA_OPS)
  return MOEMT_CUDA_OPS;
#else
  return "";
#endif
}

}  // namespace moemt::ops
