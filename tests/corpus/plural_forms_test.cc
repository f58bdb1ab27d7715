// Plural-Forms expressions: parsing, evaluation for real languages' formulas, and which form
// a catalog uses for n == 1.
#include "corpus/plural_forms.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace moemt::corpus {
namespace {

TEST(PluralForms, DefaultIsGermanic) {
  PluralForms pf = parse_plural_forms("");
  EXPECT_EQ(pf.nplurals, 2);
  EXPECT_EQ(pf.plural.eval(1), 0u);
  EXPECT_EQ(pf.plural.eval(2), 1u);
  EXPECT_EQ(pf.singular_index(), 0);
}

TEST(PluralForms, Russian) {
  PluralForms pf = parse_plural_forms(
      "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || "
      "n%100>=20) ? 1 : 2);");
  EXPECT_EQ(pf.nplurals, 3);
  const std::vector<std::pair<int, int>> cases = {{1, 0},  {2, 1},  {4, 1},  {5, 2},   {11, 2},
                                                  {12, 2}, {21, 0}, {22, 1}, {111, 2}, {0, 2}};
  for (auto [n, form] : cases) EXPECT_EQ(pf.plural.eval(n), static_cast<uint64_t>(form)) << n;
  EXPECT_EQ(pf.singular_index(), 0);
}

TEST(PluralForms, ArabicSingularIsFormOne) {
  PluralForms pf = parse_plural_forms(
      "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
      "n%100>=11 ? 4 : 5;");
  EXPECT_EQ(pf.nplurals, 6);
  EXPECT_EQ(pf.singular_index(), 1);
  EXPECT_EQ(pf.plural.eval(0), 0u);
  EXPECT_EQ(pf.plural.eval(105), 3u);
  EXPECT_EQ(pf.plural.eval(111), 4u);
  EXPECT_EQ(pf.plural.eval(100), 5u);
}

TEST(PluralForms, SingleFormAndNegation) {
  EXPECT_EQ(parse_plural_forms("nplurals=1; plural=0;").singular_index(), 0);
  PluralForms fr = parse_plural_forms("nplurals=2; plural=(n > 1);");
  EXPECT_EQ(fr.plural.eval(0), 0u);
  EXPECT_EQ(fr.plural.eval(2), 1u);
  PluralExpr e = PluralExpr::parse("!(n != 1) ? 7 : 3");
  EXPECT_EQ(e.eval(1), 7u);
  EXPECT_EQ(e.eval(5), 3u);
  EXPECT_EQ(PluralExpr::parse("n*2+1-n/2").eval(4), 7u);
}

TEST(PluralForms, SyntaxErrors) {
  EXPECT_THROW(PluralExpr::parse("n ==="), Error);
  EXPECT_THROW(PluralExpr::parse("(n == 1"), Error);
  EXPECT_THROW(PluralExpr::parse("n == 1 ? 0"), Error);
  EXPECT_THROW(PluralExpr::parse("x"), Error);
}

}  // namespace
}  // namespace moemt::corpus
