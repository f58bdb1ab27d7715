// Translation edit rate of one hypothesis against one reference: Tercom's greedy shift search
// over a beam-limited edit distance, with sacrebleu's limits and tie-breaking.
#pragma once

#include <cstdint>
#include <vector>

namespace moemt::eval {

struct TerEdits {
  int64_t edits = 0;    // shifts + insertions + deletions + substitutions
  int64_t ref_len = 0;  // reference words
};

// Words are given as ids (equal words, equal ids).
TerEdits translation_edit_rate(const std::vector<uint32_t>& hyp, const std::vector<uint32_t>& ref);

}  // namespace moemt::eval
