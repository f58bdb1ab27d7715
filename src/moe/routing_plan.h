// RoutingPlan: where every (token, choice) slot goes — its expert, gate, arrival position and
// row in the expert-contiguous buffer — after capacity cuts, as tensors on the layer's device.
// Dispatch, the expert GEMMs, the combine (and later the all-to-all) read this one plan;
// statistics and traces read a host copy (HostRoutingPlan).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/tensor.h"

namespace moemt::moe {

constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

// A host copy of a plan, for statistics, routing traces and tests (never the compute path).
struct HostRoutingPlan {
  int64_t num_tokens = 0;  // N (rows of the layer input, padding included)
  int k = 0;
  int num_experts = 0;
  // Per slot s = t * k + j (token t, choice j):
  std::vector<int32_t> expert;    // chosen expert, -1 for padding rows
  std::vector<float> gate;        // combine weight (router gate)
  std::vector<int32_t> position;  // arrival rank in the expert's queue, -1 for padding
  std::vector<int32_t> row;       // row in the expert buffer, -1 = dropped or padding
  // Per expert:
  std::vector<int64_t> capacity;  // kUnlimited when dropless
  std::vector<int64_t> demand;    // slots routed to it before the cut
  std::vector<int64_t> offsets;   // (E+1): rows [offsets[e], offsets[e+1]) belong to expert e
  // Per buffer row: the token it came from.
  std::vector<int32_t> row_token;
  std::vector<int32_t> dropped;  // slots over capacity, ascending
  int64_t valid_tokens = 0;

  int64_t num_rows() const { return offsets.empty() ? 0 : offsets.back(); }
  int64_t rows_of(int e) const { return offsets[e + 1] - offsets[e]; }
  int64_t num_slots() const { return valid_tokens * k; }
  double drop_fraction() const {
    return num_slots() ? static_cast<double>(dropped.size()) / num_slots() : 0.0;
  }
};

struct RoutingPlan {
  int64_t num_tokens = 0;
  int k = 0;
  int num_experts = 0;
  Tensor expert;     // (N, k) i32, -1 for padding rows
  Tensor gate;       // (N, k) f32 combine weights
  Tensor position;   // (N, k) i32 arrival rank in the expert's queue, -1 for padding
  Tensor row;        // (N, k) i32 row in the expert buffer, -1 = dropped or padding
  Tensor capacity;   // (E) i32, ops::kUnlimitedCapacity when dropless
  Tensor demand;     // (E) i32 slots routed to each expert before the cut
  Tensor offsets;    // (E + 1) i32: rows [offsets[e], offsets[e+1]) belong to expert e
  Tensor row_token;  // (N * k) i32 token of each buffer row; only the first num_rows() used
  Tensor counts;     // (2) i32: valid tokens, dropped slots

  // THE host read of a dynamic-shape MoE layer: the E+1 expert offsets, which size the expert
  // buffer and the per-expert GEMMs. Fills host_offsets; everything else stays on the device.
  void read_offsets_to_host();
  std::vector<int64_t> host_offsets;  // valid after read_offsets_to_host()
  int64_t num_rows() const;           // rows of the expert buffer (needs the host offsets)

  // Copies the whole plan to the host: for statistics and traces only (see HostRoutingPlan).
  HostRoutingPlan read_to_host() const;
};

// Builds the plan (ops::moe_plan) from the router's choices: expert (N, k) i32 with -1 on
// padding rows, gate (N, k) f32, capacity (E) i32 (ops::moe_capacity). Arrival order is
// choice-major, so first choices win capacity over second ones (GShard); rows within an
// expert follow arrival order, i.e. a stable sort by expert. Offsets are not read here.
RoutingPlan make_plan(const Tensor& expert, const Tensor& gate, const Tensor& capacity);

}  // namespace moemt::moe
