// TER (Snover et al. 2006) as sacrebleu 2.x computes it: Tercom normalisation options,
// shift search, best of multiple references over their average length.
#pragma once

#include "eval/metric.h"
#include "eval/ter_tokenizer.h"

namespace moemt::eval {

using TerOptions = TerTokenizerOptions;

class Ter : public Metric {
 public:
  explicit Ter(TerOptions opts = {}) : opts_(opts) {}
  std::string name() const override { return "TER"; }
  size_t num_stats() const override { return 2; }
  // Layout: fewest edits over the references, average reference length.
  void segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs,
                     double* out) const override;
  Score score_from_stats(const double* sums) const override;
  std::string signature_fields() const override;
  std::string short_key(const std::string& key) const override {
    if (key == "tok") return "t";
    if (key == "norm") return "nr";
    if (key == "punct") return "pn";
    if (key == "asian") return "as";
    return Metric::short_key(key);
  }
  const TerOptions& options() const { return opts_; }

 private:
  TerOptions opts_;
};

Score corpus_ter(const std::vector<std::string>& hyps, const RefStreams& refs,
                 const TerOptions& opts = {});

}  // namespace moemt::eval
