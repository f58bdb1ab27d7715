// Test helper: writes .mo images by hand (either byte order) so the reader is checked
// against catalogs whose every byte the test controls.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace moemt::corpus::testing {

struct RawEntry {
  std::string id;   // may hold "ctxt\x04msgid" and "singular\0plural"
  std::string str;  // may hold "form0\0form1"
};

inline void put_u32(std::string& b, uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) {
    int shift = big ? 8 * (3 - i) : 8 * i;
    b.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

// Builds a .mo image: header, original table, translation table, no hash table, strings.
inline std::string make_mo(std::vector<RawEntry> entries, bool big_endian = false,
                           uint32_t revision = 0) {
  std::sort(entries.begin(), entries.end(),
            [](const RawEntry& a, const RawEntry& b) { return a.id < b.id; });
  const uint32_t n = static_cast<uint32_t>(entries.size());
  const uint32_t orig = 28, trans = orig + 8 * n;
  uint32_t data = trans + 8 * n;
  std::string head, strings;
  put_u32(head, 0x950412de, big_endian);
  put_u32(head, revision, big_endian);
  put_u32(head, n, big_endian);
  put_u32(head, orig, big_endian);
  put_u32(head, trans, big_endian);
  put_u32(head, 0, big_endian);
  put_u32(head, data, big_endian);
  std::string otab, ttab;
  auto add = [&](std::string& tab, const std::string& s) {
    put_u32(tab, static_cast<uint32_t>(s.size()), big_endian);
    put_u32(tab, data + static_cast<uint32_t>(strings.size()), big_endian);
    strings += s;
    strings.push_back('\0');
  };
  for (const auto& e : entries) add(otab, e.id);
  for (const auto& e : entries) add(ttab, e.str);
  return head + otab + ttab + strings;
}

inline std::string utf8_header(const std::string& plural = "nplurals=2; plural=(n != 1);") {
  return "Project-Id-Version: test\nContent-Type: text/plain; charset=UTF-8\nPlural-Forms: " +
         plural + "\n";
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace moemt::corpus::testing
