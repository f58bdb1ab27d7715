// CPU compaction: one sequential pass (the row count is B*T, small next to the GEMMs it saves).
#include "ops/compact.h"

namespace moemt::ops::cpu {

void compact_nonpad(const Tensor& targets, int32_t pad_id, Tensor& index, Tensor& kept,
                    Tensor& count) {
  const int32_t* t = targets.data<int32_t>();
  int32_t* pi = index.data<int32_t>();
  int32_t* pk = kept.data<int32_t>();
  const int64_t n = targets.numel();
  int32_t m = 0;
  for (int64_t r = 0; r < n; ++r)
    if (t[r] != pad_id) {
      pi[m] = static_cast<int32_t>(r);
      pk[m] = t[r];
      ++m;
    }
  count.data<int32_t>()[0] = m;
}

}  // namespace moemt::ops::cpu
