// Loading line-aligned file pairs and TSV files into tagged examples.
#include "data/parallel.h"

#include <cctype>
#include <filesystem>
#include <set>
#include <string_view>

#include "core/error.h"
#include "data/text.h"

namespace moemt::data {
namespace {

bool all_of(std::string_view s, int (*pred)(int)) {
  for (char c : s)
    if (!pred(static_cast<unsigned char>(c))) return false;
  return true;
}

// "de", "deu", "eng_Latn", "zho_Hans"; also "pt_BR"-like region codes are not accepted:
// they are rare in file names and would make "train.my_file" ambiguous.
bool looks_like_lang(std::string_view s) {
  auto is_lang = [](std::string_view a) {
    return (a.size() == 2 || a.size() == 3) && all_of(a, [](int c) { return islower(c); });
  };
  // Common file extensions that would otherwise pass as 2-3 letter codes.
  static const std::set<std::string_view> kNotLangs = {
      "txt", "tsv", "csv", "gz",  "xz", "bz2", "zst", "src", "tgt", "ref", "hyp", "out", "tok",
      "bpe", "spm", "xml", "sgm", "md", "py",  "sh",  "cc",  "h",   "log", "raw", "yml"};
  if (kNotLangs.contains(s)) return false;
  if (is_lang(s)) return true;
  const size_t u = s.find('_');
  if (u == std::string_view::npos) return false;
  std::string_view lang = s.substr(0, u), script = s.substr(u + 1);
  return is_lang(lang) && script.size() == 4 && isupper(static_cast<unsigned char>(script[0])) &&
         all_of(script.substr(1), [](int c) { return islower(c); });
}

std::string extension(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return "";
  return name.substr(dot + 1);
}

// "train.eng_Latn-deu_Latn.tsv" -> {"eng_Latn", "deu_Latn"}; "train.eng_Latn.tsv" ->
// {"eng_Latn", ""} (source only, for the formats with a target-language column).
std::pair<std::string, std::string> langs_from_tsv_path(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  if (name.size() > 4 && name.ends_with(".tsv")) name.resize(name.size() - 4);
  const std::string ext = extension(name);
  const size_t dash = ext.find('-');
  if (dash == std::string::npos) return {looks_like_lang(ext) ? ext : "", ""};
  std::string a = ext.substr(0, dash), b = ext.substr(dash + 1);
  if (!looks_like_lang(a) || !looks_like_lang(b)) return {};
  return {a, b};
}

class Loader {
 public:
  Loader(const LoadOptions& o, LoadStats& st, std::vector<Example>& out)
      : opt_(o), st_(st), out_(out) {}

  // Applies the empty/length policy and appends the pair (and its reverse).
  void add(std::string src, std::string tgt, const std::string& src_lang,
           const std::string& tgt_lang, int32_t source, int64_t line, const std::string& src_file,
           const std::string& tgt_file) {
    ++st_.read;
    const bool src_empty = is_blank(src), tgt_empty = is_blank(tgt);
    if (src_empty || tgt_empty) {
      if (opt_.skip_empty) {
        ++st_.skipped_empty;
        return;
      }
      throw file_error(src_empty ? src_file : tgt_file, line,
                       "empty line; remove it, or pass --skip-empty to drop such pairs");
    }
    if (opt_.max_length_bytes > 0 &&
        (src.size() > opt_.max_length_bytes || tgt.size() > opt_.max_length_bytes)) {
      ++st_.skipped_long;
      return;
    }
    if (opt_.both_directions) {
      Example reverse{tgt, src, tgt_lang, src_lang, source, line, true};
      out_.push_back(Example{std::move(src), std::move(tgt), src_lang, tgt_lang, source, line});
      out_.push_back(std::move(reverse));
    } else {
      out_.push_back(Example{std::move(src), std::move(tgt), src_lang, tgt_lang, source, line});
    }
  }

