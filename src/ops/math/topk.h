// Top-k of one row by insertion: largest first, the earlier index ahead on ties. Shared by
// ops::topk and the router gate, whose routing plans rely on exactly this order.
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace moemt::math {

// row has e values; v and id receive the k largest and their column indices.
MOEMT_HOST_DEVICE inline void topk_row(const float* row, int64_t e, int k, float* v, int32_t* id) {
  int filled = 0;
  for (int64_t c = 0; c < e; ++c) {
    float val = row[c];
    // Strictly greater: among equal values the earlier (lower) index stays ahead.
    if (filled == k && !(val > v[k - 1])) continue;
    int pos = filled < k ? filled++ : k - 1;
    while (pos > 0 && val > v[pos - 1]) {
      v[pos] = v[pos - 1];
      id[pos] = id[pos - 1];
      --pos;
    }
    v[pos] = val;
    id[pos] = static_cast<int32_t>(c);
  }
}

}  // namespace moemt::math
