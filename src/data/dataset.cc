// Loading, vocabulary and tokenisation in one step.
#include "data/dataset.h"

#include "core/error.h"
#include "core/log.h"

namespace moemt::data {

Dataset prepare_dataset(const DatasetOptions& o, const LangIndexFn& lang_index,
                        const Vocab* existing) {
  if (o.pairs.empty() && o.tsvs.empty()) throw Error("no training data given");
  Dataset d;
  const std::vector<Example> examples = load_examples(o.pairs, o.tsvs, o.load, &d.stats);
  for (const Example& e : examples) ++d.pair_counts[{e.src_lang, e.tgt_lang}];
  log::info("training data: {} pairs read, {} examples ({} empty and {} too long skipped)",
            d.stats.read, d.stats.examples, d.stats.skipped_empty, d.stats.skipped_long);
  for (const auto& [pair, n] : d.pair_counts) {
    log::info("  {} -> {}: {} examples", pair.first, pair.second, n);
  }
  if (existing) {
    d.vocab = Vocab::from_serialized(existing->serialized());
  } else if (!o.vocab_path.empty()) {
    d.vocab = Vocab::load(o.vocab_path);
  } else {
    d.vocab = Vocab::train(examples, o.vocab);
  }
  d.samples = encode_examples(d.vocab, examples, lang_index);
  return d;
}

}  // namespace moemt::data
