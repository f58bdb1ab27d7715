// `moemt score`: sacrebleu-compatible BLEU, chrF(++) and TER from the command line, with
// sentence-level scores, confidence intervals and the paired bootstrap test.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "eval/approx_randomization.h"
#include "eval/bleu.h"
#include "eval/bootstrap.h"
#include "eval/chrf.h"
#include "eval/score_format.h"
#include "eval/ter.h"
#include "eval/unicode_text.h"

namespace moemt::cli {
namespace {

namespace po = boost::program_options;

// sacrebleu's multi-letter single-dash flags, rewritten to their long forms for Boost.
const std::map<std::string, std::string> kAliases = {
    {"-tok", "--tokenize"},     {"-lc", "--lowercase"},       {"-sl", "--sentence-level"},
    {"-pbs", "--paired-bs"},    {"-par", "--paired-ar"},      {"-parn", "--paired-ar-n"},
    {"-pbsn", "--paired-bs-n"}, {"-ci", "--confidence"},      {"-cin", "--confidence-n"},
    {"-nr", "--num-refs"},      {"-cc", "--chrf-char-order"}, {"-cw", "--chrf-word-order"},
    {"-sv", "--smooth-value"},  {"-sh", "--short"},
};

// Resamples/trials of the statistical tests: sacrebleu uses 1000 and 10000; a million takes
// minutes already.
constexpr int kMaxResamples = 1'000'000;

struct TextFile {
  std::string name;
  std::vector<std::string> lines;
};

// Reads lines split on '\n' only and right-stripped of Unicode whitespace, as sacrebleu
// reads them; checks UTF-8 and reports the file and line of a bad byte.
TextFile read_text(const std::string& path) {
  TextFile f;
  f.name = path;
  std::string data;
  if (path == "-") {
    f.name = "<stdin>";
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("{}: cannot open file", path);
    std::ostringstream buf;
    buf << in.rdbuf();
    data = std::move(buf).str();
  }
  size_t start = 0;
  int64_t lineno = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    size_t end = nl == std::string::npos ? data.size() : nl;
    std::string_view line(data.data() + start, end - start);
    ++lineno;
    size_t bad = 0;
    if (!eval::valid_utf8(line, &bad))
      throw file_error(f.name, lineno, fmt::format("invalid UTF-8 (byte {} of the line)", bad + 1));
    f.lines.emplace_back(eval::rstrip_py_utf8(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (f.lines.empty()) throw Error("{}: file is empty", f.name);
  return f;
}

// Splits each line on tabs into `n` fields (sacrebleu's --num-refs and multi-system stdin).
std::vector<std::vector<std::string>> split_tabs(const TextFile& f, int n) {
  std::vector<std::vector<std::string>> out(n);
  for (size_t i = 0; i < f.lines.size(); ++i) {
    std::vector<std::string> fields;
    std::string_view rest = f.lines[i];
    while (static_cast<int>(fields.size()) + 1 < n) {
      size_t tab = rest.find('\t');
      if (tab == std::string_view::npos) break;
      fields.emplace_back(rest.substr(0, tab));
      rest.remove_prefix(tab + 1);
    }
    fields.emplace_back(rest);
    if (static_cast<int>(fields.size()) != n)
      throw file_error(f.name, static_cast<int64_t>(i + 1),
                       fmt::format("expected {} tab-separated fields, found {}", n, fields.size()));
    for (int k = 0; k < n; ++k) out[k].push_back(std::string(eval::rstrip_py_utf8(fields[k])));
  }
  return out;
}

struct NamedMetric {
  std::string key;  // BLEU, CHRF, TER: sacrebleu orders the output by this
  std::unique_ptr<eval::Metric> metric;
};

void print_aligned(const std::vector<std::string>& lines) {
  // Align on the first '=' like sacrebleu; lines without one (-b) print as they are.
  size_t w = 0;
  for (const auto& l : lines) {
    size_t eq = l.find('=');
    if (eq != std::string::npos && eq > 0) w = std::max(w, eq - 1);
  }
  for (const auto& l : lines) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::printf("%s\n", l.c_str());
      continue;
    }
    std::printf("%*s%s\n", static_cast<int>(w), l.substr(0, eq - 1).c_str(),
                l.substr(eq - 1).c_str());
  }
}

size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(s.substr(start, nl - start));
  out.push_back(s.substr(start));
  return out;
}

// The table sacrebleu prints for several systems: python-tabulate's "fancy_grid" with the
// first column right-aligned and the others centred (extra space on the right), cells of
// several lines, and columns at least 2 wider than their header.
std::string fancy_grid(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows) {
  const size_t ncol = headers.size();
  std::vector<size_t> w(ncol);
  for (size_t c = 0; c < ncol; ++c) {
    w[c] = display_width(headers[c]) + 2;
    for (const auto& row : rows)
      for (const auto& l : split_lines(row[c])) w[c] = std::max(w[c], display_width(l));
  }
  auto align = [&](const std::string& text, size_t c) {
    const size_t pad = w[c] - display_width(text);
    const size_t left = c == 0 ? pad : pad / 2;
    return std::string(left, ' ') + text + std::string(pad - left, ' ');
  };
  auto rule = [&](const char* l, const char* fill, const char* mid, const char* r) {
    std::string out = l;
    for (size_t c = 0; c < ncol; ++c) {
      for (size_t i = 0; i < w[c] + 2; ++i) out += fill;
      out += c + 1 < ncol ? mid : r;
    }
    return out + "\n";
  };
  auto row_lines = [&](const std::vector<std::string>& row) {
    std::vector<std::vector<std::string>> cells;
    size_t height = 1;
    for (const auto& cell : row) {
      cells.push_back(split_lines(cell));
      height = std::max(height, cells.back().size());
    }
    std::string out;
    for (size_t i = 0; i < height; ++i) {
      out += "│";
      for (size_t c = 0; c < ncol; ++c) {
        out += ' ';
        out += align(i < cells[c].size() ? cells[c][i] : "", c);
        out += " │";
      }
      out += "\n";
    }
    return out;
  };
  std::string out = rule("╒", "═", "╤", "╕") + row_lines(headers) + rule("╞", "═", "╪", "╡");
  for (size_t r = 0; r < rows.size(); ++r) {
    out += row_lines(rows[r]);
    if (r + 1 < rows.size()) out += rule("├", "─", "┼", "┤");
  }
  return out + rule("╘", "═", "╧", "╛");
}

std::string usage() {
  return "usage: moemt score REF... [-i HYP...] [-m bleu chrf ter] [options]\n"
         "Scores hypotheses (a file per system with -i, else stdin) against references,\n"
         "giving the same numbers as sacrebleu 2.x.\n";
}

int run_score(const std::vector<std::string>& raw_args) {
  std::vector<std::string> args;
  for (const auto& a : raw_args) {
    auto it = kAliases.find(a);
    args.push_back(it == kAliases.end() ? a : it->second);
  }

  std::vector<std::string> refs_files, inputs, metrics_names;
  std::string tokenize, smooth_method, format, langpair;
  double smooth_value = -1;
  int num_refs = 1, width = 2, chrf_char_order = 6, chrf_word_order = 0, chrf_beta = 2;
  int paired_bs_n = eval::kDefaultBootstrapSamples, confidence_n = eval::kDefaultBootstrapSamples;
  int paired_ar_n = eval::kDefaultArTrials;
  uint64_t seed = eval::kDefaultBootstrapSeed;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("refs", po::value(&refs_files)->multitoken(),
                                                 "reference files (positional)")(
      "input,i", po::value(&inputs)->multitoken(),
      "hypothesis file(s); several systems for --paired-bs, the first is the baseline")(
      "metrics,m", po::value(&metrics_names)->multitoken(), "bleu, chrf, ter (default: bleu)")(
      "num-refs", bounded(&num_refs, 1, 1000)->default_value(1),
      "-nr: tab-separated references per line in one file")(
      "language-pair,l", po::value(&langpair), "SRC-TRG: picks the BLEU tokenizer for TRG")(
      "tokenize", po::value(&tokenize), "-tok: none, 13a (default), intl, char, zh")(
      "lowercase", po::bool_switch(), "-lc: case-insensitive BLEU")(
      "smooth-method,s", po::value(&smooth_method)->default_value("exp"),
      "BLEU smoothing: exp, floor, add-k, none")("smooth-value", bounded(&smooth_value, 0.0, 1000.0),
                                                 "-sv: value for floor (0.1) and add-k (1)")(
      "chrf-char-order", bounded(&chrf_char_order, 1, 100)->default_value(6), "-cc")(
      "chrf-word-order", bounded(&chrf_word_order, 0, 100)->default_value(0), "-cw: 2 gives chrF++")(
      "chrf-beta", bounded(&chrf_beta, 0, 100)->default_value(2), "recall weight")(
      "chrf-whitespace", po::bool_switch(), "keep whitespace in character n-grams")(
      "chrf-lowercase", po::bool_switch(), "case-insensitive chrF")(
      "chrf-eps-smoothing", po::bool_switch(), "epsilon smoothing (chrF++.py, Moses, NLTK)")(
      "ter-case-sensitive", po::bool_switch(), "case-sensitive TER")(
      "ter-asian-support", po::bool_switch(), "split CJK characters (with --ter-normalized)")(
      "ter-no-punct", po::bool_switch(), "remove punctuation")(
      "ter-normalized", po::bool_switch(), "Tercom normalisation and tokenisation")(
      "sentence-level", po::bool_switch(), "-sl: one score per segment (one metric)")(
      "confidence", po::bool_switch(), "-ci: bootstrap 95 % confidence interval")(
      "confidence-n", bounded(&confidence_n, 1, kMaxResamples)->default_value(confidence_n), "-cin: resamples")(
      "paired-bs", po::bool_switch(), "-pbs: paired bootstrap test against the first -i")(
      "paired-bs-n", bounded(&paired_bs_n, 1, kMaxResamples)->default_value(paired_bs_n), "-pbsn: resamples")(
      "paired-ar", po::bool_switch(), "-par: paired approximate randomization test")(
      "paired-ar-n", bounded(&paired_ar_n, 1, kMaxResamples)->default_value(paired_ar_n), "-parn: trials")(
      "seed", bounded(&seed, 0, UINT64_MAX)->default_value(seed),
      "seed of the paired tests and -ci (sacrebleu's SACREBLEU_SEED; same draws)")(
      "format,f", po::value(&format)->default_value("text"), "text or json")(
      "score-only,b", po::bool_switch(), "print only the score")(
      "width,w", bounded(&width, 0, 10)->default_value(2), "decimals printed")(
      "short", po::bool_switch(), "-sh: accepted for sacrebleu compatibility")(
      "quiet,q", po::bool_switch(), "accepted for sacrebleu compatibility");
  po::positional_options_description pos;
  pos.add("refs", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << usage() << desc << "\n";
    return 0;
  }
  const bool lowercase = vm["lowercase"].as<bool>();
  const bool sentence_level = vm["sentence-level"].as<bool>();
  const bool paired_bs = vm["paired-bs"].as<bool>();
  const bool paired_ar = vm["paired-ar"].as<bool>();
  if (paired_bs && paired_ar) throw Error("--paired-bs and --paired-ar exclude each other");
  const bool paired = paired_bs || paired_ar;
  const bool confidence = vm["confidence"].as<bool>();
  const bool score_only = vm["score-only"].as<bool>();
  const bool short_sig = vm["short"].as<bool>();
  if (format != "text" && format != "json") throw Error("--format must be text or json");
  if (width < 0 || width > 10) throw Error("--width must be 0..10");
  if (refs_files.empty())
    throw Error("give at least one reference file before -i (moemt score REF... -i HYP)");
  if (num_refs < 1) throw Error("--num-refs must be >= 1");
  if (num_refs > 1 && refs_files.size() > 1)
    throw Error("--num-refs reads tab-separated references from one file; give only one");
  if (metrics_names.empty()) metrics_names = {"bleu"};

  // References: refs[r][i].
  eval::RefStreams refs;
  std::vector<std::string> ref_names;
  for (const auto& path : refs_files) {
    TextFile f = read_text(path);
    if (num_refs > 1) {
      for (auto& stream : split_tabs(f, num_refs)) {
        refs.push_back(std::move(stream));
        ref_names.push_back(f.name);
      }
    } else {
      refs.push_back(std::move(f.lines));
      ref_names.push_back(f.name);
    }
  }
  // Systems: one file each, or tab-separated columns on stdin.
  std::vector<std::vector<std::string>> systems;
  std::vector<std::string> sys_names, sys_files;
  if (inputs.empty()) {
    TextFile f = read_text("-");
    size_t nsys = 1;
    for (char c : f.lines[0]) nsys += c == '\t';
    systems = split_tabs(f, static_cast<int>(nsys));
    sys_files.assign(nsys, f.name);
    for (size_t s = 0; s < nsys; ++s)
      sys_names.push_back(paired ? (s == 0 ? "Baseline" : fmt::format("System {}", s))
                                 : fmt::format("System {}", s + 1));
  } else {
    for (const auto& path : inputs) {
      if (std::find(sys_names.begin(), sys_names.end(), path) != sys_names.end()) {
        if (paired && path == sys_names[0]) continue;  // the baseline given again
        throw Error("'{}' is given twice as a system", path);
      }
      systems.push_back(read_text(path).lines);
      sys_names.push_back(path);
      sys_files.push_back(path);
    }
    if (paired) sys_names[0] = "Baseline: " + sys_names[0];
  }
  for (size_t s = 0; s < systems.size(); ++s)
    for (size_t r = 0; r < refs.size(); ++r)
      if (systems[s].size() != refs[r].size())
        throw Error("line counts differ: hypothesis {} has {} lines, reference {} has {}",
                    sys_files[s], systems[s].size(), ref_names[r], refs[r].size());
  if (sentence_level) {
    if (metrics_names.size() > 1) throw Error("--sentence-level takes exactly one metric");
    if (systems.size() > 1) throw Error("--sentence-level scores one system only");
    if (confidence || paired)
      throw Error("statistical tests are unavailable with --sentence-level");
  }
  if (paired && systems.size() < 2)
    throw Error("paired tests need several systems: -i BASELINE SYS1 [SYS2...]");
  if (confidence && systems.size() > 1)
    throw Error("use --paired-bs for several systems, not --confidence");

  // Metrics, ordered by name as sacrebleu prints them.
  std::vector<NamedMetric> metrics;
  std::sort(metrics_names.begin(), metrics_names.end());
  metrics_names.erase(std::unique(metrics_names.begin(), metrics_names.end()), metrics_names.end());
  for (const auto& m : metrics_names) {
    if (m == "bleu") {
      eval::BleuOptions o;
      std::string trg = langpair.find('-') != std::string::npos
                            ? langpair.substr(langpair.find('-') + 1)
                            : std::string();
      if (!tokenize.empty()) {
        o.tokenize = tokenize;
        if (trg == "zh" && tokenize != "zh") log::warn("consider the 'zh' tokenizer for Chinese");
      } else if (trg == "zh") {
        o.tokenize = "zh";
      } else if (trg == "ja" || trg == "ko") {
        // sacrebleu uses MeCab here; moemt has no MeCab, so it falls back to characters and the
        // signature says tok:char.
        o.tokenize = "char";
        log::warn("no MeCab tokenizer in this build: BLEU for '{}' uses the 'char' tokenizer", trg);
      }
      o.lowercase = lowercase;
      o.smooth = eval::parse_bleu_smooth(smooth_method);
      if (vm.count("smooth-value")) o.smooth_value = smooth_value;
      o.effective_order = sentence_level;
      metrics.push_back({"BLEU", std::make_unique<eval::Bleu>(o)});
    } else if (m == "chrf") {
      eval::ChrfOptions o;
      o.char_order = chrf_char_order;
      o.word_order = chrf_word_order;
      o.beta = chrf_beta;
      o.lowercase = vm["chrf-lowercase"].as<bool>();
      o.whitespace = vm["chrf-whitespace"].as<bool>();
      o.eps_smoothing = vm["chrf-eps-smoothing"].as<bool>();
      metrics.push_back({"CHRF", std::make_unique<eval::Chrf>(o)});
    } else if (m == "ter") {
      eval::TerOptions o;
      o.case_sensitive = vm["ter-case-sensitive"].as<bool>();
      o.asian_support = vm["ter-asian-support"].as<bool>();
      o.no_punct = vm["ter-no-punct"].as<bool>();
      o.normalized = vm["ter-normalized"].as<bool>();
      metrics.push_back({"TER", std::make_unique<eval::Ter>(o)});
    } else {
      throw Error("unknown metric '{}' (choose bleu, chrf, ter); give references before -i/-m", m);
    }
  }
  const int nrefs = static_cast<int>(refs.size());

  if (sentence_level) {
    const eval::Metric& metric = *metrics[0].metric;
    std::vector<double> stats = metric.corpus_stats(systems[0], refs);
    const size_t k = metric.num_stats();
    const std::string sig = metric.signature(nrefs, {}, short_sig);
    std::string out;
    for (size_t i = 0; i < systems[0].size(); ++i) {
      eval::Score sc = metric.score_from_stats(stats.data() + i * k);
      out += score_only ? eval::format_score_value(sc, width)
                        : eval::format_score_text(sc, width, sig);
      out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }

  if (systems.size() == 1) {
    std::vector<std::string> results;
    for (const auto& nm : metrics) {
      std::vector<double> stats = nm.metric->corpus_stats(systems[0], refs);
      eval::Score sc = nm.metric->score_from_segment_stats(stats);
      eval::SignatureExtras extras;
      if (confidence) {
        eval::BootstrapOptions bo{confidence_n, seed};
        auto scores = eval::bootstrap_scores(*nm.metric, {stats}, bo);
        std::tie(sc.mean, sc.ci) = eval::estimate_ci(scores[0]);
        extras.bs = confidence_n;
        extras.seed = std::to_string(seed);
      }
      // sacrebleu prints full names in JSON even with --short.
      const std::string sig = nm.metric->signature(nrefs, extras, short_sig && format != "json");
      if (score_only)
        results.push_back(eval::format_score_value(sc, width));
      else if (format == "json")
        results.push_back(eval::format_score_json(sc, width, sig));
      else
        results.push_back(eval::format_score_text(sc, width, sig));
    }
    // JSON mode joins several results into a list, even the bare numbers of -b (as sacrebleu).
    if (format == "json") {
      if (results.size() == 1) {
        std::printf("%s\n", results[0].c_str());
      } else {
        std::string joined;
        for (size_t i = 0; i < results.size(); ++i) joined += (i ? ",\n" : "") + results[i];
        std::printf("[\n%s\n]\n", joined.c_str());
      }
    } else {
      print_aligned(results);
    }
    return 0;
  }

  // Several systems: a table, with the paired bootstrap test when asked.
  const size_t nsys = systems.size();
  std::vector<std::string> headers = {"System"};
  std::vector<std::vector<std::string>> cells(nsys);
  for (size_t s = 0; s < nsys; ++s) cells[s].push_back(sys_names[s]);
  std::vector<std::pair<std::string, std::string>> sigs;
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  for (size_t s = 0; s < nsys; ++s) json.push_back({{"system", sys_names[s]}});
  for (const auto& nm : metrics) {
    std::vector<std::vector<double>> stats;
    for (const auto& sys : systems) stats.push_back(nm.metric->corpus_stats(sys, refs));
    const std::string name = nm.metric->name();
    if (paired) {
      std::vector<eval::SystemResult> res;
      if (paired_bs) {
        res = eval::paired_bootstrap(*nm.metric, stats, {paired_bs_n, seed});
        headers.push_back(name + " (μ ± 95% CI)");
      } else {
        res = eval::paired_approximate_randomization(*nm.metric, stats, {paired_ar_n, seed});
        headers.push_back(name);
      }
      for (size_t s = 0; s < nsys; ++s) {
        std::string c = eval::format_fixed(res[s].score, width);
        if (paired_bs)
          c += " (" + eval::format_fixed(res[s].mean, width) + " ± " +
               eval::format_fixed(res[s].ci, width) + ")";
        if (res[s].p_value) {
          c += fmt::format("\n(p = {:.4f})", *res[s].p_value);  // a second line in the cell
          if (*res[s].p_value <= 0.05) c += "*";
        }
        cells[s].push_back(c);
        nlohmann::ordered_json r;
        r["score"] = res[s].score;
        r["p_value"] = res[s].p_value ? nlohmann::ordered_json(*res[s].p_value) : nullptr;
        r["mean"] = paired_bs ? nlohmann::ordered_json(res[s].mean) : nullptr;
        r["ci"] = paired_bs ? nlohmann::ordered_json(res[s].ci) : nullptr;
        json[s][name] = r;
      }
      eval::SignatureExtras extras;
      if (paired_bs)
        extras.bs = paired_bs_n;
      else
        extras.ar = paired_ar_n;
      extras.seed = std::to_string(seed);
      sigs.emplace_back(name, nm.metric->signature(nrefs, extras, short_sig));
    } else {
      headers.push_back(name);
      for (size_t s = 0; s < nsys; ++s) {
        std::string c =
            eval::format_fixed(nm.metric->score_from_segment_stats(stats[s]).score, width);
        cells[s].push_back(c);
        json[s][name] = c;
      }
      sigs.emplace_back(name, nm.metric->signature(nrefs, {}, short_sig));
    }
  }
  if (format == "json") {
    std::printf("%s\n", json.dump(4).c_str());
    return 0;
  }
  std::printf("%s\n", fancy_grid(headers, cells).c_str());
  if (paired) {
    // sacrebleu's explanation, word for word (it colours some words on a terminal only).
    std::string msg = paired_bs
                          ? fmt::format("Paired bootstrap resampling test with {} resampling trials",
                                        paired_bs_n)
                          : fmt::format("Paired approximate randomization test with {} trials",
                                        paired_ar_n);
    std::string rule(msg.size(), '-');
    std::printf("%s\n%s\n%s\n", rule.c_str(), msg.c_str(), rule.c_str());
    std::printf(" - Each system is pairwise compared to %s.\n", sys_names[0].c_str());
    std::printf("%s", paired_bs ? "   Actual system score / bootstrap estimated true mean / 95% CI "
                                  "are provided for each metric.\n"
                                : "   Actual system score is provided for each metric.\n");
    std::printf(
        "\n"
        " - Null hypothesis: the system and the baseline translations are essentially\n"
        "   generated by the same underlying process. For a given system and the baseline,\n"
        "   the p-value is roughly the probability of the absolute score difference (delta)\n"
        "   or higher occurring due to chance, under the assumption that the null hypothesis is "
        "correct.\n"
        "\n"
        " - Assuming a significance threshold of 0.05, the null hypothesis can be rejected\n"
        "   for p-values < 0.05 (marked with \"*\"). This means that the delta is unlikely to be "
        "attributed\n"
        "   to chance, hence the system is significantly \"different\" than the baseline.\n"
        "   Otherwise, the p-values are highlighted in red.\n"
        "\n"
        " - NOTE: Significance does not tell whether a system is \"better\" than the baseline but "
        "rather\n"
        "   emphasizes the \"difference\" of the systems in terms of the replicability of the "
        "delta.\n"
        "\n");
  }
  std::printf("-----------------\nMetric signatures\n-----------------\n");
  for (const auto& [name, sig] : sigs) std::printf(" - %-10s %s\n", name.c_str(), sig.c_str());
  return 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("score", "BLEU / chrF / TER scores identical to sacrebleu", run_score);
}  // namespace moemt::cli
