// The mteval-v13a tokenizer (sacrebleu's default for BLEU).
#include "eval/tokenizer.h"
#include "eval/unicode_text.h"

namespace moemt::eval {

void Tokenizer13a::tokenize(std::u32string_view line, std::u32string& out) const {
  thread_local std::u32string s, padded;
  s.assign(line);
  replace_all(s, U"<skipped>", U"");
  replace_all(s, U"-\n", U"");
  replace_all(s, U"\n", U" ");
  if (s.find(U'&') != std::u32string::npos) {
    // Same order as mteval, so "&amp;lt;" becomes "<".
    replace_all(s, U"&quot;", U"\"");
    replace_all(s, U"&amp;", U"&");
    replace_all(s, U"&lt;", U"<");
    replace_all(s, U"&gt;", U">");
  }
  // mteval pads the line with spaces before the regex stage.
  padded.clear();
  padded.push_back(U' ');
  padded.append(s);
  padded.push_back(U' ');
  regexp_post_tokenize(padded, out);
}

}  // namespace moemt::eval
