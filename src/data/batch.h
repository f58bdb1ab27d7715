// Token-budget mini-batches with length bucketing, seeded shuffling, temperature sampling
// across language pairs and an exact, checkpointable data position.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "data/sample.h"

namespace moemt::data {

// Row-major padded tensors for one training step. B = batch_size, S = src_len, T = tgt_len.
struct Batch {
  int batch_size = 0, src_len = 0, tgt_len = 0;
  std::vector<int32_t> src_ids;             // (B,S) encoder input, padded with pad
  std::vector<int32_t> src_lengths;         // (B)   non-pad length of each row
  std::vector<int32_t> tgt_in;              // (B,T) [bos] + tgt, padded with pad
  std::vector<int32_t> tgt_out;             // (B,T) tgt + [eos], padded with pad (loss ignores pad)
  std::vector<int32_t> tgt_lengths;         // (B)   non-pad length of each row (= tgt pieces + 1)
  std::vector<int32_t> src_lang, tgt_lang;  // (B) caller's language indexes
  std::vector<int64_t> sample_ids;          // (B) index into BatchGenerator::samples()
  int64_t src_tokens = 0, tgt_tokens = 0;   // non-pad tokens (tgt counts tgt_out)
};

struct BatchOptions {
  // Token budget of a mini-batch (--mini-batch-words): samples are added while the padded
  // size max(B*S, B*T) stays <= this, so it bounds activation memory on both sides. After
  // length bucketing the padding is small, so this is close to the target-token count that
  // Marian's --mini-batch-words uses. A single sample larger than the budget forms a batch.
  int64_t mini_batch_words = 4096;
  int mini_batch = 0;  // --mini-batch: at most this many sentences per batch (0 = no cap)
  // --maxi-batch: read ahead this many mini-batches' worth of tokens, sort them by length
  // (decoder then encoder length) and cut them into mini-batches (length bucketing).
  int maxi_batch = 100;
  bool shuffle = true;  // shuffle the samples each epoch and the mini-batches in a maxi-batch
  uint64_t seed = 1;    // --seed; epoch e uses a stream derived from (seed, e)
  // --max-length: samples whose encoder or decoder length exceeds it are dropped, or cut
  // (keeping the tag and eos) when truncate is set; 0 = no limit.
  int max_length = 256;
  bool truncate = false;
  // --data-temperature: each epoch draws N samples (N = dataset size) with a share per
  // (src_lang, tgt_lang) pair ~ n_pair^(1/T). 1 = every sample exactly once per epoch.
  double data_temperature = 1.0;
  SpecialIds ids;
};

// For data-parallel training: every rank runs the same BatchGenerator (so positions agree and
// all ranks reach the end of an epoch together) and keeps rows shard, shard+shards, ... of
// each batch, re-padded to its own longest row. A shard may get 0 rows when B < shards; it
// then still takes part in the all-reduce with zero gradients.
void shard_batch(const Batch& batch, int shard, int shards, Batch& out);

// Where the generator is in the data; store it in the checkpoint (state.json).
struct Position {
  int64_t epoch = 0;          // 0-based epoch
  int64_t offset = 0;         // index in the epoch's order where the current maxi-batch starts
  int64_t batch_in_maxi = 0;  // mini-batches of that maxi-batch already returned
  int64_t batches = 0;        // mini-batches returned since the start of training
  uint64_t fingerprint = 0;   // hash of the samples and order-relevant options

  nlohmann::json to_json() const;
  // Throws moemt::Error naming the missing/invalid field.
  static Position from_json(const nlohmann::json& j);
  bool operator==(const Position&) const = default;
};

// Iterates the samples in mini-batches, epoch after epoch. Deterministic: the batches depend
// only on the samples, the options and the seed (no threads involved).
//
//   BatchGenerator gen(std::move(samples), options);
//   Batch b;
//   while (training) {
//     if (!gen.next(b)) { /* epoch gen.epoch() - 1 ended */ continue; }
//     ...
//     checkpoint.data_position = gen.position();   // later: gen.seek(position)
//   }
class BatchGenerator {
 public:
  // Applies max_length (drop/truncate) and throws moemt::Error if no sample is left.
  BatchGenerator(std::vector<Sample> samples, BatchOptions options);

  // Fills `batch` with the next mini-batch and returns true; at the end of an epoch returns
  // false once (without filling), and the following call starts the next epoch.
  bool next(Batch& batch);

  // The position after the last batch returned. seek(position()) followed by next() yields
  // exactly the batches an uninterrupted run would have produced.
  Position position() const;
  // Moves to `p`. If p.fingerprint differs (other data or batching options) this throws
  // moemt::Error, unless `strict` is false: then it only logs a warning and continues from
  // the same epoch and offset (the order will differ from the original run).
  void seek(const Position& p, bool strict = true);

  int64_t epoch() const { return epoch_; }
  const std::vector<Sample>& samples() const { return samples_; }
  int64_t dropped() const { return dropped_; }      // longer than max_length, removed
  int64_t truncated() const { return truncated_; }  // longer than max_length, cut
  const BatchOptions& options() const { return opt_; }

  // Fills a Batch from explicit samples (also used by validation/decoding code).
  static void make_batch(const std::vector<const Sample*>& rows, const SpecialIds& ids,
                         Batch& batch);

 private:
  void build_order();
  void fill_maxi();

  std::vector<Sample> samples_;
  BatchOptions opt_;
  int64_t dropped_ = 0, truncated_ = 0;
  uint64_t fingerprint_ = 0;

  int64_t epoch_ = 0;
  int64_t order_epoch_ = -1;    // epoch order_ was built for
  std::vector<int64_t> order_;  // sample indexes of the current epoch, in visiting order
  int64_t offset_ = 0, next_offset_ = 0;
  std::vector<std::vector<int64_t>> maxi_;  // mini-batches (sample indexes) of the maxi-batch
  int64_t batch_in_maxi_ = 0;
  int64_t batches_ = 0;
};

}  // namespace moemt::data
