// TER (see ter.h).
#include "eval/ter.h"

#include "core/error.h"
#include "eval/ngram.h"
#include "eval/ter_edit.h"
#include "eval/unicode_text.h"

namespace moemt::eval {

void Ter::segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs,
                        double* out) const {
  const size_t nseq = refs.size() + 1;
  std::vector<std::u32string> toks(nseq);
  std::u32string decoded;
  std::vector<std::u32string_view> words, piece;
  std::vector<size_t> begin(nseq), len(nseq);
  for (size_t q = 0; q < nseq; ++q) {
    std::string_view text = q == 0 ? hyp : refs[q - 1];
    if (!decode_utf8(text, decoded))
      throw Error("invalid UTF-8 in {}", q == 0 ? "hypothesis" : "reference");
    toks[q] = ter_tokenize(rstrip_py(decoded), opts_);
    // sacrebleu normalises references twice (once when caching them, once more when
    // extracting their words). Only --ter-normalized is not idempotent, but we always repeat
    // it so the words are the same.
    if (q > 0) toks[q] = ter_tokenize(rstrip_py(toks[q]), opts_);
    split_py(toks[q], piece);
    begin[q] = words.size();
    len[q] = piece.size();
    words.insert(words.end(), piece.begin(), piece.end());
  }
  std::vector<uint32_t> ids, order;
  intern_tokens(words, ids, order);
  auto seq = [&](size_t q) {
    return std::vector<uint32_t>(ids.begin() + begin[q], ids.begin() + begin[q] + len[q]);
  };
  const std::vector<uint32_t> h = seq(0);
  int64_t best = 10000000000000000LL;
  double ref_lengths = 0;
  for (size_t q = 1; q < nseq; ++q) {
    TerEdits e = translation_edit_rate(h, seq(q));
    ref_lengths += static_cast<double>(e.ref_len);
    best = std::min(best, e.edits);
  }
  out[0] = static_cast<double>(best);
  out[1] = refs.empty() ? 0.0 : ref_lengths / static_cast<double>(refs.size());
}

Score Ter::score_from_stats(const double* sums) const {
  Score sc;
  sc.name = "TER";
  const double edits = sums[0], ref_len = sums[1];
  double s;
  if (ref_len > 0)
    s = edits / ref_len;
  else if (edits > 0)
    s = 1.0;  // empty references, non-empty hypothesis
  else
    s = 0.0;
  sc.score = 100 * s;
  return sc;
}

std::string Ter::signature_fields() const {
  return std::string("case:") + (opts_.case_sensitive ? "mixed" : "lc") +
         "|tok:tercom|norm:" + (opts_.normalized ? "yes" : "no") +
         "|punct:" + (opts_.no_punct ? "no" : "yes") +
         "|asian:" + (opts_.asian_support ? "yes" : "no");
}

Score corpus_ter(const std::vector<std::string>& hyps, const RefStreams& refs,
                 const TerOptions& opts) {
  return Ter(opts).corpus_score(hyps, refs);
}

}  // namespace moemt::eval
