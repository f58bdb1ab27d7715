// CUDA cross-entropy: one block per row for the max, the sums of exp(z - max) and of z (double,
// deterministic block reductions) and the gradient; then one block adds the rows' losses in a
// fixed order and those sums into the op's f64 statistics on the device. Row r's smoothed loss is (1 - eps) (lse - z_t) + eps (lse - mean z), as the CPU.
#include <cfloat>

#include "block_reduce.cuh"
#include "cross_entropy.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {

constexpr int kIgnored = 0, kCounted = 1, kBad = 2;

__global__ void ce_row_kernel(const float* logits, const int32_t* targets, float eps,
                              int32_t ignore_index, float grad_scale, float* dlogits,
                              float* row_loss, int64_t vocab, double* loss, double* nll,
                              int* status) {
  __shared__ float fsm[32];
  __shared__ double dsm[32];
  const int64_t r = blockIdx.x;
  const float* z = logits + r * vocab;
  float* dz = dlogits ? dlogits + r * vocab : nullptr;
  const int32_t t = targets[r];
  const bool bad = t != ignore_index && (t < 0 || t >= vocab);
  if (t == ignore_index || bad) {
    if (dz)
      for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) dz[v] = 0.f;
    if (threadIdx.x == 0) {
      if (row_loss) row_loss[r] = 0.f;
      loss[r] = nll[r] = 0;
      status[r] = bad ? kBad : kIgnored;
    }
    return;
  }
  const float zt = z[t];  // every thread reads it before dz (which may alias z) is written
  float m = -FLT_MAX;
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) m = fmaxf(m, z[v]);
  m = block_max(m, fsm, -FLT_MAX);
  double se = 0, sz = 0;
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) {
    se += expf(z[v] - m);
    sz += z[v];
  }
  se = block_sum(se, dsm);
  sz = block_sum(sz, dsm);
  const double lse = m + log(se);
  const double row_nll = lse - zt;
  const double row_l = (1.0 - eps) * row_nll + eps * (lse - sz / static_cast<double>(vocab));
  if (threadIdx.x == 0) {
    if (row_loss) row_loss[r] = static_cast<float>(row_l);
    loss[r] = row_l;
    nll[r] = row_nll;
    status[r] = kCounted;
  }
  if (dz) {
    // d loss / d z_v = p_v - q_v, q_v = eps / V + (1 - eps) [v = t].
    const float a = static_cast<float>(grad_scale / se);
    const float uni = grad_scale * static_cast<float>(eps / static_cast<double>(vocab));
    const float on = grad_scale * static_cast<float>(1.0 - eps);
    for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x)
      dz[v] = a * expf(z[v] - m) - uni - (v == t ? on : 0.f);
  }
}

// One block: each thread adds its rows (stride blockDim) in order, then the fixed tree.
__global__ void ce_total_kernel(const double* loss, const double* nll, const int* status,
                                int64_t rows, CrossEntropyTotals* totals, double* stats) {
  __shared__ double dsm[32];
  __shared__ long long lsm[32];
  double l = 0, n = 0;
  long long tokens = 0, bad = 0;  // bad: rows - first bad row, so the max names the first
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    l += loss[r];
    n += nll[r];
    tokens += status[r] == kCounted;
    if (status[r] == kBad && rows - r > bad) bad = rows - r;
  }
  l = block_sum(l, dsm);
  n = block_sum(n, dsm);
  tokens = block_sum(tokens, lsm);
  bad = block_max(bad, lsm, 0LL);
  if (threadIdx.x == 0) {
    *totals = {l, n, tokens, bad > 0 ? rows - bad : -1};
    if (stats) {  // ops::CrossEntropyStat order: loss, nll, tokens
      stats[0] += l;
      stats[1] += n;
      stats[2] += static_cast<double>(tokens);
    }
  }
}

}  // namespace

void launch_cross_entropy(const float* logits, const int32_t* targets, float smoothing,
                          int32_t ignore_index, float grad_scale, float* dlogits, float* row_loss,
                          int64_t rows, int64_t vocab, double* row_stats, int* row_status,
                          CrossEntropyTotals* totals, double* stats, int device, void* stream) {
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (rows > 0) {
    ce_row_kernel<<<row_blocks(rows), row_threads(vocab), 0, s>>>(
        logits, targets, smoothing, ignore_index, grad_scale, dlogits, row_loss, vocab, row_stats,
        row_stats + rows, row_status);
    check_launch("cross_entropy (rows)");
  }
  ce_total_kernel<<<1, 1024, 0, s>>>(row_stats, row_stats + rows, row_status, rows, totals,
                                     stats);
  check_launch("cross_entropy (totals)");
}

}  // namespace moemt::kernels
