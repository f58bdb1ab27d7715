// ExpertExchange: the all-to-all legs of expert parallelism. Each rank of an expert group runs a
// contiguous block of experts; dispatch sends every planned row to the rank of its expert and
// regroups the received rows by expert (each local expert then runs once over the rows of every
// rank), and the return leg undoes both. Counts travel first, then the payload.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "dist/communicator.h"

namespace moemt::moe {

struct ExpertExchange {
  bool active = false;                        // false: the layer ran every expert locally
  std::vector<int64_t> send_rows, recv_rows;  // per rank of the group
  // (E+1) offsets of the expert-grouped buffer: only this rank's experts have rows.
  std::vector<int64_t> offsets;
  // (R, 1) i32: received row i (rank-major, then expert) -> its row in the expert-grouped
  // buffer (expert-major, then rank).
  Tensor to_grouped;

  int64_t grouped_rows() const { return offsets.empty() ? 0 : offsets.back(); }
};

// The counts phase. plan_offsets (E+1) are this rank's plan offsets (rows sorted by expert);
// the experts are spread over the group's ranks in blocks of E / size. Fills `ex`.
void exchange_expert_counts(dist::Communicator& c, const std::vector<int64_t>& plan_offsets,
                            ExpertExchange& ex, std::string_view context);

// rows (M, D) in this rank's plan order -> (R, D) grouped by this rank's experts (dispatch;
// also the backward of the return leg).
Tensor to_experts(dist::Communicator& c, const ExpertExchange& ex, const Tensor& rows,
                  std::string_view context);
// rows (R, D) grouped by expert -> (M, D) back in this rank's plan order (the combine's leg;
// also the backward of dispatch).
Tensor from_experts(dist::Communicator& c, const ExpertExchange& ex, const Tensor& rows,
                    std::string_view context);

}  // namespace moemt::moe
