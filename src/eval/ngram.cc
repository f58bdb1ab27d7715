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
                   std::vector<uint32_t>& order) {
  const size_t n = tokens.size();
  ids.assign(n, 0);
  order.resize(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return tokens[a] < tokens[b]; });
  uint32_t id = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && tokens[order[i]] != tokens[order[i - 1]]) ++id;
    ids[order[i]] = id;
  }
}

}  // namespace moemt::eval
