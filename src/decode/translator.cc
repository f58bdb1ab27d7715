// Batching for decoding: sort a maxi-batch by source length so padding is small, cut it into
// mini-batches under a token budget, decode, and put results back in input order.
#include "decode/translator.h"

#include <algorithm>
#include <numeric>

#include "data/sample.h"

namespace moemt::decode {

namespace {
// Byte-fallback pieces can decode to line breaks; a translation is one output line, or every
// later line of the file would be misaligned with its input.
std::string single_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}
}  // namespace

Translator::Translator(model::Model& model, const data::Vocab& vocab, TranslatorOptions options)
    : model_(model), vocab_(vocab), opt_(std::move(options)) {
  auto& s = opt_.search;
  s.bos_id = vocab_.bos_id();
  s.eos_id = vocab_.eos_id();
  s.unk_id = vocab_.unk_id();
  s.blocked_ids.push_back(vocab_.pad_id());
  s.blocked_ids.push_back(vocab_.bos_id());
  for (const auto& lang : vocab_.tag_langs()) s.blocked_ids.push_back(vocab_.tag_id(lang));
}

std::vector<TranslationOutput> Translator::translate(const std::vector<TranslationInput>& inputs,
                                                     const ProgressFn& progress) {
  const int64_t n = static_cast<int64_t>(inputs.size());
  std::vector<TranslationOutput> out(n);
  std::vector<std::vector<int32_t>> enc(n);
  const auto& langs = model_.config().languages;
  for (int64_t i = 0; i < n; ++i) {
    if (inputs[i].text.empty()) continue;
    auto pieces = vocab_.encode(inputs[i].text);
    if (pieces.empty()) continue;  // only whitespace: an empty line, as for an empty input
    int64_t room = std::max(1, opt_.max_input_tokens - 2);
    if (static_cast<int64_t>(pieces.size()) > room) {
      pieces.resize(room);
      out[i].truncated = true;
    }
    enc[i] = data::encoder_input(vocab_.tag_id(langs.at(inputs[i].tgt_lang)), pieces, vocab_.eos_id());
    out[i].input_tokens = static_cast<int64_t>(enc[i].size());
    out[i].encoder_input = enc[i];
  }
  nn::Ctx ctx;
  ctx.device = model_.params().device();
  ctx.training = false;
  ctx.dropless = true;
  const int64_t beam = std::max(1, opt_.search.beam_size);
  const int64_t maxi = std::max<int64_t>(1, opt_.maxi_batch) * std::max(1, opt_.mini_batch);
  int64_t done = 0, out_tokens = 0;
  for (int64_t start = 0; start < n; start += maxi) {
    int64_t end = std::min(n, start + maxi);
    std::vector<int64_t> order;
    for (int64_t i = start; i < end; ++i)
      if (!enc[i].empty()) order.push_back(i);
      else ++done;
    // Longest first: the first batch shows the memory peak early; stable for determinism.
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return enc[a].size() > enc[b].size(); });
    size_t pos = 0;
    while (pos < order.size()) {
      std::vector<std::vector<int32_t>> src;
      std::vector<int32_t> sl, tl;
      std::vector<int64_t> ids;
      int64_t longest = 0;
      // Every batch takes at least one sentence, whatever the limits, so the loop advances.
      while (pos < order.size() &&
             (src.empty() || static_cast<int64_t>(src.size()) < opt_.mini_batch)) {
        int64_t i = order[pos];
        int64_t len = std::max<int64_t>(longest, static_cast<int64_t>(enc[i].size()));
        if (!src.empty() && len * (static_cast<int64_t>(src.size()) + 1) * beam > opt_.mini_batch_words)
          break;
        longest = len;
        src.push_back(enc[i]);
        sl.push_back(inputs[i].src_lang);
        tl.push_back(inputs[i].tgt_lang);
        ids.push_back(i);
        ++pos;
      }
      auto res = beam_search(model_, ctx, src, sl, tl, opt_.search);
      for (size_t j = 0; j < ids.size(); ++j) {
        auto& o = out[ids[j]];
        o.nbest = std::move(res[j]);
        for (const auto& h : o.nbest) {
          o.texts.push_back(single_line(vocab_.decode(h.tokens)));
          out_tokens += static_cast<int64_t>(h.tokens.size());
        }
      }
      done += static_cast<int64_t>(ids.size());
      if (progress) progress(done, out_tokens);
    }
  }
  for (auto& o : out)
    if (o.texts.empty()) o.texts.push_back("");
  return out;
}

}  // namespace moemt::decode
