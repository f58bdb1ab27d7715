// BLEU (Papineni et al. 2002) exactly as sacrebleu 2.x computes it: tokenizers, lowercasing,
// smoothing (exp, floor, add-k, none), effective order, multiple references.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "eval/metric.h"
#include "eval/tokenizer.h"

namespace moemt::eval {

enum class BleuSmooth { kNone, kFloor, kAddK, kExp };
BleuSmooth parse_bleu_smooth(const std::string& name);  // "none", "floor", "add-k", "exp"
std::string bleu_smooth_name(BleuSmooth s);

struct BleuOptions {
  std::string tokenize = "13a";  // none, 13a, intl, char, zh
  bool lowercase = false;
  BleuSmooth smooth = BleuSmooth::kExp;
  std::optional<double> smooth_value;  // defaults: floor 0.1, add-k 1
  bool effective_order = false;        // sacrebleu turns this on for sentence-level BLEU
  int max_ngram_order = 4;             // 1..4
};

class Bleu : public Metric {
 public:
  explicit Bleu(BleuOptions opts = {});
  std::string name() const override { return "BLEU"; }
  size_t num_stats() const override { return 2 + 2 * static_cast<size_t>(opts_.max_ngram_order); }
  // Layout: hyp_len, ref_len, correct[1..N], total[1..N].
  void segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs,
                     double* out) const override;
  Score score_from_stats(const double* sums) const override;
  std::string signature_fields() const override;
  std::string short_key(const std::string& key) const override {
    return key == "smooth" ? "s" : Metric::short_key(key);
  }
  const BleuOptions& options() const { return opts_; }

 private:
  BleuOptions opts_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

// Corpus BLEU in one call, for `eval` and validation during training.
Score corpus_bleu(const std::vector<std::string>& hyps, const RefStreams& refs,
                  const BleuOptions& opts = {});

}  // namespace moemt::eval
