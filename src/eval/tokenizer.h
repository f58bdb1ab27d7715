// BLEU tokenizers, one class each, reproducing sacrebleu's `none`, `13a`, `intl`, `char` and
// `zh` on Unicode code points; make_tokenizer() maps sacrebleu's names to them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace moemt::eval {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Appends the tokenized form of `line` to `out` (tokens separated by whitespace).
  virtual void tokenize(std::u32string_view line, std::u32string& out) const = 0;
  // The name sacrebleu prints in the signature (tok:...).
  virtual std::string signature() const = 0;
};

class TokenizerNone : public Tokenizer {
 public:
  void tokenize(std::u32string_view line, std::u32string& out) const override;
  std::string signature() const override { return "none"; }
};

// mteval-v13a: unescapes a few XML entities, then the Western punctuation rules.
class Tokenizer13a : public Tokenizer {
 public:
  void tokenize(std::u32string_view line, std::u32string& out) const override;
  std::string signature() const override { return "13a"; }
};

// mteval-v14 "international": splits punctuation and symbols by Unicode category.
class TokenizerIntl : public Tokenizer {
 public:
  void tokenize(std::u32string_view line, std::u32string& out) const override;
  std::string signature() const override { return "intl"; }
};

// Every code point is a token.
class TokenizerChar : public Tokenizer {
 public:
  void tokenize(std::u32string_view line, std::u32string& out) const override;
  std::string signature() const override { return "char"; }
};

// Chinese: CJK characters become single tokens, the rest follows the 13a rules.
class TokenizerZh : public Tokenizer {
 public:
  void tokenize(std::u32string_view line, std::u32string& out) const override;
  std::string signature() const override { return "zh"; }
  // True for the code points sacrebleu's zh tokenizer isolates.
  static bool is_chinese_char(char32_t c);
};

// The regex stage shared by 13a and zh (sacrebleu's TokenizerRegexp): splits ASCII
// punctuation, periods/commas not between digits, and dashes after digits.
void regexp_post_tokenize(std::u32string_view line, std::u32string& out);

// Names: none, 13a, intl, char, zh. Throws moemt::Error for anything else.
std::unique_ptr<Tokenizer> make_tokenizer(const std::string& name);

}  // namespace moemt::eval
