// A batch's loss statistics, kept on the model's device so the trainer can add them up over
// an update and a display interval without a host read per step (llm.c keeps its losses in a
// device buffer the same way); read_to_host() is the one explicit read.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "ops/accumulate.h"

namespace moemt::model {

struct HostLossStats {
  double loss_sum = 0;  // label-smoothed loss summed over target tokens
  double nll_sum = 0;   // unsmoothed negative log-likelihood (ce-mean-words = nll_sum / tokens)
  int64_t tokens = 0;
  double aux_loss = 0;  // MoE balancing losses (already weighted)
};

struct LossStats {
  // Indices into sums; the first three match ops::CrossEntropyStat.
  enum : int64_t { kLossSum = 0, kNllSum = 1, kTokens = 2, kAuxLoss = 3, kCount = 4 };
  Tensor sums;  // f64 (kCount) on the model's device

  static LossStats zeros(Device device) { return {Tensor::zeros({kCount}, DType::f64, device)}; }
  // ce: the output layer's (3) f64 statistics; aux: the (1) f32 balancing losses, or undefined
  // when no MoE layer added any. Both stay on the device.
  static LossStats from_parts(const Tensor& ce, const Tensor& aux) {
    LossStats st = zeros(ce.device());
    Tensor head = st.sums.narrow(0, kAuxLoss);
    ops::accumulate_f64(head, ce);
    if (aux.defined()) {
      Tensor tail = st.sums.narrow(kAuxLoss, 1);
      ops::accumulate_f64(tail, aux);
    }
    return st;
  }
  // Reads sums to the host: waits for the work that computes them, so callers keep it rare
  // (validation's end, the display interval through the trainer's history, tests).
  HostLossStats read_to_host() const { return from_host_values(read_rows_to_host(sums, 1)[0]); }

  // The rows of a (rows, kCount) f64 buffer of statistics, in one read.
  static std::vector<std::vector<double>> read_rows_to_host(const Tensor& buf, int64_t rows) {
    Tensor host = buf.reshape({-1, kCount}).narrow(0, rows).to(Device::cpu());
    const double* p = host.data<double>();
    std::vector<std::vector<double>> out(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) out[r].assign(p + r * kCount, p + (r + 1) * kCount);
    return out;
  }
  static HostLossStats from_host_values(const std::vector<double>& v) {
    return {v[kLossSum], v[kNllSum], static_cast<int64_t>(v[kTokens]), v[kAuxLoss]};
  }
};

}  // namespace moemt::model
