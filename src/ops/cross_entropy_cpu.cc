// CPU cross-entropy: one row per iteration (OpenMP over rows), three sweeps over the row
// (max; sum of exp and of logits; gradient), log-sum-exp in double for stability.
#include <cmath>
#include <vector>

#include "ops/cross_entropy.h"

namespace moemt::ops::cpu {

CrossEntropyStats cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                                int32_t ignore_index, float grad_scale, Tensor& dlogits,
                                Tensor& row_loss) {
  const float* pz = logits.data<float>();
  const int32_t* pt = targets.data<int32_t>();
  float* pd = dlogits.defined() ? dlogits.data<float>() : nullptr;
  float* pl = row_loss.defined() ? row_loss.data<float>() : nullptr;
  const int64_t rows = logits.shape().rows(), vocab = logits.shape().cols();
  for (int64_t r = 0; r < rows; ++r)
    MOEMT_CHECK(pt[r] == ignore_index || (pt[r] >= 0 && pt[r] < vocab),
                "cross_entropy: target {} at row {} outside [0, {})", pt[r], r, vocab);
  const double eps = smoothing;
  const float uni = static_cast<float>(eps / static_cast<double>(vocab));
  const float on = static_cast<float>(1.0 - eps);
  std::vector<double> loss(static_cast<size_t>(rows), 0.0), nll(static_cast<size_t>(rows), 0.0);
#pragma omp parallel for schedule(static) if (rows * vocab > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = pz + r * vocab;
    float* dz = pd ? pd + r * vocab : nullptr;
    int32_t t = pt[r];
    if (t == ignore_index) {
      if (dz)
        for (int64_t v = 0; v < vocab; ++v) dz[v] = 0.f;
      if (pl) pl[r] = 0.f;
      continue;
    }
    float m = z[0];
    for (int64_t v = 1; v < vocab; ++v) m = z[v] > m ? z[v] : m;
    double se = 0, sz = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      se += std::exp(z[v] - m);
      sz += z[v];
    }
    double lse = m + std::log(se);
    // -log p_t and -mean_v log p_v = lse - mean_v z_v.
    double row_nll = lse - z[t];
    double row_loss_v = (1.0 - eps) * row_nll + eps * (lse - sz / static_cast<double>(vocab));
    nll[r] = row_nll;
    loss[r] = row_loss_v;
    if (pl) pl[r] = static_cast<float>(row_loss_v);
    if (dz) {
      // d loss / d z_v = p_v - q_v; written after z[t] has been read above (dz may alias z).
      const float lsef = static_cast<float>(lse);
      for (int64_t v = 0; v < vocab; ++v) dz[v] = grad_scale * (std::exp(z[v] - lsef) - uni);
      dz[t] -= grad_scale * on;
    }
  }
  CrossEntropyStats s;
  for (int64_t r = 0; r < rows; ++r) {
    if (pt[r] == ignore_index) continue;
    s.loss_sum += loss[r];
    s.nll_sum += nll[r];
    ++s.tokens;
  }
  return s;
}

}  // namespace moemt::ops::cpu
