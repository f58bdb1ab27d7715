// Sequence conventions and parallel tokenisation of examples.
#include "data/sample.h"

#include <array>
#include <map>
#include <string>

#include "core/error.h"

namespace moemt::data {

std::vector<int32_t> encoder_input(int32_t tag, const std::vector<int32_t>& pieces, int32_t eos) {
  std::vector<int32_t> out;
  out.reserve(pieces.size() + 2);
  if (tag >= 0) out.push_back(tag);
  out.insert(out.end(), pieces.begin(), pieces.end());
  out.push_back(eos);
  return out;
}

std::vector<int32_t> decoder_input(const std::vector<int32_t>& pieces, int32_t bos) {
  std::vector<int32_t> out;
  out.reserve(pieces.size() + 1);
  out.push_back(bos);
  out.insert(out.end(), pieces.begin(), pieces.end());
  return out;
}

std::vector<int32_t> decoder_output(const std::vector<int32_t>& pieces, int32_t eos) {
  std::vector<int32_t> out(pieces);
  out.push_back(eos);
  return out;
}

std::vector<Sample> encode_examples(const Vocab& vocab, const std::vector<Example>& examples,
                                    const LangIndexFn& lang_index) {
  // Resolve languages serially first: the callbacks and tag lookups may throw, which must
  // not happen inside the OpenMP region.
  struct LangInfo {
    int32_t index = 0, tag = -1;
  };
  std::map<std::string, LangInfo, std::less<>> langs;
  auto info = [&](const std::string& l, bool need_tag) -> LangInfo& {
    auto it = langs.find(l);
    if (it == langs.end()) it = langs.emplace(l, LangInfo{lang_index(l), -1}).first;
    if (need_tag && it->second.tag < 0) it->second.tag = vocab.tag_id(l);
    return it->second;
  };
  std::vector<std::array<int32_t, 3>> meta(examples.size());  // src_lang, tgt_lang, tag
  for (size_t i = 0; i < examples.size(); ++i) {
    const LangInfo& t = info(examples[i].tgt_lang, true);
    meta[i] = {info(examples[i].src_lang, false).index, t.index, t.tag};
  }
  std::vector<Sample> out(examples.size());
  const int64_t n = static_cast<int64_t>(examples.size());
  const int32_t eos = vocab.eos_id();
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t i = 0; i < n; ++i) {
    Sample& s = out[i];
    s.src = encoder_input(meta[i][2], vocab.encode(examples[i].src), eos);
    s.tgt = vocab.encode(examples[i].tgt);
    s.src_lang = meta[i][0];
    s.tgt_lang = meta[i][1];
  }
  return out;
}

}  // namespace moemt::data
