// Top-k of one row by insertion: largest first, the earlier index ahead on ties. Shared by
// ops::topk, ops::beam_topk and the router gate, whose routing plans rely on exactly this order.
#pragma once

#include <math.h>

#include <cstdint>

#include "core/host_device.h"

namespace moemt::math {

// The k largest of load(0) .. load(e - 1) into v, their column indices into id. `load` computes
// a column's value, so a caller can rank a sum (beam search: score + log-probability) without
// materialising it.
// The columns first, first + step, ... below e only (a GPU thread's share of a wide row);
// returns how many entries were filled (k, or fewer when the share has fewer columns).
template <typename Load>
MOEMT_HOST_DEVICE inline int topk_strided_of(const Load& load, int64_t first, int64_t e,
                                             int64_t step, int k, float* v, int32_t* id) {
  int filled = 0;
  for (int64_t c = first; c < e; c += step) {
    float val = load(c);
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
  return filled;
}

template <typename Load>
MOEMT_HOST_DEVICE inline void topk_row_of(const Load& load, int64_t e, int k, float* v,
                                          int32_t* id) {
  topk_strided_of(load, 0, e, 1, k, v, id);
}

// A row's values as they are.
struct RowLoad {
  const float* row;
  MOEMT_HOST_DEVICE float operator()(int64_t c) const { return row[c]; }
};

// A row's values where allowed[c] != 0, -inf elsewhere (choices restricted to some columns).
struct AllowedLoad {
  const float* row;
  const int32_t* allowed;
  MOEMT_HOST_DEVICE float operator()(int64_t c) const {
    return allowed[c] != 0 ? row[c] : -INFINITY;
  }
};

// Beam search's ranking key (ops::beam_topk): a row's running score plus a token's
// log-probability, plus the token's bias (0, or -inf for a token that is never produced).
// The sum is formed in this order so that it equals the host search's `score + lp` bit for bit.
struct BeamLoad {
  const float* logprobs;  // one row
  float score;            // 0 where the caller ranks the log-probabilities alone (greedy)
  const float* bias;      // null: none
  MOEMT_HOST_DEVICE float operator()(int64_t c) const {
    const float s = score + logprobs[c];
    return bias ? s + bias[c] : s;
  }
};

// row has e values; v and id receive the k largest and their column indices.
MOEMT_HOST_DEVICE inline void topk_row(const float* row, int64_t e, int k, float* v, int32_t* id) {
  topk_row_of(RowLoad{row}, e, k, v, id);
}

}  // namespace moemt::math
