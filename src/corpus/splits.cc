// Held-out selection. Ordering only depends on the sentences themselves (hashes and byte
// order), never on discovery order, so two builds from the same catalogs agree.
#include "corpus/splits.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>

#include "core/log.h"
#include "corpus/filters.h"

namespace moemt::corpus {

uint64_t fnv1a64(std::string_view s, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

int prose_tier(std::string_view s) {
  if (!placeholders(s).empty() || s.find('<') != std::string_view::npos ||
      s.find('>') != std::string_view::npos || s.find('%') != std::string_view::npos ||
      s.find('\\') != std::string_view::npos)
    return 2;
  int words = count_words(s);
  if (words < 3) return 2;
  bool capital = std::isupper(static_cast<unsigned char>(s.front())) != 0;
  bool end = s.back() == '.' || s.back() == '!' || s.back() == '?' || s.ends_with("…");
  // "..." marks a menu item ("Open..."), not a sentence end.
  if (s.ends_with("...") || s.ends_with("…")) end = false;
  if (words >= 4 && capital && end && s.size() <= 300) return 0;
  return 1;
}

std::string heldout_key(std::string_view s) {
  std::string key;
  int32_t i = 0, n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0 || !u_isalnum(c)) continue;
    c = u_foldCase(c, U_FOLD_CASE_DEFAULT);
    char buf[4];
    int32_t len = 0;
    UBool err = false;
    U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, 4, c, err);
    (void)err;  // c is a valid code point and 4 bytes always suffice
    key.append(buf, static_cast<size_t>(len));
  }
  return key;
}

HeldOut select_heldout(const std::vector<std::string>& multiway, const SplitOptions& opt) {
  struct Cand {
    int tier;
    uint64_t hash;
    const std::string* text;
  };
  std::vector<Cand> cands;
  HeldOut h;
  for (const std::string& s : multiway) {
    int t = prose_tier(s);
    if (t == 2) continue;
    if (t == 0) ++h.prose_candidates;
    cands.push_back({t, fnv1a64(s), &s});
  }
  // Sentences that differ only in case/punctuation share a key; keep one per key so that
  // dev and devtest never hold near-duplicates of each other.
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) {
    if (a.tier != b.tier) return a.tier < b.tier;
    if (a.hash != b.hash) return a.hash < b.hash;
    return *a.text < *b.text;
  });
  std::vector<Cand> unique;
  {
    std::vector<std::pair<std::string, size_t>> keyed;
    for (size_t i = 0; i < cands.size(); ++i) keyed.emplace_back(heldout_key(*cands[i].text), i);
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<bool> keep(cands.size(), false);
    for (size_t i = 0; i < keyed.size(); ++i)
      if (i == 0 || keyed[i].first != keyed[i - 1].first) keep[keyed[i].second] = true;
    for (size_t i = 0; i < cands.size(); ++i)
      if (keep[i]) unique.push_back(cands[i]);
  }
  h.candidates = unique.size();
  size_t want_dev = opt.dev_size, want_test = opt.devtest_size;
  if (want_dev + want_test > unique.size()) {
    h.shrunk = true;
    double f = static_cast<double>(unique.size()) / static_cast<double>(want_dev + want_test);
    want_dev = static_cast<size_t>(static_cast<double>(want_dev) * f);
    want_test = std::min(unique.size() - want_dev,
                         static_cast<size_t>(static_cast<double>(want_test) * f + 1));
    log::warn(
        "only {} multi-way candidate sentences for dev+devtest ({} requested); using dev {} "
        "and devtest {}",
        unique.size(), opt.dev_size + opt.devtest_size, want_dev, want_test);
  }
  for (const Cand& c : unique) {
    if (h.dev.size() == want_dev && h.devtest.size() == want_test) break;
    bool to_dev = (fnv1a64(*c.text, 0x9e3779b97f4a7c15ULL) & 1) == 0;
    if ((to_dev && h.dev.size() < want_dev) || h.devtest.size() == want_test)
      h.dev.push_back(*c.text);
    else
      h.devtest.push_back(*c.text);
  }
  return h;
}

}  // namespace moemt::corpus
