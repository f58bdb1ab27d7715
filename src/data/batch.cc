// Mini-batch generation: epoch order -> maxi-batch -> sort by length -> token-budget cuts.
#include "data/batch.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "core/error.h"
#include "core/log.h"
#include "data/sampling.h"

namespace moemt::data {
namespace {

// FNV-1a over 64-bit words: a cheap fingerprint of the data and order-relevant options.
struct Hasher {
  uint64_t h = 0xcbf29ce484222325ULL;
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ULL;
    }
  }
};

int64_t get_int(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) {
    throw Error("data position: missing or non-integer field '{}' in {}", key, j.dump());
  }
  return j[key].get<int64_t>();
}

}  // namespace

nlohmann::json Position::to_json() const {
  // The fingerprint goes out as a hex string: JSON readers often lose 64-bit integers.
  return {{"epoch", epoch},
          {"offset", offset},
          {"batch_in_maxi", batch_in_maxi},
          {"batches", batches},
          {"fingerprint", fmt::format("{:016x}", fingerprint)}};
}

Position Position::from_json(const nlohmann::json& j) {
  Position p;
  p.epoch = get_int(j, "epoch");
  p.offset = get_int(j, "offset");
  p.batch_in_maxi = get_int(j, "batch_in_maxi");
  p.batches = get_int(j, "batches");
  if (!j.contains("fingerprint") || !j["fingerprint"].is_string()) {
    throw Error("data position: missing field 'fingerprint' in {}", j.dump());
  }
  const std::string fp = j["fingerprint"].get<std::string>();
  try {
    size_t used = 0;
    p.fingerprint = std::stoull(fp, &used, 16);
    if (used != fp.size()) throw std::invalid_argument(fp);
  } catch (const std::exception&) {
    throw Error("data position: fingerprint '{}' is not a hex number", fp);
  }
  if (p.epoch < 0 || p.offset < 0 || p.batch_in_maxi < 0 || p.batches < 0) {
    throw Error("data position: negative field in {}", j.dump());
  }
  return p;
}

BatchGenerator::BatchGenerator(std::vector<Sample> samples, BatchOptions options)
    : samples_(std::move(samples)), opt_(std::move(options)) {
  if (opt_.mini_batch_words <= 0) {
    throw Error("--mini-batch-words must be positive, got {}", opt_.mini_batch_words);
  }
  if (opt_.maxi_batch <= 0) throw Error("--maxi-batch must be positive, got {}", opt_.maxi_batch);
  if (opt_.mini_batch < 0) throw Error("--mini-batch must be >= 0, got {}", opt_.mini_batch);
  if (opt_.data_temperature <= 0) {
    throw Error("--data-temperature must be > 0, got {}", opt_.data_temperature);
  }
  if (opt_.max_length > 0 && opt_.truncate && opt_.max_length < 3) {
    throw Error("--max-length must be >= 3 to truncate (tag, one piece, eos), got {}",
                opt_.max_length);
  }
  const int64_t n_in = static_cast<int64_t>(samples_.size());
  if (opt_.max_length > 0) {
    const int64_t L = opt_.max_length;
    size_t w = 0;
    for (size_t r = 0; r < samples_.size(); ++r) {
      Sample& s = samples_[r];
      if (s.encoder_length() > L || s.decoder_length() > L) {
        if (!opt_.truncate) {
          ++dropped_;
          continue;
        }
        ++truncated_;
        if (s.encoder_length() > L) {  // keep the first L-1 tokens (tag first) and the eos
          const int32_t last = s.src.back();
          s.src.resize(static_cast<size_t>(L - 1));
          s.src.push_back(last);
        }
        if (s.decoder_length() > L) s.tgt.resize(static_cast<size_t>(L - 1));
      }
      if (w != r) samples_[w] = std::move(s);
      ++w;
    }
    samples_.resize(w);
  }
  if (samples_.empty()) {
    throw Error("no training samples: {} read, {} longer than --max-length {} dropped", n_in,
                dropped_, opt_.max_length);
  }
  if (dropped_ > 0 || truncated_ > 0) {
    log::info("max-length {}: {} of {} samples dropped, {} truncated", opt_.max_length, dropped_,
              n_in, truncated_);
  }
  Hasher h;
  h.add(samples_.size());
  for (const Sample& s : samples_) {
    h.add(s.src.size());
    for (int32_t t : s.src) h.add(static_cast<uint32_t>(t));
    h.add(s.tgt.size());
    for (int32_t t : s.tgt) h.add(static_cast<uint32_t>(t));
    h.add((static_cast<uint64_t>(static_cast<uint32_t>(s.src_lang)) << 32) |
          static_cast<uint32_t>(s.tgt_lang));
  }
  h.add(static_cast<uint64_t>(opt_.mini_batch_words));
  h.add(static_cast<uint64_t>(opt_.mini_batch));
  h.add(static_cast<uint64_t>(opt_.maxi_batch));
  h.add(opt_.shuffle);
  h.add(opt_.seed);
  h.add(static_cast<uint64_t>(opt_.data_temperature * 1e6));
  fingerprint_ = h.h;
}

