// chrF / chrF++ (see chrf.h).
#include "eval/chrf.h"

#include <algorithm>

#include "core/error.h"
#include "eval/ngram.h"
#include "eval/ngram_table.h"
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

struct ChrfScratch {
  std::u32string decoded;
  std::vector<std::u32string> texts;  // [0] hypothesis, [1..] references
  std::vector<uint32_t> cps, ids, order;
  std::vector<std::u32string_view> split, words;
  std::vector<size_t> word_begin, word_len;
  std::vector<std::vector<NgramKey>> hyp_keys;  // per order: characters, then words
  std::vector<NgramKey> ref_keys;
  NgramTable table;
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
  s.texts.resize(std::max(s.texts.size(), nseq));
  for (size_t q = 0; q < nseq; ++q) {
    std::string_view text = q == 0 ? hyp : refs[q - 1];
    if (!decode_utf8(text, s.decoded))
      throw Error("invalid UTF-8 in {}", q == 0 ? "hypothesis" : "reference");
    if (opts_.lowercase)
      s.texts[q] = to_lower(s.decoded);
    else
      s.texts[q].swap(s.decoded);
  }
  // Word n-grams (chrF++): words of all sequences share one id space.
  s.words.clear();
  s.word_begin.assign(nseq, 0);
  s.word_len.assign(nseq, 0);
  if (W > 0) {
    for (size_t q = 0; q < nseq; ++q) {
      split_py(s.texts[q], s.split);
      s.word_begin[q] = s.words.size();
      split_punctuation(s.split, s.words);
      s.word_len[q] = s.words.size() - s.word_begin[q];
    }
    intern_tokens(s.words, s.ids, s.order);
  }
  // Character code points, without whitespace unless asked to keep it.
  auto code_points = [&](size_t q) {
    s.cps.clear();
    for (char32_t c : s.texts[q])
      if (opts_.whitespace || !is_py_space(c)) s.cps.push_back(static_cast<uint32_t>(c));
  };
  // Hypothesis n-gram keys of every order.
  s.hyp_keys.resize(std::max<size_t>(s.hyp_keys.size(), C + W));
  code_points(0);
  for (int n = 1; n <= C; ++n) {
    if (n > 1) s.hyp_keys[n - 1] = s.hyp_keys[n - 2];
    extend_ngram_keys(s.cps.data(), s.cps.size(), n, kCharBits, s.hyp_keys[n - 1]);
  }
  for (int n = 1; n <= W; ++n) {
    if (n > 1) s.hyp_keys[C + n - 1] = s.hyp_keys[C + n - 2];
    extend_ngram_keys(s.ids.data() + s.word_begin[0], s.word_len[0], n, 32, s.hyp_keys[C + n - 1]);
  }
  // Match counts of one order: reference counts in a table, hypothesis n-grams consume them.
  auto order_stats = [&](int o, double* st) {
    const auto& hk = s.hyp_keys[o];
    s.table.reset(s.ref_keys.size());
    for (NgramKey k : s.ref_keys) ++s.table.at(k);
    int64_t matches = 0;
    for (NgramKey k : hk) {
      int64_t* c = s.table.find(k);
      if (c && *c > 0) {
        ++matches;
        --*c;
      }
    }
    st[0] = s.ref_keys.empty() ? 0.0 : static_cast<double>(hk.size());
    st[1] = static_cast<double>(s.ref_keys.size());
    st[2] = static_cast<double>(matches);
  };
  // Pick the reference with the best sentence-level F score (first one on ties).
  const size_t k = num_stats();
  s.stats.assign(k, 0.0);
  double best_f = -1.0;
  for (size_t q = 1; q < nseq; ++q) {
    code_points(q);
    s.ref_keys.clear();
    for (int n = 1; n <= C; ++n) {
      extend_ngram_keys(s.cps.data(), s.cps.size(), n, kCharBits, s.ref_keys);
      order_stats(n - 1, s.stats.data() + 3 * (n - 1));
    }
    s.ref_keys.clear();
    for (int n = 1; n <= W; ++n) {
      extend_ngram_keys(s.ids.data() + s.word_begin[q], s.word_len[q], n, 32, s.ref_keys);
      order_stats(C + n - 1, s.stats.data() + 3 * (C + n - 1));
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
