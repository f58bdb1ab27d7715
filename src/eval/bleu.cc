// BLEU (see bleu.h).
#include "eval/bleu.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "eval/ngram.h"
#include "eval/ngram_table.h"
#include "eval/unicode_text.h"

namespace moemt::eval {
namespace {

constexpr int kMaxOrder = 4;

// sacrebleu's my_log: log with log(0) floored to a large negative number.
double floored_log(double x) { return x == 0.0 ? -9999999999.0 : std::log(x); }

std::string fixed(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

struct BleuScratch {
  std::u32string decoded, lowered;
  std::vector<std::u32string> tok;  // [0] hypothesis, [1..] references
  std::vector<std::u32string_view> views, piece;
  std::vector<size_t> begin, len;
  std::vector<uint32_t> ids, order;
  std::vector<NgramKey> hyp_keys;
  std::vector<std::vector<NgramKey>> ref_keys;
  NgramTable merged, one;
};

}  // namespace

BleuSmooth parse_bleu_smooth(const std::string& name) {
  if (name == "none") return BleuSmooth::kNone;
  if (name == "floor") return BleuSmooth::kFloor;
  if (name == "add-k") return BleuSmooth::kAddK;
  if (name == "exp") return BleuSmooth::kExp;
  throw Error("unknown smoothing method '{}' (choose exp, floor, add-k or none)", name);
}

std::string bleu_smooth_name(BleuSmooth s) {
  switch (s) {
    case BleuSmooth::kNone:
      return "none";
    case BleuSmooth::kFloor:
      return "floor";
    case BleuSmooth::kAddK:
      return "add-k";
    case BleuSmooth::kExp:
      return "exp";
  }
  return "?";
}

Bleu::Bleu(BleuOptions opts) : opts_(std::move(opts)), tokenizer_(make_tokenizer(opts_.tokenize)) {
  if (opts_.max_ngram_order < 1 || opts_.max_ngram_order > kMaxOrder)
    throw Error("BLEU max n-gram order must be 1..{}, got {}", kMaxOrder, opts_.max_ngram_order);
}

void Bleu::segment_stats(std::string_view hyp, const std::vector<std::string_view>& refs,
                         double* out) const {
  thread_local BleuScratch s;
  const int N = opts_.max_ngram_order;
  const size_t nseq = refs.size() + 1;
  if (s.tok.size() < nseq) s.tok.resize(nseq);
  // Preprocess as sacrebleu: lowercase (optional), rstrip, tokenize.
  for (size_t q = 0; q < nseq; ++q) {
    std::string_view text = q == 0 ? hyp : refs[q - 1];
    if (!decode_utf8(text, s.decoded))
      throw Error("invalid UTF-8 in {}", q == 0 ? "hypothesis" : "reference");
    std::u32string_view v = s.decoded;
    if (opts_.lowercase) {
      s.lowered = to_lower(v);
      v = s.lowered;
    }
    s.tok[q].clear();
    tokenizer_->tokenize(rstrip_py(v), s.tok[q]);
  }
  // Split every sequence into words and give equal words equal ids.
  s.views.clear();
  s.begin.assign(nseq, 0);
  s.len.assign(nseq, 0);
  for (size_t q = 0; q < nseq; ++q) {
    split_py(s.tok[q], s.piece);
    s.begin[q] = s.views.size();
    s.len[q] = s.piece.size();
    s.views.insert(s.views.end(), s.piece.begin(), s.piece.end());
  }
  intern_tokens(s.views, s.ids, s.order);

  const int64_t hyp_len = static_cast<int64_t>(s.len[0]);
  // Closest reference length; ties go to the shorter reference.
  int64_t closest_diff = -1, closest_len = -1;
  for (size_t q = 1; q < nseq; ++q) {
    int64_t rl = static_cast<int64_t>(s.len[q]);
    int64_t diff = std::llabs(hyp_len - rl);
    if (closest_diff == -1 || diff < closest_diff) {
      closest_diff = diff;
      closest_len = rl;
    } else if (diff == closest_diff && rl < closest_len) {
      closest_len = rl;
    }
  }
  out[0] = static_cast<double>(hyp_len);
  out[1] = static_cast<double>(closest_len);
  s.ref_keys.resize(std::max(s.ref_keys.size(), nseq));
  s.hyp_keys.clear();
  for (size_t q = 1; q < nseq; ++q) s.ref_keys[q].clear();
  for (int n = 1; n <= N; ++n) {
    extend_ngram_keys(s.ids.data() + s.begin[0], s.len[0], n, 32, s.hyp_keys);
    // Reference counts: for each n-gram the maximum of its counts over the references.
    size_t ref_total = 0;
    for (size_t q = 1; q < nseq; ++q) {
      extend_ngram_keys(s.ids.data() + s.begin[q], s.len[q], n, 32, s.ref_keys[q]);
      ref_total += s.ref_keys[q].size();
    }
    s.merged.reset(ref_total);
    if (nseq == 2) {
      for (NgramKey k : s.ref_keys[1]) ++s.merged.at(k);
    } else {
      for (size_t q = 1; q < nseq; ++q) {
        s.one.reset(s.ref_keys[q].size());
        for (NgramKey k : s.ref_keys[q]) ++s.one.at(k);
        for (uint32_t slot : s.one.inserted()) {
          int64_t& m = s.merged.at(s.one.key_at(slot));
          m = std::max(m, s.one.count_at(slot));
        }
      }
    }
    // Clipped matches: each hypothesis n-gram consumes one reference count.
    int64_t matches = 0;
    for (NgramKey k : s.hyp_keys) {
      int64_t* c = s.merged.find(k);
      if (c && *c > 0) {
        ++matches;
        --*c;
      }
    }
    out[2 + n - 1] = static_cast<double>(matches);
    out[2 + N + n - 1] = static_cast<double>(s.hyp_keys.size());
  }
}

Score Bleu::score_from_stats(const double* sums) const {
  const int N = opts_.max_ngram_order;
  Score sc;
  sc.name = "BLEU";
  sc.sys_len = static_cast<int64_t>(sums[0]);
  sc.ref_len = static_cast<int64_t>(sums[1]);
  std::vector<double> correct(sums + 2, sums + 2 + N), total(sums + 2 + N, sums + 2 + 2 * N);
  double smooth_value = 0.0;
  if (opts_.smooth == BleuSmooth::kFloor) smooth_value = opts_.smooth_value.value_or(0.1);
  if (opts_.smooth == BleuSmooth::kAddK) smooth_value = opts_.smooth_value.value_or(1.0);

  double bp = 1.0;
  if (sc.sys_len < sc.ref_len)
    bp = sc.sys_len > 0 ? std::exp(1.0 - static_cast<double>(sc.ref_len) / sc.sys_len) : 0.0;
  std::vector<double> prec(N, 0.0);
  bool any_correct = false;
  for (double c : correct) any_correct |= c != 0.0;
  double score = 0.0;
  if (any_correct) {
    double smooth_mteval = 1.0;
    int eff_order = N;
    for (int n = 1; n <= N; ++n) {
      if (opts_.smooth == BleuSmooth::kAddK && n > 1) {
        correct[n - 1] += smooth_value;
        total[n - 1] += smooth_value;
      }
      if (total[n - 1] == 0) break;
      if (opts_.effective_order) eff_order = n;
      if (correct[n - 1] == 0) {
        if (opts_.smooth == BleuSmooth::kExp) {
          smooth_mteval *= 2;
          prec[n - 1] = 100.0 / (smooth_mteval * total[n - 1]);
        } else if (opts_.smooth == BleuSmooth::kFloor) {
          prec[n - 1] = 100.0 * smooth_value / total[n - 1];
        }
      } else {
        prec[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
      }
    }
    double log_sum = 0.0;
    for (int n = 0; n < eff_order; ++n) log_sum += floored_log(prec[n]);
    score = bp * std::exp(log_sum / eff_order);
  }
  sc.score = score;
  sc.counts = correct;
  sc.totals = total;
  sc.precisions = prec;
  sc.bp = bp;
  sc.ratio = sc.ref_len ? static_cast<double>(sc.sys_len) / sc.ref_len : 0.0;
  std::string p;
  for (int n = 0; n < N; ++n) p += (n ? "/" : "") + fixed(prec[n], 1);
  sc.verbose = p + " (BP = " + fixed(bp, 3) + " ratio = " + fixed(sc.ratio, 3) +
               " hyp_len = " + std::to_string(sc.sys_len) +
               " ref_len = " + std::to_string(sc.ref_len) + ")";
  return sc;
}

std::string Bleu::signature_fields() const {
  std::string smooth = bleu_smooth_name(opts_.smooth);
  if (opts_.smooth == BleuSmooth::kFloor || opts_.smooth == BleuSmooth::kAddK) {
    double v = opts_.smooth_value.value_or(opts_.smooth == BleuSmooth::kFloor ? 0.1 : 1.0);
    smooth += "[" + fixed(v, 2) + "]";
  }
  return std::string("case:") + (opts_.lowercase ? "lc" : "mixed") +
         "|eff:" + (opts_.effective_order ? "yes" : "no") + "|tok:" + tokenizer_->signature() +
         "|smooth:" + smooth;
}

Score corpus_bleu(const std::vector<std::string>& hyps, const RefStreams& refs,
                  const BleuOptions& opts) {
  return Bleu(opts).corpus_score(hyps, refs);
}

}  // namespace moemt::eval
