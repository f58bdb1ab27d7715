// Catalog discovery and Debian package fetching. apt-get and dpkg-deb run as child processes;
// package names and versions are validated first so nothing user-given reaches the shell
// unchecked.
#include "corpus/sources.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"

namespace moemt::corpus {
namespace fs = std::filesystem;
namespace {

const std::regex kNameRe("^[a-z0-9][a-z0-9+.-]+$");
const std::regex kVersionRe("^[A-Za-z0-9.+~:-]+$");

// Runs `cmd` through /bin/sh; returns its exit status (-1 if it could not run).
int run_shell(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  if (st == -1 || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Last non-empty line of `text`, for short error messages.
std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// apt writes ':' of an epoch as "%3a" in file names; we do the same for cache entries.
std::string escape_version(const std::string& v) {
  std::string out;
  for (char c : v) out += c == ':' ? std::string("%3a") : std::string(1, c);
  return out;
}

std::string candidate_version(const std::string& name) {
  std::string cmd = "apt-cache show --no-all-versions " + name + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Version: ", 0) == 0) return line.substr(9);
  return "";
}

}  // namespace

std::vector<CatalogFile> scan_catalog_tree(const std::string& root, const std::string& origin) {
  std::vector<CatalogFile> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw Error("catalog directory {} does not exist", root);
  auto it =
      fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".mo" || !it->is_regular_file(ec)) continue;
    fs::path dir = p.parent_path();
    if (dir.filename() != "LC_MESSAGES") continue;
    std::string locale = dir.parent_path().filename().string();
    std::replace(locale.begin(), locale.end(), '-', '_');
    out.push_back({p.string(), locale, p.stem().string(), origin});
  }
  std::sort(out.begin(), out.end(),
            [](const CatalogFile& a, const CatalogFile& b) { return a.path < b.path; });
  return out;
}

std::vector<PackageSpec> read_package_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw file_error(path, 0, "cannot open package list");
  std::vector<PackageSpec> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string pkg, langs;
    if (!(fields >> pkg)) continue;
    fields >> langs;
    if (std::string extra; fields >> extra)
      throw file_error(path, line_no,
                       "expected 'name[=version] [lang,lang...]', found more: " + extra);
    PackageSpec s;
    s.line = line_no;
    size_t eq = pkg.find('=');
    s.name = pkg.substr(0, eq);
    if (eq != std::string::npos) s.version = pkg.substr(eq + 1);
    if (!std::regex_match(s.name, kNameRe))
      throw file_error(path, line_no, "bad Debian package name '" + s.name + "'");
    if (!s.version.empty() && !std::regex_match(s.version, kVersionRe))
      throw file_error(path, line_no, "bad Debian version '" + s.version + "'");
    std::istringstream ls(langs);
    std::string code;
    while (std::getline(ls, code, ','))
      if (!code.empty()) s.langs.push_back(code);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<PackageCount> owning_packages(const std::vector<CatalogFile>& catalogs,
                                          const std::string& dpkg_dir) {
  std::set<std::string> wanted;  // catalog paths whose owning package we look for
  for (const auto& c : catalogs) wanted.insert(c.path);
  std::map<std::string, std::string> owner;  // path -> package (arch qualifier dropped)
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(dpkg_dir) / "info", ec)) {
    if (e.path().extension() != ".list") continue;
    std::string pkg = e.path().stem().string();
    pkg = pkg.substr(0, pkg.find(':'));
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line))
      if (line.size() > 3 && line.compare(line.size() - 3, 3, ".mo") == 0 && wanted.count(line))
        owner[line] = pkg;
  }
  std::map<std::string, std::string> version;
  {
    std::ifstream in(fs::path(dpkg_dir) / "status");
    std::string line, pkg;
    while (std::getline(in, line)) {
      if (line.rfind("Package: ", 0) == 0)
        pkg = line.substr(9);
      else if (line.rfind("Version: ", 0) == 0 && !pkg.empty())
        version[pkg] = line.substr(9);
    }
  }
  std::map<std::string, int64_t> counts;
  for (const auto& c : catalogs) {
    auto it = owner.find(c.path);
    ++counts[it == owner.end() ? std::string("(no package)") : it->second];
  }
  std::vector<PackageCount> out;
  for (const auto& [pkg, n] : counts) {
    auto v = version.find(pkg);
    out.push_back({pkg, v == version.end() ? "" : v->second, n});
  }
  return out;
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/moemt/debs";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/moemt/debs";
  return ".moemt-cache/debs";
}

