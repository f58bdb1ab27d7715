// Sinusoidal positional encodings (Vaswani et al. 2017; the tensor2tensor/Marian/fairseq
// layout): for half = D/2, PE[pos, i] = sin(pos * w_i) and PE[pos, half + i] = cos(pos * w_i)
// with w_i = 10000^(-i / (half - 1)); positions start at 0 (fairseq starts at pad + 1). An odd
// D leaves the last column 0. No parameters.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

class PositionalEncoding {
 public:
  PositionalEncoding() = default;
  // Precomputes kInitialPositions positions; longer inputs grow the table on first use (that
  // growth is not thread-safe; reads of an already large enough table are).
  explicit PositionalEncoding(int64_t dim);
  static constexpr int64_t kInitialPositions = 1024;

  // x is (..., T, D) (rank >= 2); returns x + PE[start + t] for every leading index.
  // `start` offsets the positions (incremental decoding: the step number).
  Tensor forward(Ctx& ctx, const Tensor& x, int64_t start = 0);
  // The same, in place on x.
  void add_inplace(Tensor& x, int64_t start = 0);
  // dy (..., T, D) -> dx = dy: the encodings are constants added to x.
  Tensor backward(Ctx& ctx, const Tensor& dy) { return dy; }
  // Rows [start, start + len) of the table, (len, D), on the CPU.
  Tensor table(int64_t start, int64_t len);

 private:
  void ensure(int64_t len);  // grows the cached host table to at least len positions
  int64_t dim_ = 0;
  std::vector<float> cache_;  // (positions, dim), computed once per length
  int64_t cached_len_ = 0;
};

}  // namespace moemt::nn
