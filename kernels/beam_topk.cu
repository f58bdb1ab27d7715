// CUDA beam candidate selection: the shared row top-k kernels (topk_rows.cuh) ranking
// score[r] + logprobs[r, c] + bias[c] (math::BeamLoad), formed on the fly.
#include "beam_topk.cuh"
#include "topk_rows.cuh"

namespace moemt::kernels {

namespace {
struct BeamRows {
  const float* logprobs;
  const float* scores;  // null: 0
  const float* bias;    // null: none
  int64_t e;
  __device__ math::BeamLoad operator()(int64_t r) const {
    return {logprobs + r * e, scores ? scores[r] : 0.f, bias};
  }
};
}  // namespace

void launch_beam_topk(const float* logprobs, const float* scores, const float* bias, int64_t n,
                      int64_t e, int k, float* values, int32_t* indices, int device, void* stream) {
  topk_rows::launch("beam_topk", BeamRows{logprobs, scores, bias, e}, n, e, k, values, indices,
                    device, stream);
}

}  // namespace moemt::kernels
