// CPU routing plan: two serial passes over the N * k slots (a counting sort); the plan is tiny
// next to the expert GEMMs, and a serial pass makes the stable order obvious.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/moe_plan.h"

namespace moemt::ops::cpu {

void moe_capacity(const Tensor& group, float cf, int k, int64_t min_capacity, int experts_per_group,
                  Tensor& capacity) {
  const int64_t n = group.numel(), groups = capacity.numel() / experts_per_group;
  const int32_t* g = group.data<int32_t>();
  int32_t* cap = capacity.data<int32_t>();
  std::vector<int64_t> tokens(groups, 0);
  for (int64_t t = 0; t < n; ++t) {
    MOEMT_CHECK(g[t] < groups, "group {} of {}", g[t], groups);
    if (g[t] >= 0) ++tokens[g[t]];
  }
  for (int64_t grp = 0; grp < groups; ++grp) {
    int64_t v = kUnlimitedCapacity;
    if (cf > 0.f) {
      double c = std::ceil(static_cast<double>(cf) * k * static_cast<double>(tokens[grp]) /
                           experts_per_group);
      v = std::min<int64_t>(std::max(min_capacity, static_cast<int64_t>(c)), kUnlimitedCapacity);
    }
    for (int i = 0; i < experts_per_group; ++i)
      cap[grp * experts_per_group + i] = static_cast<int32_t>(v);
  }
}

void moe_keep_experts(const Tensor& kept, Tensor& capacity) {
  const int32_t* k = kept.data<int32_t>();
  int32_t* cap = capacity.data<int32_t>();
  for (int64_t e = 0; e < capacity.numel(); ++e)
    if (k[e] == 0) cap[e] = 0;
}

void moe_plan(const Tensor& expert, const Tensor& capacity, PlanTensors& out) {
  const int64_t n = expert.size(0), k = expert.size(1), e = capacity.numel(), slots = n * k;
  const int32_t* ex = expert.data<int32_t>();
  const int32_t* cap = capacity.data<int32_t>();
  int32_t* pos = out.position.data<int32_t>();
  int32_t* row = out.row.data<int32_t>();
  int32_t* row_token = out.row_token.data<int32_t>();
  int32_t* demand = out.demand.data<int32_t>();
  int32_t* offsets = out.offsets.data<int32_t>();
  std::fill(demand, demand + e, 0);
  // Pass 1: arrival positions, choice-major.
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t t = 0; t < n; ++t) {
      const int64_t s = t * k + j;
      const int32_t x = ex[s];
      MOEMT_CHECK(x < e, "expert {} of {}", x, e);
      pos[s] = x < 0 ? -1 : demand[x]++;
    }
  }
  offsets[0] = 0;
  for (int64_t i = 0; i < e; ++i) offsets[i + 1] = offsets[i] + std::min(demand[i], cap[i]);
  // Pass 2: kept slots land at offset + position, so rows keep arrival order per expert.
  std::fill(row_token, row_token + slots, -1);
  int32_t valid = 0, dropped = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (k > 0 && ex[t * k] >= 0) ++valid;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t s = t * k + j;
      const int32_t x = ex[s];
      row[s] = -1;
      if (x < 0) continue;
      if (pos[s] < cap[x]) {
        row[s] = offsets[x] + pos[s];
        row_token[row[s]] = static_cast<int32_t>(t);
      } else {
        ++dropped;
      }
    }
  }
  out.counts.data<int32_t>()[0] = valid;
  out.counts.data<int32_t>()[1] = dropped;
}

}  // namespace moemt::ops::cpu
