// MoeConfig validation: each bad value raises moemt::Error naming the field.
#include "moe/config.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace moemt::moe {
namespace {

void expect_error(const MoeConfig& c, const std::string& needle) {
  try {
    c.validate("moe.encoder");
    FAIL() << "expected an error mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(MoeConfig, DefaultsAreValidAndLayerSelectionFollowsEvery) {
  MoeConfig c;
  EXPECT_NO_THROW(c.validate());
  EXPECT_FALSE(c.applies_to(0));
  EXPECT_TRUE(c.applies_to(1));
  EXPECT_TRUE(c.applies_to(3));
  c.every = 0;
  EXPECT_FALSE(c.applies_to(1));
}

TEST(MoeConfig, RejectsBadValues) {
  MoeConfig c;
  c.top_k = 9;
  expect_error(c, "top_k");
  c = MoeConfig();
  c.num_groups = 3;
  c.group_by = GroupBy::learned;
  expect_error(c, "multiple of num_groups");
  c = MoeConfig();
  c.num_groups = 4;
  c.group_by = GroupBy::learned;
  c.top_k = 3;  // 2 experts per group
  expect_error(c, "experts per group = 2");
  c = MoeConfig();
  c.load_loss_coef = 0.1f;
  expect_error(c, "noisy_gating");
  c = MoeConfig();
  c.capacity_factor_train = -1;
  expect_error(c, "capacity_factor_train");
  c = MoeConfig();
  c.group_by = GroupBy::src_family;
  c.num_groups = 2;
  expect_error(c, "language -> group map");
  c.lang_to_group = {0, 1, 2};
  expect_error(c, "outside");
  c.lang_to_group = {0, 1, 1};
  EXPECT_NO_THROW(c.validate());
  c = MoeConfig();
  c.num_groups = 2;
  expect_error(c, "group_by is none");
  EXPECT_EQ(group_by_from_name("tgt"), GroupBy::tgt_family);
  EXPECT_THROW(group_by_from_name("family"), Error);
}

}  // namespace
}  // namespace moemt::moe
