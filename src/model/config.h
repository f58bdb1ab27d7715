// ModelConfig: the architecture of a model (Transformer encoder-decoder, or the LSTM
// encoder-decoder of GNMT / Shazeer et al. 2017, with optional MoE layers), stored as
// config.yml in every checkpoint.
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
inline constexpr Range<int64_t> kDimRnnRange{8, 65536};
inline constexpr Range<int> kCellDepthRange{1, 64};  // LSTM cells per layer and time step

// Which Model implementation make_model() builds.
enum class ModelType : uint8_t { transformer, lstm };
ModelType model_type_from_name(const std::string& name);  // Error for unknown names
const char* model_type_name(ModelType t);

// Encoder layout of the LSTM model (Marian's --enc-type). bidirectional: the first layer is
// bidirectional, the others unidirectional (GNMT). That is Marian's bi-unidirectional, accepted
// as a synonym; Marian's bidirectional (two full-depth stacks, one per direction) is not built.
enum class EncoderType : uint8_t { bidirectional, unidirectional };
EncoderType encoder_type_from_name(const std::string& name);  // "bi-unidirectional" = bidirectional
const char* encoder_type_name(EncoderType t);

struct ModelConfig {
  ModelType type = ModelType::transformer;  // --type; config.yml without `type` = transformer
  int64_t vocab_size = 0;  // from the sentencepiece model
  int64_t d_model = 256;   // --dim-emb
  int heads = 4;           // --transformer-heads
  int64_t ffn_dim = 1024;  // --transformer-dim-ffn
  int enc_layers = 3;      // --enc-depth (LSTM: stacked layers)
  int dec_layers = 3;      // --dec-depth (LSTM: stacked layers)
  // LSTM model only (type lstm).
  int64_t dim_rnn = 256;                               // --dim-rnn: LSTM hidden size
  EncoderType enc_type = EncoderType::bidirectional;  // --enc-type
  std::string enc_cell = "lstm", dec_cell = "lstm";   // --enc-cell/--dec-cell: lstm only
  float dropout_rnn = 0.f;  // --dropout-rnn: variational dropout on LSTM inputs and states
  bool skip = false;        // --skip: residual connections from the second LSTM layer on
  int enc_cell_depth = 1;   // --enc-cell-depth: cells per encoder layer (deep transition)
  int dec_cell_depth = 1;   // --dec-cell-depth: cells per decoder layer
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
  // Explicit MoE placement per stack (--moe-enc-layers/--moe-dec-layers, 0-based): when
  // non-empty it replaces moe.<stack>.every. Transformer: layer i's FFN; LSTM: the MoE layer
  // between LSTM layers i and i+1.
  std::vector<int> moe_enc_layers, moe_dec_layers;

  // Whether slot `layer` of `stack` (0 encoder, 1 decoder) is an MoE layer; false without MoE.
  // The LSTM model has depth-1 slots (between layers); `every` places none after the last.
  bool moe_at(int stack, int layer) const;

  // Throws Error naming the field for invalid values.
  void validate() const;
  // The MoE settings of stack 0 (encoder) or 1 (decoder), with lang_to_group filled in from
  // language_groups for routing by family (group ids in order of first appearance, modulo
  // the configured number of groups).
  moe::MoeConfig moe_for_stack(int stack) const;
  int lang_id(const std::string& code) const;  // -1 if the model does not know it
  // Number of f32 parameters of the model (the sum of make_model(*this)'s parameter sizes; the
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
