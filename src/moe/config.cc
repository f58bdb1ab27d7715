// MoeConfig validation and enum names.
#include "moe/config.h"


#include "core/error.h"

namespace moemt::moe {

GroupBy group_by_from_name(const std::string& name) {
  if (name == "none") return GroupBy::none;
  if (name == "src" || name == "src_family") return GroupBy::src_family;
  if (name == "tgt" || name == "tgt_family") return GroupBy::tgt_family;
  if (name == "learned") return GroupBy::learned;
  throw Error("unknown MoE group_by '{}' (expected none, src, tgt or learned)", name);
}

const char* group_by_name(GroupBy g) {
  switch (g) {
    case GroupBy::none:
      return "none";
    case GroupBy::src_family:
      return "src";
    case GroupBy::tgt_family:
      return "tgt";
    case GroupBy::learned:
      return "learned";
  }
  return "?";
}

void MoeConfig::validate(const std::string& w) const {
  const std::string p = w + ".";
  kEveryRange.check(p + "every", every);
  if (every == 0) return;  // no MoE layers in this stack: nothing else matters
  kExpertsRange.check(p + "num_experts", num_experts);
  kGroupsRange.check(p + "num_groups", num_groups);
  if (num_experts % num_groups != 0)
    throw Error("{}.num_experts ({}) must be a multiple of num_groups ({})", w, num_experts,
                num_groups);
  if (top_k < 1 || top_k > experts_per_group())
    throw Error("{}.top_k must be in [1, experts per group = {}], got {}", w, experts_per_group(),
                top_k);
  kExpertDimFfnRange.check(p + "expert_d_ff", expert_d_ff);
  kExpertDimFfnRange.check(p + "shared_d_ff", shared_d_ff);
  kSharedExpertsRange.check(p + "num_shared_experts", num_shared_experts);
  kCoefficientRange.check(p + "noise_scale", noise_scale);
  kRouterInitStdRange.check(p + "router_init_std", router_init_std);
  kCoefficientRange.check(p + "importance_loss_coef", importance_loss_coef);
  kCoefficientRange.check(p + "load_loss_coef", load_loss_coef);
  kCoefficientRange.check(p + "switch_loss_coef", switch_loss_coef);
  kCoefficientRange.check(p + "z_loss_coef", z_loss_coef);
  kCapacityFactorRange.check(p + "capacity_factor_train", capacity_factor_train);
  kCapacityFactorRange.check(p + "capacity_factor_eval", capacity_factor_eval);
  kMinCapacityRange.check(p + "min_capacity", min_capacity);
  if (load_loss_coef > 0.f && !(noisy_gating && noise_scale > 0.f))
    throw Error(
        "{}.load_loss_coef > 0 needs noisy_gating with noise_scale > 0 (the load "
        "estimator is a probability under the gating noise)",
        w);
  switch (group_by) {
    case GroupBy::none:
      if (num_groups != 1)
        throw Error("{}.num_groups is {} but group_by is none; set group_by (src, tgt, learned)", w,
                    num_groups);
      break;
    case GroupBy::learned:
      if (num_groups < 2) throw Error("{}: group_by learned needs num_groups >= 2", w);
      break;
    case GroupBy::src_family:
    case GroupBy::tgt_family:
      if (lang_to_group.empty())
        throw Error("{}: group_by {} needs a language -> group map (language families)", w,
                    group_by_name(group_by));
      for (size_t i = 0; i < lang_to_group.size(); ++i)
        if (lang_to_group[i] < 0 || lang_to_group[i] >= num_groups)
          throw Error("{}: language {} maps to group {}, outside [0, num_groups = {})", w, i,
                      lang_to_group[i], num_groups);
      break;
  }
}

}  // namespace moemt::moe