namespace {
// apt-get download into WORK/deb (it writes into the current directory), then the catalogs
// only (dpkg-deb's file system tar, filtered) into WORK/tree.
void download_and_unpack(const PackageSpec& spec, const FetchedPackage& f, const fs::path& work) {
  const fs::path dl = work / "deb";
  int rc = run_shell("cd '" + dl.string() + "' && apt-get download -q " + spec.name + "=" +
                     f.version + " > apt.log 2>&1");
  if (rc != 0) {
    std::string msg = last_line(read_file(dl / "apt.log"));
    throw Error(
        "package {}={}: apt-get download failed ({}); run 'apt-get update' or update "
        "the pin in the package list",
        spec.name, f.version, msg.empty() ? "exit " + std::to_string(rc) : msg);
  }
  fs::path deb;
  for (const auto& e : fs::directory_iterator(dl))
    if (e.path().extension() == ".deb") deb = e.path();
  if (deb.empty())
    throw Error("package {}={}: apt-get download produced no .deb", spec.name, f.version);
  if (run_shell("dpkg-deb --info '" + deb.string() + "' > /dev/null 2>&1") != 0)
    throw Error("package {}={}: the downloaded {} is not a valid .deb; run again", spec.name,
                f.version, deb.filename().string());
  const fs::path part = work / "tree";
  fs::create_directories(part);
  rc = run_shell("dpkg-deb --fsys-tarfile '" + deb.string() + "' | tar -x -C '" + part.string() +
                 "' --wildcards --no-anchored '*/LC_MESSAGES/*.mo' 2>/dev/null");
  (void)rc;  // tar fails when no member matches; an empty tree is reported by the caller
}

}  // namespace

FetchedPackage fetch_package(const PackageSpec& spec, const std::string& cache_dir) {
  FetchedPackage f;
  f.name = spec.name;
  f.version = spec.version;
  if (f.version.empty()) {
    f.version = candidate_version(spec.name);
    if (f.version.empty())
      throw Error(
          "package {}: apt-cache knows no version of it (run 'apt-get update', or check "
          "the name)",
          spec.name);
    log::warn("package {} is not pinned; using the candidate version {}", spec.name, f.version);
  }
  if (cache_dir.find('\'') != std::string::npos)
    throw Error("cache directory {} must not contain a single quote", cache_dir);
  const std::string stem = spec.name + "_" + escape_version(f.version);
  fs::path cache(cache_dir);
  fs::path tree = cache / "tree" / stem;
  f.tree = tree.string();
  if (fs::exists(tree / ".complete")) return f;

  // Every temporary lives in a private "tree/STEM.tmp.PID" folder (core/file_io's naming, so
  // leftovers of killed runs are removed) and the finished tree is published by one rename:
  // two runs sharing the cache never touch each other's files, and the loser of a race keeps
  // the winner's identical tree.
  fs::create_directories(cache / "tree");
  remove_stale_temps(tree.string());
  const fs::path work = temp_sibling(tree.string(), "tmp");
  fs::remove_all(work);
  fs::create_directories(work / "deb");
  try {
    download_and_unpack(spec, f, work);
  } catch (...) {
    fs::remove_all(work);
    throw;
  }
  std::ofstream(work / "tree" / ".complete") << f.version << "\n";
  std::error_code ec;
  fs::rename(work / "tree", tree, ec);
  if (ec && !fs::exists(tree / ".complete")) {  // an incomplete tree of an old layout or crash
    fs::remove_all(tree);
    fs::rename(work / "tree", tree);
  }
  fs::remove_all(work);
  f.downloaded = true;
  return f;
}

}  // namespace moemt::corpus
