// Buckets of whole parameters in reverse order, and their all-reduces.
#include "train/grad_buckets.h"

#include <algorithm>
#include <functional>

#include "core/error.h"

namespace moemt::train {

std::vector<std::pair<int64_t, int64_t>> gradient_buckets(const ParamStore& ps,
                                                          int64_t range_begin, int64_t range_end,
                                                          int64_t cap_bytes) {
  std::vector<std::pair<int64_t, int64_t>> params;  // [offset, end) inside the range
  for (int id = 0; id < ps.size(); ++id) {
    const ParamInfo& p = ps.info(id);
    const int64_t b = p.offset, e = p.offset + p.shape.numel();
    if (b >= range_begin && e <= range_end && e > b) params.emplace_back(b, e);
  }
  std::sort(params.begin(), params.end(), std::greater<>());
  std::vector<std::pair<int64_t, int64_t>> out;
  if (range_end <= range_begin) return out;
  if (cap_bytes <= 0) return {{range_begin, range_end}};
  const int64_t cap = std::max<int64_t>(1, cap_bytes / static_cast<int64_t>(sizeof(float)));
  // Walk down from range_end; a bucket closes at a parameter's start once it holds >= cap
  // elements. Gaps between parameters (alignment) ride with the bucket above them.
  int64_t top = range_end;
  for (const auto& [b, e] : params)
    if (top - b >= cap) {
      out.emplace_back(b, top);
      top = b;
    }
  if (top > range_begin) out.emplace_back(range_begin, top);
  return out;
}

void all_reduce_buckets(dist::Communicator& c, Tensor grads,
                        const std::vector<std::pair<int64_t, int64_t>>& buckets,
                        const std::string& context) {
  for (const auto& [b, e] : buckets) {
    MOEMT_CHECK(b >= 0 && e <= grads.numel() && b < e, "gradient bucket [{}, {}) of {} values",
                b, e, grads.numel());
    Tensor part = grads.narrow(b, e - b);
    c.all_reduce_sum(part, context);
  }
}

}  // namespace moemt::train
