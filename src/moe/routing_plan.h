// RoutingPlan: where every (token, choice) slot goes — its expert, gate, arrival position and
// row in the expert-contiguous buffer — after capacity cuts. Permute, the expert GEMMs, the
// combine, statistics (and later the all-to-all) all read this one plan.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/tensor.h"

namespace moemt::moe {

constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

struct RoutingPlan {
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
  // slot -> row as an (N, k) i32 tensor, gates as (N, k) f32, for the permutation ops.
  Tensor row_tensor() const;
  Tensor gate_tensor() const;
};

// Builds the plan from the router's choices. expert/gate are (N*k) slot arrays with expert -1
// on padding rows. Arrival order is choice-major (all first choices, then all second choices,
// each in token order), so first choices win capacity over second ones (GShard); rows within
// an expert follow arrival order, i.e. a stable sort by expert. capacity has one entry per
// expert (kUnlimited = no cut).
RoutingPlan make_plan(std::vector<int32_t> expert, std::vector<float> gate, int64_t num_tokens,
                      int k, int num_experts, const std::vector<int64_t>& capacity);

// capacity = max(min_capacity, ceil(cf * k * tokens / experts)) for each expert, where tokens
// and experts are those of the expert's group (group_tokens[g], experts_per_group); cf = 0
// gives kUnlimited.
std::vector<int64_t> expert_capacities(float cf, int k, int64_t min_capacity,
                                       const std::vector<int64_t>& group_tokens,
                                       int experts_per_group);

}  // namespace moemt::moe
