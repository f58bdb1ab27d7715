// Pair filters: accelerators, placeholders, script, ratios, identical pairs, normalisation.
#include "corpus/filters.h"

#include <gtest/gtest.h>

namespace moemt::corpus {
namespace {

const data::Language& lang(const char* code) { return data::LanguageRegistry::builtin().get(code); }

std::variant<CleanPair, Drop> clean(const std::string& s, const std::string& t, const char* l) {
  return clean_pair(s, t, lang(l), FilterOptions{});
}

Drop dropped(const std::string& s, const std::string& t, const char* l) {
  auto r = clean(s, t, l);
  EXPECT_TRUE(std::holds_alternative<Drop>(r)) << s << " | " << t;
  return std::holds_alternative<Drop>(r) ? std::get<Drop>(r) : Drop::kCount;
}

CleanPair kept(const std::string& s, const std::string& t, const char* l) {
  auto r = clean(s, t, l);
  if (auto* d = std::get_if<Drop>(&r)) {
    ADD_FAILURE() << s << " | " << t << " dropped as " << drop_name(*d);
    return {};
  }
  return std::get<CleanPair>(r);
}

TEST(Accelerators, DetectAndStrip) {
  EXPECT_EQ(detect_accelerator("_File"), '_');
  EXPECT_EQ(detect_accelerator("Save _As..."), '_');
  EXPECT_EQ(detect_accelerator("&Open"), '&');
  EXPECT_EQ(detect_accelerator("~Save"), '~');
  EXPECT_EQ(detect_accelerator("Drag & Drop"), 0);
  EXPECT_EQ(detect_accelerator("Fish &amp; Chips"), 0);
  EXPECT_EQ(detect_accelerator("Plain text"), 0);
  EXPECT_EQ(strip_accelerator("Save _As...", '_'), "Save As...");
  EXPECT_EQ(strip_accelerator("ファイル(_F)", '_'), "ファイル");
  EXPECT_EQ(strip_accelerator("파일 (&F)", '&'), "파일");
  EXPECT_EQ(strip_accelerator("_Файл", '_'), "Файл");
  EXPECT_EQ(strip_accelerator("A_b_c", '_'), "A_b_c");  // two candidates: ambiguous, kept
  EXPECT_EQ(strip_accelerator("_File", 0), "_File");
}

TEST(Accelerators, StrippedConsistentlyInPairs) {
  EXPECT_EQ(kept("_Open Recent", "Zuletzt _geöffnet", "de").target, "Zuletzt geöffnet");
  EXPECT_EQ(kept("_Open Recent", "Zuletzt _geöffnet", "de").source, "Open Recent");
  EXPECT_EQ(kept("&Print document", "&Dokument drucken", "de").target, "Dokument drucken");
  EXPECT_EQ(kept("_Open the file", "ファイルを開く(_O)", "ja").target, "ファイルを開く");
  // Word-initial mnemonics are stripped even where the translator kept the word.
  EXPECT_EQ(
      kept("_Aggregator selection policy", "Richtlinie für die _Aggregator-Auswahl", "de").target,
      "Richtlinie für die Aggregator-Auswahl");
  // A mnemonic only the translation has is stripped too, when it starts a word.
  EXPECT_EQ(kept("Set Time...", "&Zeit einstellen ...", "de").target, "Zeit einstellen ...");
  EXPECT_EQ(kept("Open the file", "ファイルを開く(_O)", "ja").target, "ファイルを開く");
  EXPECT_EQ(kept("Use drag and drop here", "Drag&Drop hier verwenden", "de").target,
            "Drag&Drop hier verwenden");
  // An identifier copied into the translation is not a mnemonic.
  CleanPair p = kept("Set user_name now", "Setze user_name jetzt", "de");
  EXPECT_EQ(p.source, "Set user_name now");
  EXPECT_EQ(p.target, "Setze user_name jetzt");
}

TEST(Placeholders, Tokens) {
  EXPECT_EQ(placeholders("%s of %s"), placeholders("%2$s von %1$s"));
  EXPECT_EQ(placeholders("%d of %s"), (std::vector<std::string>{"p:1:d", "p:2:s"}));
  EXPECT_EQ(placeholders("%2$s von %1$d"), (std::vector<std::string>{"p:1:d", "p:2:s"}));
  EXPECT_EQ(placeholders("%i items"), placeholders("%d Elemente"));
  EXPECT_EQ(placeholders("%lu bytes"), (std::vector<std::string>{"p:1:lu"}));
  EXPECT_EQ(placeholders("100% done, 50 %"), (std::vector<std::string>{}));
  EXPECT_EQ(placeholders("100%% done"), (std::vector<std::string>{}));
  EXPECT_EQ(placeholders("%(name)s is here"), (std::vector<std::string>{"n:names"}));
  EXPECT_EQ(placeholders("Copy %1 to %2"), (std::vector<std::string>{"q:1", "q:2"}));
  EXPECT_EQ(placeholders("{0} and {name}"), (std::vector<std::string>{"b:0", "b:name"}));
  EXPECT_EQ(placeholders("Path ${HOME} and $USER"), (std::vector<std::string>{"s:HOME", "s:USER"}));
  EXPECT_EQ(placeholders("<b>Bold</b> &amp; <br/>"),
            (std::vector<std::string>{"e:&amp;", "t:/b", "t:b", "t:br/"}));
  // A lone <file> in a usage message is text, not markup.
  EXPECT_EQ(placeholders("Usage: cp <source> <dest>"), (std::vector<std::string>{}));
  EXPECT_EQ(placeholders("%Y-%m-%d"), placeholders("%d.%m.%Y"));
  // A conversion followed directly by a CJK letter is still a conversion.
  EXPECT_EQ(placeholders("%02i minute divisions"), placeholders("%02i分間隔"));
  EXPECT_EQ(placeholders("%5ju、%s"), (std::vector<std::string>{"p:1:ju", "p:2:s"}));
}

TEST(Filters, PlaceholderMismatchDropped) {
  EXPECT_EQ(dropped("Deleted %d files", "%s Dateien gelöscht", "de"), Drop::kPlaceholderMismatch);
  EXPECT_EQ(dropped("Show <b>all</b> files", "Alle Dateien anzeigen", "de"),
            Drop::kPlaceholderMismatch);
  kept("Copied %s to %s", "%2$s nach %1$s kopiert", "de");
  kept("Show <b>all</b> files", "<b>Alle</b> Dateien anzeigen", "de");
}

TEST(Filters, ScriptChecks) {
  EXPECT_EQ(dropped("Open the file", "Open the file please", "ru"), Drop::kWrongScript);
  EXPECT_EQ(dropped("Open the file", "Открыть файл", "de"), Drop::kWrongScript);
  EXPECT_EQ(dropped("Датотека", "Datei", "de"), Drop::kWrongScript);  // source not English
  kept("Open GNOME Shell settings", "Открыть настройки GNOME Shell", "ru");
  kept("Open the file", "ファイルを開く", "ja");
  kept("Open the file", "打开文件", "zh");
  kept("Open the file", "파일 열기", "ko");
  EXPECT_GT(script_fraction("Ελληνικά", "Grek"), 0.99);
  EXPECT_LT(script_fraction("", "Latn"), 0);
}

TEST(Filters, IdenticalAndLength) {
  kept("Status", "Status", "de");  // a word legitimately equal in German
  EXPECT_EQ(dropped("The operation failed because of an error",
                    "The operation failed because of an error", "de"),
            Drop::kIdentical);
  EXPECT_EQ(dropped("Cancel the whole operation now", "X", "de"), Drop::kLengthRatio);
  EXPECT_EQ(dropped("Close", "Schließen Sie dieses Fenster bitte jetzt sofort und endgültig", "de"),
            Drop::kLengthRatio);
  kept("Close", "Schließen", "de");  // short: the ratio is not checked
  kept("Could not open the file because it does not exist.", "文件不存在，无法打开。", "zh");
  EXPECT_EQ(dropped(std::string(600, 'a') + " b", std::string(600, 'c') + " d", "de"),
            Drop::kTooLong);
}

TEST(Filters, OtherDrops) {
  EXPECT_EQ(dropped("Open", "", "de"), Drop::kUntranslated);
  EXPECT_EQ(dropped("Bell\x07 here", "Glocke\x07 hier", "de"), Drop::kControlChars);
  EXPECT_EQ(dropped("%s: %s", "%s: %s", "de"), Drop::kNoLetters);
  EXPECT_EQ(dropped("calendar:MY", "calendar:YM", "de"), Drop::kIdentifier);
  EXPECT_EQ(dropped("Open", " \n ", "de"), Drop::kEmpty);
  EXPECT_EQ(dropped("<b>%s</b>", "<b>%s</b>", "de"), Drop::kNoLetters);
  EXPECT_EQ(dropped("A", "A", "de"), Drop::kNoLetters);
  EXPECT_EQ(count_letters("Ab 1 Ж ж %"), 4);
  EXPECT_EQ(text_without_placeholders("<b>%d</b> of %s: 100%%"), " of : 100");
}

TEST(Filters, NormalisesText) {
  EXPECT_EQ(nfc("Cafe\xCC\x81"), "Caf\xC3\xA9");  // e + combining acute -> é
  EXPECT_EQ(collapse_whitespace("  two\n lines\there \xC2\xA0 "), "two lines here");
  CleanPair p = kept("Two\nlines of text", "Zwei\nZeilen Text", "de");
  EXPECT_EQ(p.target, "Zwei Zeilen Text");
  EXPECT_EQ(kept("Caf\xC3\xA9 menu", "Cafe\xCC\x81-Men\xC3\xBC", "de").target,
            "Caf\xC3\xA9-Men\xC3\xBC");
}

}  // namespace
}  // namespace moemt::corpus
