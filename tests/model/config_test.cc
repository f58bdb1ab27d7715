// ModelConfig YAML round trip and strictness about unknown keys.
#include "model/config.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "model/seq2seq.h"

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

// A size from a hand-edited or corrupt config.yml is an error naming the file and the range,
// not an allocation that fails (or succeeds) minutes later.
TEST(ModelConfig, SizesOutOfRangeNameFileAndRange) {
  auto error = [](const std::string& y) {
    try {
      model_config_from_yaml("vocab-size: 100\nlanguages: [eng_Latn]\n" + y, "m/config.yml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("dec-depth: 100000000\n"),
            "m/config.yml: invalid model config: dec-depth: 100000000 is out of range [1, 1024]");
  EXPECT_EQ(error("dim-emb: 2000000000\n"),
            "m/config.yml: invalid model config: dim-emb: 2000000000 is out of range [8, 65536]");
  EXPECT_EQ(error("transformer-dropout: .nan\n"),
            "m/config.yml: invalid model config: transformer-dropout: nan is not a finite number");
  EXPECT_EQ(error("moe: true\nmoe-settings:\n  encoder:\n    experts: 100000\n"),
            "m/config.yml: moe.encoder.num_experts: 100000 is out of range [1, 4096]");
  EXPECT_EQ(error("dim-emb: 64\n"), "no error");
}

// parameter_count() mirrors the layer constructors; checked against the real parameter store
// for dense, untied and every kind of MoE layer (noisy, learned groups, shared experts).
TEST(ModelConfig, ParameterCountMatchesTheBuiltModel) {
  auto base = [] {
    ModelConfig c;
    c.vocab_size = 37;
    c.d_model = 16;
    c.heads = 2;
    c.ffn_dim = 24;
    c.enc_layers = 2;
    c.dec_layers = 3;
    c.languages = {"eng_Latn", "deu_Latn"};
    c.language_groups = {"Germanic", "Germanic"};
    return c;
  };
  std::vector<ModelConfig> configs;
  configs.push_back(base());
  configs.push_back(base());
  configs.back().tied_embeddings = false;
  ModelConfig moe_cfg = base();
  moe_cfg.use_moe = true;
  moe_cfg.moe.encoder.every = 1;
  moe_cfg.moe.encoder.num_experts = 4;
  moe_cfg.moe.encoder.noisy_gating = true;
  moe_cfg.moe.encoder.expert_d_ff = 8;
  moe_cfg.moe.encoder.num_shared_experts = 1;
  moe_cfg.moe.encoder.shared_d_ff = 12;
  moe_cfg.moe.decoder.every = 2;
  moe_cfg.moe.decoder.num_experts = 4;
  moe_cfg.moe.decoder.group_by = moe::GroupBy::learned;
  moe_cfg.moe.decoder.num_groups = 2;
  moe_cfg.moe.decoder.top_k = 1;
  configs.push_back(moe_cfg);
  for (const auto& c : configs) {
    Seq2Seq m(c);
    m.finalize(Device::cpu(), 1, /*initialize=*/false);
    int64_t sum = 0;  // numel() also counts the padding that aligns each slice
    for (int i = 0; i < m.params().size(); ++i) sum += m.params().info(i).shape.numel();
    EXPECT_EQ(c.parameter_count(), sum) << to_yaml(c);
    EXPECT_EQ(training_state_bytes(c), 16 * sum);
  }
  // Sizes that no machine holds do not overflow.
  ModelConfig huge = base();
  huge.d_model = kDimEmbRange.hi;
  huge.ffn_dim = kDimFfnRange.hi;
  huge.enc_layers = huge.dec_layers = kDepthRange.hi;
  huge.vocab_size = kVocabSizeRange.hi;
  EXPECT_GT(huge.parameter_count(), int64_t{1} << 45);
  EXPECT_GT(training_state_bytes(huge), huge.parameter_count());
}

}  // namespace moemt::model
