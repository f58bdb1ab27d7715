// MOEMT_HOST_DEVICE marks an inline function that both the host compiler and nvcc compile: the
// per-element math an op's CPU loop and its CUDA kernel share, so the CPU tests cover both.
#pragma once

// Headers using it stay C++17 without the standard library's C++20 parts (nvcc compiles them).
#ifdef __CUDACC__
#define MOEMT_HOST_DEVICE __host__ __device__
#else
#define MOEMT_HOST_DEVICE
#endif
