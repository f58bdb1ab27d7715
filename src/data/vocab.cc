// Training, loading and applying the joint sentencepiece vocabulary.
#include "data/vocab.h"

#include <fmt/ranges.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "data/sampling.h"

// Exported by libsentencepiece but not declared in its public headers; used to keep the
// trainer's per-iteration INFO lines off stderr unless asked for.
namespace sentencepiece::logging {
void SetMinLogLevel(int v);
int GetMinLogLevel();
}  // namespace sentencepiece::logging

namespace moemt::data {
namespace {

// Feeds the in-memory sample to the trainer (no temporary file).
class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string_view>& v) : v_(v) { load(); }
  bool done() const override { return i_ >= v_.size(); }
  void Next() override {
    ++i_;
    load();
  }
  const std::string& value() const override { return cur_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void load() {
    if (i_ < v_.size()) cur_.assign(v_[i_]);
  }
  const std::vector<std::string_view>& v_;
  size_t i_ = 0;
  std::string cur_;
};

bool has_cjk(const std::vector<std::string_view>& texts) {
  for (std::string_view s : texts) {
    int32_t i = 0;
    const int32_t n = static_cast<int32_t>(s.size());
    while (i < n) {
      UChar32 c;
      U8_NEXT(s.data(), i, n, c);
      if (c < 0x2E80) continue;  // fast path: nothing below this block is CJK
      UErrorCode err = U_ZERO_ERROR;
      const UScriptCode sc = uscript_getScript(c, &err);
      if (U_SUCCESS(err) && (sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA ||
                             sc == USCRIPT_KATAKANA || sc == USCRIPT_HANGUL)) {
        return true;
      }
    }
  }
  return false;
}

void check(const sentencepiece::util::Status& st, const std::string& what) {
  if (!st.ok()) throw Error("{}: {}", what, st.ToString());
}

// A sentencepiece trainer failure in moemt's option names. Its messages start with its own
// source location ("./src/trainer_interface.cc(123) [cond] ") and suggest its own flags.
std::string trainer_error(std::string msg, int vocab_size, double coverage) {
  const std::string kTooSmall = "Vocabulary size is smaller than required_chars.";
  if (auto at = msg.find(kTooSmall); at != std::string::npos) {
    // "... required_chars. 300 vs 317. Increase vocab_size or ..."
    long long needed = 0;
    if (auto vs = msg.find(" vs ", at); vs != std::string::npos)
      needed = std::atoll(msg.c_str() + vs + 4);
    return fmt::format(
        "--vocab-size {} is too small for this text: its characters (at --character-coverage "
        "{}) and the fixed pieces need {} pieces; raise --vocab-size to at least that or lower "
        "--character-coverage",
        vocab_size, coverage, needed);
  }
  if (msg.size() > 2 && msg[0] == '.' && msg[1] == '/')
    if (auto end = msg.find("] "); end != std::string::npos) msg.erase(0, end + 2);
  for (auto [theirs, ours] : {std::pair{"--character_coverage", "--character-coverage"},
                              std::pair{"--vocab_size", "--vocab-size"}})
    for (size_t at; (at = msg.find(theirs)) != std::string::npos;)
      msg.replace(at, std::strlen(theirs), ours);
  return fmt::format("training the sentencepiece vocabulary (--vocab-size {}): {}", vocab_size,
                     msg);
}

// The trainer's log level is process-global; serialise trainings that change it.
std::mutex g_train_mutex;

}  // namespace

double auto_character_coverage(const std::vector<std::string_view>& texts) {
  return has_cjk(texts) ? 0.9995 : 1.0;
}

std::string lang_tag(std::string_view lang) { return fmt::format("<2{}>", lang); }

std::vector<std::string_view> balanced_sample(
    const std::map<std::string, std::vector<std::string>>& texts_by_lang, double temperature,
    int64_t max_sentences, uint64_t seed) {
  std::vector<int64_t> counts;
  int64_t total = 0;
  for (const auto& [lang, texts] : texts_by_lang) {
    counts.push_back(static_cast<int64_t>(texts.size()));
    total += counts.back();
  }
  const int64_t m = max_sentences > 0 ? std::min(max_sentences, total) : total;
  const std::vector<int64_t> quotas = temperature_quotas(counts, temperature, m);
  std::mt19937_64 rng(mix_seed(seed, 0x766f636162ULL));
  std::vector<std::string_view> out;
  out.reserve(static_cast<size_t>(m));
  size_t g = 0;
  for (const auto& [lang, texts] : texts_by_lang) {
    for (int64_t i : sample_indices(counts[g], quotas[g], rng)) out.emplace_back(texts[i]);
    ++g;
  }
  return out;
}

