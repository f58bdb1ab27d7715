// Joint subword vocabulary: a sentencepiece model trained (through the C++ API) on a
// temperature-balanced sample of all languages, with one user-defined tag per language.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/range.h"
#include "data/parallel.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace moemt::data {

// Fixed special ids of every vocabulary trained here (set explicitly in the trainer, so that
// pad is a real id the embedding and the loss can rely on).
inline constexpr int32_t kPadId = 0;
inline constexpr int32_t kUnkId = 1;
inline constexpr int32_t kBosId = 2;
inline constexpr int32_t kEosId = 3;

// --vocab-size and --character-coverage. The real floor of the vocabulary size depends on the
// data (see Vocab::train); 2^21 is eight times the largest vocabularies in use (NLLB: 256k).
inline constexpr Range<int> kVocabSizeRange{1, 1 << 21};
// sentencepiece accepts coverages in [0.98, 1]; 0 asks moemt to choose (see below).
inline constexpr Range<double> kCharacterCoverageRange{0, 1};

// The target-language tag piece for a language: "deu_Latn" -> "<2deu_Latn>".
std::string lang_tag(std::string_view lang);

struct VocabTrainOptions {
  int vocab_size = 8000;  // --vocab-size; a soft limit: tiny corpora may give fewer pieces
  // 0 = automatic: 0.9995 when the sample contains Han/Hiragana/Katakana/Hangul, else 1.0.
  double character_coverage = 0;
  bool byte_fallback = true;  // unseen characters become byte pieces, never <unk>
  // Languages to create tags for, in addition to every language found in the texts; tags
  // come first among the user-defined symbols, sorted by language.
  std::vector<std::string> extra_langs;
  std::vector<std::string> user_defined_symbols;  // more symbols, appended after the tags
  // Sampling temperature over languages: language l with n_l sentences gets a share
  // proportional to n_l^(1/T) of the sample (T=1: as in the data; large T: uniform).
  double temperature = 5.0;
  int64_t max_sentences = 1'000'000;  // size of the training sample (all data if smaller)
  uint64_t seed = 1;
  std::string model_type = "unigram";                // "unigram" or "bpe"
  std::string normalization_rule_name = "nmt_nfkc";  // sentencepiece normaliser
  // Trainer threads. Fixed by default because the EM result depends on the thread split:
  // keep it the same across runs for a reproducible vocabulary.
  int num_threads = 4;
  bool verbose = false;  // let sentencepiece log its training progress to stderr
};

// A loaded sentencepiece model. Cheap to move; encode/decode are thread-safe.
class Vocab {
 public:
  Vocab();
  ~Vocab();
  Vocab(Vocab&&) noexcept;
  Vocab& operator=(Vocab&&) noexcept;

  // Trains on texts grouped by language (language -> sentences). Throws moemt::Error when
  // sentencepiece rejects the data or options.
  static Vocab train(const std::map<std::string, std::vector<std::string>>& texts_by_lang,
                     const VocabTrainOptions& options);
  // Trains on both sides of the examples, grouped by their languages; a sentence that occurs
  // several times in one language (e.g. the English side of eng-deu and eng-spa) counts once.
  static Vocab train(const std::vector<Example>& examples, const VocabTrainOptions& options);
  // Loads a .spm/.model file (error names the file).
  static Vocab load(const std::string& path);
  // Loads the bytes returned by serialized() (e.g. vocab.spm read from a checkpoint); errors
  // name `origin` (the file the bytes came from) when given.
  static Vocab from_serialized(std::string_view bytes, const std::string& origin = "");

  // The model as a serialized ModelProto: the exact bytes of a .spm file.
  const std::string& serialized() const { return serialized_; }
  // Writes serialized() to `path` (error names the file).
  void save(const std::string& path) const;

  std::vector<int32_t> encode(std::string_view text) const;
  std::vector<std::string> encode_pieces(std::string_view text) const;
  std::string decode(const std::vector<int32_t>& ids) const;  // specials are skipped

  int32_t size() const;
  int32_t pad_id() const { return kPadId; }
  int32_t unk_id() const { return kUnkId; }
  int32_t bos_id() const { return kBosId; }
  int32_t eos_id() const { return kEosId; }
  std::string piece(int32_t id) const;
  // Id of lang_tag(lang); throws moemt::Error listing the languages that have tags.
  int32_t tag_id(std::string_view lang) const;
  bool has_tag(std::string_view lang) const;
  // Languages with a tag in this vocabulary, sorted.
  std::vector<std::string> tag_langs() const;

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string serialized_;
};

// The coverage used when VocabTrainOptions::character_coverage is 0: 0.9995 if any text
// contains Han, Hiragana, Katakana or Hangul characters, else 1.0.
double auto_character_coverage(const std::vector<std::string_view>& texts);

// Temperature-balanced sample of sentences across languages (used by Vocab::train; exposed
// for tests and for reporting). Language l gets round(M * p_l) sentences with
// p_l ~ n_l^(1/T), M = min(max_sentences, total); a language whose quota exceeds its size is
// repeated. Deterministic for a seed; the output is grouped by language in map order.
std::vector<std::string_view> balanced_sample(
    const std::map<std::string, std::vector<std::string>>& texts_by_lang, double temperature,
    int64_t max_sentences, uint64_t seed);

}  // namespace moemt::data