void BatchGenerator::build_order() {
  const int64_t n = static_cast<int64_t>(samples_.size());
  std::mt19937_64 rng(mix_seed(opt_.seed, static_cast<uint64_t>(epoch_)));
  order_.clear();
  if (opt_.data_temperature == 1.0) {
    order_.resize(static_cast<size_t>(n));
    std::iota(order_.begin(), order_.end(), 0);
  } else {
    // Group by language pair (in index order, so the grouping is deterministic).
    std::map<std::pair<int32_t, int32_t>, std::vector<int64_t>> groups;
    for (int64_t i = 0; i < n; ++i)
      groups[{samples_[i].src_lang, samples_[i].tgt_lang}].push_back(i);
    std::vector<int64_t> counts;
    for (const auto& [k, members] : groups) counts.push_back(static_cast<int64_t>(members.size()));
    const std::vector<int64_t> quotas = temperature_quotas(counts, opt_.data_temperature, n);
    size_t g = 0;
    for (const auto& [k, members] : groups) {
      for (int64_t i : sample_indices(counts[g], quotas[g], rng)) order_.push_back(members[i]);
      ++g;
    }
  }
  if (opt_.shuffle) shuffle_in_place(order_, rng);
  order_epoch_ = epoch_;
}

void BatchGenerator::fill_maxi() {
  maxi_.clear();
  batch_in_maxi_ = 0;
  const int64_t n = static_cast<int64_t>(order_.size());
  // Read ahead about maxi_batch mini-batches' worth of (decoder) tokens.
  const int64_t budget = opt_.mini_batch_words * opt_.maxi_batch;
  int64_t end = offset_, tokens = 0;
  while (end < n && (tokens < budget || end == offset_)) {
    tokens += samples_[order_[end]].decoder_length();
    ++end;
  }
  next_offset_ = end;
  std::vector<int64_t> chunk(order_.begin() + offset_, order_.begin() + end);
  // Length bucketing: similar lengths share a batch, so there is little padding.
  std::stable_sort(chunk.begin(), chunk.end(), [&](int64_t a, int64_t b) {
    const Sample &x = samples_[a], &y = samples_[b];
    if (x.decoder_length() != y.decoder_length()) return x.decoder_length() < y.decoder_length();
    return x.encoder_length() < y.encoder_length();
  });
  std::vector<int64_t> cur;
  int64_t max_s = 0, max_t = 0;
  for (int64_t idx : chunk) {
    const Sample& s = samples_[idx];
    const int64_t ms = std::max(max_s, s.encoder_length());
    const int64_t mt = std::max(max_t, s.decoder_length());
    const int64_t rows = static_cast<int64_t>(cur.size()) + 1;
    const bool fits = rows * std::max(ms, mt) <= opt_.mini_batch_words &&
                      (opt_.mini_batch == 0 || rows <= opt_.mini_batch);
    if (!cur.empty() && !fits) {
      maxi_.push_back(std::move(cur));
      cur.clear();
      max_s = s.encoder_length();
      max_t = s.decoder_length();
    } else {
      max_s = ms;
      max_t = mt;
    }
    cur.push_back(idx);
  }
  if (!cur.empty()) maxi_.push_back(std::move(cur));
  // Shuffle the batches so training does not see lengths in increasing order; the stream
  // depends only on (seed, epoch, offset), which is what makes seek() exact.
  if (opt_.shuffle) {
    std::mt19937_64 rng(mix_seed(mix_seed(opt_.seed, static_cast<uint64_t>(epoch_)),
                                 static_cast<uint64_t>(offset_)));
    shuffle_in_place(maxi_, rng);
  }
}

