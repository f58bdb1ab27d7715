// RoutingPlan construction: a counting sort of slots by expert with capacity cuts.
#include "moe/routing_plan.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace moemt::moe {

Tensor RoutingPlan::row_tensor() const {
  return Tensor::from_vector(row, {num_tokens, static_cast<int64_t>(k)});
}

Tensor RoutingPlan::gate_tensor() const {
  return Tensor::from_vector(gate, {num_tokens, static_cast<int64_t>(k)});
}

RoutingPlan make_plan(std::vector<int32_t> expert, std::vector<float> gate, int64_t num_tokens,
                      int k, int num_experts, const std::vector<int64_t>& capacity) {
  MOEMT_CHECK(static_cast<int64_t>(expert.size()) == num_tokens * k && gate.size() == expert.size(),
              "plan slots {} / {} for {} tokens x {}", expert.size(), gate.size(), num_tokens, k);
  MOEMT_CHECK(static_cast<int>(capacity.size()) == num_experts, "capacity per expert");
  RoutingPlan p;
  p.num_tokens = num_tokens;
  p.k = k;
  p.num_experts = num_experts;
  p.expert = std::move(expert);
  p.gate = std::move(gate);
  p.capacity = capacity;
  const int64_t slots = num_tokens * k;
  p.position.assign(slots, -1);
  p.row.assign(slots, -1);
  p.demand.assign(num_experts, 0);
  // Pass 1: arrival positions, choice-major.
  for (int j = 0; j < k; ++j) {
    for (int64_t t = 0; t < num_tokens; ++t) {
      int64_t s = t * k + j;
      int32_t e = p.expert[s];
      if (e < 0) continue;
      MOEMT_CHECK(e < num_experts, "expert {} of {}", e, num_experts);
      p.position[s] = static_cast<int32_t>(p.demand[e]++);
    }
  }
  p.offsets.assign(num_experts + 1, 0);
  for (int e = 0; e < num_experts; ++e)
    p.offsets[e + 1] = p.offsets[e] + std::min(p.demand[e], p.capacity[e]);
  // Pass 2: kept slots land at offset + position, so rows keep arrival order per expert.
  p.row_token.assign(p.num_rows(), -1);
  int64_t valid = 0;
  for (int64_t t = 0; t < num_tokens; ++t) {
    if (p.expert[t * k] >= 0) ++valid;
    for (int j = 0; j < k; ++j) {
      int64_t s = t * k + j;
      int32_t e = p.expert[s];
      if (e < 0) continue;
      if (p.position[s] < p.capacity[e]) {
        int64_t r = p.offsets[e] + p.position[s];
        p.row[s] = static_cast<int32_t>(r);
        p.row_token[r] = static_cast<int32_t>(t);
      } else {
        p.dropped.push_back(static_cast<int32_t>(s));
      }
    }
  }
  p.valid_tokens = valid;
  return p;
}

std::vector<int64_t> expert_capacities(float cf, int k, int64_t min_capacity,
                                       const std::vector<int64_t>& group_tokens,
                                       int experts_per_group) {
  std::vector<int64_t> cap(group_tokens.size() * experts_per_group, kUnlimited);
  if (cf <= 0.f) return cap;
  for (size_t g = 0; g < group_tokens.size(); ++g) {
    double c = std::ceil(static_cast<double>(cf) * k * static_cast<double>(group_tokens[g]) /
                         experts_per_group);
    int64_t v = std::max(min_capacity, static_cast<int64_t>(c));
    for (int i = 0; i < experts_per_group; ++i) cap[g * experts_per_group + i] = v;
  }
  return cap;
}

}  // namespace moemt::moe
