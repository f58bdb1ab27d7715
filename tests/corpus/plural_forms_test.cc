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

// Throws Error and returns its message (empty and a test failure if nothing was thrown).
std::string error_of(std::string_view header) {
  try {
    parse_plural_forms(header);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error for a header of " << header.size() << " bytes";
  return "";
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Crafted headers once overflowed the stack (the parser and evaluator recursed as deep as the
// input nested): these sizes crash a build without the limits.
TEST(PluralForms, HugeNestingIsAnErrorNotACrash) {
  const size_t kDeep = 200000;
  EXPECT_NE(error_of("nplurals=2; plural=" + repeat("(", kDeep) + "n" + repeat(")", kDeep) + ";")
                .find("longer than the 4096 accepted"),
            std::string::npos);
  EXPECT_NE(error_of("nplurals=2; plural=" + repeat("!", kDeep) + "n;").find("longer"),
            std::string::npos);
  EXPECT_NE(error_of("nplurals=2; plural=n" + repeat("+n", 5 * kDeep) + ";").find("longer"),
            std::string::npos);
}

// Within the length limit, nesting is limited by depth, both in the parser's recursion
// (parentheses, '!', '?:') and in the tree (operator chains), and the limit is not off by
// much: kMaxPluralExprDepth - 10 levels still parse and evaluate.
TEST(PluralForms, NestingDeeperThanTheLimitIsAnError) {
  const size_t kOver = kMaxPluralExprDepth + 1;
  for (const std::string& expr :
       {repeat("(", kOver) + "n" + repeat(")", kOver), repeat("!", kOver) + "n",
        "n" + repeat("+n", kOver), repeat("n ? ", kOver) + "1" + repeat(" : 0", kOver)}) {
    ASSERT_LE(expr.size(), kMaxPluralExprBytes);
    std::string msg = error_of("nplurals=2; plural=" + expr + ";");
    EXPECT_NE(msg.find("nests deeper than 100"), std::string::npos) << msg;
  }
  const size_t kOk = kMaxPluralExprDepth - 10;
  EXPECT_EQ(PluralExpr::parse(repeat("(", kOk) + "n != 1" + repeat(")", kOk)).eval(1), 0u);
  EXPECT_EQ(PluralExpr::parse(repeat("!", kOk) + "n").eval(0), kOk % 2 ? 1u : 0u);
  EXPECT_EQ(PluralExpr::parse("n" + repeat("+n", kOk)).eval(2), 2u * (kOk + 1));
  // A failed parse leaves nothing behind: the next one works.
  EXPECT_EQ(PluralExpr::parse("n % 10 == 1").eval(21), 1u);
}

// nplurals once went through a signed int that overflowed (undefined behaviour).
TEST(PluralForms, NpluralsOutOfRangeIsAnError) {
  for (const char* h : {"nplurals=99999999999; plural=n != 1;",
                        "nplurals=99999999999999999999999999; plural=n != 1;",
                        "nplurals=1001; plural=0;", "nplurals=0; plural=0;"}) {
    std::string msg = error_of(h);
    EXPECT_NE(msg.find("out of range 1..1000"), std::string::npos) << h << ": " << msg;
  }
  EXPECT_EQ(parse_plural_forms("nplurals=1000; plural=n;").nplurals, 1000);
  EXPECT_EQ(parse_plural_forms("nplurals=1000; plural=n;").singular_index(), 1);
}

}  // namespace
}  // namespace moemt::corpus
