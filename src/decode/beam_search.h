// Beam search (and its greedy fast path) over a model's cached decoding steps, for a
// batch of sentences; finished sentences leave the batch so later steps get cheaper.
#pragma once

#include <cstdint>
#include <vector>

#include "core/range.h"
#include "model/model.h"

namespace moemt::decode {

// Ranges of the search options, shared by `moemt translate` and `moemt eval`. Marian users
// decode with beams of 4-12 (100 for n-best reranking) and normalise with 0.6-1.0.
inline constexpr Range<int> kBeamSizeRange{1, 1024};
inline constexpr Range<float> kNormalizeRange{0.f, 10.f};
inline constexpr Range<float> kMaxLengthFactorRange{0.01f, 1000.f};
inline constexpr Range<int> kOutputLengthRange{1, 65536};  // --max-length
inline constexpr Range<int> kMinLengthRange{0, 65536};     // --min-length
inline constexpr Range<int> kInputLengthRange{3, 65536};   // --max-input-length: tag, piece, eos

struct SearchOptions {
  int beam_size = 4;        // --beam-size/-b; 1 = greedy
  int n_best = 1;           // hypotheses returned per sentence (<= beam_size)
  float normalize = 0.6f;   // --normalize: rank by score / length^normalize (0 = raw sum)
  float max_length_factor = 3.f;  // --max-length-factor: output <= factor * source length
  int max_length = 256;     // hard cap on output tokens (before eos)
  int min_length = 0;       // --min-length: eos is blocked until this many tokens (benchmarks)
  bool allow_unk = false;   // --allow-unk: otherwise <unk> is never produced
  std::vector<int32_t> blocked_ids;  // never produced (pad, bos, language tags)
  int32_t bos_id = 2, eos_id = 3, unk_id = 1;
};

struct Hypothesis {
  std::vector<int32_t> tokens;  // without bos/eos
  float score = 0;              // sum of log-probabilities (eos included when produced)
  float norm_score = 0;         // score / length^normalize, the ranking key
  std::vector<float> token_scores;  // log-probability of each token (and of eos, last)
};

// src: encoder inputs ([tag] + pieces + [eos]) of B sentences; returns B lists of n_best
// hypotheses, best first. ctx must be in eval mode.
std::vector<std::vector<Hypothesis>> beam_search(model::Model& model, nn::Ctx& ctx,
                                                 const std::vector<std::vector<int32_t>>& src,
                                                 const std::vector<int32_t>& src_lang,
                                                 const std::vector<int32_t>& tgt_lang,
                                                 const SearchOptions& options);

}  // namespace moemt::decode
