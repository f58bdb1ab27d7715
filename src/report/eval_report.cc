// EvalReport: averages, JSON, Markdown and comparison of two reports.
#include "report/eval_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "core/error.h"

namespace moemt::report {
namespace {

const char* kArrowEnX = "en→X";
const char* kArrowXEn = "X→en";
const char* kArrowXY = "X→Y";

const char* group_name(DirectionKind k) {
  return k == DirectionKind::kEnX ? kArrowEnX : k == DirectionKind::kXEn ? kArrowXEn : kArrowXY;
}

// The non-English side that names a direction's family: the source of X->en, else the target.
const std::string& grouped_side(const Direction& d) {
  return d.kind == DirectionKind::kXEn ? d.src : d.tgt;
}

Average mean_of(const std::string& name, const std::vector<const DirectionResult*>& rs) {
  Average a{name, static_cast<int>(rs.size()), 0, 0};
  for (const auto* r : rs) {
    a.bleu += r->bleu;
    a.chrf += r->chrf;
  }
  if (!rs.empty()) {
    a.bleu /= static_cast<double>(rs.size());
    a.chrf /= static_cast<double>(rs.size());
  }
  return a;
}

DirectionKind kind_from_name(const std::string& s, const std::string& origin) {
  if (s == "en-x") return DirectionKind::kEnX;
  if (s == "x-en") return DirectionKind::kXEn;
  if (s == "x-y") return DirectionKind::kXY;
  throw Error("{}: unknown direction kind '{}'", origin, s);
}

template <typename T>
T field(const nlohmann::json& j, const char* key, const std::string& origin) {
  if (!j.is_object() || !j.contains(key))
    throw Error("{}: not a moemt eval report (no '{}' field)", origin, key);
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error("{}: field '{}' has the wrong type", origin, key);
  }
}

}  // namespace

std::string direction_key(const Direction& d) { return d.src + "-" + d.tgt; }

std::vector<Average> averages(const EvalReport& r, const data::LanguageRegistry& reg) {
  std::vector<Average> out;
  if (r.directions.empty()) return out;
  std::vector<const DirectionResult*> all;
  for (const auto& d : r.directions) all.push_back(&d);
  out.push_back(mean_of("all", all));
  for (DirectionKind k : {DirectionKind::kEnX, DirectionKind::kXEn, DirectionKind::kXY}) {
    std::vector<const DirectionResult*> rs;
    // Family -> branch -> results, ordered by name for a stable table.
    std::map<std::string, std::map<std::string, std::vector<const DirectionResult*>>> fam;
    for (const auto& d : r.directions) {
      if (d.dir.kind != k) continue;
      rs.push_back(&d);
      const data::Language* l = reg.find(grouped_side(d.dir));
      std::string family = l ? l->family : "unknown";
      std::string branch = l ? l->branch : "unknown";
      fam[family][branch].push_back(&d);
    }
    if (rs.empty()) continue;
    out.push_back(mean_of(group_name(k), rs));
    for (const auto& [family, branches] : fam) {
      std::vector<const DirectionResult*> f;
      for (const auto& [b, v] : branches) f.insert(f.end(), v.begin(), v.end());
      // A lone family's row would repeat the group's row.
      if (fam.size() > 1) out.push_back(mean_of(fmt::format("{} · {}", group_name(k), family), f));
      if (branches.size() > 1)
        for (const auto& [b, v] : branches)
          out.push_back(mean_of(fmt::format("{} · {}/{}", group_name(k), family, b), v));
    }
  }
  return out;
}

nlohmann::json to_json(const EvalReport& r, const data::LanguageRegistry& reg) {
  nlohmann::json j;
  j["model"] = r.model_dir;
  j["set"] = r.set_dir;
  j["split"] = r.split;
  j["sentences"] = r.sentences;
  j["settings"] = r.settings;
  j["seconds"] = r.seconds;
  j["directions"] = nlohmann::json::array();
  for (const auto& d : r.directions)
    j["directions"].push_back(
        {{"src", d.dir.src},
         {"tgt", d.dir.tgt},
         {"kind", kind_name(d.dir.kind)},
         {"n", d.n},
         {"bleu", d.bleu},
         {"chrf++", d.chrf},
         {"signatures", {{"bleu", d.bleu_signature}, {"chrf++", d.chrf_signature}}},
         {"seconds", d.seconds},
         {"output_tokens", d.output_tokens}});
  j["averages"] = nlohmann::json::array();
  for (const auto& a : averages(r, reg))
    j["averages"].push_back(
        {{"name", a.name}, {"directions", a.directions}, {"bleu", a.bleu}, {"chrf++", a.chrf}});
  return j;
}

EvalReport report_from_json(const nlohmann::json& j, const std::string& origin) {
  EvalReport r;
  r.model_dir = field<std::string>(j, "model", origin);
  r.set_dir = field<std::string>(j, "set", origin);
  r.split = field<std::string>(j, "split", origin);
  r.sentences = field<int64_t>(j, "sentences", origin);
  if (j.contains("settings")) r.settings = j["settings"];
  r.seconds = field<double>(j, "seconds", origin);
  auto dirs = field<nlohmann::json>(j, "directions", origin);
  if (!dirs.is_array()) throw Error("{}: field 'directions' has the wrong type", origin);
  for (const auto& d : dirs) {
    DirectionResult x;
    x.dir.src = field<std::string>(d, "src", origin);
    x.dir.tgt = field<std::string>(d, "tgt", origin);
    x.dir.kind = kind_from_name(field<std::string>(d, "kind", origin), origin);
    x.n = field<int64_t>(d, "n", origin);
    x.bleu = field<double>(d, "bleu", origin);
    x.chrf = field<double>(d, "chrf++", origin);
    auto sig = field<nlohmann::json>(d, "signatures", origin);
    x.bleu_signature = field<std::string>(sig, "bleu", origin);
    x.chrf_signature = field<std::string>(sig, "chrf++", origin);
    x.seconds = field<double>(d, "seconds", origin);
    if (d.contains("output_tokens")) x.output_tokens = field<int64_t>(d, "output_tokens", origin);
    r.directions.push_back(std::move(x));
  }
  return r;
}

