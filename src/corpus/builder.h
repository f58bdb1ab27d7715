// `moemt corpus build`: gathers catalogs, extracts and cleans English->X pairs per language,
// holds out multi-way dev/devtest sets and writes the corpus directory with its data card.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "corpus/filters.h"
#include "corpus/sources.h"
#include "corpus/splits.h"
#include "data/language.h"

namespace moemt::corpus {

struct BuildOptions {
  std::vector<std::string> langs;  // target languages, any registry code; English is the source
  std::string out_dir;
  std::string packages_file;  // "" = no packages
  bool system_catalogs = false;
  std::string system_locale_dir = "/usr/share/locale";
  std::vector<std::string> catalog_dirs;  // extra trees holding <locale>/LC_MESSAGES/*.mo
  std::string cache_dir;                  // "" = default_cache_dir()
  SplitOptions splits;
  FilterOptions filters;
  int64_t max_train = 0;      // > 0: keep only the first N training pairs per direction (samples)
  bool dump_dropped = false;  // also write DIR/dropped/<code>.tsv: reason, English, target
};

struct LanguageCounts {
  int64_t catalogs = 0;  // catalogs read
  int64_t entries = 0;   // entries in them (header excluded)
  int64_t plural_entries = 0;
  int64_t candidate_pairs = 0;             // entries offered to the filters
  std::map<std::string, int64_t> dropped;  // Drop name -> count
  int64_t clean_pairs = 0;                 // distinct pairs after filters and deduplication
  int64_t train = 0, dev = 0, devtest = 0;
};

using PackageRecord = PackageCount;

struct Skipped {
  std::string what, why;
};

struct BuildReport {
  std::string source_flores = "eng_Latn";
  std::vector<std::string> langs;                // FLORES codes, in request order
  std::map<std::string, LanguageCounts> counts;  // by FLORES code
  std::vector<PackageRecord> packages;
  int64_t system_catalogs = -1;                // -1 = not used
  std::vector<PackageRecord> system_packages;  // owners of the system catalogs (dpkg)
  std::vector<std::pair<std::string, int64_t>> catalog_dirs;
  std::vector<Skipped> skipped;
  HeldOut heldout;
  std::vector<std::string> multiway_langs;  // languages in dev/devtest (those with data)
  BuildOptions options;
};

BuildReport build_corpus(const BuildOptions& opt, const data::LanguageRegistry& registry);

// stats.json and README.md of a built corpus (deterministic: no dates, no absolute cache paths).
void write_stats_json(const BuildReport& r, const std::string& path);
void write_data_card(const BuildReport& r, const data::LanguageRegistry& registry,
                     const std::string& path);

}  // namespace moemt::corpus
