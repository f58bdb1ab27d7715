// Flores-style held-out sets: choosing the multi-way dev/devtest English sentences by a stable
// hash, preferring prose, and the key that keeps their near-copies out of training data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moemt::corpus {

struct SplitOptions {
  size_t dev_size = 500;
  size_t devtest_size = 500;
};

struct HeldOut {
  std::vector<std::string> dev, devtest;  // English sentences, in file order
  size_t candidates = 0;                  // usable multi-way English sentences
  size_t prose_candidates = 0;            // of which prose-like
  bool shrunk = false;                    // fewer candidates than requested
};

// 64-bit FNV-1a: stable across platforms and runs, unlike std::hash.
uint64_t fnv1a64(std::string_view s, uint64_t seed = 0xcbf29ce484222325ULL);

// 0 = prose-like (>= 4 words, capitalised, ends in . ! ? or …, no placeholders/markup),
// 1 = usable (>= 3 words, no placeholders/markup), 2 = not used for evaluation.
int prose_tier(std::string_view english);

// Picks dev and devtest from `multiway` (English sentences translated into every language):
// tier 0 first, then tier 1, each ordered by hash; within the pick, a second hash bit deals
// sentences to dev or devtest. Shrinks both sizes proportionally when candidates run short.
HeldOut select_heldout(const std::vector<std::string>& multiway, const SplitOptions& opt);

// Case- and punctuation-insensitive key: a training pair whose English side has the same key
// as a dev/devtest sentence is removed ("Open file" vs "Open file." vs "Open File").
std::string heldout_key(std::string_view english);

}  // namespace moemt::corpus
