// Exact n-gram counting (see ngram.h).
#include "eval/ngram.h"

#include <numeric>

namespace moemt::eval {

void count_ngrams(const uint32_t* ids, size_t len, int n, int bits, std::vector<NgramKey>& scratch,
                  std::vector<NgramCount>& out) {
  out.clear();
  if (len < static_cast<size_t>(n)) return;
  scratch.clear();
  for (size_t i = 0; i + n <= len; ++i) scratch.push_back(pack_ngram(ids + i, n, bits));
  std::sort(scratch.begin(), scratch.end());
  for (size_t i = 0; i < scratch.size();) {
    size_t j = i + 1;
    while (j < scratch.size() && scratch[j] == scratch[i]) ++j;
    out.push_back({scratch[i], static_cast<int64_t>(j - i)});
    i = j;
  }
}

int64_t clipped_matches(const std::vector<NgramCount>& hyp, const std::vector<NgramCount>& ref) {
  int64_t m = 0;
  size_t i = 0, j = 0;
  while (i < hyp.size() && j < ref.size()) {
    if (hyp[i].key < ref[j].key) {
      ++i;
    } else if (ref[j].key < hyp[i].key) {
      ++j;
    } else {
      m += std::min(hyp[i].count, ref[j].count);
      ++i;
      ++j;
    }
  }
  return m;
}

void intern_tokens(const std::vector<std::u32string_view>& tokens, std::vector<uint32_t>& ids,
                   std::vector<uint32_t>& table) {
  // Open addressing over token indices (0 = empty slot, else index + 1); equal strings share
  // the id of their first occurrence. `table` is caller-owned scratch.
  const size_t n = tokens.size();
  ids.resize(n);
  size_t cap = 16;
  while (cap < 2 * n) cap <<= 1;
  table.assign(cap, 0);
  const size_t mask = cap - 1;
  uint32_t next_id = 0;
  for (size_t t = 0; t < n; ++t) {
    const std::u32string_view tok = tokens[t];
    uint64_t h = 0x84222325CBF29CE4ULL;
    for (char32_t c : tok) h = (h ^ c) * 0x100000001B3ULL;
    size_t i = (h ^ (h >> 29)) & mask;
    while (true) {
      uint32_t e = table[i];
      if (e == 0) {
        table[i] = static_cast<uint32_t>(t + 1);
        ids[t] = next_id++;
        break;
      }
      if (tokens[e - 1] == tok) {
        ids[t] = ids[e - 1];
        break;
      }
      i = (i + 1) & mask;
    }
  }
}

}  // namespace moemt::eval
