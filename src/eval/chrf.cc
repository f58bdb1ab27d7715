// chrF / chrF++ (see chrf.h).
#include "eval/chrf.h"

#include <algorithm>

#include "core/error.h"
#include "eval/ngram.h"
#include "eval/unicode_text.h"

namespace moemt::eval {
namespace {

// Code points are below 2^21, so six of them fit one 128-bit key.
constexpr int kCharBits = 21;
constexpr int kMaxCharOrder = 6;
constexpr int kMaxWordOrder = 4;

// string.punctuation, which chrF++ strips from word edges.
inline bool is_ascii_punct(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

// The n-gram lists of one sequence, one per order (characters, then words).
struct SeqNgrams {
  std::vector<std::vector<NgramCount>> orders;
};

struct ChrfScratch {
  std::u32string decoded, lowered, chars;
  std::vector<uint32_t> cps, ids, order;
  std::vector<NgramKey> keys;
  std::vector<std::u32string_view> split, words;
  std::vector<size_t> word_begin, word_len;
  std::vector<SeqNgrams> seqs;  // [0] hypothesis, [1..] references
  std::vector<double> stats;
};

// sacrebleu's _remove_punctuation: peel one ASCII punctuation mark off a word's end, or
// else off its start.
void split_punctuation(const std::vector<std::u32string_view>& in,
                       std::vector<std::u32string_view>& out) {
  for (auto w : in) {
    if (w.size() == 1) {
      out.push_back(w);
    } else if (is_ascii_punct(w.back())) {
      out.push_back(w.substr(0, w.size() - 1));
      out.push_back(w.substr(w.size() - 1));
    } else if (is_ascii_punct(w.front())) {
      out.push_back(w.substr(0, 1));
      out.push_back(w.substr(1));
    } else {
      out.push_back(w);
    }
  }
}

}  // namespace

Chrf::Chrf(ChrfOptions opts) : opts_(opts) {
  if (opts_.char_order < 1 || opts_.char_order > kMaxCharOrder)
    throw Error("chrF character order must be 1..{}, got {}", kMaxCharOrder, opts_.char_order);
  if (opts_.word_order < 0 || opts_.word_order > kMaxWordOrder)
    throw Error("chrF word order must be 0..{}, got {}", kMaxWordOrder, opts_.word_order);
  if (opts_.beta < 0) throw Error("chrF beta must be >= 0, got {}", opts_.beta);
}

std::string Chrf::name() const {
  return "chrF" + std::to_string(opts_.beta) + std::string(opts_.word_order, '+');
}

void Chrf::segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs,
                         double* out) const {
  thread_local ChrfScratch s;
  const size_t nseq = refs.size() + 1;
  const int C = opts_.char_order, W = opts_.word_order;
  if (s.seqs.size() < nseq) s.seqs.resize(nseq);
  std::vector<std::u32string> texts(nseq);
  s.split.clear();
  s.word_begin.assign(nseq, 0);
  s.word_len.assign(nseq, 0);
  for (size_t q = 0; q < nseq; ++q) {
    std::string_view text = q == 0 ? hyp : refs[q - 1];
    if (!decode_utf8(text, s.decoded))
      throw Error("invalid UTF-8 in {}", q == 0 ? "hypothesis" : "reference");
    texts[q] = opts_.lowercase ? to_lower(s.decoded) : s.decoded;
  }
  // Word n-grams (chrF++): words of all sequences share one id space.
  s.words.clear();
  if (W > 0) {
    for (size_t q = 0; q < nseq; ++q) {
      split_py(texts[q], s.split);
      s.word_begin[q] = s.words.size();
      split_punctuation(s.split, s.words);
      s.word_len[q] = s.words.size() - s.word_begin[q];
    }
    intern_tokens(s.words, s.ids, s.order);
  }
  for (size_t q = 0; q < nseq; ++q) {
    auto& orders = s.seqs[q].orders;
    orders.resize(C + W);
    // Character n-grams over the line without whitespace (unless asked to keep it).
    s.cps.clear();
    for (char32_t c : texts[q])
      if (opts_.whitespace || !is_py_space(c)) s.cps.push_back(static_cast<uint32_t>(c));
    for (int n = 1; n <= C; ++n)
      count_ngrams(s.cps.data(), s.cps.size(), n, kCharBits, s.keys, orders[n - 1]);
    for (int n = 1; n <= W; ++n)
      count_ngrams(s.ids.data() + s.word_begin[q], s.word_len[q], n, 32, s.keys,
                   orders[C + n - 1]);
  }
  // Pick the reference with the best sentence-level F score (first one on ties).
  const size_t k = num_stats();
  s.stats.assign(k, 0.0);
  double best_f = -1.0;
  const auto& h = s.seqs[0].orders;
  for (size_t q = 1; q < nseq; ++q) {
    const auto& r = s.seqs[q].orders;
    for (int o = 0; o < C + W; ++o) {
      int64_t ref_total = total_count(r[o]);
      s.stats[3 * o] = r[o].empty() ? 0.0 : static_cast<double>(total_count(h[o]));
      s.stats[3 * o + 1] = static_cast<double>(ref_total);
      s.stats[3 * o + 2] = static_cast<double>(clipped_matches(h[o], r[o]));
    }
    double f = f_score(s.stats.data());
    if (f > best_f) {
      best_f = f;
      std::copy(s.stats.begin(), s.stats.end(), out);
    }
  }
}

double Chrf::f_score(const double* st) const {
  const double eps = 1e-16;
  const int order = opts_.char_order + opts_.word_order;
  const double factor = static_cast<double>(opts_.beta) * opts_.beta;
  double score = 0.0, avg_prec = 0.0, avg_rec = 0.0;
  int effective_order = 0;
  for (int i = 0; i < order; ++i) {
    double n_hyp = st[3 * i], n_ref = st[3 * i + 1], n_match = st[3 * i + 2];
    double prec = n_hyp > 0 ? n_match / n_hyp : eps;
    double rec = n_ref > 0 ? n_match / n_ref : eps;
    double denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec / denom) : eps;
    if (n_hyp > 0 && n_ref > 0) {
      avg_prec += prec;
      avg_rec += rec;
      ++effective_order;
    }
  }
  if (opts_.eps_smoothing) return 100 * score / order;
  if (effective_order == 0) {
    avg_prec = avg_rec = 0.0;
  } else {
    avg_prec /= effective_order;
    avg_rec /= effective_order;
  }
  if (avg_prec + avg_rec != 0.0) {
    double f = (1 + factor) * avg_prec * avg_rec;
    f /= (factor * avg_prec) + avg_rec;
    return 100 * f;
  }
  return 0.0;
}

Score Chrf::score_from_stats(const double* sums) const {
  Score sc;
  sc.name = name();
  sc.score = f_score(sums);
  return sc;
}

std::string Chrf::signature_fields() const {
  return std::string("case:") + (opts_.lowercase ? "lc" : "mixed") +
         "|eff:" + (opts_.eps_smoothing ? "no" : "yes") +
         "|nc:" + std::to_string(opts_.char_order) + "|nw:" + std::to_string(opts_.word_order) +
         "|space:" + (opts_.whitespace ? "yes" : "no");
}

Score corpus_chrf(const std::vector<std::string>& hyps, const RefStreams& refs,
                  const ChrfOptions& opts) {
  return Chrf(opts).corpus_score(hyps, refs);
}

}  // namespace moemt::eval
