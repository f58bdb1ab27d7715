// Entry point of the non-pad row compaction: shape checks, then device dispatch.
#include "ops/compact.h"

#include <initializer_list>

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "compact.cuh"
#endif

namespace moemt::ops {

void compact_nonpad(const Tensor& targets, int32_t pad_id, Tensor& index, Tensor& kept,
                    Tensor& count) {
  const int64_t n = targets.numel();
  // Integer-only (no floating compute dtype): every tensor is a fixed-type i32.
  for (const Tensor* t : std::initializer_list<const Tensor*>{&targets, &index, &kept, &count})
    expect_dtype("compact_nonpad", "argument", *t, DType::i32);
  MOEMT_CHECK(index.numel() == n && kept.numel() == n && count.numel() == 1,
              "compact_nonpad: targets {} index {} kept {} count {}", targets.shape().str(),
              index.shape().str(), kept.shape().str(), count.shape().str());
  MOEMT_DISPATCH(same_device(targets, index, kept, count), compact_nonpad, targets, pad_id, index,
                 kept, count);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void compact_nonpad(const Tensor& targets, int32_t pad_id, Tensor& index, Tensor& kept,
                    Tensor& count) {
  kernels::launch_compact_nonpad(targets.data<int32_t>(), targets.numel(), pad_id,
                                 index.data<int32_t>(), kept.data<int32_t>(),
                                 count.data<int32_t>(), targets.device().index,
                                 current_stream(targets.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
