// Raw-pointer launcher of beam search's candidate selection (ops/beam_topk.h): logprobs (n, e),
// scores (n) or null, bias (e) or null; values and indices (n, k).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_beam_topk(const float* logprobs, const float* scores, const float* bias, int64_t n,
                      int64_t e, int k, float* values, int32_t* indices, int device, void* stream);

}  // namespace moemt::kernels
