// Batched beam search. Rows of the decoder state are (sentence, beam) pairs of the sentences
// still searching; each step picks, per sentence, the best `beam` continuations among
// beam x vocab candidates, files eos continuations as finished, and reorders the caches. Each
// row's 2 x beam best are chosen on the model's device (ops::beam_topk); the host merges them.
#include "decode/beam_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "ops/beam_topk.h"

namespace moemt::decode {

namespace {

struct Live {
  std::vector<int32_t> tokens;
  std::vector<float> token_scores;
  float score = 0;
};

// A continuation: total score, beam row (within the sentence) and token.
struct Cand {
  float score;
  int64_t row;
  int32_t tok;
};
// Best first; ties broken by row then token.
bool better(const Cand& a, const Cand& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.row != b.row) return a.row < b.row;
  return a.tok < b.tok;
}

// A host vector on the model's device (no copy on the CPU).
template <typename T>
Tensor upload(const std::vector<T>& v, const Shape& shape, Device dev) {
  Tensor t = Tensor::from_vector(v, shape);
  return dev.is_cpu() ? t : t.to(dev);
}

// The tokens a step may never produce, as a (V) bias on the model's device: -inf for blocked
// ids, <unk> (unless allowed) and, with block_eos (before --min-length), eos; 0 elsewhere.
Tensor token_bias(const SearchOptions& opt, int64_t vocab, bool block_eos, Device dev) {
  const float kNeg = -std::numeric_limits<float>::infinity();
  std::vector<float> bias(vocab, 0.f);
  auto block = [&](int32_t id) {
    MOEMT_CHECK(id >= 0 && id < vocab, "blocked token id {} outside the vocabulary of {}", id,
                vocab);
    bias[id] = kNeg;
  };
  for (int32_t b : opt.blocked_ids) block(b);
  if (!opt.allow_unk) block(opt.unk_id);
  if (block_eos) block(opt.eos_id);
  return upload(bias, {vocab}, dev);
}

// One step's candidates: for each row, its m best continuations (running score + log-prob),
// best first, chosen on the log-probabilities' device; only these (rows, m) reach the host.
// Only a row's m best can be among the m best of its sentence, so this loses nothing.
struct RowCandidates {
  int m = 0;
  std::vector<float> score;  // (rows, m); -inf: fewer than m tokens allowed
  std::vector<int32_t> tok;  // (rows, m)
};
RowCandidates row_candidates(const Tensor& lp, const std::vector<float>* row_scores,
                             const Tensor& bias, int m) {
  const Device dev = lp.device();
  const int64_t rows = lp.size(0);
  Tensor scores;  // undefined: rank the log-probabilities alone (greedy)
  if (row_scores) scores = upload(*row_scores, {rows}, dev);
  Tensor values = Tensor::empty({rows, m}, DType::f32, dev);
  Tensor indices = Tensor::empty({rows, m}, DType::i32, dev);
  ops::beam_topk(lp, scores, bias, m, values, indices);
  return {m, values.to_vector(), indices.to_ivector()};
}

float normalized(float score, size_t length, float alpha) {
  if (alpha == 0.f) return score;
  return score / std::pow(static_cast<float>(std::max<size_t>(length, 1)), alpha);
}

}  // namespace

