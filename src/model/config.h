// ModelConfig: the architecture of a Seq2Seq model (Transformer encoder-decoder with optional
// MoE feed-forward blocks), stored as config.yml in every checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/range.h"
#include "moe/config.h"
#include "ops/activation.h"

namespace moemt::model {

// Ranges of the architecture settings, shared by `moemt train` (flags, --help) and the
// config.yml reader. Generous next to Marian's "big" Transformer (1024/4096, 6+6 layers) and
// to the deepest published ones (DeepNet, 1000 layers); a model near these limits exceeds any
// one machine's memory, which the memory estimate reports before anything is allocated.
inline constexpr Range<int64_t> kVocabSizeRange{1, 1 << 21};
inline constexpr Range<int64_t> kDimEmbRange{8, 65536};
inline constexpr Range<int> kHeadsRange{1, 1024};
inline constexpr Range<int64_t> kDimFfnRange{1, 1 << 20};
inline constexpr Range<int> kDepthRange{1, 1024};
inline constexpr Range<float> kDropoutRange{0.f, 0.9f};  // more drops nearly all signal
inline constexpr Range<int> kMaxLengthRange{1, 65536};   // tokens of one sequence

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
  // Number of f32 parameters of the model (the sum of Seq2Seq(*this)'s parameter sizes; the
  // flat buffers add under 16 floats of alignment each). Needs the sizes, not the languages.
  int64_t parameter_count() const;
};

// Bytes training needs at least for this model: parameters, gradients and Adam's two
// moments (4 f32 buffers of parameter_count()); activations come on top.
int64_t training_state_bytes(const ModelConfig& c);

// YAML (de)serialisation with the same key names as the CLI flags. Unknown keys are errors
// naming `path` and the line (a typo must not silently change the architecture).
std::string to_yaml(const ModelConfig& c);
ModelConfig model_config_from_yaml(const std::string& text, const std::string& path);

}  // namespace moemt::model
