// Sinusoidal positional encodings (Vaswani et al. 2017; the tensor2tensor/Marian/fairseq
// layout): for half = D/2, PE[pos, i] = sin(pos * w_i) and PE[pos, half + i] = cos(pos * w_i)
// with w_i = 10000^(-i / (half - 1)); positions start at 0 (fairseq starts at pad + 1). An odd
// D leaves the last column 0. No parameters; the table is computed once per device by an op.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

class PositionalEncoding {
 public:
  PositionalEncoding() = default;
  explicit PositionalEncoding(int64_t dim);
  // The table is built on a device at its first use there, for at least this many positions,
  // and grows (doubling) when a longer input comes; building or growing it is not thread-safe,
  // reads of an already large enough table are.
  static constexpr int64_t kInitialPositions = 1024;

  // x is (..., T, D) (rank >= 2); returns x + PE[start + t] for every leading index.
  // `start` offsets the positions (incremental decoding: the step number).
  Tensor forward(Ctx& ctx, const Tensor& x, int64_t start = 0);
  // The same, in place on x.
  void add_inplace(Tensor& x, int64_t start = 0);
  // dy (..., T, D) -> dx = dy: the encodings are constants added to x.
  Tensor backward(Ctx& ctx, const Tensor& dy) { return dy; }
  // Rows [start, start + len) of the table on `device`, (len, D): a view of the cached table.
  Tensor table(int64_t start, int64_t len, Device device = Device::cpu());

 private:
  // The cached table on `device`, with at least len positions.
  const Tensor& ensure(int64_t len, Device device);
  int64_t dim_ = 0;
  std::vector<Tensor> tables_;  // one (positions, dim) table per device used
};

}  // namespace moemt::nn
