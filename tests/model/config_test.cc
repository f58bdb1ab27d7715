// ModelConfig YAML round trip and strictness about unknown keys.
#include "model/config.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace moemt::model {

TEST(ModelConfig, YamlRoundTrip) {
  ModelConfig c;
  c.vocab_size = 8000;
  c.languages = {"eng_Latn", "deu_Latn"};
  c.language_groups = {"Germanic", "Germanic"};
  c.use_moe = true;
  c.moe.encoder.num_experts = 4;
  c.moe.decoder.top_k = 1;
  c.moe.decoder.group_by = moe::GroupBy::tgt_family;
  c.moe.decoder.num_groups = 2;
  c.activation = ops::Activation::gelu;
  std::string y = to_yaml(c);
  ModelConfig d = model_config_from_yaml(y, "config.yml");
  EXPECT_EQ(to_yaml(d), y);
  EXPECT_EQ(d.moe.encoder.num_experts, 4);
  EXPECT_EQ(d.moe.decoder.top_k, 1);
  EXPECT_EQ(d.moe.decoder.group_by, moe::GroupBy::tgt_family);
  EXPECT_EQ(d.activation, ops::Activation::gelu);
  EXPECT_EQ(d.lang_id("deu_Latn"), 1);
  EXPECT_EQ(d.lang_id("fra_Latn"), -1);
}

TEST(ModelConfig, UnknownKeyNamesFileAndLine) {
  std::string y = "vocab-size: 100\nlanguages: [eng_Latn]\ndim-embb: 64\n";
  try {
    model_config_from_yaml(y, "m/config.yml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "m/config.yml:3: unknown model option 'dim-embb'");
  }
  EXPECT_THROW(model_config_from_yaml("vocab-size: 100\nlanguages: [x]\ndim-emb: 30\ntransformer-heads: 4\n",
                                      "c.yml"),
               Error);
  EXPECT_THROW(model_config_from_yaml("vocab-size: [1, 2]\n", "c.yml"), Error);
}

}  // namespace moemt::model
