// Exact n-gram counting without strings: an n-gram of small integer ids (word ids or code
// points) is packed into one 128-bit key, keys are sorted and run-length counted, and two
// counted lists are intersected with a merge walk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace moemt::eval {

using NgramKey = unsigned __int128;

struct NgramCount {
  NgramKey key;
  int64_t count;
};

// Packs ids[0..n) with `bits` bits per id; ids are stored +1 so no n-gram packs to zero.
inline NgramKey pack_ngram(const uint32_t* ids, int n, int bits) {
  NgramKey k = 0;
  for (int i = 0; i < n; ++i) k |= static_cast<NgramKey>(ids[i] + 1) << (bits * i);
  return k;
}

// Appends the counted n-grams of order n over ids to `out` (sorted by key).
void count_ngrams(const uint32_t* ids, size_t len, int n, int bits, std::vector<NgramKey>& scratch,
                  std::vector<NgramCount>& out);

// Sum over keys of min(hyp count, ref count); both lists sorted.
int64_t clipped_matches(const std::vector<NgramCount>& hyp, const std::vector<NgramCount>& ref);

inline int64_t total_count(const std::vector<NgramCount>& v) {
  int64_t t = 0;
  for (const auto& c : v) t += c.count;
  return t;
}

// Maps each token to a dense id so equal strings get equal ids. `tokens` is the
// concatenation of every sequence of one segment; ids are written in the same order.
void intern_tokens(const std::vector<std::u32string_view>& tokens, std::vector<uint32_t>& ids,
                   std::vector<uint32_t>& table_scratch);

}  // namespace moemt::eval
