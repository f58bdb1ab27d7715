// Direction planning for `moemt eval`.
#include "report/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <random>
#include <set>

#include "core/error.h"
#include "core/log.h"

namespace moemt::report {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::string kind_name(DirectionKind k) {
  switch (k) {
    case DirectionKind::kEnX:
      return "en-x";
    case DirectionKind::kXEn:
      return "x-en";
    case DirectionKind::kXY:
      return "x-y";
  }
  return "?";
}

DirectionSpec parse_direction_spec(const std::string& text, const data::LanguageRegistry& reg) {
  DirectionSpec spec;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item =
        trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) continue;
    std::string low = item;
    std::transform(low.begin(), low.end(), low.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (low == "en-x") {
      spec.en_x = true;
      continue;
    }
    if (low == "x-en") {
      spec.x_en = true;
      continue;
    }
    if (low == "x-y") {
      spec.x_y = true;
      continue;
    }
    if (low == "all") {
      spec.en_x = spec.x_en = spec.x_y = true;
      continue;
    }
    size_t dash = item.find('-');
    const data::Language* a = nullptr;
    const data::Language* b = nullptr;
    if (dash != std::string::npos && item.find('-', dash + 1) == std::string::npos) {
      a = reg.find(item.substr(0, dash));
      b = reg.find(item.substr(dash + 1));
    }
    if (!a || !b)
      throw Error(
          "--directions: unknown entry '{}' (use en-x, x-en, x-y, all, or a pair SRC-TGT of "
          "language codes such as de-fr or deu_Latn-fra_Latn)",
          item);
    if (a->flores == b->flores)
      throw Error("--directions: '{}' translates a language into itself", item);
    spec.pairs.emplace_back(a->flores, b->flores);
  }
  if (!spec.en_x && !spec.x_en && !spec.x_y && spec.pairs.empty())
    throw Error("--directions is empty (use en-x, x-en, x-y, all, or SRC-TGT pairs)");
  return spec;
}

std::vector<Direction> plan_directions(const DirectionSpec& spec,
                                       const std::vector<std::string>& model_langs,
                                       const std::vector<std::string>& set_langs, int xy_sample,
                                       uint64_t seed) {
  std::vector<std::string> common;  // model order
  std::vector<std::string> not_in_set;
  for (const auto& l : model_langs) (contains(set_langs, l) ? common : not_in_set).push_back(l);
  const bool pivot_ok = contains(common, kPivot);
  if ((spec.en_x || spec.x_en) && !pivot_ok)
    throw Error("en-x/x-en need {} in the model and the set (model: {}; set: {})", kPivot,
                fmt::join(model_langs, " "), fmt::join(set_langs, " "));
  std::vector<std::string> others;
  for (const auto& l : common)
    if (l != kPivot) others.push_back(l);
  if ((spec.en_x || spec.x_en || spec.x_y) && others.empty())
    throw Error("the model and the set share no language besides English (model: {}; set: {})",
                fmt::join(model_langs, " "), fmt::join(set_langs, " "));
  if ((spec.en_x || spec.x_en || spec.x_y) && !not_in_set.empty())
    log::warn("the set has no file for the model's language(s) {}; skipped",
              fmt::join(not_in_set, " "));

  std::vector<Direction> out;
  if (spec.en_x)
    for (const auto& l : others) out.push_back({kPivot, l, DirectionKind::kEnX});
  if (spec.x_en)
    for (const auto& l : others) out.push_back({l, kPivot, DirectionKind::kXEn});
  if (spec.x_y) {
    std::vector<Direction> xy;
    for (const auto& a : others)
      for (const auto& b : others)
        if (a != b) xy.push_back({a, b, DirectionKind::kXY});
    if (xy_sample > 0 && static_cast<size_t>(xy_sample) < xy.size()) {
      // Partial Fisher-Yates with mt19937_64 (its output is fixed by the standard) and a plain
      // modulo, so the same seed draws the same pairs with any standard library.
      std::mt19937_64 rng(seed);
      for (size_t i = 0; i < static_cast<size_t>(xy_sample); ++i) {
        size_t j = i + static_cast<size_t>(rng() % (xy.size() - i));
        std::swap(xy[i], xy[j]);
      }
      xy.resize(xy_sample);
      std::sort(xy.begin(), xy.end(), [](const Direction& x, const Direction& y) {
        return std::tie(x.src, x.tgt) < std::tie(y.src, y.tgt);
      });
    }
    out.insert(out.end(), xy.begin(), xy.end());
  }
  std::vector<std::string> missing;
  for (const auto& [s, t] : spec.pairs)
    for (const auto* l : {&s, &t}) {
      if (!contains(model_langs, *l) && !contains(missing, *l + " (model)"))
        missing.push_back(*l + " (model)");
      if (!contains(set_langs, *l) && !contains(missing, *l + " (set)"))
        missing.push_back(*l + " (set)");
    }
  if (!missing.empty())
    throw Error(
        "--directions names languages missing from the model or the set: {} (model: {}; set: {})",
        fmt::join(missing, ", "), fmt::join(model_langs, " "), fmt::join(set_langs, " "));
  for (const auto& [s, t] : spec.pairs) {
    bool dup = std::any_of(out.begin(), out.end(),
                           [&](const Direction& d) { return d.src == s && d.tgt == t; });
    // An explicit pair counts in the average of the family it belongs to.
    DirectionKind k = s == kPivot   ? DirectionKind::kEnX
                      : t == kPivot ? DirectionKind::kXEn
                                    : DirectionKind::kXY;
    if (!dup) out.push_back({s, t, k});
  }
  return out;
}

std::string bleu_tokenizer_for(const std::string& tgt, const data::LanguageRegistry& reg) {
  const data::Language* l = reg.find(tgt);
  std::string iso = l ? l->iso1 : tgt;
  return iso == "ja" || iso == "zh" || iso == "ko" ? "char" : "13a";
}

}  // namespace moemt::report