bool BatchGenerator::next(Batch& batch) {
  if (order_epoch_ != epoch_) build_order();
  if (batch_in_maxi_ >= static_cast<int64_t>(maxi_.size())) {
    offset_ = next_offset_;
    if (offset_ >= static_cast<int64_t>(order_.size())) {
      ++epoch_;
      offset_ = next_offset_ = batch_in_maxi_ = 0;
      maxi_.clear();
      return false;
    }
    fill_maxi();
  }
  std::vector<const Sample*> rows;
  const auto& ids = maxi_[static_cast<size_t>(batch_in_maxi_++)];
  rows.reserve(ids.size());
  for (int64_t i : ids) rows.push_back(&samples_[i]);
  make_batch(rows, opt_.ids, batch);
  batch.sample_ids.assign(ids.begin(), ids.end());
  ++batches_;
  return true;
}

Position BatchGenerator::position() const {
  return Position{epoch_, offset_, batch_in_maxi_, batches_, fingerprint_};
}

void BatchGenerator::seek(const Position& p, bool strict) {
  if (p.fingerprint != fingerprint_) {
    if (strict) {
      throw Error(
          "cannot resume the data position: the training data or batching options "
          "(--mini-batch-words, --mini-batch, --maxi-batch, --shuffle, --seed, "
          "--data-temperature, --max-length) differ from the checkpoint's (fingerprint {:016x} "
          "vs {:016x})",
          p.fingerprint, fingerprint_);
    }
    log::warn(
        "data or batching options changed since the checkpoint; continuing from epoch {} "
        "without reproducing the original order",
        p.epoch);
  }
  epoch_ = p.epoch;
  batches_ = p.batches;
  build_order();
  offset_ = next_offset_ = std::min<int64_t>(p.offset, static_cast<int64_t>(order_.size()));
  maxi_.clear();
  batch_in_maxi_ = 0;
  if (offset_ < static_cast<int64_t>(order_.size())) {
    fill_maxi();
    batch_in_maxi_ = std::min<int64_t>(p.batch_in_maxi, static_cast<int64_t>(maxi_.size()));
    if (strict && p.batch_in_maxi > static_cast<int64_t>(maxi_.size())) {
      throw Error("cannot resume the data position: batch {} of a maxi-batch with {} batches",
                  p.batch_in_maxi, maxi_.size());
    }
  }
}