 private:
  const LoadOptions& opt_;
  LoadStats& st_;
  std::vector<Example>& out_;
};

std::string resolve_lang(const std::string& given, const std::string& path, const char* side) {
  if (!given.empty()) return given;
  std::string lang = lang_from_path(path);
  if (lang.empty()) {
    throw file_error(path, 0,
                     fmt::format("cannot tell the {} language from the file name; name the file "
                                 "like 'train.eng_Latn' or give the language explicitly",
                                 side));
  }
  return lang;
}

void load_pair(const ParallelSource& s, int32_t index, Loader& loader) {
  const std::string src_lang = resolve_lang(s.src_lang, s.src_path, "source");
  const std::string tgt_lang = resolve_lang(s.tgt_lang, s.tgt_path, "target");
  LineReader src(s.src_path), tgt(s.tgt_path);
  std::string a, b;
  while (true) {
    const bool has_a = src.next(a);
    const bool has_b = tgt.next(b);
    if (has_a && has_b) {
      loader.add(std::move(a), std::move(b), src_lang, tgt_lang, index, src.line_number(),
                 s.src_path, s.tgt_path);
      continue;
    }
    if (!has_a && !has_b) {
      if (src.line_number() == 0) throw file_error(s.src_path, 0, "file is empty");
      break;
    }
    // One file ended first: count the rest of the other to report both totals.
    LineReader& longer = has_a ? src : tgt;
    std::string rest;
    while (longer.next(rest)) {
    }
    throw Error(
        "line counts differ: {} has {} lines but {} has {} lines; the files must be "
        "line-aligned",
        s.src_path, src.line_number(), s.tgt_path, tgt.line_number());
  }
}

void load_tsv_file(const TsvSource& s, int32_t index, Loader& loader) {
  auto [name_src, name_tgt] = langs_from_tsv_path(s.path);
  const std::string src_default = !s.src_lang.empty() ? s.src_lang : name_src;
  const std::string tgt_default = !s.tgt_lang.empty() ? s.tgt_lang : name_tgt;
  LineReader in(s.path);
  std::string line;
  size_t columns = 0;
  std::vector<std::string_view> f;
  while (in.next(line)) {
    if (is_blank(line)) {  // the empty-line policy applies to whole blank lines too
      loader.add("", "", src_default, tgt_default, index, in.line_number(), s.path, s.path);
      continue;
    }
    f.clear();
    size_t start = 0;
    while (true) {
      const size_t tab = line.find('\t', start);
      f.emplace_back(std::string_view(line).substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (columns == 0) {
      columns = f.size();
      if (columns < 2 || columns > 4) {
        throw file_error(s.path, in.line_number(),
                         fmt::format("expected 2 to 4 tab-separated columns (src, tgt / tgt_lang, "
                                     "src, tgt / src_lang, tgt_lang, src, tgt) but found {}",
                                     columns));
      }
      if (columns <= 3 && src_default.empty()) {
        throw file_error(s.path, 0,
                         fmt::format("a {}-column TSV needs its source language: name it like "
                                     "'train.{}.tsv' or give it explicitly",
                                     columns, columns == 2 ? "eng_Latn-deu_Latn" : "eng_Latn"));
      }
      if (columns == 2 && tgt_default.empty()) {
        throw file_error(s.path, 0,
                         "a 2-column TSV needs its target language: name it like "
                         "'train.eng_Latn-deu_Latn.tsv' or give it explicitly");
      }
    } else if (f.size() != columns) {
      throw file_error(s.path, in.line_number(),
                       fmt::format("found {} tab-separated columns but the first line has {}",
                                   f.size(), columns));
    }
    std::string src_lang = src_default, tgt_lang = tgt_default;
    if (columns == 3) tgt_lang = std::string(f[0]);
    if (columns == 4) {
      src_lang = std::string(f[0]);
      tgt_lang = std::string(f[1]);
    }
    if (tgt_lang.empty() || (columns == 4 && src_lang.empty())) {
      throw file_error(s.path, in.line_number(), "empty language column");
    }
    loader.add(std::string(f[columns - 2]), std::string(f[columns - 1]), src_lang, tgt_lang, index,
               in.line_number(), s.path, s.path);
  }
  if (in.line_number() == 0) throw file_error(s.path, 0, "file is empty");
}

}  // namespace

std::string lang_from_path(const std::string& path) {
  // Split names are 3-letter words too; FLORES-style "dev/eng_Latn.dev" carries the language
  // in the stem, so look one component further left.
  static const std::set<std::string_view> kSplits = {"dev", "devtest", "test", "train", "valid"};
  std::string name = std::filesystem::path(path).filename().string();
  for (int i = 0; i < 2; ++i) {
    const size_t dot = name.rfind('.');
    std::string ext = dot == std::string::npos ? name : name.substr(dot + 1);
    if (!kSplits.contains(ext)) return looks_like_lang(ext) && (dot != std::string::npos || i > 0) ? ext : "";
    if (dot == std::string::npos || dot == 0) return "";
    name.resize(dot);
  }
  return "";
}

std::vector<Example> load_examples(const std::vector<ParallelSource>& pairs,
                                   const std::vector<TsvSource>& tsvs, const LoadOptions& options,
                                   LoadStats* stats) {
  std::vector<Example> out;
  LoadStats local;
  Loader loader(options, local, out);
  int32_t index = 0;
  for (const auto& p : pairs) load_pair(p, index++, loader);
  for (const auto& t : tsvs) load_tsv_file(t, index++, loader);
  local.examples = static_cast<int64_t>(out.size());
  if (stats) *stats = local;
  return out;
}

std::vector<Example> load_parallel(const std::vector<ParallelSource>& pairs,
                                   const LoadOptions& options, LoadStats* stats) {
  return load_examples(pairs, {}, options, stats);
}

std::vector<Example> load_tsv(const std::vector<TsvSource>& tsvs, const LoadOptions& options,
                              LoadStats* stats) {
  return load_examples({}, tsvs, options, stats);
}

}  // namespace moemt::data
