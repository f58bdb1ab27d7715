// libFuzzer harness: TER of one hypothesis against one or more references. Input: one byte of
// option bits (normalized, no-punct, asian, case-sensitive), then "hyp\nref1\nref2...".
// moemt::Error (invalid UTF-8) is the expected bad-input result.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "eval/ter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace moemt::eval;
  if (size < 1) return 0;
  TerOptions o;
  o.normalized = data[0] & 1;
  o.no_punct = data[0] & 2;
  o.asian_support = data[0] & 4;
  o.case_sensitive = data[0] & 8;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (lines.size() < 8) {  // sacrebleu users rarely give more references
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == text.npos ? text.npos : nl - start));
    if (nl == text.npos) break;
    start = nl + 1;
  }
  std::string_view hyp = lines[0];
  std::vector<std::string_view> refs(lines.begin() + 1, lines.end());
  if (refs.empty()) refs.push_back("");
  try {
    const Ter ter(o);
    double stats[2];
    ter.segment_stats(hyp, refs, stats);
    // Edits are a count no larger than hypothesis plus reference words (all deleted and all
    // inserted); both statistics are finite and non-negative.
    if (!(stats[0] >= 0) || !(stats[1] >= 0) || !std::isfinite(stats[1])) __builtin_trap();
    if (stats[0] > static_cast<double>(text.size()) + 1) __builtin_trap();
    const Score s = ter.score_from_stats(stats);
    if (!(s.score >= 0) || !std::isfinite(s.score)) __builtin_trap();
  } catch (const moemt::Error&) {
  }
  return 0;
}
