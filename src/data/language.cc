// Language registry: parsing of the TSV table and the built-in copy of
// corpora/languages.tsv (kept identical by tests/corpus/language_test.cc).
#include "data/language.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace moemt::data {
namespace {

// Compiled in so the binary needs no repository checkout at run time.
constexpr std::string_view kBuiltinTsv =
    R"TSV(# moemt language registry: one language per line, tab-separated. gettext_locales lists the
# catalog locales in order of preference (comma-separated). Scripts are ISO 15924 codes.
iso1	iso3	flores	gettext_locales	name	script	family	branch
en	eng	eng_Latn	en	English	Latn	Indo-European	Germanic
de	deu	deu_Latn	de	German	Latn	Indo-European	Germanic
nl	nld	nld_Latn	nl	Dutch	Latn	Indo-European	Germanic
sv	swe	swe_Latn	sv	Swedish	Latn	Indo-European	Germanic
da	dan	dan_Latn	da	Danish	Latn	Indo-European	Germanic
nb	nob	nob_Latn	nb	Norwegian Bokmål	Latn	Indo-European	Germanic
fr	fra	fra_Latn	fr	French	Latn	Indo-European	Romance
es	spa	spa_Latn	es	Spanish	Latn	Indo-European	Romance
it	ita	ita_Latn	it	Italian	Latn	Indo-European	Romance
pt	por	por_Latn	pt_BR,pt	Portuguese	Latn	Indo-European	Romance
ro	ron	ron_Latn	ro	Romanian	Latn	Indo-European	Romance
ca	cat	cat_Latn	ca	Catalan	Latn	Indo-European	Romance
gl	glg	glg_Latn	gl	Galician	Latn	Indo-European	Romance
ru	rus	rus_Cyrl	ru	Russian	Cyrl	Indo-European	Slavic
uk	ukr	ukr_Cyrl	uk	Ukrainian	Cyrl	Indo-European	Slavic
bg	bul	bul_Cyrl	bg	Bulgarian	Cyrl	Indo-European	Slavic
sr	srp	srp_Cyrl	sr	Serbian	Cyrl	Indo-European	Slavic
pl	pol	pol_Latn	pl	Polish	Latn	Indo-European	Slavic
cs	ces	ces_Latn	cs	Czech	Latn	Indo-European	Slavic
sk	slk	slk_Latn	sk	Slovak	Latn	Indo-European	Slavic
sl	slv	slv_Latn	sl	Slovenian	Latn	Indo-European	Slavic
hr	hrv	hrv_Latn	hr	Croatian	Latn	Indo-European	Slavic
lt	lit	lit_Latn	lt	Lithuanian	Latn	Indo-European	Baltic
el	ell	ell_Grek	el	Greek	Grek	Indo-European	Hellenic
fi	fin	fin_Latn	fi	Finnish	Latn	Uralic	Finnic
et	est	est_Latn	et	Estonian	Latn	Uralic	Finnic
hu	hun	hun_Latn	hu	Hungarian	Latn	Uralic	Ugric
tr	tur	tur_Latn	tr	Turkish	Latn	Turkic	Oghuz
eu	eus	eus_Latn	eu	Basque	Latn	Basque	Basque
he	heb	heb_Hebr	he	Hebrew	Hebr	Afro-Asiatic	Semitic
ar	ara	arb_Arab	ar	Arabic	Arab	Afro-Asiatic	Semitic
hi	hin	hin_Deva	hi	Hindi	Deva	Indo-European	Indo-Aryan
id	ind	ind_Latn	id	Indonesian	Latn	Austronesian	Malayo-Polynesian
vi	vie	vie_Latn	vi	Vietnamese	Latn	Austroasiatic	Vietic
th	tha	tha_Thai	th	Thai	Thai	Kra-Dai	Tai
ja	jpn	jpn_Jpan	ja	Japanese	Jpan	Japonic	Japanese
zh	zho	zho_Hans	zh_CN	Chinese (Simplified)	Hans	Sino-Tibetan	Sinitic
ko	kor	kor_Hang	ko	Korean	Hang	Koreanic	Korean
)TSV";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

}  // namespace

std::string_view LanguageRegistry::builtin_tsv() { return kBuiltinTsv; }

const LanguageRegistry& LanguageRegistry::builtin() {
  static const LanguageRegistry reg = parse(kBuiltinTsv, "<built-in languages.tsv>");
  return reg;
}

LanguageRegistry LanguageRegistry::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, 0, "cannot open language registry");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

LanguageRegistry LanguageRegistry::parse(std::string_view tsv, const std::string& origin) {
  static const std::vector<std::string> kColumns = {"iso1", "iso3",   "flores", "gettext_locales",
                                                    "name", "script", "family", "branch"};
  LanguageRegistry reg;
  bool header_seen = false;
  int64_t line_no = 0;
  for (const std::string& raw : split(tsv, '\n')) {
    ++line_no;
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    if (!header_seen) {
      if (cols != kColumns)
        throw file_error(origin, line_no,
                         fmt::format("expected header columns: {}", fmt::join(kColumns, " ")));
      header_seen = true;
      continue;
    }
    if (cols.size() != kColumns.size())
      throw file_error(
          origin, line_no,
          fmt::format("expected {} tab-separated columns, found {}", kColumns.size(), cols.size()));
    for (size_t i = 0; i < cols.size(); ++i)
      if (cols[i].empty()) throw file_error(origin, line_no, "empty column " + kColumns[i]);
    Language l{cols[0], cols[1], cols[2], split(cols[3], ','), cols[4], cols[5], cols[6], cols[7]};
    if (l.flores.size() < 6 || l.flores[3] != '_')
      throw file_error(origin, line_no, "FLORES code must look like 'deu_Latn': " + l.flores);
    size_t pos = reg.langs_.size();
    for (const std::string& code : {l.iso1, l.iso3, l.flores}) {
      auto [it, fresh] = reg.index_.emplace(lower(code), pos);
      if (!fresh && it->second != pos)
        throw file_error(origin, line_no, "duplicate language code " + code);
    }
    reg.langs_.push_back(std::move(l));
  }
  if (!header_seen) throw file_error(origin, 0, "empty language registry");
  return reg;
}

const Language* LanguageRegistry::find(std::string_view code) const {
  auto it = index_.find(lower(code));
  return it == index_.end() ? nullptr : &langs_[it->second];
}

const Language& LanguageRegistry::get(std::string_view code) const {
  if (const Language* l = find(code)) return *l;
  throw Error("unknown language code '{}' (known: {}; ISO 639-3 and FLORES codes work too)", code,
              known_codes());
}

std::string LanguageRegistry::known_codes() const {
  std::string out;
  for (const auto& l : langs_) out += (out.empty() ? "" : " ") + l.iso1;
  return out;
}

std::map<std::string, std::vector<std::string>> LanguageRegistry::families() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& l : langs_) out[l.family].push_back(l.flores);
  return out;
}

std::map<std::string, std::vector<std::string>> LanguageRegistry::branches() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& l : langs_) out[l.family + "/" + l.branch].push_back(l.flores);
  return out;
}

}  // namespace moemt::data
