// Evaluates the C-like plural expression of a gettext catalog header ("Plural-Forms:
// nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : ...);") to find which form is the singular.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace moemt::corpus {

class PluralExpr {
 public:
  // Parses the expression after "plural="; throws moemt::Error on a syntax error.
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
PluralForms parse_plural_forms(std::string_view header_value);

}  // namespace moemt::corpus