std::vector<std::vector<Hypothesis>> beam_search(model::Model& model, nn::Ctx& ctx,
                                                 const std::vector<std::vector<int32_t>>& src,
                                                 const std::vector<int32_t>& src_lang,
                                                 const std::vector<int32_t>& tgt_lang,
                                                 const SearchOptions& opt) {
  const int64_t n = static_cast<int64_t>(src.size());
  const int k = std::max(1, opt.beam_size);
  const int n_best = std::clamp(opt.n_best, 1, k);
  std::vector<std::vector<Hypothesis>> result(n);
  if (n == 0) return result;

  // Encoder input, padded (B,S).
  int64_t s = 0;
  for (const auto& x : src) s = std::max<int64_t>(s, static_cast<int64_t>(x.size()));
  std::vector<int32_t> ids(n * s, 0), lens(n);
  for (int64_t i = 0; i < n; ++i) {
    std::copy(src[i].begin(), src[i].end(), ids.begin() + i * s);
    lens[i] = static_cast<int32_t>(src[i].size());
  }
  Device dev = model.params().device();
  const Tensor src_ids = upload(ids, {n, s}, dev), src_lens = upload(lens, {n}, dev);
  std::unique_ptr<model::DecoderState> state =
      model.start(ctx, src_ids, src_lens, src_lang, tgt_lang);

  // Per sentence: its live hypotheses (row order in the state) and finished ones.
  std::vector<std::vector<Live>> live(n, std::vector<Live>(1));
  std::vector<std::vector<Hypothesis>> finished(n);
  std::vector<int64_t> max_len(n);
  for (int64_t i = 0; i < n; ++i)
    max_len[i] = std::min<int64_t>(
        opt.max_length, static_cast<int64_t>(std::ceil(opt.max_length_factor * lens[i])));
  std::vector<int64_t> active(n);  // sentences still searching, in state row-block order
  std::iota(active.begin(), active.end(), 0);
  std::vector<int32_t> last(n, opt.bos_id);
  const int64_t vocab = model.config().vocab_size;
  const Tensor bias = token_bias(opt, vocab, false, dev);
  const Tensor bias_eos = opt.min_length > 0 ? token_bias(opt, vocab, true, dev) : bias;

  auto finish = [&](int64_t i, const Live& h, float eos_lp, bool with_eos) {
    Hypothesis f;
    f.tokens = h.tokens;
    f.token_scores = h.token_scores;
    f.score = h.score + (with_eos ? eos_lp : 0.f);
    if (with_eos) f.token_scores.push_back(eos_lp);
    f.norm_score = normalized(f.score, f.tokens.size() + (with_eos ? 1 : 0), opt.normalize);
    finished[i].push_back(std::move(f));
  };

  for (int64_t t = 0; !active.empty(); ++t) {
    Tensor lp = model.step(ctx, *state, last);
    // Greedy ranks the log-probabilities alone (adding the score could merge ties); beam
    // search ranks score + log-prob, keeping 2k per row so k survive eos continuations.
    std::vector<float> row_scores;
    if (k > 1)
      for (int64_t i : active)
        for (const Live& h : live[i]) row_scores.push_back(h.score);
    const RowCandidates rc =
        row_candidates(lp, k > 1 ? &row_scores : nullptr, t < opt.min_length ? bias_eos : bias,
                       k == 1 ? 1 : static_cast<int>(std::min<int64_t>(2 * k, vocab)));
    const float kNeg = -std::numeric_limits<float>::infinity();

    std::vector<int32_t> reorder, next_last;
    std::vector<int64_t> still;
    int64_t row0 = 0;
    // True while every sentence keeps its block of rows (none finished, none grew or shrank):
    // then every row stays with its sentence and the source-side caches need no gather.
    bool same_sentences = true;
    for (int64_t i : active) {
      auto& beams = live[i];
      int64_t nb = static_cast<int64_t>(beams.size());
      bool at_limit = static_cast<int64_t>(beams[0].tokens.size()) + 1 >= max_len[i];
      // Candidates, best first.
      std::vector<Cand> cands;
      if (k == 1) {
        const size_t at = static_cast<size_t>(row0) * rc.m;
        cands.push_back({beams[0].score + rc.score[at], 0, rc.tok[at]});
      } else {
        const size_t want = 2 * static_cast<size_t>(k);
        for (int64_t b = 0; b < nb; ++b)
          for (int j = 0; j < rc.m; ++j) {
            const size_t at = static_cast<size_t>(row0 + b) * rc.m + j;
            if (rc.score[at] > kNeg) cands.push_back({rc.score[at], b, rc.tok[at]});
          }
        std::sort(cands.begin(), cands.end(), better);
        if (cands.size() > want) cands.resize(want);
      }
      std::vector<Live> next;
      for (const Cand& c : cands) {
        const Live& parent = beams[c.row];
        float tok_lp = c.score - parent.score;
        if (c.tok == opt.eos_id) {
          if (static_cast<int>(finished[i].size()) < k) finish(i, parent, tok_lp, true);
          continue;
        }
        if (static_cast<int>(next.size()) == k) continue;
        Live h = parent;
        h.tokens.push_back(c.tok);
        h.token_scores.push_back(tok_lp);
        h.score = c.score;
        if (at_limit) {
          finish(i, h, 0.f, false);  // out of room: keep it as an unterminated hypothesis
          continue;
        }
        next.push_back(std::move(h));
        reorder.push_back(static_cast<int32_t>(row0 + c.row));
        next_last.push_back(c.tok);
      }
      // Done when enough hypotheses finished and none alive can still beat the best of
      // them (scores only fall; with length normalisation this is the usual approximation).
      bool done = next.empty() || static_cast<int>(finished[i].size()) >= k ||
                  (k == 1 && !finished[i].empty());
      if (done) {
        // Undo this sentence's rows in the reorder list.
        reorder.resize(reorder.size() - next.size());
        next_last.resize(next_last.size() - next.size());
        same_sentences = false;
      } else {
        same_sentences = same_sentences && static_cast<int64_t>(next.size()) == nb;
        live[i] = std::move(next);
        still.push_back(i);
      }
      row0 += nb;
    }
    active = std::move(still);
    if (active.empty()) break;
    state->reorder(reorder, same_sentences);
    last = std::move(next_last);
  }

  for (int64_t i = 0; i < n; ++i) {
    auto& f = finished[i];
    std::stable_sort(f.begin(), f.end(), [](const Hypothesis& a, const Hypothesis& b) {
      return a.norm_score > b.norm_score;
    });
    if (static_cast<int>(f.size()) > n_best) f.resize(n_best);
    result[i] = std::move(f);
  }
  return result;
}

}  // namespace moemt::decode
