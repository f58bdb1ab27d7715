// REFERENCE for tests only: the host routing plan as it was before it became an op
// (make_plan and expert_capacities of src/moe/routing_plan.cc at 508a850), verbatim but for
// the struct's name, `inline` and the namespace.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.h"

namespace moemt::moe::reference {

constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

struct PlanRef {
  int64_t num_tokens = 0;
  int k = 0;
  int num_experts = 0;
  std::vector<int32_t> expert;
  std::vector<float> gate;
  std::vector<int32_t> position;
  std::vector<int32_t> row;
  std::vector<int64_t> capacity;
  std::vector<int64_t> demand;
  std::vector<int64_t> offsets;
  std::vector<int32_t> row_token;
  std::vector<int32_t> dropped;
  int64_t valid_tokens = 0;
  int64_t num_rows() const { return offsets.empty() ? 0 : offsets.back(); }
};

inline PlanRef make_plan(std::vector<int32_t> expert, std::vector<float> gate, int64_t num_tokens,
                         int k, int num_experts, const std::vector<int64_t>& capacity) {
  PlanRef p;
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

inline std::vector<int64_t> expert_capacities(float cf, int k, int64_t min_capacity,
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

}  // namespace moemt::moe::reference
