// Entry points of the routing-plan ops: shape checks, then device dispatch.
#include "ops/moe_plan.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "moe_plan.cuh"
#endif

namespace moemt::ops {

namespace {
// The plan is integer-only (no floating compute dtype): every tensor is a fixed-type i32.
void check_i32(const Tensor& t, int64_t numel, const char* what) {
  expect_dtype("moe_plan", what, t, DType::i32);
  MOEMT_CHECK(t.numel() == numel, "routing plan {} is {}, wants {} elements", what, t.shape().str(),
              numel);
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

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/moe_plan.cu on the device's current stream. The kernels
// trust the router's group and expert ids (the CPU checks them on the host).
namespace cuda {
void moe_capacity(const Tensor& group, float cf, int k, int64_t min_capacity, int experts_per_group,
                  Tensor& capacity) {
  kernels::launch_moe_capacity(group.data<int32_t>(), group.numel(), cf, k, min_capacity,
                               experts_per_group, capacity.numel() / experts_per_group,
                               capacity.data<int32_t>(), group.device().index,
                               current_stream(group.device()).handle);
}
void moe_keep_experts(const Tensor& kept, Tensor& capacity) {
  kernels::launch_moe_keep_experts(kept.data<int32_t>(), capacity.numel(),
                                   capacity.data<int32_t>(), capacity.device().index,
                                   current_stream(capacity.device()).handle);
}
void moe_plan(const Tensor& expert, const Tensor& capacity, PlanTensors& out) {
  const int64_t n = expert.size(0), k = expert.size(1), e = capacity.numel();
  const Device dev = expert.device();
  const size_t bytes = kernels::moe_plan_workspace(n, k, e);
  Tensor ws = Tensor::empty({static_cast<int64_t>((bytes + 7) / 8)}, DType::f64, dev);
  kernels::PlanPointers p{out.position.data<int32_t>(), out.row.data<int32_t>(),
                          out.row_token.data<int32_t>(), out.demand.data<int32_t>(),
                          out.offsets.data<int32_t>(), out.counts.data<int32_t>()};
  kernels::launch_moe_plan(expert.data<int32_t>(), capacity.data<int32_t>(), n, k, e, p, ws.raw(),
                           dev.index, current_stream(dev).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
