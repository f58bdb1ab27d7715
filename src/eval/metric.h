// The metric interface shared by BLEU, chrF and TER: per-segment sufficient statistics,
// scores computed from summed statistics (so corpus scores and bootstrap resampling are
// cheap), and sacrebleu-style signatures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moemt::eval {

// The version field every signature ends with.
std::string signature_version();

// A computed score. `verbose` holds BLEU's details line; `mean`/`ci` are set (>= 0) when a
// bootstrap estimate was made.
struct Score {
  std::string name;  // "BLEU", "chrF2", "chrF2++", "TER"
  double score = 0.0;
  std::string verbose;
  double mean = -1.0;
  double ci = -1.0;
  // BLEU only: the details behind `verbose`.
  std::vector<double> counts, totals, precisions;
  double bp = 0.0, ratio = 0.0;
  int64_t sys_len = 0, ref_len = 0;
};

// Extra signature fields (bootstrap resampling count and seed), printed in sacrebleu's order.
struct SignatureExtras {
  std::optional<int> bs;
  std::optional<int> ar;
  std::optional<std::string> seed;
};

// References are given as sacrebleu takes them: refs[r][i] is reference r of segment i.
using RefStreams = std::vector<std::vector<std::string>>;

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;
  virtual size_t num_stats() const = 0;
  // Writes the statistics of one segment to out[0, num_stats()). Thread-safe.
  virtual void segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs,
                             double* out) const = 0;
  // Score from statistics summed over segments.
  virtual Score score_from_stats(const double* sums) const = 0;
  // The metric-specific signature fields ("case:mixed|eff:no|..."), without the common ones.
  virtual std::string signature_fields() const = 0;

  // "nrefs:1|[bs:..|seed:..|]<fields>|version:..."; `short_form` abbreviates the field
  // names as sacrebleu's --short does ("#:1|c:mixed|e:no|tok:13a|s:exp|v:...").
  std::string signature(int nrefs, const SignatureExtras& extras = {},
                        bool short_form = false) const;
  // The short name of one signature field (sacrebleu's abbreviations).
  virtual std::string short_key(const std::string& key) const;

  // Statistics of every segment, row-major (n_segments x num_stats()), computed in parallel.
  // Throws moemt::Error if a reference stream's length differs from hyps or on invalid UTF-8.
  std::vector<double> corpus_stats(const std::vector<std::string>& hyps,
                                   const RefStreams& refs) const;
  Score corpus_score(const std::vector<std::string>& hyps, const RefStreams& refs) const;
  Score sentence_score(std::string_view hyp, const std::vector<std::string_view>& refs) const;
  // Sums the rows of `stats` (n x num_stats()) and scores them.
  Score score_from_segment_stats(const std::vector<double>& stats) const;
};

}  // namespace moemt::eval
