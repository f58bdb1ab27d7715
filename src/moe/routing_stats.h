// RoutingStats: expert usage of every MoE layer accumulated over a logging interval — tokens
// and importance per expert, load CV, drop fraction, router entropy, dead experts and a
// language x expert usage matrix — for the JSONL log, checkpoints and a console summary.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "moe/routing_plan.h"

namespace moemt::moe {

// Raw sums for one layer (everything derived is computed when reporting).
struct LayerRoutingSums {
  int num_experts = 0;
  int k = 0;
  int64_t calls = 0;
  int64_t tokens = 0;              // valid tokens routed
  int64_t slots = 0;               // tokens * k
  int64_t dropped = 0;             // slots over capacity
  double entropy_sum = 0;          // sum over tokens of the router entropy (nats)
  std::vector<int64_t> routed;     // (E) slots routed to each expert (before capacity)
  std::vector<int64_t> kept;       // (E) slots the expert processed
  std::vector<double> importance;  // (E) summed gates
  std::map<int32_t, std::vector<int64_t>> lang_routed;  // language id -> (E) routed slots

  void merge(const LayerRoutingSums& o);
};

class RoutingStats {
 public:
  // One MoE layer call. token_lang (N) gives each row's language id (-1 unknown) or is empty.
  void record(const std::string& layer, const HostRoutingPlan& plan, double entropy_sum,
              const std::vector<int32_t>& token_lang);

  // Adds another interval's (or rank's) sums; layers match by name.
  void merge(const RoutingStats& other);
  void reset() { layers_.clear(); }
  bool empty() const { return layers_.empty(); }
  const std::map<std::string, LayerRoutingSums>& layers() const { return layers_; }

  // Log record: per layer the raw sums plus derived figures (tokens_per_expert,
  // importance_per_expert, load_cv, importance_cv, drop_fraction, router_entropy and its
  // ratio to log E, dead_experts, lang_expert as {lang: [shares]}). lang_names (by language
  // id) names the matrix rows; ids are used when it is empty.
  nlohmann::json to_json(const std::vector<std::string>& lang_names = {}) const;
  // Exact round trip of the raw sums, for checkpoints (state.json).
  nlohmann::json state() const;
  static RoutingStats from_state(const nlohmann::json& j);

  // A few readable lines: one per layer with drop %, load CV, entropy, dead experts and the
  // busiest/idlest expert shares.
  std::string summary() const;

 private:
  std::map<std::string, LayerRoutingSums> layers_;
};

// Coefficient of variation (std / mean, population) of a per-expert vector; 0 when empty.
double coefficient_of_variation(const std::vector<double>& v);

}  // namespace moemt::moe
