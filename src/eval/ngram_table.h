// A reusable open-addressing count table for packed n-gram keys: O(1) inserts and lookups,
// cleared in O(1) by bumping an epoch, so counting a segment's n-grams never allocates once
// the table is warm. Clipped matches are counted by decrementing reference counts.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/ngram.h"

namespace moemt::eval {

class NgramTable {
 public:
  // Empties the table and makes room for `n_items` distinct keys.
  void reset(size_t n_items) {
    size_t cap = 16;
    while (cap < 2 * n_items) cap <<= 1;
    if (cap > slots_.size()) {
      slots_.assign(cap, Slot{});
      epoch_ = 0;
    }
    mask_ = cap - 1;
    if (++epoch_ == 0) {  // wrapped: clear stamps once every 2^32 resets
      for (auto& sl : slots_) sl.stamp = 0;
      epoch_ = 1;
    }
    inserted_.clear();
  }

  // The count stored for `k`, inserting it with count 0 if absent.
  int64_t& at(NgramKey k) {
    size_t i = hash(k) & mask_;
    while (true) {
      Slot& sl = slots_[i];
      if (sl.stamp != epoch_) {
        sl.stamp = epoch_;
        sl.key = k;
        sl.count = 0;
        inserted_.push_back(static_cast<uint32_t>(i));
        return sl.count;
      }
      if (sl.key == k) return sl.count;
      i = (i + 1) & mask_;
    }
  }

  // The count for `k`, or nullptr if absent.
  int64_t* find(NgramKey k) {
    size_t i = hash(k) & mask_;
    while (slots_[i].stamp == epoch_) {
      if (slots_[i].key == k) return &slots_[i].count;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }

  // Slots filled since the last reset, in insertion order.
  const std::vector<uint32_t>& inserted() const { return inserted_; }
  NgramKey key_at(uint32_t slot) const { return slots_[slot].key; }
  int64_t count_at(uint32_t slot) const { return slots_[slot].count; }

 private:
  struct Slot {
    NgramKey key = 0;
    int64_t count = 0;
    uint32_t stamp = 0;
  };
  static size_t hash(NgramKey k) {
    uint64_t lo = static_cast<uint64_t>(k), hi = static_cast<uint64_t>(k >> 64);
    uint64_t h = (lo ^ (hi * 0x9E3779B97F4A7C15ULL)) * 0xD6E8FEB86659FD93ULL;
    return static_cast<size_t>(h ^ (h >> 32));
  }

  std::vector<Slot> slots_;
  std::vector<uint32_t> inserted_;
  uint32_t epoch_ = 0;
  size_t mask_ = 0;
};

// Keys of all n-grams of order n over ids (one per start position), built from the keys of
// order n-1 (`keys` holds them on entry; pass an empty vector for n == 1).
inline void extend_ngram_keys(const uint32_t* ids, size_t len, int n, int bits,
                              std::vector<NgramKey>& keys) {
  if (n == 1) {
    keys.resize(len);
    for (size_t i = 0; i < len; ++i) keys[i] = static_cast<NgramKey>(ids[i] + 1);
    return;
  }
  const size_t count = len >= static_cast<size_t>(n) ? len - n + 1 : 0;
  for (size_t i = 0; i < count; ++i)
    keys[i] |= static_cast<NgramKey>(ids[i + n - 1] + 1) << (bits * (n - 1));
  keys.resize(count);
}

}  // namespace moemt::eval