Vocab::Vocab() = default;
Vocab::~Vocab() = default;
Vocab::Vocab(Vocab&&) noexcept = default;
Vocab& Vocab::operator=(Vocab&&) noexcept = default;

Vocab Vocab::train(const std::map<std::string, std::vector<std::string>>& texts_by_lang,
                   const VocabTrainOptions& o) {
  if (o.vocab_size <= 0) throw Error("--vocab-size must be positive, got {}", o.vocab_size);
  // sentencepiece takes 0.98..1 and asserts otherwise, naming its own flag.
  if (o.character_coverage != 0 && !(o.character_coverage >= 0.98 && o.character_coverage <= 1))
    throw Error("--character-coverage: {} is out of range (use 0.98 to 1, or 0 for automatic)",
                o.character_coverage);
  if (o.temperature <= 0) throw Error("vocabulary temperature must be > 0, got {}", o.temperature);
  const std::vector<std::string_view> sample =
      balanced_sample(texts_by_lang, o.temperature, o.max_sentences, o.seed);
  if (sample.empty()) throw Error("cannot train a vocabulary: no training text");

  std::set<std::string> langs(o.extra_langs.begin(), o.extra_langs.end());
  for (const auto& [lang, texts] : texts_by_lang) langs.insert(lang);
  std::vector<std::string> symbols;
  for (const auto& l : langs) symbols.push_back(lang_tag(l));
  symbols.insert(symbols.end(), o.user_defined_symbols.begin(), o.user_defined_symbols.end());

  // Pieces every vocabulary holds before any subword: pad, unk, bos, eos, the tags and other
  // user symbols, and the 256 byte pieces of byte fallback. sentencepiece needs room for them
  // and the text's characters; say so in our option names before it fails in its own.
  const int fixed = 4 + static_cast<int>(symbols.size()) + (o.byte_fallback ? 256 : 0);
  if (o.vocab_size <= fixed)
    throw Error(
        "--vocab-size {} is too small: {} pieces are fixed (4 special, {} language tag(s) and "
        "symbols{}) before the characters and subwords of the text",
        o.vocab_size, fixed, symbols.size(), o.byte_fallback ? ", 256 byte-fallback bytes" : "");
  double coverage = o.character_coverage;
  if (coverage <= 0) coverage = auto_character_coverage(sample);

  std::string symbol_list;
  for (const auto& s : symbols) {
    if (s.find(',') != std::string::npos || s.find(' ') != std::string::npos) {
      throw Error("user-defined symbol '{}' may not contain ',' or ' '", s);
    }
    symbol_list += (symbol_list.empty() ? "" : ",") + s;
  }
  std::unordered_map<std::string, std::string> args = {
      {"model_type", o.model_type},
      {"vocab_size", std::to_string(o.vocab_size)},
      {"hard_vocab_limit", "false"},
      {"character_coverage", fmt::format("{}", coverage)},
      {"byte_fallback", o.byte_fallback ? "true" : "false"},
      {"normalization_rule_name", o.normalization_rule_name},
      {"pad_id", std::to_string(kPadId)},
      {"unk_id", std::to_string(kUnkId)},
      {"bos_id", std::to_string(kBosId)},
      {"eos_id", std::to_string(kEosId)},
      {"pad_piece", "<pad>"},
      {"input_sentence_size", "0"},  // we sampled already; the trainer must take all of it
      {"shuffle_input_sentence", "false"},
      {"num_threads", std::to_string(std::max(1, o.num_threads))},
      {"max_sentence_length", "65536"},
  };
  if (!symbol_list.empty()) args["user_defined_symbols"] = symbol_list;

  std::string model;
  {
    std::lock_guard<std::mutex> lock(g_train_mutex);
    const int old_level = sentencepiece::logging::GetMinLogLevel();
    if (!o.verbose) sentencepiece::logging::SetMinLogLevel(1);  // 1 = warnings and up
    sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned>(o.seed));
    VectorIterator it(sample);
    const auto st = sentencepiece::SentencePieceTrainer::Train(args, &it, &model);
    sentencepiece::logging::SetMinLogLevel(old_level);
    if (!st.ok()) throw Error(trainer_error(st.message(), o.vocab_size, coverage));
  }
  Vocab v = from_serialized(model);
  log::info(
      "trained vocabulary: {} pieces from {} sentences sampled from {} languages (T={}), "
      "character coverage {}",
      v.size(), sample.size(), texts_by_lang.size(), o.temperature, coverage);
  if (v.size() < o.vocab_size) {
    log::warn("the training text supports only {} pieces; --vocab-size {} was not reached",
              v.size(), o.vocab_size);
  }
  return v;
}

