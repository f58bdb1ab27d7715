// One call from data sources to tokenised samples: load the text, train or reuse the joint
// vocabulary, tokenise. The trainer's glue between its options and the BatchGenerator.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/parallel.h"
#include "data/sample.h"
#include "data/vocab.h"

namespace moemt::data {

struct DatasetOptions {
  std::vector<ParallelSource> pairs;
  std::vector<TsvSource> tsvs;
  LoadOptions load;
  // An existing sentencepiece model (--vocab); empty = train one with `vocab` (--vocab-size).
  std::string vocab_path;
  VocabTrainOptions vocab;
};

struct Dataset {
  Vocab vocab;
  std::vector<Sample> samples;  // in file order; BatchGenerator does the shuffling
  LoadStats stats;
  // Examples per (src_lang, tgt_lang) as written in the data (after both_directions).
  std::map<std::pair<std::string, std::string>, int64_t> pair_counts;
};

// Loads, builds the vocabulary (from `existing` if given, e.g. the one in a checkpoint being
// resumed; else from options.vocab_path; else trained on the loaded text) and tokenises.
// Logs the per-pair counts. Errors are moemt::Error (see load_examples, Vocab).
Dataset prepare_dataset(const DatasetOptions& options, const LangIndexFn& lang_index,
                        const Vocab* existing = nullptr);

}  // namespace moemt::data
