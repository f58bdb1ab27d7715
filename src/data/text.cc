// UTF-8 validation and checked line reading.
#include "data/text.h"

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace moemt::data {

bool valid_utf8(std::string_view s, size_t* bad_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Number of continuation bytes and the allowed range of the second byte, which is
    // where overlongs (E0/F0), surrogates (ED) and > U+10FFFF (F4) are excluded.
    size_t extra = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    if (i + extra >= n) {  // truncated sequence at the end
      if (bad_offset) *bad_offset = i;
      return false;
    }
    if (p[i + 1] < lo || p[i + 1] > hi) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    for (size_t k = 2; k <= extra; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        if (bad_offset) *bad_offset = i;
        return false;
      }
    }
    i += extra + 1;
  }
  return true;
}

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\v' && c != '\f' && c != '\r' && c != '\n') return false;
  }
  return true;
}

LineReader::LineReader(std::string path) : path_(std::move(path)) {
  in_ = std::make_unique<std::ifstream>(path_, std::ios::binary);
  if (!in_->is_open()) {
    throw file_error(path_, 0, fmt::format("cannot open file ({})", std::strerror(errno)));
  }
}

LineReader::~LineReader() = default;

bool LineReader::next(std::string& line) {
  if (!std::getline(*in_, line)) {
    if (in_->bad()) throw file_error(path_, line_ + 1, "read error");
    return false;
  }
  ++line_;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  // A UTF-8 byte-order mark (from some Windows editors) is not part of the first sentence.
  if (line_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
  size_t bad = 0;
  if (!valid_utf8(line, &bad)) {
    throw file_error(path_, line_,
                     fmt::format("invalid UTF-8 at byte offset {} (byte 0x{:02X}); convert the "
                                 "file to UTF-8 or remove the line",
                                 bad, static_cast<unsigned char>(line[bad])));
  }
  return true;
}

std::vector<std::string> read_lines(const std::string& path) {
  LineReader reader(path);
  std::vector<std::string> lines;
  std::string line;
  while (reader.next(line)) lines.push_back(line);
  return lines;
}

}  // namespace moemt::data
