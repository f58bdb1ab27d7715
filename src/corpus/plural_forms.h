// Evaluates the C-like plural expression of a gettext catalog header ("Plural-Forms:
// nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : ...);") to find which form is the singular.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace moemt::corpus {

// Limits on what a catalog header may ask for; a crafted .mo beyond them is rejected with an
// Error instead of exhausting the stack (deep nesting) or overflowing an int (nplurals).
inline constexpr int kMaxPluralExprDepth = 100;
inline constexpr size_t kMaxPluralExprBytes = 4096;
inline constexpr uint64_t kMaxPlurals = 1000;

class PluralExpr {
 public:
  // Parses the expression after "plural="; throws moemt::Error on a syntax error or an
  // expression beyond the limits above.
  static PluralExpr parse(std::string_view expr);
  uint64_t eval(uint64_t n) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

struct PluralForms {
  int nplurals = 2;
  PluralExpr plural;  // defaults to "n != 1" (Germanic)
  // Index of the msgstr form used for n == 1, clamped to [0, nplurals).
  int singular_index() const;
};

// Parses the "Plural-Forms:" header value; a missing header gives the default (n != 1).
// Throws moemt::Error for a bad expression or nplurals outside 1..kMaxPlurals.
PluralForms parse_plural_forms(std::string_view header_value);

}  // namespace moemt::corpus
