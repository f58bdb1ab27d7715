// Plain-text input for training data: UTF-8 validation and line reading that reports
// problems as "path:line: message" errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace moemt::data {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
// On failure, *bad_offset (if given) receives the byte offset of the first bad sequence.
bool valid_utf8(std::string_view s, size_t* bad_offset = nullptr);

// True when `s` holds only ASCII whitespace (space, tab, \v, \f, \r, \n) or is empty.
bool is_blank(std::string_view s);

// Streams the lines of a text file. Lines are returned without the '\n' and without one
// trailing '\r' (so CRLF files read the same as LF files); a UTF-8 byte-order mark at the
// start of the file is dropped. Every line is checked for
// UTF-8; a bad line throws moemt::Error "path:line: invalid UTF-8 at byte N".
// A missing/unreadable file throws "path: cannot open file (reason)" on construction.
class LineReader {
 public:
  explicit LineReader(std::string path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Reads the next line into `line`; returns false at end of file.
  bool next(std::string& line);

  const std::string& path() const { return path_; }
  // 1-based number of the line last returned (0 before the first call).
  int64_t line_number() const { return line_; }

 private:
  std::string path_;
  std::unique_ptr<std::ifstream> in_;
  int64_t line_ = 0;
};

// Reads a whole file as lines (see LineReader for the rules and the errors).
std::vector<std::string> read_lines(const std::string& path);

}  // namespace moemt::data
