// Raw-pointer launchers of the routing-plan ops (ops/moe_plan.h), i32 throughout.
#pragma once

#include <cstddef>
#include <cstdint>

namespace moemt::kernels {

// capacity (groups * experts_per_group) from group (n), as ops::moe_capacity.
void launch_moe_capacity(const int32_t* group, int64_t n, float cf, int k, int64_t min_capacity,
                         int experts_per_group, int64_t groups, int32_t* capacity, int device,
                         void* stream);

// capacity[e] = 0 where kept[e] == 0 (sub-models: experts they do not hold), as
// ops::moe_keep_experts.
void launch_moe_keep_experts(const int32_t* kept, int64_t e, int32_t* capacity, int device,
                             void* stream);

struct PlanPointers {
  int32_t* position;   // (n*k)
  int32_t* row;        // (n*k)
  int32_t* row_token;  // (n*k)
  int32_t* demand;     // (e)
  int32_t* offsets;    // (e+1)
  int32_t* counts;     // (2)
};

// Bytes of device scratch launch_moe_plan needs.
size_t moe_plan_workspace(int64_t n, int64_t k, int64_t e);

// The plan of expert (n, k) under capacity (e): a stable CUB radix sort of the slots, taken in
// arrival order (choice-major), by expert gives each slot its arrival rank; expert ids must be
// < e (the router's) and -1 marks padding.
void launch_moe_plan(const int32_t* expert, const int32_t* capacity, int64_t n, int64_t k,
                     int64_t e, PlanPointers out, void* workspace, int device, void* stream);

}  // namespace moemt::kernels
