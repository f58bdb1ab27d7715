// The build pipeline. Catalog choice is deterministic: packages (list order) win over extra
// directories, which win over system catalogs, for the same (locale, domain); per domain a
// language uses its first gettext locale that has the domain ("pt_BR" before "pt").
#include "corpus/builder.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "corpus/mo_reader.h"
#include "corpus/sources.h"

namespace moemt::corpus {
namespace fs = std::filesystem;
namespace {

// src -> (tgt -> occurrences across catalogs) and the first catalog that had src; ordered
// maps keep every later step ordered.
struct SourceEntry {
  std::map<std::string, int64_t> targets;
  const CatalogFile* first = nullptr;
};
using PairCounts = std::map<std::string, SourceEntry>;

struct LangWork {
  const data::Language* lang = nullptr;
  std::vector<const CatalogFile*> catalogs;
  PairCounts pairs;
  LanguageCounts counts;
  std::vector<Skipped> skipped;
  std::vector<std::string> dropped_rows;  // "reason\tsource\ttarget", when dumping
};

void count_drop(LanguageCounts& c, Drop d, int64_t n = 1) { c.dropped[drop_name(d)] += n; }

// Tabs and newlines would break the TSV dump; show them as escapes.
std::string escape_tsv(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}

void extract(LangWork& w, const FilterOptions& fopt, bool dump) {
  for (const CatalogFile* cf : w.catalogs) {
    MoCatalog cat;
    try {
      cat = read_mo(cf->path);
    } catch (const Error& e) {
      log::warn("skipping catalog: {}", e.what());
      std::string why = e.what();
      if (why.rfind(cf->path + ": ", 0) == 0) why = why.substr(cf->path.size() + 2);
      w.skipped.push_back({cf->path, why});
      continue;
    }
    ++w.counts.catalogs;
    w.counts.entries += static_cast<int64_t>(cat.entries.size()) + cat.invalid_utf8;
    if (cat.invalid_utf8) count_drop(w.counts, Drop::kInvalidUtf8, cat.invalid_utf8);
    const int singular = cat.plural_forms.singular_index();
    for (const MoEntry& e : cat.entries) {
      // Plural entries: the English singular with the form the catalog uses for n == 1.
      std::string_view target;
      if (e.is_plural()) {
        ++w.counts.plural_entries;
        if (static_cast<size_t>(singular) < e.msgstr.size()) target = e.msgstr[singular];
      } else if (!e.msgstr.empty()) {
        target = e.msgstr[0];
      }
      ++w.counts.candidate_pairs;
      auto r = clean_pair(e.msgid, target, *w.lang, fopt);
      if (auto* d = std::get_if<Drop>(&r)) {
        count_drop(w.counts, *d);
        if (dump)
          w.dropped_rows.push_back(
              fmt::format("{}\t{}\t{}", drop_name(*d), escape_tsv(e.msgid), escape_tsv(target)));
        continue;
      }
      auto& p = std::get<CleanPair>(r);
      SourceEntry& se = w.pairs[p.source];
      if (!se.first) se.first = cf;
      int64_t& n = se.targets[p.target];
      if (n > 0) count_drop(w.counts, Drop::kDuplicate);
      ++n;
    }
  }
  for (const auto& [src, se] : w.pairs)
    w.counts.clean_pairs += static_cast<int64_t>(se.targets.size());
}

// The translation used in dev/devtest: the most frequent one, ties to the smallest.
const std::string& best_target(const std::map<std::string, int64_t>& tgts) {
  const std::string* best = nullptr;
  int64_t best_n = -1;
  for (const auto& [t, n] : tgts)
    if (n > best_n) best = &t, best_n = n;
  return *best;
}

void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write {}", path.string());
  for (const auto& l : lines) out << l << '\n';
  if (!out) throw Error("error writing {}", path.string());
}

// Refuses to replace a directory that holds something other than a previous corpus.
void check_out_dir(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out) && !fs::is_directory(out))
    throw Error("--out {} is not a directory", out.string());
  if (fs::exists(out) && !fs::is_empty(out) && !fs::exists(out / "stats.json"))
    throw Error(
        "--out {} exists, is not empty and holds no moemt corpus (stats.json); choose "
        "another directory",
        out.string());
}

