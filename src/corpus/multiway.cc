// Multi-way set reading and corpus counting.
#include "corpus/multiway.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/text.h"

namespace moemt::corpus {
namespace fs = std::filesystem;
namespace {

fs::path split_dir(const std::string& dir, const std::string& split) {
  fs::path root(dir);
  std::error_code ec;
  if (fs::is_directory(root / split, ec)) return root / split;
  if (fs::is_directory(root, ec) && root.filename() == split) return root;
  if (!fs::is_directory(root, ec)) throw Error("{}: no such directory", dir);
  throw Error("{}: no '{}' directory (expected {}/{}/<flores_code>.{} files as in FLORES-200)", dir,
              split, dir, split, split);
}

int64_t count_lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw file_error(p.string(), 0, "cannot open");
  int64_t n = 0;
  char buf[1 << 16];
  bool last_nl = true;
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    std::streamsize got = in.gcount();
    for (std::streamsize i = 0; i < got; ++i) n += buf[i] == '\n';
    last_nl = buf[got - 1] == '\n';
  }
  return n + (last_nl ? 0 : 1);
}

}  // namespace

const std::vector<std::string>& MultiwaySet::get(const std::string& flores) const {
  auto it = lines.find(flores);
  if (it == lines.end()) throw Error("{}: no {} file for {}", dir, split, flores);
  return it->second;
}

MultiwaySet load_multiway(const std::string& dir, const std::string& split,
                          const std::vector<std::string>& only, const data::LanguageRegistry& reg) {
  MultiwaySet set;
  fs::path d = split_dir(dir, split);
  set.dir = d.string();
  set.split = split;
  std::vector<std::pair<std::string, fs::path>> files;  // flores code, path
  if (!only.empty()) {
    for (const std::string& code : only) {
      const data::Language& l = reg.get(code);
      fs::path p = d / (l.flores + "." + split);
      if (!fs::exists(p))
        throw Error("{}: no {} for {} ({} missing)", set.dir, split, l.name, p.string());
      files.emplace_back(l.flores, p);
    }
  } else {
    for (const auto& e : fs::directory_iterator(d)) {
      if (!e.is_regular_file() || e.path().extension() != "." + split) continue;
      std::string code = e.path().stem().string();
      const data::Language* l = reg.find(code);
      if (!l || l->flores != code) {
        set.unknown_files.push_back(e.path().filename().string());
        continue;
      }
      files.emplace_back(code, e.path());
    }
    std::sort(files.begin(), files.end());
    std::sort(set.unknown_files.begin(), set.unknown_files.end());
    if (files.empty())
      throw Error("{}: no <flores_code>.{} files of known languages{}", set.dir, split,
                  set.unknown_files.empty() ? "" : " (only unknown codes)");
  }
  std::string first_path;
  for (const auto& [code, p] : files) {
    auto lines = data::read_lines(p.string());
    if (!set.lines.empty() && lines.size() != set.size())
      throw Error(
          "{}: {} lines, but {} has {}; a multi-way set needs the same count in every "
          "language",
          p.string(), lines.size(), first_path, set.size());
    if (set.lines.empty()) first_path = p.string();
    set.lines[code] = std::move(lines);
  }
  return set;
}

CorpusCounts count_corpus(const std::string& dir, const data::LanguageRegistry& reg) {
  CorpusCounts c;
  fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw Error("{}: no such directory", dir);
  bool any = false;
  for (const std::string split : {"dev", "devtest"}) {
    if (!fs::is_directory(root / split, ec)) continue;
    any = true;
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(root / split))
      if (e.is_regular_file() && e.path().extension() == "." + split) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    fs::path first;
    int64_t first_n = -1;
    for (const auto& path : paths) {
      std::string code = path.stem().string();
      const data::Language* l = reg.find(code);
      if (!l || l->flores != code) {
        c.unknown_files.push_back(split + "/" + path.filename().string());
        continue;
      }
      const int64_t n = count_lines(path);
      // Line i of every language is the same sentence: a short file shifts all that follow.
      if (first_n >= 0 && n != first_n)
        throw Error(
            "{}: {} lines, but {} has {}; a multi-way set needs the same count in every language",
            path.string(), n, first.string(), first_n);
      if (first_n < 0) first = path, first_n = n;
      (split == "dev" ? c.rows[code].dev : c.rows[code].devtest) = n;
    }
  }
  if (fs::is_directory(root / "train", ec)) {
    any = true;
    // train/<src>-<tgt>.<tgt>: the target side carries the count.
    for (const auto& e : fs::directory_iterator(root / "train")) {
      std::string stem = e.path().stem().string(), ext = e.path().extension().string();
      size_t dash = stem.find('-');
      if (dash == std::string::npos || ext.size() < 2) continue;
      std::string src = stem.substr(0, dash), tgt = stem.substr(dash + 1);
      if (ext.substr(1) != tgt) continue;
      if (!reg.find(tgt)) {
        c.unknown_files.push_back("train/" + e.path().filename().string());
        continue;
      }
      c.source = src;
      c.rows[tgt].train = count_lines(e.path());
      const fs::path src_side = root / "train" / (stem + "." + src);
      if (fs::is_regular_file(src_side, ec) && count_lines(src_side) != c.rows[tgt].train)
        throw Error("{}: {} lines, but {} has {}; the two sides of a pair need the same count",
                    e.path().string(), c.rows[tgt].train, src_side.string(), count_lines(src_side));
    }
  }
  if (!any || (c.rows.empty() && c.unknown_files.empty()))
    throw Error(
        "{}: no dev/<code>.dev, devtest/<code>.devtest or train/ files; not a corpus or "
        "FLORES directory",
        dir);
  std::sort(c.unknown_files.begin(), c.unknown_files.end());
  return c;
}

}  // namespace moemt::corpus
