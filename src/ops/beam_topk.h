// Beam search's candidate selection on the log-probabilities' device: per row, the k best
// continuations by score[r] + logprobs[r, v] + bias[v], so a decoding step brings (rows, k)
// values and token ids to the host instead of (rows, V) log-probabilities.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// logprobs (R, V) f32. scores (R) f32, or undefined for 0 (greedy ranks the log-probabilities
// themselves). bias (V) f32 or undefined: 0 for a token that may be produced, -inf for one that
// may not (blocked ids, <unk>, eos before --min-length). values (R, k) f32 and indices (R, k) i32
// with 1 <= k <= V must exist. Order as ops::topk: largest first, the lower token on ties,
// -inf last. The sum is rounded as the host's `score + lp` (math::BeamLoad), so the choice is
// the one a host search over the full rows makes.
void beam_topk(const Tensor& logprobs, const Tensor& scores, const Tensor& bias, int k,
               Tensor& values, Tensor& indices);

namespace cpu {
void beam_topk(const Tensor& logprobs, const Tensor& scores, const Tensor& bias, int k,
               Tensor& values, Tensor& indices);
}  // namespace cpu
namespace cuda {
void beam_topk(const Tensor& logprobs, const Tensor& scores, const Tensor& bias, int k,
               Tensor& values, Tensor& indices);
}  // namespace cuda

}  // namespace moemt::ops
