// `moemt corpus`: build the default corpus from gettext catalogs (`build`), print the counts
// of a corpus or FLORES directory (`stats`), list the language registry (`languages`).
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "corpus/builder.h"
#include "corpus/multiway.h"
#include "corpus/sources.h"
#include "data/language.h"

namespace moemt::cli {
namespace {
namespace po = boost::program_options;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

data::LanguageRegistry registry_from(const std::string& path) {
  return path.empty() ? data::LanguageRegistry::builtin() : data::LanguageRegistry::load(path);
}

int usage() {
  std::fprintf(
      stderr,
      "usage: moemt corpus <build|stats|languages> [options]\n"
      "  build      extract English->X pairs from gettext catalogs into a corpus directory\n"
      "  stats      print line counts of a corpus or FLORES directory\n"
      "  languages  list the language registry\n"
      "(moemt corpus <subcommand> --help for options)\n");
  return 2;
}

int run_build(const std::vector<std::string>& args) {
  corpus::BuildOptions opt;
  std::string langs, registry_path;
  po::options_description desc("moemt corpus build");
  desc.add_options()("help,h", "show this help")(
      "langs,l", po::value(&langs)->required(),
      "target languages, comma-separated (de,fr or deu_Latn,...)")(
      "out,o", po::value(&opt.out_dir)->required(), "output corpus directory")(
      "packages", po::value(&opt.packages_file),
      "pinned Debian package list to fetch (e.g. corpora/packages.txt)")(
      "system-catalogs", po::bool_switch(&opt.system_catalogs),
      "use the catalogs installed under --locale-dir")(
      "locale-dir", po::value(&opt.system_locale_dir)->default_value(opt.system_locale_dir),
      "system catalog root for --system-catalogs")(
      "catalog-dir", po::value(&opt.catalog_dirs)->composing(),
      "extra tree with <locale>/LC_MESSAGES/*.mo (repeatable)")(
      "cache", po::value(&opt.cache_dir), "download/unpack cache (default ~/.cache/moemt/debs)")(
      "dev-size", bounded<size_t>(&opt.splits.dev_size, 0, 1'000'000)->default_value(opt.splits.dev_size),
      "dev sentences")("devtest-size",
                       bounded<size_t>(&opt.splits.devtest_size, 0, 1'000'000)->default_value(opt.splits.devtest_size),
                       "devtest sentences")(
      "max-chars", bounded(&opt.filters.max_chars, 1, 1'000'000)->default_value(opt.filters.max_chars),
      "drop pairs with a side longer than this (code points)")(
      "max-train", bounded<int64_t>(&opt.max_train, 0, INT64_MAX)->default_value(0),
      "keep only the first N training pairs per direction (0 = all; for samples)")(
      "dump-dropped", po::bool_switch(&opt.dump_dropped),
      "also write DIR/dropped/<code>.tsv (filter reason, English, translation)")(
      "languages-file", po::value(&registry_path), "language registry TSV (default: built-in)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\nWith no source flag, --system-catalogs is used.\n";
    return 0;
  }
  po::notify(vm);
  if (opt.packages_file.empty() && opt.catalog_dirs.empty() && !opt.system_catalogs) {
    log::info("no --packages or --catalog-dir given; using the system catalogs");
    opt.system_catalogs = true;
  }
  opt.langs = split_commas(langs);
  data::LanguageRegistry reg = registry_from(registry_path);
  corpus::BuildReport r = corpus::build_corpus(opt, reg);
  std::printf("%-10s %10s %10s %8s %8s\n", "language", "clean", "train", "dev", "devtest");
  for (const std::string& code : r.langs) {
    auto it = r.counts.find(code);
    if (it == r.counts.end()) continue;
    std::printf("%-10s %10lld %10lld %8lld %8lld\n", code.c_str(),
                static_cast<long long>(it->second.clean_pairs),
                static_cast<long long>(it->second.train), static_cast<long long>(it->second.dev),
                static_cast<long long>(it->second.devtest));
  }
  if (!r.skipped.empty()) {
    std::printf("skipped %zu item(s):\n", r.skipped.size());
    for (const auto& s : r.skipped) std::printf("  %s: %s\n", s.what.c_str(), s.why.c_str());
  }
  std::printf("wrote %s (data card: %s/README.md)\n", opt.out_dir.c_str(), opt.out_dir.c_str());
  return 0;
}

int run_stats(const std::vector<std::string>& args) {
  std::string dir, registry_path;
  bool json = false;
  po::options_description desc("moemt corpus stats DIR");
  desc.add_options()("help,h", "show this help")("dir", po::value(&dir)->required(),
                                                 "corpus or FLORES directory")(
      "json", po::bool_switch(&json), "print JSON instead of a table")(
      "languages-file", po::value(&registry_path), "language registry TSV (default: built-in)");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << desc
              << "\nDIR holds dev/<code>.dev, devtest/<code>.devtest (FLORES codes) and,"
                 " for a moemt corpus, train/.\n";
    return 0;
  }
  po::notify(vm);
  data::LanguageRegistry reg = registry_from(registry_path);
  corpus::CorpusCounts c = corpus::count_corpus(dir, reg);
  auto num = [](int64_t v) { return v < 0 ? std::string("-") : std::to_string(v); };
  if (json) {
    nlohmann::ordered_json j;
    for (const auto& [code, row] : c.rows) {
      nlohmann::ordered_json r;
      if (row.train >= 0) r["train"] = row.train;
      if (row.dev >= 0) r["dev"] = row.dev;
      if (row.devtest >= 0) r["devtest"] = row.devtest;
      j["languages"][code] = r;
    }
    j["unknown_files"] = c.unknown_files;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("%-10s %-24s %10s %8s %8s\n", "code", "language", "train", "dev", "devtest");
  int64_t total = 0;
  for (const auto& [code, row] : c.rows) {
    std::printf("%-10s %-24s %10s %8s %8s\n", code.c_str(), reg.get(code).name.c_str(),
                num(row.train).c_str(), num(row.dev).c_str(), num(row.devtest).c_str());
    if (row.train > 0) total += row.train;
  }
  if (total > 0)
    std::printf("%-35s %10lld  (pairs with %s)\n", "total", static_cast<long long>(total),
                c.source.c_str());
  std::fflush(stdout);
  if (!c.unknown_files.empty()) {
    std::fprintf(stderr,
                 "note: %zu file(s) named with codes not in the language registry were skipped:",
                 c.unknown_files.size());
    for (size_t i = 0; i < c.unknown_files.size() && i < 8; ++i)
      std::fprintf(stderr, " %s", c.unknown_files[i].c_str());
    std::fprintf(stderr, "%s (add them to a --languages-file to use them)\n",
                 c.unknown_files.size() > 8 ? " ..." : "");
  }
  return 0;
}

int run_languages(const std::vector<std::string>& args) {
  std::string registry_path;
  po::options_description desc("moemt corpus languages");
  desc.add_options()("help,h", "show this help")("languages-file", po::value(&registry_path),
                                                 "language registry TSV (default: built-in)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  po::notify(vm);
  data::LanguageRegistry reg = registry_from(registry_path);
  std::printf("%-5s %-5s %-10s %-12s %-22s %-6s %s\n", "iso1", "iso3", "flores", "gettext", "name",
              "script", "family/branch");
  for (const auto& l : reg.all()) {
    std::string loc;
    for (const auto& g : l.gettext_locales) loc += (loc.empty() ? "" : ",") + g;
    std::printf("%-5s %-5s %-10s %-12s %-22s %-6s %s/%s\n", l.iso1.c_str(), l.iso3.c_str(),
                l.flores.c_str(), loc.c_str(), l.name.c_str(), l.script.c_str(), l.family.c_str(),
                l.branch.c_str());
  }
  return 0;
}

int run_corpus(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h")
    return args.empty() ? usage() : (usage(), 0);
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "build") return run_build(rest);
  if (args[0] == "stats") return run_stats(rest);
  if (args[0] == "languages") return run_languages(rest);
  throw Error("unknown corpus subcommand '{}' (build, stats, languages)", args[0]);
}

}  // namespace
MOEMT_REGISTER_COMMAND("corpus", "build the catalog corpus, print corpus/FLORES counts",
                       run_corpus);
}  // namespace moemt::cli
