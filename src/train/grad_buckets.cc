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

OverlappedGradSum::OverlappedGradSum(const ParamStore& ps, std::vector<std::string> units,
                                     int64_t range_begin, int64_t range_end, int64_t cap_bytes)
    : units_(std::move(units)), by_unit_(units_.size() + 1) {
  // Each parameter's slot (alignment included, so neighbours touch) under its unit.
  std::vector<std::vector<std::pair<int64_t, int64_t>>> slots(by_unit_.size());
  for (int id = 0; id < ps.size(); ++id) {
    const ParamInfo& p = ps.info(id);
    const int64_t b = p.offset, e = std::min(range_end, b + ParamStore::slot(p.shape.numel()));
    if (p.shape.numel() == 0 || b < range_begin || b >= range_end) continue;
    size_t u = 0;
    while (u < units_.size() && p.name.rfind(units_[u], 0) != 0) ++u;
    slots[u].emplace_back(b, e);
  }
  for (size_t u = 0; u < slots.size(); ++u) {
    auto& v = slots[u];
    std::sort(v.begin(), v.end(), std::greater<>());
    // Runs of touching slots, last first, each split like gradient_buckets.
    for (size_t i = 0; i < v.size();) {
      int64_t top = v[i].second, bottom = v[i].first;
      for (++i; i < v.size() && v[i].second == bottom; ++i) bottom = v[i].first;
      for (const auto& bucket : gradient_buckets(ps, bottom, top, cap_bytes))
        by_unit_[u].push_back(bucket);
    }
  }
}

int OverlappedGradSum::buckets() const {
  int n = 0;
  for (const auto& u : by_unit_) n += static_cast<int>(u.size());
  return n;
}

int OverlappedGradSum::start_units(dist::Communicator& c, const Tensor& grads, size_t end,
                                   const std::string& context) {
  int started = 0;
  for (; next_ < end; ++next_)
    for (const auto& [b, e] : by_unit_[next_]) {
      MOEMT_CHECK(b >= 0 && e <= grads.numel() && b < e, "gradient bucket [{}, {}) of {} values",
                  b, e, grads.numel());
      c.start_all_reduce_sum(grads.narrow(b, e - b), context);
      ++started;
    }
  return started;
}

void OverlappedGradSum::unit_final(dist::Communicator& c, const Tensor& grads,
                                   const std::string& unit, const std::string& context) {
  size_t u = next_;
  while (u < units_.size() && units_[u] != unit) ++u;
  MOEMT_CHECK(u < units_.size(), "backward signalled '{}' out of the model's unit order", unit);
  early_ += start_units(c, grads, u + 1, context);
  c.progress();
}

void OverlappedGradSum::finish(dist::Communicator& c, const Tensor& grads,
                               const std::string& context) {
  start_units(c, grads, by_unit_.size(), context);
  c.finish_all_reduces(context);
}

}  // namespace moemt::train
