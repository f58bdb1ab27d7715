// Entry points of the routing-plan ops: shape checks, then device dispatch.
#include "ops/moe_plan.h"

#include "ops/dispatch.h"

namespace moemt::ops {

namespace {
void check_i32(const Tensor& t, int64_t numel, const char* what) {
  MOEMT_CHECK(t.defined() && t.dtype() == DType::i32 && t.numel() == numel,
              "routing plan {} is {} {}, wants {} i32", what, t.shape().str(),
              dtype_name(t.dtype()), numel);
}
}  // namespace

void moe_capacity(const Tensor& group, float cf, int k, int64_t min_capacity, int experts_per_group,
                  Tensor& capacity) {
  MOEMT_CHECK(k >= 1 && experts_per_group >= 1 && min_capacity >= 0, "capacity k={} eg={} min={}",
              k, experts_per_group, min_capacity);
  MOEMT_CHECK(capacity.numel() % experts_per_group == 0, "capacity of {} experts in groups of {}",
              capacity.numel(), experts_per_group);
  check_i32(group, group.numel(), "groups");
  check_i32(capacity, capacity.numel(), "capacity");
  MOEMT_DISPATCH(same_device(group, capacity), moe_capacity, group, cf, k, min_capacity,
                 experts_per_group, capacity);
}

void moe_keep_experts(const Tensor& kept, Tensor& capacity) {
  check_i32(capacity, capacity.numel(), "capacity");
  check_i32(kept, capacity.numel(), "kept experts");
  MOEMT_DISPATCH(same_device(kept, capacity), moe_keep_experts, kept, capacity);
}

void moe_plan(const Tensor& expert, const Tensor& capacity, PlanTensors& out) {
  MOEMT_CHECK(expert.rank() == 2, "plan experts {} are not (N, k)", expert.shape().str());
  const int64_t n = expert.size(0), k = expert.size(1), e = capacity.numel();
  check_i32(expert, n * k, "experts");
  check_i32(capacity, e, "capacity");
  check_i32(out.position, n * k, "position");
  check_i32(out.row, n * k, "row");
  check_i32(out.row_token, n * k, "row_token");
  check_i32(out.demand, e, "demand");
  check_i32(out.offsets, e + 1, "offsets");
  check_i32(out.counts, 2, "counts");
  MOEMT_DISPATCH(same_device(expert, capacity, out.position, out.row, out.row_token, out.demand,
                             out.offsets, out.counts),
                 moe_plan, expert, capacity, out);
}

}  // namespace moemt::ops
