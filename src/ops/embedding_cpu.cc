// CPU embedding gather/scatter. The gradient groups rows by id (stable counting sort) and
// gives each id to one thread, so no two threads write the same table row.
#include <vector>

#include "ops/embedding.h"

namespace moemt::ops::cpu {

namespace {
void check_ids(const int32_t* ids, int64_t n, int64_t vocab) {
  for (int64_t i = 0; i < n; ++i)
    MOEMT_CHECK(ids[i] >= 0 && ids[i] < vocab, "embedding id {} at {} outside [0, {})", ids[i], i,
                vocab);
}
}  // namespace

void embedding_lookup(const Tensor& ids, const Tensor& table, float scale, Tensor& out) {
  const int32_t* pid = ids.data<int32_t>();
  const float* pt = table.data<float>();
  float* po = out.data<float>();
  int64_t n = ids.numel(), d = table.size(1);
  check_ids(pid, n, table.size(0));
#pragma omp parallel for schedule(static) if (n * d > (1 << 15))
  for (int64_t i = 0; i < n; ++i) {
    const float* src = pt + static_cast<int64_t>(pid[i]) * d;
    float* dst = po + i * d;
#pragma omp simd
    for (int64_t j = 0; j < d; ++j) dst[j] = scale * src[j];
  }
}

void embedding_grad(const Tensor& ids, const Tensor& dy, float scale, Tensor& dtable) {
  const int32_t* pid = ids.data<int32_t>();
  const float* pdy = dy.data<float>();
  float* pt = dtable.data<float>();
  int64_t n = ids.numel(), vocab = dtable.size(0), d = dtable.size(1);
  check_ids(pid, n, vocab);
  // Stable counting sort of row indices by id: rows of one id stay in increasing order.
  std::vector<int64_t> start(static_cast<size_t>(vocab) + 1, 0);
  for (int64_t i = 0; i < n; ++i) ++start[pid[i] + 1];
  for (int64_t v = 0; v < vocab; ++v) start[v + 1] += start[v];
  std::vector<int64_t> order(static_cast<size_t>(n));
  {
    std::vector<int64_t> pos(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i) order[pos[pid[i]]++] = i;
  }
  std::vector<int32_t> present;
  for (int64_t v = 0; v < vocab; ++v)
    if (start[v + 1] > start[v]) present.push_back(static_cast<int32_t>(v));
  int64_t np = static_cast<int64_t>(present.size());
#pragma omp parallel for schedule(dynamic, 16) if (n * d > (1 << 15))
  for (int64_t k = 0; k < np; ++k) {
    int32_t v = present[k];
    float* dst = pt + static_cast<int64_t>(v) * d;
    for (int64_t s = start[v]; s < start[v + 1]; ++s) {
      const float* src = pdy + order[s] * d;
#pragma omp simd
      for (int64_t j = 0; j < d; ++j) dst[j] += scale * src[j];
    }
  }
}

}  // namespace moemt::ops::cpu
