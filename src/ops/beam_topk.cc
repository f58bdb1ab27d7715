// Entry point of beam search's candidate selection: shape checks, then device dispatch.
#include "ops/beam_topk.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "beam_topk.cuh"
#endif

namespace moemt::ops {

void beam_topk(const Tensor& logprobs, const Tensor& scores, const Tensor& bias, int k,
               Tensor& values, Tensor& indices) {
  const Device dev = compute_device("beam_topk", kF32Only, logprobs, values);
  expect_dtype("beam_topk", "indices", indices, DType::i32);
  same_device(logprobs, indices);
  MOEMT_CHECK(logprobs.rank() == 2, "beam_topk logprobs {}", logprobs.shape().str());
  const int64_t n = logprobs.size(0), v = logprobs.size(1);
  if (scores.defined()) {
    compute_device("beam_topk", kF32Only, logprobs, scores);
    MOEMT_CHECK(scores.numel() == n, "beam_topk scores {} for {} rows", scores.shape().str(), n);
  }
  if (bias.defined()) {
    compute_device("beam_topk", kF32Only, logprobs, bias);
    MOEMT_CHECK(bias.numel() == v, "beam_topk bias {} for {} columns", bias.shape().str(), v);
  }
  MOEMT_CHECK(k >= 1 && k <= v, "beam_topk k={} for {} columns", k, v);
  MOEMT_CHECK(values.shape().rows() == n && values.shape().cols() == k, "beam_topk values {}",
              values.shape().str());
  MOEMT_CHECK(indices.shape().rows() == n && indices.shape().cols() == k, "beam_topk indices {}",
              indices.shape().str());
  MOEMT_DISPATCH(dev, beam_topk, logprobs, scores, bias, k, values, indices);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void beam_topk(const Tensor& logprobs, const Tensor& scores, const Tensor& bias, int k,
               Tensor& values, Tensor& indices) {
  kernels::launch_beam_topk(logprobs.data<float>(),
                            scores.defined() ? scores.data<float>() : nullptr,
                            bias.defined() ? bias.data<float>() : nullptr, logprobs.size(0),
                            logprobs.size(1), k, values.data<float>(), indices.data<int32_t>(),
                            logprobs.device().index, current_stream(logprobs.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
