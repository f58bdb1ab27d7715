// ModelConfig: the architecture of a Seq2Seq model (Transformer encoder-decoder with optional
// MoE feed-forward blocks), stored as config.yml in every checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "moe/config.h"
#include "ops/activation.h"

namespace moemt::model {

struct ModelConfig {
  int64_t vocab_size = 0;  // from the sentencepiece model
  int64_t d_model = 256;   // --dim-emb
  int heads = 4;           // --transformer-heads
  int64_t ffn_dim = 1024;  // --transformer-dim-ffn
  int enc_layers = 3;      // --enc-depth
  int dec_layers = 3;      // --dec-depth
  float dropout = 0.1f;            // --transformer-dropout (residual and FFN)
  float attention_dropout = 0.0f;  // --transformer-dropout-attention
  ops::Activation activation = ops::Activation::relu;  // --transformer-ffn-activation
  bool tied_embeddings = true;  // --tied-embeddings-all: source, target and output share one matrix
  int max_length = 256;         // longest sequence the model is trained or asked to decode
  // Languages in id order: ids are what Ctx::src_lang/tgt_lang and MoE lang_to_group use.
  std::vector<std::string> languages;
  // Family (or recipe group) of each language, parallel to `languages`; drives hierarchical
  // routing by family.
  std::vector<std::string> language_groups;
  moe::MoeModelConfig moe;
  bool use_moe = false;  // false: every FFN is dense

  // Throws Error naming the field for invalid values.
  void validate() const;
  // The MoE settings of stack 0 (encoder) or 1 (decoder), with lang_to_group filled in from
  // language_groups for routing by family (group ids in order of first appearance, modulo
  // the configured number of groups).
  moe::MoeConfig moe_for_stack(int stack) const;
  int lang_id(const std::string& code) const;  // -1 if the model does not know it
};

// YAML (de)serialisation with the same key names as the CLI flags. Unknown keys are errors
// naming `path` and the line (a typo must not silently change the architecture).
std::string to_yaml(const ModelConfig& c);
ModelConfig model_config_from_yaml(const std::string& text, const std::string& path);

}  // namespace moemt::model
