// Held-out selection: prose preference, order independence, no near-duplicates, shrinking.
#include "corpus/splits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace moemt::corpus {
namespace {

TEST(Splits, ProseTiers) {
  EXPECT_EQ(prose_tier("The file could not be opened."), 0);
  EXPECT_EQ(prose_tier("Do you want to save the changes?"), 0);
  EXPECT_EQ(prose_tier("Open recent files"), 1);
  EXPECT_EQ(prose_tier("Save the file as..."), 1);  // menu item, not a sentence
  EXPECT_EQ(prose_tier("Could not open %s."), 2);
  EXPECT_EQ(prose_tier("Show <b>all</b> items now."), 2);
  EXPECT_EQ(prose_tier("Open"), 2);
}

TEST(Splits, HeldoutKeyIgnoresCaseAndPunctuation) {
  EXPECT_EQ(heldout_key("Open the file."), heldout_key("open the FILE"));
  EXPECT_EQ(heldout_key("Größe ändern!"), heldout_key("größe Ändern"));
  EXPECT_NE(heldout_key("Open the file"), heldout_key("Open the files"));
}

TEST(Splits, Fnv1aKnownValues) {
  // Reference values of 64-bit FNV-1a (offset basis 0xcbf29ce484222325).
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

std::vector<std::string> make_candidates() {
  std::vector<std::string> v;
  for (int i = 0; i < 300; ++i)
    v.push_back("The message number " + std::to_string(i) + " is shown here.");
  for (int i = 0; i < 100; ++i) v.push_back("menu entry " + std::to_string(i) + " label");
  for (int i = 0; i < 50; ++i)
    v.push_back("the message number " + std::to_string(i) + " is shown here");
  v.push_back("Skip %s here now.");
  return v;
}

TEST(Splits, DeterministicAndOrderIndependent) {
  auto c = make_candidates();
  SplitOptions opt{40, 60};
  HeldOut a = select_heldout(c, opt);
  std::mt19937 rng(7);
  std::shuffle(c.begin(), c.end(), rng);
  HeldOut b = select_heldout(c, opt);
  EXPECT_EQ(a.dev, b.dev);
  EXPECT_EQ(a.devtest, b.devtest);
  EXPECT_EQ(a.dev.size(), 40u);
  EXPECT_EQ(a.devtest.size(), 60u);
  EXPECT_EQ(a.prose_candidates, 300u);
  // Prose sentences are preferred: all 100 picks are prose.
  for (const auto* v : {&a.dev, &a.devtest})
    for (const auto& s : *v) EXPECT_EQ(prose_tier(s), 0) << s;
  std::set<std::string> keys;
  for (const auto* v : {&a.dev, &a.devtest})
    for (const auto& s : *v)
      EXPECT_TRUE(keys.insert(heldout_key(s)).second) << "near-duplicate " << s;
}

TEST(Splits, ShrinksWhenShort) {
  std::vector<std::string> c;
  for (int i = 0; i < 30; ++i) c.push_back("Sentence number " + std::to_string(i) + " is fine.");
  HeldOut h = select_heldout(c, SplitOptions{50, 50});
  EXPECT_TRUE(h.shrunk);
  EXPECT_EQ(h.candidates, 30u);
  EXPECT_EQ(h.dev.size() + h.devtest.size(), 30u);
  EXPECT_GE(h.dev.size(), 14u);
  EXPECT_GE(h.devtest.size(), 14u);
}

}  // namespace
}  // namespace moemt::corpus