void BatchGenerator::make_batch(const std::vector<const Sample*>& rows, const SpecialIds& ids,
                                Batch& b) {
  const int B = static_cast<int>(rows.size());
  int S = 0, T = 0;
  for (const Sample* s : rows) {
    S = std::max(S, static_cast<int>(s->encoder_length()));
    T = std::max(T, static_cast<int>(s->decoder_length()));
  }
  b.batch_size = B;
  b.src_len = S;
  b.tgt_len = T;
  b.src_ids.assign(static_cast<size_t>(B) * S, ids.pad);
  b.tgt_in.assign(static_cast<size_t>(B) * T, ids.pad);
  b.tgt_out.assign(static_cast<size_t>(B) * T, ids.pad);
  b.src_lengths.resize(B);
  b.tgt_lengths.resize(B);
  b.src_lang.resize(B);
  b.tgt_lang.resize(B);
  b.sample_ids.clear();
  b.src_tokens = b.tgt_tokens = 0;
  for (int r = 0; r < B; ++r) {
    const Sample& s = *rows[r];
    std::copy(s.src.begin(), s.src.end(), b.src_ids.begin() + static_cast<size_t>(r) * S);
    // tgt_in = [bos] + tgt, tgt_out = tgt + [eos] (the same pieces shifted by one).
    int32_t* in = b.tgt_in.data() + static_cast<size_t>(r) * T;
    int32_t* out = b.tgt_out.data() + static_cast<size_t>(r) * T;
    in[0] = ids.bos;
    std::copy(s.tgt.begin(), s.tgt.end(), in + 1);
    std::copy(s.tgt.begin(), s.tgt.end(), out);
    out[s.tgt.size()] = ids.eos;
    b.src_lengths[r] = static_cast<int32_t>(s.src.size());
    b.tgt_lengths[r] = static_cast<int32_t>(s.tgt.size() + 1);
    b.src_lang[r] = s.src_lang;
    b.tgt_lang[r] = s.tgt_lang;
    b.src_tokens += b.src_lengths[r];
    b.tgt_tokens += b.tgt_lengths[r];
  }
}

void shard_batch(const Batch& b, int shard, int shards, Batch& out) {
  MOEMT_CHECK(shards > 0 && shard >= 0 && shard < shards, "bad shard {} of {}", shard, shards);
  std::vector<int> rows;
  for (int r = shard; r < b.batch_size; r += shards) rows.push_back(r);
  const int B = static_cast<int>(rows.size());
  int S = 0, T = 0;
  for (int r : rows) {
    S = std::max(S, b.src_lengths[r]);
    T = std::max(T, b.tgt_lengths[r]);
  }
  out.batch_size = B;
  out.src_len = S;
  out.tgt_len = T;
  out.src_ids.assign(static_cast<size_t>(B) * S, 0);
  out.tgt_in.assign(static_cast<size_t>(B) * T, 0);
  out.tgt_out.assign(static_cast<size_t>(B) * T, 0);
  out.src_lengths.clear();
  out.tgt_lengths.clear();
  out.src_lang.clear();
  out.tgt_lang.clear();
  out.sample_ids.clear();
  out.src_tokens = out.tgt_tokens = 0;
  for (int i = 0; i < B; ++i) {
    const int r = rows[i];
    // Columns past a row's length hold pad in the source batch, so copying S (or T) columns
    // keeps the padding without knowing the pad id.
    std::copy_n(b.src_ids.begin() + static_cast<size_t>(r) * b.src_len, S,
                out.src_ids.begin() + static_cast<size_t>(i) * S);
    std::copy_n(b.tgt_in.begin() + static_cast<size_t>(r) * b.tgt_len, T,
                out.tgt_in.begin() + static_cast<size_t>(i) * T);
    std::copy_n(b.tgt_out.begin() + static_cast<size_t>(r) * b.tgt_len, T,
                out.tgt_out.begin() + static_cast<size_t>(i) * T);
    out.src_lengths.push_back(b.src_lengths[r]);
    out.tgt_lengths.push_back(b.tgt_lengths[r]);
    out.src_lang.push_back(b.src_lang[r]);
    out.tgt_lang.push_back(b.tgt_lang[r]);
    if (!b.sample_ids.empty()) out.sample_ids.push_back(b.sample_ids[r]);
    out.src_tokens += b.src_lengths[r];
    out.tgt_tokens += b.tgt_lengths[r];
  }
}

}  // namespace moemt::data
