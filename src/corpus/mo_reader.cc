// .mo parsing. Layout (GNU gettext manual, "The Format of GNU MO Files"): magic 0x950412de in
// the writer's byte order, revision, N, offset of the original-string table, offset of the
// translation table, hash table size and offset; each table holds N (length, offset) pairs.
#include "corpus/mo_reader.h"

#include <unicode/ucnv.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "data/text.h"

namespace moemt::corpus {
namespace {

constexpr uint32_t kMagic = 0x950412de;
constexpr uint32_t kMagicSwapped = 0xde120495;

uint32_t load_u32(std::string_view b, size_t off, bool big) {
  auto u = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(b[off + i])); };
  if (big) return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
  return u(0) | (u(1) << 8) | (u(2) << 16) | (u(3) << 24);
}

std::vector<std::string> split_nul(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find('\0', start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool is_utf8_name(std::string cs) {
  for (char& c : cs) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return cs.empty() || cs == "utf-8" || cs == "utf8" || cs == "charset" || cs == "ascii" ||
         cs == "us-ascii";
}

// Converts `s` from `charset` to UTF-8 with ICU; throws on an unknown converter.
class Converter {
 public:
  Converter(const std::string& charset, const std::string& path) {
    UErrorCode st = U_ZERO_ERROR;
    cnv_ = ucnv_open(charset.c_str(), &st);
    if (U_FAILURE(st) || !cnv_)
      throw file_error(path, 0, fmt::format("unknown charset '{}' in catalog header", charset));
    ucnv_setToUCallBack(cnv_, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &st);
    utf8_ = ucnv_open("UTF-8", &st);
  }
  ~Converter() {
    if (cnv_) ucnv_close(cnv_);
    if (utf8_) ucnv_close(utf8_);
  }
  // Returns false when `in` has bytes invalid in the source charset.
  bool convert(std::string_view in, std::string* out) {
    UErrorCode st = U_ZERO_ERROR;
    out->assign(in.size() * 4 + 4, '\0');
    char* target = out->data();
    const char* source = in.data();
    ucnv_convertEx(utf8_, cnv_, &target, out->data() + out->size(), &source, in.data() + in.size(),
                   nullptr, nullptr, nullptr, nullptr, true, true, &st);
    if (U_FAILURE(st)) return false;
    out->resize(static_cast<size_t>(target - out->data()));
    return true;
  }

 private:
  UConverter* cnv_ = nullptr;
  UConverter* utf8_ = nullptr;
};

}  // namespace

std::string header_field(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find('\n', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view line = header.substr(pos, end - pos);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.remove_suffix(1);
      return std::string(v);
    }
    pos = end + 1;
  }
  return "";
}

MoCatalog parse_mo(std::string_view b, const std::string& path) {
  MoCatalog cat;
  cat.path = path;
  uint32_t magic = b.size() >= 4 ? load_u32(b, 0, false) : 0;
  if (magic == kMagic)
    cat.big_endian = false;
  else if (magic == kMagicSwapped)
    cat.big_endian = true;
  else if (b.size() < 4)
    throw file_error(path, 0, fmt::format("truncated .mo file ({} bytes)", b.size()));
  else
    throw file_error(path, 0,
                     fmt::format("not a .mo file (magic 0x{:08x}, expected 0x950412de)", magic));
  if (b.size() < 28)
    throw file_error(path, 0,
                     fmt::format("truncated .mo file ({} bytes, header needs 28)", b.size()));
  const bool be = cat.big_endian;
  cat.revision = load_u32(b, 4, be);
  if ((cat.revision >> 16) > 1)
    throw file_error(path, 0, fmt::format("unsupported .mo major revision {}", cat.revision >> 16));
  const uint64_t n = load_u32(b, 8, be);
  const uint64_t orig_off = load_u32(b, 12, be);
  const uint64_t trans_off = load_u32(b, 16, be);
  if (orig_off + 8 * n > b.size() || trans_off + 8 * n > b.size())
    throw file_error(path, 0,
                     fmt::format("truncated .mo file: {} entries need string tables up to "
                                 "byte {}, file has {}",
                                 n, std::max(orig_off, trans_off) + 8 * n, b.size()));
  auto str_at = [&](uint64_t table, uint64_t i, const char* which) {
    uint64_t len = load_u32(b, table + 8 * i, be);
    uint64_t off = load_u32(b, table + 8 * i + 4, be);
    if (off + len > b.size())
      throw file_error(path, 0,
                       fmt::format("corrupt .mo file: {} string {} at offset {} length {} "
                                   "runs past the end ({} bytes)",
                                   which, i, off, len, b.size()));
    return b.substr(off, len);
  };

  // The header (msgid "") comes first in the sorted table; find it to learn the charset.
  std::vector<std::pair<std::string_view, std::string_view>> raw;
  raw.reserve(n);
  for (uint64_t i = 0; i < n; ++i)
    raw.emplace_back(str_at(orig_off, i, "original"), str_at(trans_off, i, "translation"));
  for (const auto& [id, str] : raw)
    if (id.empty()) cat.header = std::string(str);
  std::string ctype = header_field(cat.header, "Content-Type");
  size_t cs = ctype.find("charset=");
  cat.charset = cs == std::string::npos ? "UTF-8" : ctype.substr(cs + 8);
  while (!cat.charset.empty() && (cat.charset.back() == ';' || cat.charset.back() == ' '))
    cat.charset.pop_back();
  std::unique_ptr<Converter> conv;
  if (!is_utf8_name(cat.charset)) {
    conv = std::make_unique<Converter>(cat.charset, path);
    std::string h;
    if (conv->convert(cat.header, &h)) cat.header = h;
  }
  std::string pf = header_field(cat.header, "Plural-Forms");
  try {
    cat.plural_forms = parse_plural_forms(pf);
  } catch (const Error& e) {
    throw file_error(path, 0, e.what());
  }

  std::string id_u8, str_u8;
  for (const auto& [id_raw, str_raw] : raw) {
    if (id_raw.empty()) continue;
    std::string_view id = id_raw, str = str_raw;
    if (conv) {
      // msgids are normally ASCII English; convert both sides as the catalog declares.
      if (!conv->convert(id_raw, &id_u8) || !conv->convert(str_raw, &str_u8)) {
        ++cat.invalid_utf8;
        continue;
      }
      id = id_u8;
      str = str_u8;
    }
    if (!data::valid_utf8(id) || !data::valid_utf8(str)) {
      ++cat.invalid_utf8;
      continue;
    }
    MoEntry e;
    size_t eot = id.find('\x04');
    if (eot != std::string_view::npos) {
      e.context = std::string(id.substr(0, eot));
      id.remove_prefix(eot + 1);
    }
    size_t nul = id.find('\0');
    if (nul != std::string_view::npos) {
      e.msgid = std::string(id.substr(0, nul));
      e.msgid_plural = std::string(id.substr(nul + 1));
    } else {
      e.msgid = std::string(id);
    }
    e.msgstr = split_nul(str);
    cat.entries.push_back(std::move(e));
  }
  return cat;
}

MoCatalog read_mo(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, 0, "cannot open .mo file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_mo(ss.str(), path);
}

}  // namespace moemt::corpus
