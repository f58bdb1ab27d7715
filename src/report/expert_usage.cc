// Expert-usage tables and heatmaps from RoutingStats sums.
#include "report/expert_usage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <tuple>

namespace moemt::report {

namespace {

struct Row {
  std::string label;
  int64_t tokens = 0;
  std::vector<double> shares;
};

std::string lang_label(int32_t id, const std::vector<std::string>& names) {
  return id >= 0 && id < static_cast<int32_t>(names.size()) ? names[id] : fmt::format("lang {}", id);
}

// The "all" row first, then one row per language, for one layer.
std::vector<Row> rows_of(const moe::LayerRoutingSums& s, const std::vector<std::string>& names) {
  const int64_t k = std::max(1, s.k);
  std::vector<Row> rows;
  rows.push_back({"all", s.tokens, expert_shares(s.routed)});
  for (const auto& [lang, routed] : s.lang_routed) {
    const int64_t slots = std::accumulate(routed.begin(), routed.end(), int64_t{0});
    rows.push_back({lang_label(lang, names), slots / k, expert_shares(routed)});
  }
  return rows;
}

// Encoder layers first, then decoder layers, each in layer order ("layers.10" after
// "layers.9", which a name sort would not give).
std::vector<std::pair<std::string, const moe::LayerRoutingSums*>> ordered(
    const moe::RoutingStats& stats) {
  auto key = [](const std::string& name) {
    const int stack = name.rfind("encoder", 0) == 0 ? 0 : name.rfind("decoder", 0) == 0 ? 1 : 2;
    long layer = -1;
    const auto at = name.find("layers.");
    if (at != std::string::npos) layer = std::strtol(name.c_str() + at + 7, nullptr, 10);
    return std::make_tuple(stack, layer, name);
  };
  std::vector<std::pair<std::string, const moe::LayerRoutingSums*>> out;
  for (const auto& [name, s] : stats.layers()) out.push_back({name, &s});
  std::sort(out.begin(), out.end(),
            [&](const auto& a, const auto& b) { return key(a.first) < key(b.first); });
  return out;
}

const char* grouping(const std::string& layer) {
  return layer.rfind("encoder", 0) == 0 ? "by source language" : "by target language";
}

// One line of balance figures, taken from the training log's derived figures
// (RoutingStats::to_json) so both always agree.
std::string figures(const moe::LayerRoutingSums& s, const nlohmann::json& derived) {
  const auto dead = derived.at("dead_experts").get<std::vector<int>>();
  return fmt::format(
      "{} experts, top-{}; {} tokens; load CV {:.3f}; dropped {:.1f} %; router entropy {:.2f} of "
      "{:.2f} nats; dead experts: {}",
      s.num_experts, s.k, s.tokens, derived.at("load_cv").get<double>(),
      100.0 * derived.at("drop_fraction").get<double>(),
      derived.at("router_entropy").get<double>(),
      s.num_experts > 1 ? std::log(static_cast<double>(s.num_experts)) : 0.0,
      dead.empty() ? std::string("none") : fmt::format("{}", fmt::join(dead, ", ")));
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<double> expert_shares(const std::vector<int64_t>& routed) {
  const int64_t total = std::accumulate(routed.begin(), routed.end(), int64_t{0});
  std::vector<double> out(routed.size(), 0.0);
  if (total > 0)
    for (size_t i = 0; i < routed.size(); ++i)
      out[i] = static_cast<double>(routed[i]) / static_cast<double>(total);
  return out;
}

std::string expert_usage_markdown(const moe::RoutingStats& stats,
                                  const std::vector<std::string>& lang_names) {
  const nlohmann::json derived = stats.to_json(lang_names);
  std::string md = "## Expert usage\n\nShare of each language's routed slots per expert, in %.\n";
  for (const auto& [name, sums] : ordered(stats)) {
    const moe::LayerRoutingSums& s = *sums;
    md += fmt::format("\n### {} ({})\n\n{}\n\n| language | tokens |", name, grouping(name),
                      figures(s, derived.at(name)));
    for (int e = 0; e < s.num_experts; ++e) md += fmt::format(" e{} |", e);
    md += "\n| --- | ---: |";
    for (int e = 0; e < s.num_experts; ++e) md += " ---: |";
    md += "\n";
    for (const Row& r : rows_of(s, lang_names)) {
      md += fmt::format("| {} | {} |", r.label, r.tokens);
      for (double v : r.shares) md += fmt::format(" {:.1f} |", 100.0 * v);
      md += "\n";
    }
  }
  return md;
}

std::string expert_usage_html(const moe::RoutingStats& stats,
                              const std::vector<std::string>& lang_names,
                              const std::string& title) {
  std::string h = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>\n"
      "body {{ font-family: sans-serif; margin: 2em; }}\n"
      "table {{ border-collapse: collapse; margin-bottom: 2em; }}\n"
      "td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; "
      "font-size: 12px; }}\n"
      "th.lang, td.lang {{ text-align: left; }}\n"
      "</style></head><body>\n<h1>{0}</h1>\n<p>Each cell: the share of that language's routed "
      "slots that went to the expert, in %. Shading is relative to an even split: a cell at "
      "1/E is mid blue, at 2/E or more full blue.</p>\n",
      html_escape(title));
  const nlohmann::json derived = stats.to_json(lang_names);
  for (const auto& [name, sums] : ordered(stats)) {
    const moe::LayerRoutingSums& s = *sums;
    h += fmt::format("<h2>{} ({})</h2>\n<p>{}</p>\n<table>\n<tr><th class=\"lang\">language</th>"
                     "<th>tokens</th>",
                     html_escape(name), grouping(name), html_escape(figures(s, derived.at(name))));
    for (int e = 0; e < s.num_experts; ++e) h += fmt::format("<th>e{}</th>", e);
    h += "</tr>\n";
    const double even = s.num_experts > 0 ? 1.0 / s.num_experts : 1.0;
    for (const Row& r : rows_of(s, lang_names)) {
      h += fmt::format("<tr><td class=\"lang\">{}</td><td>{}</td>", html_escape(r.label),
                       r.tokens);
      for (double v : r.shares) {
        const double a = std::min(1.0, v / (2.0 * even));
        h += fmt::format(
            "<td style=\"background: rgba(31, 90, 180, {:.3f}); color: {}\">{:.1f}</td>", a,
            a > 0.6 ? "#fff" : "#000", 100.0 * v);
      }
      h += "</tr>\n";
    }
    h += "</table>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace moemt::report