Vocab Vocab::train(const std::vector<Example>& examples, const VocabTrainOptions& o) {
  // A sentence shared by several pairs (English in eng-deu and eng-spa) counts once, so
  // multi-way data does not inflate that language's share of the sample.
  std::map<std::string, std::vector<std::string>> by_lang;
  std::map<std::string, std::unordered_set<std::string_view>> seen;
  auto add = [&](const std::string& lang, const std::string& text) {
    if (seen[lang].insert(text).second) by_lang[lang].push_back(text);
  };
  for (const Example& e : examples) {
    add(e.src_lang, e.src);
    add(e.tgt_lang, e.tgt);
  }
  return train(by_lang, o);
}

Vocab Vocab::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, 0, "cannot open sentencepiece model");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from_serialized(bytes, path);
}

Vocab Vocab::from_serialized(std::string_view bytes, const std::string& origin) {
  auto fail = [&](const std::string& msg) {
    return origin.empty() ? Error(msg) : file_error(origin, 0, msg);
  };
  Vocab v;
  v.sp_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  // sentencepiece's status names its own source line and protobuf call, nothing a user can
  // act on; the file and what it should be are what matter.
  if (!v.sp_->LoadFromSerializedProto(bytes).ok())
    throw fail(fmt::format(
        "not a sentencepiece model ({} bytes that do not parse as one); give the .spm/.model "
        "file that sentencepiece or `moemt train` wrote",
        bytes.size()));
  v.serialized_.assign(bytes);
  const auto& sp = *v.sp_;
  if (sp.pad_id() != kPadId || sp.unk_id() != kUnkId || sp.bos_id() != kBosId ||
      sp.eos_id() != kEosId) {
    throw fail(fmt::format(
        "sentencepiece model has special ids pad={} unk={} bos={} eos={}; moemt needs "
        "pad=0 unk=1 bos=2 eos=3 (train it with --pad_id=0 --unk_id=1 --bos_id=2 --eos_id=3, "
        "or let moemt train it with --vocab-size)",
        sp.pad_id(), sp.unk_id(), sp.bos_id(), sp.eos_id()));
  }
  return v;
}

void Vocab::save(const std::string& path) const {
  write_file_atomic(path, serialized_);
}

std::vector<int32_t> Vocab::encode(std::string_view text) const {
  MOEMT_CHECK(sp_, "Vocab used before training/loading");
  std::vector<int> ids;
  check(sp_->Encode(text, &ids), "sentencepiece encode");
  return {ids.begin(), ids.end()};
}

std::vector<std::string> Vocab::encode_pieces(std::string_view text) const {
  MOEMT_CHECK(sp_, "Vocab used before training/loading");
  std::vector<std::string> pieces;
  check(sp_->Encode(text, &pieces), "sentencepiece encode");
  return pieces;
}

std::string Vocab::decode(const std::vector<int32_t>& ids) const {
  MOEMT_CHECK(sp_, "Vocab used before training/loading");
  // Specials and tags are not text; sentencepiece would print user-defined tags verbatim.
  std::vector<int> keep;
  keep.reserve(ids.size());
  const int n = sp_->GetPieceSize();
  for (int32_t id : ids) {
    if (id < 0 || id >= n || id == kPadId || id == kBosId || id == kEosId) continue;
    const std::string& p = sp_->IdToPiece(id);
    if (p.size() > 3 && p.starts_with("<2") && p.back() == '>') continue;
    keep.push_back(id);
  }
  std::string text;
  check(sp_->Decode(keep, &text), "sentencepiece decode");
  return text;
}

int32_t Vocab::size() const { return sp_ ? sp_->GetPieceSize() : 0; }

std::string Vocab::piece(int32_t id) const {
  MOEMT_CHECK(sp_ && id >= 0 && id < size(), "piece id {} out of range", id);
  return sp_->IdToPiece(id);
}

bool Vocab::has_tag(std::string_view lang) const {
  if (!sp_) return false;
  return sp_->PieceToId(lang_tag(lang)) != kUnkId;
}

int32_t Vocab::tag_id(std::string_view lang) const {
  if (!has_tag(lang)) {
    throw Error(
        "the vocabulary has no tag for language '{}' (tagged languages: {}); retrain the "
        "vocabulary with this language in the data",
        lang, fmt::join(tag_langs(), ", "));
  }
  return sp_->PieceToId(lang_tag(lang));
}

std::vector<std::string> Vocab::tag_langs() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) {
    const std::string& p = sp_->IdToPiece(i);
    if (p.size() > 3 && p.starts_with("<2") && p.back() == '>' && !sp_->IsUnknown(i)) {
      out.push_back(p.substr(2, p.size() - 3));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace moemt::data
