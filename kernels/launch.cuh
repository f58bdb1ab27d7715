// Shared by the kernels' launchers: the grid for n elements, the device and stream to launch on,
// and the error check after a launch (raw C++17: no Tensor, no C++20).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace moemt::kernels {

constexpr int kThreads = 256;

// Grid-stride loops cover any n with at most this many blocks.
inline unsigned blocks_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 * 8 ? b : 65535 * 8);
}

inline void check_launch(const char* kernel) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string(kernel) + ": " + cudaGetErrorString(e));
}

}  // namespace moemt::kernels
