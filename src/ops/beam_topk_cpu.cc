// CPU beam candidate selection: the shared insertion top-k (ops/math/topk.h) per row over
// score + logprob + bias formed on the fly, in one pass over the row; rows in parallel.
#include "ops/beam_topk.h"
#include "ops/math/topk.h"

namespace moemt::ops::cpu {

void beam_topk(const Tensor& logprobs, const Tensor& scores, const Tensor& bias, int k,
               Tensor& values, Tensor& indices) {
  const int64_t n = logprobs.size(0), e = logprobs.size(1);
  const float* lp = logprobs.data<float>();
  const float* s = scores.defined() ? scores.data<float>() : nullptr;
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  float* pv = values.data<float>();
  int32_t* pi = indices.data<int32_t>();
#pragma omp parallel for schedule(static) if (n * e > 32768)
  for (int64_t r = 0; r < n; ++r)
    math::topk_row_of(math::BeamLoad{lp + r * e, s ? s[r] : 0.f, b}, e, k, pv + r * k, pi + r * k);
}

}  // namespace moemt::ops::cpu
