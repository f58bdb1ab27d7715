// The loss statistics of the updates since the last read, kept in a device buffer: each update
// adds one row with an op, and the display interval (or a validation or save) reads all rows
// at once, so training never waits on a per-step host read of its loss.
#pragma once

#include <vector>

#include "model/loss_stats.h"

namespace moemt::train {

class LossHistory {
 public:
  // Rows held on the device before read_to_host() must be called; a fuller history spills to
  // the host (one read per `capacity` updates at most).
  explicit LossHistory(Device device, int64_t capacity = 1024);

  // Appends an update's statistics (LossStats::sums on this device) as the next row.
  void push(const model::LossStats& st);
  // The rows pushed since the last call, in push order; one read of the device buffer.
  std::vector<model::HostLossStats> read_to_host();

 private:
  Tensor buf_;  // f64 (capacity, LossStats::kCount)
  int64_t rows_ = 0;
  std::vector<model::HostLossStats> spilled_;
};

}  // namespace moemt::train
