// stats.json and the README.md data card of a built corpus. Both are byte-identical between
// two builds from the same catalogs: no dates, no cache paths, ordered keys.
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/output_file.h"
#include "corpus/builder.h"

namespace moemt::corpus {
namespace {

nlohmann::ordered_json filters_json(const FilterOptions& f) {
  return {{"max_chars", f.max_chars},
          {"min_ratio", f.min_ratio},
          {"max_ratio", f.max_ratio},
          {"cjk_min_ratio", f.cjk_min_ratio},
          {"cjk_max_ratio", f.cjk_max_ratio},
          {"ratio_min_chars", f.ratio_min_chars},
          {"min_script_fraction", f.min_script_fraction},
          {"identical_max_words", f.identical_max_words}};
}

void write_text(const std::string& path, const std::string& text) { write_output_file(path, text); }

}  // namespace

void write_stats_json(const BuildReport& r, const std::string& path) {
  nlohmann::ordered_json j;
  j["format"] = "moemt-corpus/1";
  j["source"] = r.source_flores;
  j["languages"] = r.langs;
  j["multiway_languages"] = r.multiway_langs;
  j["dev_size"] = r.heldout.dev.size();
  j["devtest_size"] = r.heldout.devtest.size();
  j["heldout_candidates"] = r.heldout.candidates;
  j["heldout_prose_candidates"] = r.heldout.prose_candidates;
  nlohmann::ordered_json per = nlohmann::ordered_json::object();
  for (const std::string& code : r.langs) {
    auto it = r.counts.find(code);
    if (it == r.counts.end()) continue;
    const LanguageCounts& c = it->second;
    nlohmann::ordered_json dropped = nlohmann::ordered_json::object();
    for (int d = 0; d < static_cast<int>(Drop::kCount); ++d) {
      auto f = c.dropped.find(drop_name(static_cast<Drop>(d)));
      dropped[drop_name(static_cast<Drop>(d))] = f == c.dropped.end() ? 0 : f->second;
    }
    per[code] = {{"catalogs", c.catalogs},
                 {"entries", c.entries},
                 {"plural_entries", c.plural_entries},
                 {"candidate_pairs", c.candidate_pairs},
                 {"dropped", dropped},
                 {"clean_pairs", c.clean_pairs},
                 {"train", c.train},
                 {"dev", c.dev},
                 {"devtest", c.devtest}};
  }
  j["per_language"] = per;
  nlohmann::ordered_json pk = nlohmann::ordered_json::array();
  for (const auto& p : r.packages)
    pk.push_back({{"name", p.name}, {"version", p.version}, {"catalogs", p.catalogs}});
  nlohmann::ordered_json sources;
  sources["packages"] = pk;
  sources["system_catalogs"] = r.system_catalogs;
  nlohmann::ordered_json sp = nlohmann::ordered_json::array();
  for (const auto& p : r.system_packages)
    sp.push_back({{"name", p.name}, {"version", p.version}, {"catalogs", p.catalogs}});
  sources["system_packages"] = sp;
  nlohmann::ordered_json dirs = nlohmann::ordered_json::array();
  for (const auto& [d, n] : r.catalog_dirs) dirs.push_back({{"dir", d}, {"catalogs", n}});
  sources["catalog_dirs"] = dirs;
  j["sources"] = sources;
  nlohmann::ordered_json sk = nlohmann::ordered_json::array();
  for (const auto& s : r.skipped) sk.push_back({{"what", s.what}, {"why", s.why}});
  j["skipped"] = sk;
  j["filters"] = filters_json(r.options.filters);
  j["max_train"] = r.options.max_train;
  write_text(path, j.dump(2) + "\n");
}

void write_data_card(const BuildReport& r, const data::LanguageRegistry& reg,
                     const std::string& path) {
  std::string t;
  auto add = [&](const std::string& s) { t += s; };
  add("# moemt corpus: English to " + std::to_string(r.langs.size()) +
      " languages from gettext catalogs\n\n");
  add("Parallel text extracted from the translations of software messages (gettext `.mo`\n"
      "catalogs) by `moemt corpus build`. Every pair has English (the catalog's msgid) on one "
      "side.\n\n");
  add("## Layout\n\n");
  add("- `train/eng_Latn-<code>.eng_Latn` and `train/eng_Latn-<code>.<code>`: line-aligned pairs, "
      "one\n"
      "  file pair per direction (use them in either direction), in a fixed hash order.\n");
  add("- `dev/<code>.dev`, `devtest/<code>.devtest`: multi-way sets as in FLORES; line i is the "
      "same\n"
      "  sentence in every language. Their English sentences (compared case- and\n"
      "  punctuation-insensitively) are removed from the training data of every language.\n");
  add("- `metadata_dev.tsv`, `metadata_devtest.tsv`: per held-out line (after a header), the\n"
      "  package (or catalog directory) and gettext domain the first language's translation was\n"
      "  taken from, and whether the sentence is prose-like (1) or not (0).\n");
  add("- `stats.json`: the counts below in machine-readable form.\n");
  if (r.options.max_train > 0)
    add(fmt::format(
        "- This is a sample: training data is capped at the first {} pairs per direction.\n",
        r.options.max_train));
  add("\n");
  add("## Counts\n\n| language | code | family / branch | catalogs | clean pairs | train | dev | "
      "devtest |\n"
      "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const std::string& code : r.langs) {
    auto it = r.counts.find(code);
    if (it == r.counts.end()) continue;
    const auto& c = it->second;
    const auto& l = reg.get(code);
    add(fmt::format("| {} | {} | {} / {} | {} | {} | {} | {} | {} |\n", l.name, code, l.family,
                    l.branch, c.catalogs, c.clean_pairs, c.train, c.dev, c.devtest));
  }
  add(fmt::format(
      "\nHeld-out sets: {} usable multi-way English sentences ({} prose-like) were "
      "translated in all of: {}.{}\n\n",
      r.heldout.candidates, r.heldout.prose_candidates, fmt::join(r.multiway_langs, ", "),
      r.heldout.shrunk ? " There were fewer than requested, so dev/devtest were shrunk." : ""));
  add("## Filters (pairs dropped, per language)\n\n| code |");
  for (int d = 0; d < static_cast<int>(Drop::kCount); ++d)
    add(fmt::format(" {} |", drop_name(static_cast<Drop>(d))));
  add("\n| --- |");
  for (int d = 0; d < static_cast<int>(Drop::kCount); ++d) add(" ---: |");
  add("\n");
  for (const std::string& code : r.langs) {
    auto it = r.counts.find(code);
    if (it == r.counts.end()) continue;
    add("| " + code + " |");
    for (int d = 0; d < static_cast<int>(Drop::kCount); ++d) {
      auto f = it->second.dropped.find(drop_name(static_cast<Drop>(d)));
      add(fmt::format(" {} |", f == it->second.dropped.end() ? 0 : f->second));
    }
    add("\n");
  }
  const FilterOptions& f = r.options.filters;
  add(fmt::format(
      "\nRules: keyboard accelerators (`_File`, `&File`, `~File`, `(_F)`) are stripped from both\n"
      "sides the same way; NFC (ICU); whitespace runs collapsed to one space; pairs dropped when "
      "a\n"
      "side has control characters, the English side has fewer than two letters or is an identifier\n"
      "(`gtk-ok`), a side exceeds {} code points, source and target are identical (allowed for\n"
      "up to {} words in Latin-script languages), fewer than {:.0f}% of the letters of either "
      "side\n"
      "are in the expected script, format specifiers / markup / entities differ, or the length\n"
      "ratio falls outside [{:.2f}, {:.2f}] ([{:.2f}, {:.2f}] for CJK) when a side has >= {} code\n"
      "points; exact duplicate pairs are kept once. Plural entries contribute the English "
      "singular\n"
      "with the form the catalog's Plural-Forms formula selects for n = 1. Fuzzy entries are not\n"
      "compiled into `.mo` files by msgfmt, so none are present.\n\n",
      f.max_chars, f.identical_max_words, f.min_script_fraction * 100, f.min_ratio, f.max_ratio,
      f.cjk_min_ratio, f.cjk_max_ratio, f.ratio_min_chars));
  add("## Sources\n\n");
  if (!r.packages.empty()) {
    add("Debian packages (fetched with `apt-get download`, catalogs unpacked from the .deb; "
        "catalogs "
        "of all languages):\n\n"
        "| package | version | catalogs |\n| --- | --- | ---: |\n");
    for (const auto& p : r.packages)
      add(fmt::format("| {} | {} | {} |\n", p.name, p.version, p.catalogs));
    add("\n");
  }
  for (const auto& [d, n] : r.catalog_dirs)
    add(fmt::format("- catalog directory `{}`: {} catalogs\n", d, n));
  if (r.system_catalogs >= 0)
    add(fmt::format("- system catalogs under `{}`: {} catalogs (machine-dependent)\n",
                    r.options.system_locale_dir, r.system_catalogs));
  if (!r.system_packages.empty()) {
    add("\nInstalled packages owning the system catalogs (dpkg; catalogs of all languages):\n\n"
        "| package | version | catalogs |\n| --- | --- | ---: |\n");
    for (const auto& p : r.system_packages)
      add(fmt::format("| {} | {} | {} |\n", p.name, p.version.empty() ? "?" : p.version,
                      p.catalogs));
  }
  if (!r.skipped.empty()) {
    add("\nSkipped:\n\n");
    for (const auto& s : r.skipped) add(fmt::format("- `{}`: {}\n", s.what, s.why));
  }
  add("\n## Licence\n\nThe translations are the work of the free-software translation teams of "
      "the\n"
      "packages above and carry those packages' licences (mostly GPL/LGPL; see each package's\n"
      "`/usr/share/doc/<package>/copyright`). Redistribute the corpus under those terms.\n");
  write_text(path, t);
}

}  // namespace moemt::corpus
