// Translator: text in, text out for whole lists of sentences — tokenisation, length-sorted
// mini-batches, beam search, detokenisation, original order restored.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/vocab.h"
#include "decode/beam_search.h"
#include "model/model.h"

namespace moemt::decode {

struct TranslatorOptions {
  SearchOptions search;
  int64_t mini_batch_words = 2048;  // --mini-batch-words: source tokens x beam per batch
  int mini_batch = 64;              // --mini-batch: sentences per batch at most
  int maxi_batch = 100;             // --maxi-batch: batches read ahead and sorted by length
  int max_input_tokens = 256;       // longer inputs are truncated (with a warning count)
};

struct TranslationInput {
  std::string text;
  int32_t src_lang = 0;  // model language ids
  int32_t tgt_lang = 0;
};

struct TranslationOutput {
  std::vector<Hypothesis> nbest;   // best first
  std::vector<std::string> texts;  // detokenised, parallel to nbest
  bool truncated = false;          // the input was cut to max_input_tokens
  int64_t input_tokens = 0;
  std::vector<int32_t> encoder_input;  // the token ids the encoder read
};

// Called after each mini-batch with (sentences done, output tokens so far).
using ProgressFn = std::function<void(int64_t, int64_t)>;

class Translator {
 public:
  Translator(model::Model& model, const data::Vocab& vocab, TranslatorOptions options);
  // Translates `inputs` in chunks of maxi_batch mini-batches; output i belongs to input i
  // whatever the batching. Empty (or all-whitespace) inputs give empty outputs
  // without touching the model.
  std::vector<TranslationOutput> translate(const std::vector<TranslationInput>& inputs,
                                           const ProgressFn& progress = {});
  const TranslatorOptions& options() const { return opt_; }

 private:
  model::Model& model_;
  const data::Vocab& vocab_;
  TranslatorOptions opt_;
};

}  // namespace moemt::decode