// The corpus is written under a temporary folder beside --out and swapped in whole at the end,
// so a failed or interrupted build leaves the previous corpus as it was.
struct StagingDir {
  fs::path path;
  bool done = false;
  explicit StagingDir(const std::string& out) : path(temp_sibling(out, "writing")) {
    std::error_code ec;
    fs::remove_all(path, ec);
    for (const char* sub : {"train", "dev", "devtest"}) fs::create_directories(path / sub);
  }
  ~StagingDir() {
    std::error_code ec;
    if (!done) fs::remove_all(path, ec);
  }
  void commit(const std::string& out) {
    replace_dir_atomic(path.string(), out);
    done = true;
  }
};

}  // namespace

BuildReport build_corpus(const BuildOptions& opt, const data::LanguageRegistry& registry) {
  BuildReport rep;
  rep.options = opt;
  const data::Language& english = registry.get("eng_Latn");
  rep.source_flores = english.flores;
  check_out_dir(opt.out_dir);  // before any download or parsing
  if (int n = remove_stale_temps(opt.out_dir))
    log::info("removed {} stale temporary folder(s) of {} left by an interrupted build", n, opt.out_dir);
  std::vector<const data::Language*> langs;
  for (const std::string& code : opt.langs) {
    const data::Language& l = registry.get(code);
    if (l.flores == english.flores) {
      log::info("English is the source side of every pair; ignoring it in --langs");
      continue;
    }
    if (std::find(langs.begin(), langs.end(), &l) == langs.end()) langs.push_back(&l);
  }
  if (langs.empty()) throw Error("no target languages given (--langs de,fr,...)");
  for (const auto* l : langs) rep.langs.push_back(l->flores);
  if (opt.packages_file.empty() && !opt.system_catalogs && opt.catalog_dirs.empty())
    throw Error("no catalog source: give --packages FILE, --system-catalogs or --catalog-dir DIR");

  // 1. Sources, in priority order.
  std::vector<CatalogFile> all;
  if (!opt.packages_file.empty()) {
    std::string cache = opt.cache_dir.empty() ? default_cache_dir() : opt.cache_dir;
    std::vector<PackageSpec> specs = read_package_list(opt.packages_file);
    log::info("{} packages listed in {}; cache {}", specs.size(), opt.packages_file, cache);
    size_t i = 0;
    for (const PackageSpec& spec : specs) {
      ++i;
      bool wanted = spec.langs.empty();
      for (const std::string& c : spec.langs) {
        const data::Language* pl = registry.find(c);
        if (!pl) {
          throw file_error(
              opt.packages_file, spec.line,
              "unknown language code '" + c + "' (known: " + registry.known_codes() + ")");
        }
        if (std::find(langs.begin(), langs.end(), pl) != langs.end()) wanted = true;
      }
      if (!wanted) continue;
      try {
        FetchedPackage f = fetch_package(spec, cache);
        auto found = scan_catalog_tree(f.tree, f.name + "=" + f.version);
        log::info("[{}/{}] {} {}: {} catalogs{}", i, specs.size(), f.name, f.version, found.size(),
                  f.downloaded ? " (downloaded)" : "");
        if (found.empty())
          rep.skipped.push_back({f.name + "=" + f.version, "package holds no .mo catalogs"});
        rep.packages.push_back({f.name, f.version, static_cast<int64_t>(found.size())});
        all.insert(all.end(), found.begin(), found.end());
      } catch (const Error& e) {
        log::warn("skipping package: {}", e.what());
        rep.skipped.push_back(
            {spec.name + (spec.version.empty() ? "" : "=" + spec.version), e.what()});
      }
    }
  }
  for (const std::string& d : opt.catalog_dirs) {
    auto found = scan_catalog_tree(d, "dir:" + d);
    log::info("{}: {} catalogs", d, found.size());
    rep.catalog_dirs.emplace_back(d, static_cast<int64_t>(found.size()));
    all.insert(all.end(), found.begin(), found.end());
  }
  if (opt.system_catalogs) {
    std::error_code ec;
    std::vector<CatalogFile> found;
    if (fs::is_directory(opt.system_locale_dir, ec))
      found = scan_catalog_tree(opt.system_locale_dir, "system");
    else
      rep.skipped.push_back({opt.system_locale_dir, "system locale directory not found"});
    log::info("system catalogs in {}: {}", opt.system_locale_dir, found.size());
    rep.system_catalogs = static_cast<int64_t>(found.size());
    rep.system_packages = owning_packages(found);
    all.insert(all.end(), found.begin(), found.end());
  }

  // 2. One catalog per (domain, locale), the first source winning; then per language one
  // locale per domain.
  std::map<std::string, std::map<std::string, const CatalogFile*>> by_domain;
  for (const CatalogFile& c : all) by_domain[c.domain].emplace(c.locale, &c);
  std::vector<LangWork> work(langs.size());
  for (size_t i = 0; i < langs.size(); ++i) {
    work[i].lang = langs[i];
    for (const auto& [domain, locales] : by_domain) {
      for (const std::string& loc : langs[i]->gettext_locales) {
        auto it = locales.find(loc);
        if (it != locales.end()) {
          work[i].catalogs.push_back(it->second);
          break;
        }
      }
    }
  }

  // 3. Extraction and cleaning, one language per thread.
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t i = 0; i < work.size(); ++i) {
    extract(work[i], opt.filters, opt.dump_dropped);
    log::info("{}: {} catalogs, {} entries, {} clean pairs", work[i].lang->flores,
              work[i].counts.catalogs, work[i].counts.entries, work[i].counts.clean_pairs);
  }
  for (auto& w : work) rep.skipped.insert(rep.skipped.end(), w.skipped.begin(), w.skipped.end());
  // An empty corpus would only fail later, in training, far from its cause; stop here and
  // say why before anything is written.
  int64_t catalogs_read = 0;
  size_t catalogs_found = 0;
  for (const auto& w : work) {
    catalogs_read += w.counts.catalogs;
    catalogs_found += w.catalogs.size();
  }
  if (catalogs_read == 0) {
    std::vector<std::string> codes;
    for (const auto* l : langs) codes.push_back(l->flores);
    const Skipped* first_bad = nullptr;
    for (const auto& w : work)
      if (!w.skipped.empty() && !first_bad) first_bad = &w.skipped.front();
    if (first_bad)
      throw Error(
          "all {} catalog(s) for {} were skipped, nothing to build a corpus from (first: {}: "
          "{}); fix or remove them, or add other sources",
          catalogs_found, fmt::join(codes, ","), first_bad->what, first_bad->why);
    throw Error(
        "no catalogs found for {} in the given sources; check --catalog-dir, --packages or "
        "--system-catalogs and the languages' gettext locales (moemt corpus languages)",
        fmt::join(codes, ","));
  }

  // 4. Multi-way held-out sets over the languages that have data.
  std::vector<LangWork*> with_data;
  for (auto& w : work) {
    if (w.pairs.empty()) {
      log::warn("{}: no pairs at all (no catalogs for locales {}); it is left out of dev/devtest",
                w.lang->flores, fmt::join(w.lang->gettext_locales, ","));
      rep.skipped.push_back({w.lang->flores, "no catalogs/pairs for this language"});
    } else {
      with_data.push_back(&w);
      rep.multiway_langs.push_back(w.lang->flores);
    }
  }
  std::vector<std::string> multiway;
  if (!with_data.empty()) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    for (const auto& entry : with_data[0]->pairs) {
      const std::string& src = entry.first;
      bool everywhere = std::all_of(with_data.begin() + 1, with_data.end(),
                                    [&](const LangWork* w) { return w->pairs.count(src) > 0; });
      if (everywhere) multiway.push_back(src);
    }
  }
  rep.heldout = select_heldout(multiway, opt.splits);
  log::info("multi-way English sentences: {} ({} usable, {} prose-like); dev {}, devtest {}",
            multiway.size(), rep.heldout.candidates, rep.heldout.prose_candidates,
            rep.heldout.dev.size(), rep.heldout.devtest.size());
  std::unordered_set<std::string> held_keys;
  for (const auto* v : {&rep.heldout.dev, &rep.heldout.devtest})
    for (const std::string& s : *v) held_keys.insert(heldout_key(s));

  // 5. Write.
  StagingDir staging(opt.out_dir);
  const fs::path& out = staging.path;
  write_lines(out / "dev" / (english.flores + ".dev"), rep.heldout.dev);
  write_lines(out / "devtest" / (english.flores + ".devtest"), rep.heldout.devtest);
  // Like FLORES' metadata_*.tsv: where each held-out sentence comes from.
  for (const auto& [split, sents] :
       {std::pair{"dev", &rep.heldout.dev}, std::pair{"devtest", &rep.heldout.devtest}}) {
    std::vector<std::string> meta = {"origin\tdomain\tprose"};
    for (const std::string& s : *sents) {
      const CatalogFile* cf = with_data.front()->pairs.at(s).first;
      meta.push_back(fmt::format("{}\t{}\t{}", cf->origin, cf->domain, prose_tier(s) == 0 ? 1 : 0));
    }
    if (!with_data.empty()) write_lines(out / (std::string("metadata_") + split + ".tsv"), meta);
  }
  for (LangWork* w : with_data) {
    std::vector<std::string> dev, devtest;
    for (const auto& s : rep.heldout.dev) dev.push_back(best_target(w->pairs.at(s).targets));
    for (const auto& s : rep.heldout.devtest)
      devtest.push_back(best_target(w->pairs.at(s).targets));
    write_lines(out / "dev" / (w->lang->flores + ".dev"), dev);
    write_lines(out / "devtest" / (w->lang->flores + ".devtest"), devtest);
    w->counts.dev = static_cast<int64_t>(dev.size());
    w->counts.devtest = static_cast<int64_t>(devtest.size());
  }
  for (LangWork& w : work) {
    struct Row {
      uint64_t h;
      const std::string *s, *t;
    };
    std::vector<Row> rows;
    int64_t held = 0;
    for (const auto& [src, se] : w.pairs) {
      if (held_keys.count(heldout_key(src))) {
        held += static_cast<int64_t>(se.targets.size());
        continue;
      }
      for (const auto& [tgt, n] : se.targets)
        rows.push_back({fnv1a64(tgt, fnv1a64(src)), &src, &tgt});
    }
    if (held) count_drop(w.counts, Drop::kHeldOut, held);
    // Hash order mixes the catalogs so that any prefix of the file is a fair sample.
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      if (a.h != b.h) return a.h < b.h;
      return std::tie(*a.s, *a.t) < std::tie(*b.s, *b.t);
    });
    if (opt.max_train > 0 && static_cast<int64_t>(rows.size()) > opt.max_train)
      rows.resize(static_cast<size_t>(opt.max_train));
    std::string stem = english.flores + "-" + w.lang->flores;
    std::ofstream fs_src(out / "train" / (stem + "." + english.flores), std::ios::binary);
    std::ofstream fs_tgt(out / "train" / (stem + "." + w.lang->flores), std::ios::binary);
    for (const Row& r : rows) {
      fs_src << *r.s << '\n';
      fs_tgt << *r.t << '\n';
    }
    if (!fs_src || !fs_tgt)
      throw Error("error writing training files under {}", (out / "train").string());
    w.counts.train = static_cast<int64_t>(rows.size());
    rep.counts[w.lang->flores] = w.counts;
  }
  if (opt.dump_dropped) {
    fs::create_directories(out / "dropped");
    for (LangWork& w : work) {
      std::sort(w.dropped_rows.begin(), w.dropped_rows.end());
      write_lines(out / "dropped" / (w.lang->flores + ".tsv"), w.dropped_rows);
    }
  }
  write_stats_json(rep, (out / "stats.json").string());
  write_data_card(rep, registry, (out / "README.md").string());
  check_out_dir(opt.out_dir);  // again: it may have changed during the build
  staging.commit(opt.out_dir);
  nlohmann::json counts;
  for (const auto& [code, c] : rep.counts)
    counts[code] = {{"clean_pairs", c.clean_pairs}, {"train", c.train}, {"dev", c.dev},
                    {"devtest", c.devtest}};
  log::json({{"event", "corpus_build"},
             {"out", opt.out_dir},
             {"languages", counts},
             {"skipped", rep.skipped.size()}});
  return rep;
}

}  // namespace moemt::corpus
