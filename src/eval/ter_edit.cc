// Tercom-style TER (see ter_edit.h). Follows sacrebleu's lib_ter step by step: the shift
// candidates, their ranking, the candidate limit and the beam are the same, so the edit
// counts are the same.
#include "eval/ter_edit.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace moemt::eval {
namespace {

constexpr int64_t kInf = 10000000000000000LL;  // sacrebleu's int(1e16)
constexpr int kMaxShiftSize = 10;
constexpr int kMaxShiftDist = 50;
constexpr int kBeamWidth = 25;
constexpr int kMaxShiftCandidates = 1000;

enum Op : char { kNop = ' ', kSub = 's', kIns = 'i', kDel = 'd', kUndef = 'x' };

struct Cell {
  int64_t cost;
  char op;
};

// Edit distance rows for one hypothesis of fixed length against the reference. Each row
// stores only its beam [lo, hi); cells outside read as (infinity, undefined). Rows of a
// shared prefix with the previous call are reused: with a fixed hypothesis length a row
// depends only on the words before it, which is also why sacrebleu's row cache is exact.
class BeamEditDistance {
 public:
  explicit BeamEditDistance(const std::vector<uint32_t>& ref) : ref_(ref) {}

  // Distance of `hyp`; fills trace_ when `want_trace`.
  int64_t operator()(const std::vector<uint32_t>& hyp, bool want_trace) {
    const size_t n = hyp.size(), m = ref_.size();
    size_t reuse = 0;
    if (initialized_ && words_.size() == n) {
      while (reuse < n && words_[reuse] == hyp[reuse]) ++reuse;
    } else {
      initialized_ = true;
      words_.assign(n, 0);
      rows_.assign(n + 1, {});
      lo_.assign(n + 1, 0);
      hi_.assign(n + 1, 0);
      rows_[0].resize(m + 1);
      for (size_t j = 0; j <= m; ++j) rows_[0][j] = {static_cast<int64_t>(j), kIns};
      lo_[0] = 0;
      hi_[0] = m + 1;
    }
    std::copy(hyp.begin() + reuse, hyp.end(), words_.begin() + reuse);
    const double ratio = n ? static_cast<double>(m) / static_cast<double>(n) : 1.0;
    int64_t beam = kBeamWidth;
    if (kBeamWidth < ratio / 2) beam = static_cast<int64_t>(std::ceil(ratio / 2 + kBeamWidth));
    for (size_t i = reuse + 1; i <= n; ++i) {
      int64_t diag = static_cast<int64_t>(std::floor(static_cast<double>(i) * ratio));
      int64_t lo = std::max<int64_t>(0, diag - beam);
      int64_t hi = std::min<int64_t>(static_cast<int64_t>(m) + 1, diag + beam);
      if (i == n) hi = static_cast<int64_t>(m) + 1;
      if (hi < lo) hi = lo;
      lo_[i] = lo;
      hi_[i] = hi;
      auto& row = rows_[i];
      row.assign(hi - lo, Cell{kInf, kUndef});
      for (int64_t j = lo; j < hi; ++j) {
        Cell& c = row[j - lo];
        if (j == 0) {
          c = {at(i - 1, 0).cost + 1, kDel};
          continue;
        }
        const bool same = words_[i - 1] == ref_[j - 1];
        // Preference order: no-op/substitution, deletion, insertion (strictly better wins).
        const int64_t sub = at(i - 1, j - 1).cost + (same ? 0 : 1);
        if (c.cost > sub) c = {sub, same ? kNop : kSub};
        const int64_t del = at(i - 1, j).cost + 1;
        if (c.cost > del) c = {del, kDel};
        const int64_t ins = (j - 1 >= lo ? row[j - 1 - lo].cost : kInf) + 1;
        if (c.cost > ins) c = {ins, kIns};
      }
    }
    if (want_trace) {
      trace_.clear();
      size_t i = n, j = m;
      while (i > 0 || j > 0) {
        char op = at(i, j).op;
        trace_.push_back(op);
        if (op == kSub || op == kNop) {
          --i;
          --j;
        } else if (op == kIns) {
          --j;
        } else if (op == kDel) {
          --i;
        } else {
          MOEMT_CHECK(false, "TER trace left the beam at ({}, {})", i, j);
        }
      }
      std::reverse(trace_.begin(), trace_.end());
    }
    return at(n, m).cost;
  }

  const std::string& trace() const { return trace_; }

 private:
  Cell at(size_t i, size_t j) const {
    if (static_cast<int64_t>(j) < lo_[i] || static_cast<int64_t>(j) >= hi_[i])
      return {kInf, kUndef};
    return rows_[i][j - lo_[i]];
  }

