// Tokenised training samples and the sequence conventions shared by training and decoding:
// encoder input [<2tgt>] + src + [eos], decoder input [bos] + tgt, decoder output tgt + [eos].
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "data/parallel.h"
#include "data/vocab.h"

namespace moemt::data {

struct SpecialIds {
  int32_t pad = kPadId, bos = kBosId, eos = kEosId;
};

// One tokenised example.
struct Sample {
  std::vector<int32_t> src;  // encoder input, complete: [<2tgt_lang>] + src pieces + [eos]
  std::vector<int32_t> tgt;  // target pieces only; bos/eos are added by decoder_input/output
  int32_t src_lang = 0, tgt_lang = 0;  // the caller's language indexes (not vocab ids)

  // Lengths as the model sees them.
  int64_t encoder_length() const { return static_cast<int64_t>(src.size()); }
  int64_t decoder_length() const { return static_cast<int64_t>(tgt.size()) + 1; }
};

// [tag] + pieces + [eos]; tag < 0 means no tag (e.g. a bilingual model).
std::vector<int32_t> encoder_input(int32_t tag, const std::vector<int32_t>& pieces, int32_t eos);
// [bos] + pieces: what the decoder reads (teacher forcing).
std::vector<int32_t> decoder_input(const std::vector<int32_t>& pieces, int32_t bos);
// pieces + [eos]: what the decoder must predict.
std::vector<int32_t> decoder_output(const std::vector<int32_t>& pieces, int32_t eos);

// Maps a language string ("deu_Latn") to the caller's index; may throw moemt::Error.
using LangIndexFn = std::function<int32_t(std::string_view)>;

// Tokenises examples with the vocabulary (in parallel with OpenMP; the result does not depend
// on the thread count). Each target language must have a tag in `vocab` (else moemt::Error
// listing the tagged languages). `lang_index` is called once per distinct language.
std::vector<Sample> encode_examples(const Vocab& vocab, const std::vector<Example>& examples,
                                    const LangIndexFn& lang_index);

}  // namespace moemt::data
