// LossHistory: rows added by ops::accumulate_f64 into a zeroed buffer (0 + x is exact, so the
// host sees each update's sums bit for bit), read back in one transfer.
#include "train/loss_history.h"

#include "ops/accumulate.h"
#include "ops/fill.h"

namespace moemt::train {

LossHistory::LossHistory(Device device, int64_t capacity)
    : buf_(Tensor::zeros({capacity, model::LossStats::kCount}, DType::f64, device)) {}

void LossHistory::push(const model::LossStats& st) {
  if (rows_ == buf_.size(0)) {
    auto spill = read_to_host();
    spilled_ = std::move(spill);
  }
  Tensor row = buf_.narrow(rows_++, 1).reshape({model::LossStats::kCount});
  ops::accumulate_f64(row, st.sums);
}

std::vector<model::HostLossStats> LossHistory::read_to_host() {
  std::vector<model::HostLossStats> out = std::move(spilled_);
  spilled_.clear();
  if (rows_ == 0) return out;
  for (const auto& v : model::LossStats::read_rows_to_host(buf_, rows_))
    out.push_back(model::LossStats::from_host_values(v));
  Tensor used = buf_.narrow(0, rows_);
  ops::zero(used);
  rows_ = 0;
  return out;
}

}  // namespace moemt::train
