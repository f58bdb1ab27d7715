// Routing-plan ops of an MoE layer: per-expert capacities from the tokens' groups, and the
// plan itself — arrival positions (choice-major), capacity cuts and a stable counting sort of
// the kept (token, choice) slots by expert into expert-contiguous buffer rows.
#pragma once

#include <cstdint>
#include <limits>

#include "core/tensor.h"

namespace moemt::ops {

// Capacity of an expert that never drops (i32 tensors hold capacities).
constexpr int32_t kUnlimitedCapacity = std::numeric_limits<int32_t>::max();

// group (N) i32 (-1 = padding) -> capacity (E) i32, E = num_groups * experts_per_group:
// max(min_capacity, ceil(cf * k * tokens_of_group / experts_per_group)); cf <= 0 gives
// kUnlimitedCapacity.
void moe_capacity(const Tensor& group, float cf, int k, int64_t min_capacity, int experts_per_group,
                  Tensor& capacity);

// Sub-models hold only some experts: capacity[e] = 0 where kept[e] == 0 (kept (E) i32), so
// slots routed to an absent expert are dropped and their tokens keep only the residual.
void moe_keep_experts(const Tensor& kept, Tensor& capacity);

// The plan's tensors, allocated by the caller on one device.
struct PlanTensors {
  Tensor position;   // (N, k) i32: arrival rank in the expert's queue, -1 for padding
  Tensor row;        // (N, k) i32: row in the expert buffer, -1 = dropped or padding
  Tensor row_token;  // (N * k) i32: token of each buffer row; rows past offsets[E] are -1
  Tensor demand;     // (E) i32: slots routed to each expert before the cut
  Tensor offsets;    // (E + 1) i32: rows [offsets[e], offsets[e+1]) belong to expert e
  Tensor counts;     // (2) i32: valid tokens (first choice >= 0), dropped slots
};

// expert (N, k) i32 (-1 on padding rows), capacity (E) i32. Slots arrive choice-major (all
// first choices in token order, then all second choices, ...), so first choices win capacity
// over second ones (GShard); rows within an expert follow arrival order.
void moe_plan(const Tensor& expert, const Tensor& capacity, PlanTensors& out);

namespace cpu {
void moe_capacity(const Tensor& group, float cf, int k, int64_t min_capacity, int experts_per_group,
                  Tensor& capacity);
void moe_keep_experts(const Tensor& kept, Tensor& capacity);
void moe_plan(const Tensor& expert, const Tensor& capacity, PlanTensors& out);
}  // namespace cpu
namespace cuda {
void moe_capacity(const Tensor& group, float cf, int k, int64_t min_capacity, int experts_per_group,
                  Tensor& capacity);
void moe_keep_experts(const Tensor& kept, Tensor& capacity);
void moe_plan(const Tensor& expert, const Tensor& capacity, PlanTensors& out);
}  // namespace cuda

}  // namespace moemt::ops
