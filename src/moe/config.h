// MoeConfig: every knob of a sparse mixture-of-experts feed-forward block (routing, noise,
// balancing losses, capacity, shared experts, hierarchical groups), with defaults and checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/range.h"

namespace moemt::moe {

// Ranges of the MoE settings, shared by `moemt train` (flags, --help) and config.yml. Switch-C
// has 2048 experts per layer and DeepSeek-V3 routes 8 of 256; these leave room above both.
inline constexpr Range<int> kEveryRange{0, 1024};
inline constexpr Range<int> kExpertsRange{1, 4096};
inline constexpr Range<int> kTopKRange{1, 256};
inline constexpr Range<int64_t> kExpertDimFfnRange{0, 1 << 20};  // 0 = the model's d_ff
inline constexpr Range<int> kSharedExpertsRange{0, 64};
inline constexpr Range<int> kGroupsRange{1, 4096};
inline constexpr Range<int64_t> kMinCapacityRange{0, 1 << 20};
// Loss coefficients and the gating noise scale: typical values are 1e-3..1.
inline constexpr Range<float> kCoefficientRange{0.f, 100.f};
// Standard deviation of the router's initial weights (0.02 by default; 0 = uniform routing).
inline constexpr Range<float> kRouterInitStdRange{0.f, 100.f};
// Capacity factor 0 = dropless; a factor at or above the number of experts never drops.
inline constexpr Range<float> kCapacityFactorRange{0.f, 4096.f};

// How level 1 of hierarchical routing picks a token's expert group.
enum class GroupBy : uint8_t {
  none,        // one group holding all experts (flat routing)
  src_family,  // group = lang_to_group[source language of the token's sentence]
  tgt_family,  // group = lang_to_group[target language]
  learned,     // a learned group gate: noisy top-1 over groups (Switch-style gate value)
};
GroupBy group_by_from_name(const std::string& name);  // "none", "src", "tgt", "learned"; Error
const char* group_by_name(GroupBy g);

// One stack's MoE settings (encoder and decoder each have one, see MoeModelConfig).
struct MoeConfig {
  // Which layers: layer i (0-based) of the stack is MoE when every > 0 and (i+1) % every == 0;
  // 2 = every other layer (GShard), 1 = all layers, 0 = none.
  int every = 2;

  int num_experts = 8;
  int top_k = 2;            // 1 = Switch, 2 = GShard; any k <= experts per group
  int64_t expert_d_ff = 0;  // hidden size of each expert; 0 = the model's d_ff
  // true: gates are the kept k probabilities renormalised to sum 1, which equals "softmax over
  // the kept k logits" (Shazeer et al. 2017; GShard top-2). false: the raw softmax
  // probabilities of the kept experts (Switch Transformer; with k = 1 this is the only way the
  // gate value carries gradient to the router).
  bool renormalize = true;

  // Noisy top-k gating (Shazeer et al. 2017): H = x Wg + N(0,1) * noise_scale * softplus(x Wn)
  // in training; no noise at inference.
  bool noisy_gating = false;
  float noise_scale = 1.f;
  float router_init_std = 0.02f;  // Wg ~ N(0, std); Wnoise starts at zero

  // Balancing losses, each times its coefficient (relative to a per-token mean CE loss).
  float importance_loss_coef = 0.f;  // CV^2 of per-expert summed gates (Shazeer)
  float load_loss_coef = 0.f;        // CV^2 of the smooth load estimator (needs noisy_gating)
  float switch_loss_coef = 0.01f;    // E * sum_i f_i P_i (Switch/GShard)
  float z_loss_coef = 0.001f;        // mean logsumexp(logits)^2 (ST-MoE)

  // Capacity per expert = max(min_capacity, ceil(cf * k * tokens_in_group / experts_in_group));
  // slots over it are dropped and the token keeps only its residual. 0 = dropless. Evaluation
  // defaults to dropless: with a capacity, a sentence's translation would depend on the other
  // sentences of its batch (and incremental decoding runs a few rows at a time).
  float capacity_factor_train = 1.25f;
  float capacity_factor_eval = 0.f;
  int64_t min_capacity = 4;

  // Always-on experts added to every token's output beside the routed ones.
  int num_shared_experts = 0;
  int64_t shared_d_ff = 0;  // 0 = expert hidden size

  // Hierarchical routing: num_groups equal, contiguous groups of experts (group g holds
  // experts [g*E/G, (g+1)*E/G)). lang_to_group maps a language id (registry order, as in
  // nn::Ctx::src_lang) to its group; the model fills it from the registry's families or the
  // recipe's own grouping.
  GroupBy group_by = GroupBy::none;
  int num_groups = 1;
  std::vector<int> lang_to_group;
  // Deployment sub-models (`moemt extract`): the groups whose experts this model holds, in
  // ascending order; empty = all. Experts of other groups have no parameters. Routers keep all
  // E outputs, so routing is computed as in the full model; a learned group gate then chooses
  // among the kept groups only (a token whose best group is gone takes its best kept one).
  // Routing by language never reaches a missing group (the model refuses other languages).
  std::vector<int> kept_groups;

  int experts_per_group() const { return num_groups > 0 ? num_experts / num_groups : 0; }
  // Whether expert e has parameters in this model (see kept_groups).
  bool expert_kept(int e) const;
  int num_kept_experts() const;
  bool applies_to(int layer) const { return every > 0 && (layer + 1) % every == 0; }
  // Throws moemt::Error naming `where` (e.g. "moe.encoder") and the bad field.
  void validate(const std::string& where = "moe") const;
};

// Per-stack settings: stack 0 = encoder, 1 = decoder (as nn::Ctx::stack).
struct MoeModelConfig {
  MoeConfig encoder, decoder;
  const MoeConfig& stack(int s) const { return s == 0 ? encoder : decoder; }
  void validate() const {
    encoder.validate("moe.encoder");
    decoder.validate("moe.decoder");
  }
};

}  // namespace moemt::moe
