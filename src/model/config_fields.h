// The one list of architecture settings. Each row names a field of ModelConfig or MoeConfig,
// its key (the config.yml key and the `moemt train` flag), its range and its help text; its
// default is the field's initializer. config.yml (model/config.cc) and the flags, -c keys,
// --dump-config and --help of `moemt train` (cli/model_options.cc) are generated from it.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "core/range.h"
#include "model/config.h"

namespace moemt::model {

// How a row reaches `moemt train` and config.yml (bits).
enum FieldFlags : unsigned {
  kFlag = 0,
  // Not a flag: filled in from the data (vocabulary, languages) or derived from another option.
  kDerived = 1,
  // MoE rows: besides --moe-KEY (both stacks), --moe-enc-KEY / --moe-dec-KEY override it for
  // one stack.
  kPerStack = 2,
  // config.yml holds it only for type lstm, so a Transformer's config.yml keeps its keys.
  kLstmOnly = 4,
  // config.yml omits it at its default (T{}): absent `type` = transformer, absent MoE layer
  // lists = "use every", as before those keys existed.
  kOmitDefault = 8,
  // The flag also takes 0 (its default), meaning "chosen from the data" (MoE groups: one per
  // language group); config.yml holds the number chosen.
  kZeroIsAuto = 16,
};

// The range of a row whose values are not numbers.
struct NoRange {};

// One row. T is the field's type; E the element type of a numeric range (the element of a
// list). Enums carry their name <-> value functions; everything else is written as is.
template <typename T, typename E = T>
struct Field {
  const char* key;
  T& ref;
  const char* help;
  std::conditional_t<std::is_arithmetic_v<E>, Range<E>, NoRange> range{};  // numbers, lists
  unsigned flags = kFlag;
  const char* (*to_name)(T) = nullptr;           // enums only
  T (*from_name)(const std::string&) = nullptr;  // enums only
  bool has(unsigned f) const { return (flags & f) != 0; }
};

template <typename T>
constexpr bool kIsRangedNumber = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

// A number in a range, a switch or text, an enum, a list of numbers.
template <typename T>
Field<T> field(const char* key, T& ref, Range<T> range, const char* help, unsigned flags = kFlag) {
  static_assert(kIsRangedNumber<T>);
  return {key, ref, help, range, flags};
}
template <typename T>
Field<T> field(const char* key, T& ref, const char* help, unsigned flags = kFlag) {
  static_assert(!kIsRangedNumber<T> && !std::is_enum_v<T>);
  return {key, ref, help, {}, flags};
}
template <typename T>
Field<T> choice(const char* key, T& ref, const char* (*to_name)(T),
                T (*from_name)(const std::string&), const char* help, unsigned flags = kFlag) {
  static_assert(std::is_enum_v<T>);
  return {key, ref, help, {}, flags, to_name, from_name};
}
inline Field<std::vector<int>, int> int_list(const char* key, std::vector<int>& ref,
                                             Range<int> range, const char* help) {
  return {key, ref, help, range, kOmitDefault};
}

// Calls v(row) for each top-level key of config.yml, in file order. The `moe` switch and the
// `moe-*` keys are listed under "Mixture of experts" in --help.
template <typename Visitor>
void visit_model_fields(ModelConfig& c, Visitor&& v) {
  // clang-format off
  v(choice("type", c.type, model_type_name, model_type_from_name, "model: transformer or lstm (GNMT-style LSTM encoder-decoder)", kOmitDefault));
  v(field("vocab-size", c.vocab_size, kVocabSizeRange, "pieces of the vocabulary (from the sentencepiece model)", kDerived));
  v(field("dim-emb", c.d_model, kDimEmbRange, "model width"));
  v(field("transformer-heads", c.heads, kHeadsRange, "attention heads"));
  v(field("transformer-dim-ffn", c.ffn_dim, kDimFfnRange, "feed-forward width"));
  v(field("enc-depth", c.enc_layers, kDepthRange, "encoder layers"));
  v(field("dec-depth", c.dec_layers, kDepthRange, "decoder layers"));
  v(field("transformer-dropout", c.dropout, kDropoutRange, "residual/embedding dropout"));
  v(field("transformer-dropout-attention", c.attention_dropout, kDropoutRange, "attention-probability dropout"));
  v(choice("transformer-ffn-activation", c.activation, ops::activation_name, ops::activation_from_name, "relu, gelu or gelu_erf"));
  v(field("tied-embeddings-all", c.tied_embeddings, "share source, target and output embeddings"));
  v(field("max-length", c.max_length, kMaxLengthRange, "longest sequence (from --max-length; 0 there = 1024)", kDerived));
  v(field("languages", c.languages, "languages in id order (from the data)", kDerived));
  v(field("language-groups", c.language_groups, "group of each language (from the data)", kDerived));
  v(field("moe", c.use_moe, "use mixture-of-experts feed-forward layers"));
  v(int_list("moe-enc-layers", c.moe_enc_layers, {0, kDepthRange.hi}, "explicit encoder MoE layers, 0-based (replaces --moe-every; lstm: after LSTM layer i)"));
  v(int_list("moe-dec-layers", c.moe_dec_layers, {0, kDepthRange.hi}, "explicit decoder MoE layers, 0-based (replaces --moe-every; lstm: after LSTM layer i)"));
  v(field("dim-rnn", c.dim_rnn, kDimRnnRange, "LSTM hidden size (type lstm)", kLstmOnly));
  v(choice("enc-type", c.enc_type, encoder_type_name, encoder_type_from_name, "LSTM encoder: bidirectional (first layer) or unidirectional", kLstmOnly));
  v(field("enc-cell", c.enc_cell, "encoder cell (type lstm): lstm", kLstmOnly));
  v(field("dec-cell", c.dec_cell, "decoder cell (type lstm): lstm", kLstmOnly));
  v(field("dropout-rnn", c.dropout_rnn, kDropoutRange, "variational dropout on LSTM inputs and states (type lstm)", kLstmOnly));
  v(field("skip", c.skip, "LSTM residual connections from the second layer on (type lstm)", kLstmOnly));
  v(field("enc-cell-depth", c.enc_cell_depth, kCellDepthRange, "LSTM cells per encoder layer: deep transition (type lstm)", kLstmOnly));
  v(field("dec-cell-depth", c.dec_cell_depth, kCellDepthRange, "LSTM cells per decoder layer: deep transition (type lstm)", kLstmOnly));
  // clang-format on
}

// Calls v(row) for each key of one stack's map under `moe-settings` in config.yml; the flag
// is --moe-KEY.
template <typename Visitor>
void visit_moe_fields(moe::MoeConfig& m, Visitor&& v) {
  using namespace moe;  // NOLINT: the ranges
  // clang-format off
  v(field("every", m.every, kEveryRange, "every Nth layer is MoE (both stacks)", kPerStack));
  v(field("experts", m.num_experts, kExpertsRange, "experts per MoE layer"));
  v(field("top-k", m.top_k, kTopKRange, "experts per token (1 = Switch, 2 = GShard)"));
  v(field("expert-dim-ffn", m.expert_d_ff, kExpertDimFfnRange, "expert width (0 = --transformer-dim-ffn)"));
  v(field("renormalize", m.renormalize, "renormalise the kept top-k gates"));
  v(field("noisy-gating", m.noisy_gating, "noisy top-k gating (Shazeer et al. 2017)"));
  v(field("noise-scale", m.noise_scale, kCoefficientRange, "scale of the gating noise"));
  v(field("router-init-std", m.router_init_std, kRouterInitStdRange, "standard deviation of the router's initial weights"));
  v(field("importance-loss", m.importance_loss_coef, kCoefficientRange, "importance loss coefficient"));
  v(field("load-loss", m.load_loss_coef, kCoefficientRange, "load loss coefficient (needs noisy gating)"));
  v(field("switch-loss", m.switch_loss_coef, kCoefficientRange, "Switch/GShard auxiliary loss coefficient"));
  v(field("z-loss", m.z_loss_coef, kCoefficientRange, "router z-loss coefficient"));
  v(field("capacity-factor", m.capacity_factor_train, kCapacityFactorRange, "capacity factor in training (0 = dropless)"));
  v(field("capacity-factor-eval", m.capacity_factor_eval, kCapacityFactorRange, "capacity factor for the validation loss (0 = dropless)"));
  v(field("min-capacity", m.min_capacity, kMinCapacityRange, "minimum slots per expert"));
  v(field("shared-experts", m.num_shared_experts, kSharedExpertsRange, "always-on shared experts"));
  v(field("shared-dim-ffn", m.shared_d_ff, kExpertDimFfnRange, "shared expert width (0 = the routed experts' width)"));
  v(choice("group-by", m.group_by, group_by_name, group_by_from_name, "hierarchical routing: none, src, tgt or learned", kPerStack));
  v(field("groups", m.num_groups, kGroupsRange, "expert groups (0 = one per language group)", kZeroIsAuto));
  // clang-format on
}

}  // namespace moemt::model
