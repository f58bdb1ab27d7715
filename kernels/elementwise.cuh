// Raw-pointer launchers of the elementwise f32 kernels (ops/elementwise.h); n elements, rows x
// cols for the bias pair. Each sets `device` and queues on `stream`.
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_add(const float* a, const float* b, float* out, int64_t n, int device, void* stream);
void launch_add_inplace(float* y, const float* x, float scale, int64_t n, int device, void* stream);
void launch_mul(const float* a, const float* b, float* out, int64_t n, int device, void* stream);
void launch_scale(float* x, float s, int64_t n, int device, void* stream);
void launch_add_bias(float* y, const float* bias, int64_t rows, int64_t cols, int device,
                     void* stream);
// db[c] += sum over rows of dy[r, c], each column summed in row order (deterministic).
void launch_bias_grad(const float* dy, float* db, int64_t rows, int64_t cols, int device,
                      void* stream);

}  // namespace moemt::kernels