  const std::vector<uint32_t>& ref_;
  std::vector<uint32_t> words_;
  std::vector<std::vector<Cell>> rows_;
  std::vector<int64_t> lo_, hi_;
  std::string trace_;
  bool initialized_ = false;
};

// words[start, start+length) moved so that it begins before index `target` (sacrebleu's
// _perform_shift, three cases).
void perform_shift(const std::vector<uint32_t>& w, int start, int length, int target,
                   std::vector<uint32_t>& out) {
  out.clear();
  auto app = [&](int a, int b) {
    a = std::clamp(a, 0, static_cast<int>(w.size()));
    b = std::clamp(b, 0, static_cast<int>(w.size()));
    if (b > a) out.insert(out.end(), w.begin() + a, w.begin() + b);
  };
  const int n = static_cast<int>(w.size());
  if (target < start) {
    app(0, target);
    app(start, start + length);
    app(target, start);
    app(start + length, n);
  } else if (target > start + length) {
    app(0, start);
    app(start + length, target);
    app(start, start + length);
    app(target, n);
  } else {
    app(0, start);
    app(start + length, length + target);
    app(start, start + length);
    app(length + target, n);
  }
}

struct ShiftResult {
  int64_t delta = 0;
  bool found = false;
};

// One round of the greedy search: the best shift of `words`, written to `best_words`.
ShiftResult best_shift(const std::vector<uint32_t>& words, const std::vector<uint32_t>& ref,
                       BeamEditDistance& ed, int& checked, std::vector<uint32_t>& best_words) {
  const int64_t pre_score = ed(words, true);
  // Alignment from the flipped trace (rewriting the reference into the hypothesis).
  const int nh = static_cast<int>(words.size()), nr = static_cast<int>(ref.size());
  std::vector<int> align(nr, -1), ref_err, hyp_err;
  ref_err.reserve(nr);
  hyp_err.reserve(nh);
  int ph = -1, pr = -1;
  for (char op : ed.trace()) {
    if (op == kIns)
      op = kDel;
    else if (op == kDel)
      op = kIns;
    if (op == kNop || op == kSub) {
      ++ph;
      ++pr;
      align[pr] = ph;
      hyp_err.push_back(op == kSub);
      ref_err.push_back(op == kSub);
    } else if (op == kIns) {
      ++ph;
      hyp_err.push_back(1);
    } else {
      ++pr;
      align[pr] = ph;
      ref_err.push_back(1);
    }
  }
  std::vector<int> hyp_err_sum(hyp_err.size() + 1, 0), ref_err_sum(ref_err.size() + 1, 0);
  for (size_t i = 0; i < hyp_err.size(); ++i) hyp_err_sum[i + 1] = hyp_err_sum[i] + hyp_err[i];
  for (size_t i = 0; i < ref_err.size(); ++i) ref_err_sum[i + 1] = ref_err_sum[i] + ref_err[i];
  auto span_sum = [](const std::vector<int>& sums, int a, int b) {
    const int n = static_cast<int>(sums.size()) - 1;
    a = std::min(a, n);
    b = std::min(b, n);
    return sums[b] - sums[a];
  };

  ShiftResult best;
  int best_len = 0, best_start = 0, best_idx = 0;
  std::vector<uint32_t> shifted;
  for (int sh = 0; sh < nh; ++sh) {
    for (int sr = 0; sr < nr; ++sr) {
      if (std::abs(sr - sh) > kMaxShiftDist) continue;
      int length = 0;
      while (words[sh + length] == ref[sr + length] && length < kMaxShiftSize) {
        ++length;
        bool last = nh == sh + length || nr == sr + length;
        // The candidate (sh, sr, length), filtered as Tercom does.
        bool skip = span_sum(hyp_err_sum, sh, sh + length) == 0 ||
                    span_sum(ref_err_sum, sr, sr + length) == 0 ||
                    (sh <= align[sr] && align[sr] < sh + length);
        if (!skip) {
          int prev_idx = -1;
          for (int offset = -1; offset < length; ++offset) {
            int idx;
            if (sr + offset == -1) {
              idx = 0;
            } else if (sr + offset >= 0 && sr + offset < nr) {
              idx = align[sr + offset] + 1;
            } else {
              break;
            }
            if (idx == prev_idx) continue;
            prev_idx = idx;
            perform_shift(words, sh, length, idx, shifted);
            const int64_t delta = pre_score - ed(shifted, false);
            ++checked;
            // Rank: largest gain, then longest, then earliest start, then earliest target.
            bool better = !best.found || delta > best.delta ||
                          (delta == best.delta &&
                           (length > best_len ||
                            (length == best_len &&
                             (sh < best_start || (sh == best_start && idx < best_idx)))));
            if (better) {
              best.found = true;
              best.delta = delta;
              best_len = length;
              best_start = sh;
              best_idx = idx;
              best_words = shifted;
            }
          }
          if (checked >= kMaxShiftCandidates) goto done;
        }
        if (last) break;
      }
    }
  }
done:
  return best;
}

}  // namespace

TerEdits translation_edit_rate(const std::vector<uint32_t>& hyp, const std::vector<uint32_t>& ref) {
  TerEdits r;
  r.ref_len = static_cast<int64_t>(ref.size());
  if (ref.empty()) {
    r.edits = static_cast<int64_t>(hyp.size());
    return r;
  }
  BeamEditDistance ed(ref);
  std::vector<uint32_t> words = hyp, next;
  int64_t shifts = 0;
  int checked = 0;
  while (true) {
    ShiftResult s = best_shift(words, ref, ed, checked, next);
    // As in sacrebleu, reaching the candidate limit discards this round's shift.
    if (checked >= kMaxShiftCandidates) break;
    if (!s.found || s.delta <= 0) break;
    ++shifts;
    words.swap(next);
  }
  r.edits = shifts + ed(words, false);
  return r;
}

}  // namespace moemt::eval
