// RoutingStats accumulation, JSON records and console summary.
#include "moe/routing_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace moemt::moe {

double coefficient_of_variation(const std::vector<double>& v) {
  if (v.empty()) return 0.0;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  if (mean == 0) return 0.0;
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  return std::sqrt(var / v.size()) / mean;
}

void LayerRoutingSums::merge(const LayerRoutingSums& o) {
  if (num_experts == 0) {
    *this = o;
    return;
  }
  if (o.num_experts != num_experts)
    throw Error("routing statistics disagree on the number of experts ({} vs {})", num_experts,
                o.num_experts);
  calls += o.calls;
  tokens += o.tokens;
  slots += o.slots;
  dropped += o.dropped;
  entropy_sum += o.entropy_sum;
  for (int e = 0; e < num_experts; ++e) {
    routed[e] += o.routed[e];
    kept[e] += o.kept[e];
    importance[e] += o.importance[e];
  }
  for (const auto& [lang, v] : o.lang_routed) {
    auto& mine = lang_routed[lang];
    mine.resize(num_experts, 0);
    for (int e = 0; e < num_experts; ++e) mine[e] += v[e];
  }
}

void RoutingStats::record(const std::string& layer, const HostRoutingPlan& plan, double entropy_sum,
                          const std::vector<int32_t>& token_lang) {
  LayerRoutingSums& s = layers_[layer];
  const int e = plan.num_experts;
  if (s.num_experts == 0) {
    s.num_experts = e;
    s.k = plan.k;
    s.routed.assign(e, 0);
    s.kept.assign(e, 0);
    s.importance.assign(e, 0.0);
  }
  MOEMT_CHECK(s.num_experts == e, "layer {} changed expert count", layer);
  s.calls += 1;
  s.tokens += plan.valid_tokens;
  s.slots += plan.num_slots();
  s.dropped += static_cast<int64_t>(plan.dropped.size());
  s.entropy_sum += entropy_sum;
  for (int i = 0; i < e; ++i) {
    s.routed[i] += plan.demand[i];
    s.kept[i] += plan.rows_of(i);
  }
  for (int64_t t = 0; t < plan.num_tokens; ++t) {
    for (int j = 0; j < plan.k; ++j) {
      int64_t slot = t * plan.k + j;
      int32_t ex = plan.expert[slot];
      if (ex < 0) continue;
      s.importance[ex] += plan.gate[slot];
      if (!token_lang.empty() && token_lang[t] >= 0) {
        auto& row = s.lang_routed[token_lang[t]];
        if (row.empty()) row.assign(e, 0);
        row[ex] += 1;
      }
    }
  }
}

void RoutingStats::merge(const RoutingStats& other) {
  for (const auto& [name, s] : other.layers_) layers_[name].merge(s);
}

nlohmann::json RoutingStats::to_json(const std::vector<std::string>& lang_names) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, s] : layers_) {
    nlohmann::json j;
    const int e = s.num_experts;
    std::vector<double> routed(s.routed.begin(), s.routed.end());
    std::vector<int> dead;
    for (int i = 0; i < e; ++i)
      if (s.routed[i] == 0) dead.push_back(i);
    j["experts"] = e;
    j["k"] = s.k;
    j["calls"] = s.calls;
    j["tokens"] = s.tokens;
    j["tokens_per_expert"] = s.routed;
    j["processed_per_expert"] = s.kept;
    j["importance_per_expert"] = s.importance;
    j["load_cv"] = coefficient_of_variation(routed);
    j["importance_cv"] = coefficient_of_variation(s.importance);
    j["drop_fraction"] = s.slots ? static_cast<double>(s.dropped) / s.slots : 0.0;
    double h = s.tokens ? s.entropy_sum / s.tokens : 0.0;
    j["router_entropy"] = h;
    j["router_entropy_ratio"] = e > 1 ? h / std::log(static_cast<double>(e)) : 0.0;
    j["dead_experts"] = dead;
    nlohmann::json lm = nlohmann::json::object();
    for (const auto& [lang, v] : s.lang_routed) {
      std::string key = lang >= 0 && lang < static_cast<int32_t>(lang_names.size())
                            ? lang_names[lang]
                            : std::to_string(lang);
      lm[key] = v;
    }
    j["lang_expert"] = lm;
    out[name] = std::move(j);
  }
  return out;
}

nlohmann::json RoutingStats::state() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, s] : layers_) {
    nlohmann::json j;
    j["num_experts"] = s.num_experts;
    j["k"] = s.k;
    j["calls"] = s.calls;
    j["tokens"] = s.tokens;
    j["slots"] = s.slots;
    j["dropped"] = s.dropped;
    j["entropy_sum"] = s.entropy_sum;
    j["routed"] = s.routed;
    j["kept"] = s.kept;
    j["importance"] = s.importance;
    nlohmann::json lm = nlohmann::json::object();
    for (const auto& [lang, v] : s.lang_routed) lm[std::to_string(lang)] = v;
    j["lang_routed"] = lm;
    out[name] = std::move(j);
  }
  return out;
}

RoutingStats RoutingStats::from_state(const nlohmann::json& j) {
  RoutingStats r;
  try {
    for (const auto& [name, v] : j.items()) {
      LayerRoutingSums s;
      s.num_experts = v.at("num_experts").get<int>();
      s.k = v.at("k").get<int>();
      s.calls = v.at("calls").get<int64_t>();
      s.tokens = v.at("tokens").get<int64_t>();
      s.slots = v.at("slots").get<int64_t>();
      s.dropped = v.at("dropped").get<int64_t>();
      s.entropy_sum = v.at("entropy_sum").get<double>();
      s.routed = v.at("routed").get<std::vector<int64_t>>();
      s.kept = v.at("kept").get<std::vector<int64_t>>();
      s.importance = v.at("importance").get<std::vector<double>>();
      for (const auto& [lang, row] : v.at("lang_routed").items())
        s.lang_routed[std::stoi(lang)] = row.get<std::vector<int64_t>>();
      size_t e = static_cast<size_t>(s.num_experts);
      if (s.routed.size() != e || s.kept.size() != e || s.importance.size() != e)
        throw Error("routing statistics of layer '{}': vectors do not have {} experts", name, e);
      r.layers_[name] = std::move(s);
    }
  } catch (const nlohmann::json::exception& ex) {
    throw Error("malformed routing statistics in checkpoint state: {}", ex.what());
  }
  return r;
}

std::string RoutingStats::summary() const {
  std::string out;
  for (const auto& [name, s] : layers_) {
    const int e = s.num_experts;
    std::vector<double> routed(s.routed.begin(), s.routed.end());
    int dead = 0;
    for (int i = 0; i < e; ++i) dead += s.routed[i] == 0;
    auto mx = std::max_element(s.routed.begin(), s.routed.end());
    auto mn = std::min_element(s.routed.begin(), s.routed.end());
    double total = s.slots > 0 ? static_cast<double>(s.slots) : 1.0;
    double h = s.tokens ? s.entropy_sum / s.tokens : 0.0;
    out += fmt::format(
        "{}: tokens {} drop {:.1f}% load_cv {:.2f} entropy {:.2f}/{:.2f} dead {}/{} "
        "max e{} {:.1f}% min e{} {:.1f}%\n",
        name, s.tokens, 100.0 * s.dropped / total, coefficient_of_variation(routed), h,
        e > 1 ? std::log(static_cast<double>(e)) : 0.0, dead, e, mx - s.routed.begin(),
        100.0 * *mx / total, mn - s.routed.begin(), 100.0 * *mn / total);
  }
  return out;
}

}  // namespace moemt::moe
