// libFuzzer harness: the scorer's BLEU tokenizers (none, 13a, intl, char, zh) on arbitrary
// UTF-8 text, each output checked to be no shorter in tokens than sensible. Invalid UTF-8 is
// rejected before tokenizing, as the scorer does.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eval/tokenizer.h"
#include "eval/unicode_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace moemt::eval;
  static const std::vector<std::unique_ptr<Tokenizer>> toks = [] {
    std::vector<std::unique_ptr<Tokenizer>> v;
    for (const char* name : {"none", "13a", "intl", "char", "zh"})
      v.push_back(make_tokenizer(name));
    return v;
  }();
  std::u32string line, out;
  if (!decode_utf8(std::string_view(reinterpret_cast<const char*>(data), size), line)) return 0;
  for (const auto& t : toks) {
    out.clear();
    t->tokenize(line, out);
    // Tokenizers add spaces and expand a few entities, never more than a few code points per
    // input code point ("&quot;" is longer than '"', so the bound is loose).
    if (out.size() > 8 * line.size() + 8) __builtin_trap();
    encode_utf8(out);  // the output must still be encodable (no lone surrogates)
  }
  return 0;
}
