// The metric interface (see metric.h): parallel statistics and signatures.
#include "eval/metric.h"

#include <exception>

#include "core/error.h"

namespace moemt::eval {

namespace {
constexpr size_t kParallelMinSegments = 512;
}  // namespace

std::string signature_version() {
  // Our version plus the sacrebleu release whose numbers we reproduce.
  return std::string("moemt-") + MOEMT_VERSION_STRING + "+sacrebleu-2.6.0";
}

std::string Metric::short_key(const std::string& key) const {
  if (key == "version") return "v";
  if (key == "nrefs") return "#";
  if (key == "seed") return "rs";
  if (key == "case") return "c";
  if (key == "eff") return "e";
  return key;
}

std::string Metric::signature(int nrefs, const SignatureExtras& extras, bool short_form) const {
  std::string s = "nrefs:" + (nrefs < 0 ? std::string("var") : std::to_string(nrefs));
  if (extras.bs) s += "|bs:" + std::to_string(*extras.bs);
  if (extras.ar) s += "|ar:" + std::to_string(*extras.ar);
  if (extras.seed) s += "|seed:" + *extras.seed;
  s += "|" + signature_fields();
  s += "|version:" + signature_version();
  if (!short_form) return s;
  std::string out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t bar = s.find('|', start);
    std::string field = s.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    size_t colon = field.find(':');
    if (!out.empty()) out += '|';
    out += short_key(field.substr(0, colon)) + field.substr(colon);
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return out;
}

std::vector<double> Metric::corpus_stats(const std::vector<std::string>& hyps,
                                         const RefStreams& refs) const {
  const size_t n = hyps.size();
  const size_t k = num_stats();
  if (refs.empty()) throw Error("no reference given");
  for (size_t r = 0; r < refs.size(); ++r)
    if (refs[r].size() != n)
      throw Error("reference stream {} has {} segments but the hypothesis has {}", r + 1,
                  refs[r].size(), n);
  std::vector<double> stats(n * k, 0.0);
  std::exception_ptr failure;
  const int64_t nn = static_cast<int64_t>(n);
  // Small inputs run serially: waking threads costs more than scoring a few hundred lines.
#pragma omp parallel if (n >= kParallelMinSegments)
  {
    std::vector<std::string_view> seg_refs(refs.size());
#pragma omp for schedule(dynamic, 256)
    for (int64_t i = 0; i < nn; ++i) {
      try {
        for (size_t r = 0; r < refs.size(); ++r) seg_refs[r] = refs[r][i];
        segment_stats(hyps[i], seg_refs, stats.data() + i * k);
      } catch (...) {
#pragma omp critical(moemt_eval_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return stats;
}

Score Metric::score_from_segment_stats(const std::vector<double>& stats) const {
  const size_t k = num_stats();
  std::vector<double> sums(k, 0.0);
  // Summed in segment order, as sacrebleu's sum_of_lists does.
  for (size_t i = 0; i + k <= stats.size(); i += k)
    for (size_t j = 0; j < k; ++j) sums[j] += stats[i + j];
  return score_from_stats(sums.data());
}

Score Metric::corpus_score(const std::vector<std::string>& hyps, const RefStreams& refs) const {
  return score_from_segment_stats(corpus_stats(hyps, refs));
}

Score Metric::sentence_score(std::string_view hyp,
                             const std::vector<std::string_view>& refs) const {
  std::vector<double> stats(num_stats(), 0.0);
  segment_stats(hyp, refs, stats.data());
  return score_from_stats(stats.data());
}

}  // namespace moemt::eval
