// chrF and chrF++ (Popović 2015, 2017) exactly as sacrebleu 2.x computes them: character
// n-grams up to order 6, optional word n-grams (chrF++ with word order 2), beta,
// whitespace option, effective-order or epsilon smoothing, multiple references.
#pragma once

#include "eval/metric.h"

namespace moemt::eval {

struct ChrfOptions {
  int char_order = 6;  // 1..6
  int word_order = 0;  // 0..4; 2 gives chrF++
  int beta = 2;
  bool lowercase = false;
  bool whitespace = false;     // keep whitespace inside character n-grams
  bool eps_smoothing = false;  // chrF++.py / Moses / NLTK style smoothing
};

class Chrf : public Metric {
 public:
  explicit Chrf(ChrfOptions opts = {});
  std::string name() const override;  // chrF2, chrF2++, ...
  size_t num_stats() const override {
    return 3 * static_cast<size_t>(opts_.char_order + opts_.word_order);
  }
  // Layout per order (characters first, then words): hyp count, ref count, matches.
  void segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs,
                     double* out) const override;
  Score score_from_stats(const double* sums) const override;
  std::string signature_fields() const override;
  std::string short_key(const std::string& key) const override {
    return key == "space" ? "s" : Metric::short_key(key);
  }
  const ChrfOptions& options() const { return opts_; }

 private:
  double f_score(const double* stats) const;
  ChrfOptions opts_;
};

// Corpus chrF in one call (set opts.word_order = 2 for chrF++).
Score corpus_chrf(const std::vector<std::string>& hyps, const RefStreams& refs,
                  const ChrfOptions& opts = {});

}  // namespace moemt::eval