EvalReport load_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("{}: cannot open file", path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("{}: not valid JSON ({})", path, e.what());
  }
  return report_from_json(j, path);
}

std::string to_markdown(const EvalReport& r, const data::LanguageRegistry& reg) {
  std::string s = fmt::format("## moemt eval: {} on {} ({}, {} sentences per direction)\n\n",
                              r.model_dir, r.set_dir, r.split, r.sentences);
  s += "| direction | BLEU | chrF++ | sentences | sent/s |\n| --- | ---: | ---: | ---: | ---: |\n";
  for (const auto& d : r.directions)
    s += fmt::format("| {} | {:.2f} | {:.2f} | {} | {:.1f} |\n", direction_key(d.dir), d.bleu,
                     d.chrf, d.n, d.seconds > 0 ? static_cast<double>(d.n) / d.seconds : 0.0);
  auto avg = averages(r, reg);
  if (!avg.empty()) {
    s += "\n| average | directions | BLEU | chrF++ |\n| --- | ---: | ---: | ---: |\n";
    for (const auto& a : avg)
      s += fmt::format("| {} | {} | {:.2f} | {:.2f} |\n", a.name, a.directions, a.bleu, a.chrf);
  }
  // Distinct signatures with the targets that used them (tok:char for ja/zh/ko).
  std::map<std::string, std::set<std::string>> sigs;
  for (const auto& d : r.directions) {
    sigs["BLEU|" + d.bleu_signature].insert(d.dir.tgt);
    sigs["chrF2++|" + d.chrf_signature].insert(d.dir.tgt);
  }
  if (!sigs.empty()) s += "\nSignatures:\n";
  for (const auto& [sig, tgts] : sigs) {
    if (sigs.size() > 2)
      s += fmt::format("- `{}` (targets: {})\n", sig, fmt::join(tgts, " "));
    else
      s += fmt::format("- `{}`\n", sig);
  }
  return s;
}

Comparison compare(const EvalReport& self, const EvalReport& other,
                   const data::LanguageRegistry& reg) {
  Comparison c;
  std::map<std::string, const DirectionResult*> theirs;
  for (const auto& d : other.directions) theirs[direction_key(d.dir)] = &d;
  std::set<std::string> seen;
  for (const auto& d : self.directions) {
    std::string key = direction_key(d.dir);
    seen.insert(key);
    auto it = theirs.find(key);
    if (it == theirs.end()) {
      c.only_self.push_back(key);
      continue;
    }
    const auto& o = *it->second;
    c.deltas.push_back({key, "BLEU", d.bleu, o.bleu});
    c.deltas.push_back({key, "chrF++", d.chrf, o.chrf});
    if (d.bleu_signature != o.bleu_signature || d.chrf_signature != o.chrf_signature || d.n != o.n)
      c.signature_mismatch.push_back(key);
  }
  for (const auto& d : other.directions)
    if (!seen.count(direction_key(d.dir))) c.only_other.push_back(direction_key(d.dir));
  // Averages only mean the same thing over the same directions.
  if (c.only_self.empty() && c.only_other.empty()) {
    auto a = averages(self, reg), b = averages(other, reg);
    for (const auto& x : a)
      for (const auto& y : b)
        if (x.name == y.name) {
          c.deltas.push_back({x.name, "BLEU", x.bleu, y.bleu});
          c.deltas.push_back({x.name, "chrF++", x.chrf, y.chrf});
        }
  }
  return c;
}

std::string comparison_markdown(const Comparison& c) {
  std::string s = "| direction | metric | this | other | Δ |\n| --- | --- | ---: | ---: | ---: |\n";
  for (const auto& d : c.deltas)
    s += fmt::format("| {} | {} | {:.2f} | {:.2f} | {:+.2f} |\n", d.row, d.metric, d.self, d.other,
                     d.delta());
  if (!c.only_self.empty())
    s += fmt::format("\nOnly in this report: {}\n", fmt::join(c.only_self, " "));
  if (!c.only_other.empty())
    s += fmt::format("\nOnly in the other report: {}\n", fmt::join(c.only_other, " "));
  if (!c.only_self.empty() || !c.only_other.empty())
    s += "\nAverages are not compared: the reports cover different directions.\n";
  if (!c.signature_mismatch.empty())
    s += fmt::format(
        "\nWarning: scored on a different number of sentences or with other metric settings: {}\n",
        fmt::join(c.signature_mismatch, " "));
  return s;
}

nlohmann::json comparison_json(const Comparison& c, const std::string& other_path) {
  nlohmann::json deltas = nlohmann::json::array();
  for (const auto& d : c.deltas)
    deltas.push_back({{"row", d.row},
                      {"metric", d.metric},
                      {"this", d.self},
                      {"other", d.other},
                      {"delta", d.delta()}});
  return {{"other", other_path},
          {"deltas", deltas},
          {"only_this", c.only_self},
          {"only_other", c.only_other},
          {"settings_differ", c.signature_mismatch}};
}

}  // namespace moemt::report
