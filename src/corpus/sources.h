// Where catalogs come from: directory trees (the system's /usr/share/locale, a test tree) and
// pinned Debian packages fetched with `apt-get download` and unpacked into a cache.
#pragma once

#include <string>
#include <vector>

namespace moemt::corpus {

// One .mo file found under <...>/<locale>/LC_MESSAGES/<domain>.mo.
struct CatalogFile {
  std::string path;
  std::string locale;  // directory name with '-' turned into '_' ("pt-BR" -> "pt_BR")
  std::string domain;  // file name without ".mo"
  std::string origin;  // "pkg=version", "system" or "dir:<path>"
};

// All catalogs under `root` (recursively, symlinks followed once), sorted by path.
std::vector<CatalogFile> scan_catalog_tree(const std::string& root, const std::string& origin);

// A line of corpora/packages.txt: "name[=version] [lang,lang...]  # comment". A package that
// lists languages is fetched only when one of them is requested.
struct PackageSpec {
  std::string name;
  std::string version;             // "" = the candidate version, recorded in the data card
  std::vector<std::string> langs;  // registry codes; empty = all languages
  int line = 0;
};
std::vector<PackageSpec> read_package_list(const std::string& path);

// A package unpacked in the cache.
struct FetchedPackage {
  std::string name, version;
  std::string tree;         // directory holding the package's catalogs
  bool downloaded = false;  // false when found in the cache
};

// Downloads (unless cached) and unpacks the catalogs of `spec` under `cache_dir`; throws
// moemt::Error with a message saying what to do when apt-get or dpkg-deb fails.
FetchedPackage fetch_package(const PackageSpec& spec, const std::string& cache_dir);

// Debian packages that own `catalogs` (per dpkg's database under `dpkg_dir`), with versions
// and how many of the catalogs each owns; unowned files are counted under "(no package)".
struct PackageCount {
  std::string name, version;
  int64_t catalogs = 0;
};
std::vector<PackageCount> owning_packages(const std::vector<CatalogFile>& catalogs,
                                          const std::string& dpkg_dir = "/var/lib/dpkg");

// The default cache: $XDG_CACHE_HOME/moemt/debs or ~/.cache/moemt/debs.
std::string default_cache_dir();

}  // namespace moemt::corpus
