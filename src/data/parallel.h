// Parallel training text: pairs of files (src, tgt) or TSV files, each example tagged with
// its source and target language; several language pairs load into one list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moemt::data {

// One translation example as raw text. Languages are kept as the strings found in file names
// or TSV columns (e.g. "eng_Latn", "de"); the caller maps them with the language registry.
struct Example {
  std::string src, tgt;
  std::string src_lang, tgt_lang;
  int32_t source = 0;     // index of the ParallelSource/TsvSource it came from
  int64_t line = 0;       // 1-based line in that source (for error messages)
  bool reversed = false;  // true for the tgt->src copy made by both_directions
};

// Two line-aligned files. Empty languages are taken from the file names' last extension:
// "train.eng_Latn" -> "eng_Latn", "news.de" -> "de" (see lang_from_path).
struct ParallelSource {
  std::string src_path, tgt_path;
  std::string src_lang, tgt_lang;
};

// One tab-separated file; the column count is fixed by the first line:
//   2 columns: src <TAB> tgt                   languages from this struct or the file name
//                                              "x.<src_lang>-<tgt_lang>.tsv"
//   3 columns: tgt_lang <TAB> src <TAB> tgt    source language from this struct or the file
//                                              name "x.<src_lang>.tsv" / "x.<src>-<tgt>.tsv"
//   4 columns: src_lang <TAB> tgt_lang <TAB> src <TAB> tgt
// Languages given in this struct take precedence over the file name; a language column
// always wins for its own line.
struct TsvSource {
  std::string path;
  std::string src_lang, tgt_lang;
};

struct LoadOptions {
  // Empty (or whitespace-only) src or tgt line (CLI: --skip-empty): false = error naming
  // file:line,
  // true = drop the pair and count it in LoadStats::skipped_empty.
  bool skip_empty = false;
  // Pairs where either side is longer than this many bytes are dropped and counted
  // (0 = no limit). Token-length limits are applied later by the BatchGenerator.
  size_t max_length_bytes = 0;
  // Also add tgt->src for each pair (so one file pair trains both directions).
  bool both_directions = false;
};

struct LoadStats {
  int64_t read = 0;           // pairs read from the files
  int64_t skipped_empty = 0;  // dropped by skip_empty
  int64_t skipped_long = 0;   // dropped by max_length_bytes
  int64_t examples = 0;       // examples returned (incl. reversed copies)
};

// Language code from a file name's last extension: "dir/train.eng_Latn" -> "eng_Latn".
// Accepts FLORES-style codes (xxx_Xxxx) and 2-3 letter codes (de, deu); returns "" when the
// extension does not look like a language code (or is a common extension: txt, tsv, gz,
// src, tgt, ...).
std::string lang_from_path(const std::string& path);

// Loads all sources in order (file pairs first, then TSV files). Errors (moemt::Error) name
// the file and, where it applies, the line: missing file, invalid UTF-8, empty line,
// empty file, mismatched line counts (both files and both counts), bad TSV column count, language
// that can be neither found nor inferred. Example::source numbers pairs 0..P-1 and TSV files
// P..P+T-1.
std::vector<Example> load_examples(const std::vector<ParallelSource>& pairs,
                                   const std::vector<TsvSource>& tsvs,
                                   const LoadOptions& options = {}, LoadStats* stats = nullptr);

// The same for a single kind of source.
std::vector<Example> load_parallel(const std::vector<ParallelSource>& pairs,
                                   const LoadOptions& options = {}, LoadStats* stats = nullptr);
std::vector<Example> load_tsv(const std::vector<TsvSource>& tsvs, const LoadOptions& options = {},
                              LoadStats* stats = nullptr);

}  // namespace moemt::data
