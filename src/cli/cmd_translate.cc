// `moemt translate`: stdin (or -i) to stdout (or -o), one line in, one line out, in order.
// Lines are read in chunks of --maxi-batch x --mini-batch, so whole corpora stream through;
// on a terminal every line is translated and flushed as soon as it is typed.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/options.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/output_file.h"
#include "core/threads.h"
#include "data/sample.h"
#include "data/text.h"
#include "decode/loaded_model.h"
#include "decode/routing_trace.h"
#include "decode/translator.h"
#include "nn/precision.h"

namespace moemt::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct InputLine {
  std::string text;
  std::string tgt;  // TSV mode: the line's target language
};

int run_translate(const std::vector<std::string>& args) {
  using S = std::string;
  po::options_description desc("moemt translate options");
  desc.add_options()
    ("help,h", "print this help")
    ("config,c", po::value<std::vector<S>>()->composing(), "YAML config file(s)")
    ("model,m", po::value<S>()->required(), "model directory written by `moemt train`")
    ("to,t", po::value<S>()->default_value(""), "target language (any registry code: de, deu, deu_Latn)")
    ("from,f", po::value<S>()->default_value(""), "source language (needed by models that route by source family)")
    ("tsv", po::bool_switch(), "input lines are LANG<TAB>TEXT with a target language per line")
    ("input,i", po::value<S>()->default_value("-"), "input file (- = stdin)")
    ("output,o", po::value<S>()->default_value("-"), "output file (- = stdout)")
    ("beam-size,b", bounded(decode::kBeamSizeRange)->default_value(4), "beam size (1 = greedy)")
    ("normalize,n", bounded(decode::kNormalizeRange)->default_value(0.6f), "length normalisation exponent")
    ("max-length-factor", bounded(decode::kMaxLengthFactorRange)->default_value(3.f), "output at most this times the input length")
    ("max-length", bounded(decode::kOutputLengthRange)->default_value(256), "output tokens at most")
    ("max-input-length", bounded(decode::kInputLengthRange)->default_value(256), "longer inputs are truncated (with a warning)")
    ("min-length", bounded(decode::kMinLengthRange)->default_value(0), "block end-of-sentence before this many output tokens")
    ("n-best", po::bool_switch(), "print Marian-style n-best lists: id ||| text ||| F0= score ||| normalized")
    ("allow-unk", po::bool_switch(), "allow <unk> in the output")
    ("mini-batch-words", bounded(kMiniBatchWordsRange)->default_value(2048), "token budget of a batch (x beam)")
    ("mini-batch", bounded(kMiniBatchRange)->default_value(64), "sentences per batch at most")
    ("maxi-batch", bounded(kMaxiBatchRange)->default_value(20), "batches read ahead and sorted by length")
    ("interactive", po::bool_switch(), "translate and flush line by line (default when stdin is a terminal)")
    ("routing-trace", po::value<S>()->default_value(""), "write per-token MoE routing as JSON lines to this file")
    ("cpu-threads", bounded(kCpuThreadsRange)->default_value(0), "CPU threads (0 = all cores)")
    ("devices,d", devices_value(), kDevicesHelp)
    ("precision", precision_value(), kPrecisionHelp)
    ("mmap", po::bool_switch(), "CPU: memory-map model.safetensors instead of reading it (no copy; only the parameters used are read from disk; no data checksum)")
    ("quiet", po::bool_switch(), "no progress output");
  po::variables_map vm;
  if (!parse_options("translate", args, desc, vm)) return 0;
  set_num_threads(cap_cpu_threads(vm["cpu-threads"].as<int>()));

  const DType precision = precision_from_option(vm["precision"].as<std::vector<S>>());
  decode::LoadedModel lm = decode::load_model(
      vm["model"].as<S>(), device_from_option(vm["devices"].as<std::vector<S>>()),
      vm["mmap"].as<bool>() ? decode::LoadMode::mmap : decode::LoadMode::eager);
  // --precision bfloat16: the GEMMs read a bf16 copy of the f32 weights.
  nn::set_compute_precision(lm.model->params(), precision);
  const bool tsv = vm["tsv"].as<bool>();
  int32_t fixed_tgt = -1, src = 0;
  if (!tsv) {
    if (vm["to"].as<S>().empty())
      throw Error("--to is required (this model translates into: {})",
                  fmt::format("{}", fmt::join(lm.model->config().languages, ", ")));
    fixed_tgt = lm.tgt_lang_id(vm["to"].as<S>());
  }
  if (!vm["from"].as<S>().empty()) {
    src = lm.src_lang_id(vm["from"].as<S>());
  } else if (lm.restricts_src()) {
    throw Error("this sub-model serves only some source languages ({}): give --from",
                fmt::format("{}", fmt::join(lm.model->config().src_languages, ", ")));
  } else if (lm.model->config().use_moe) {
    for (int s = 0; s < 2; ++s)
      if (lm.model->config().moe.stack(s).group_by == moe::GroupBy::src_family)
        throw Error("this model routes by source-language family: give --from");
  }

  decode::TranslatorOptions to;
  to.search.beam_size = vm["beam-size"].as<int>();
  to.search.n_best = vm["n-best"].as<bool>() ? to.search.beam_size : 1;
  to.search.normalize = vm["normalize"].as<float>();
  to.search.max_length_factor = vm["max-length-factor"].as<float>();
  to.search.max_length = vm["max-length"].as<int>();
  to.search.min_length = vm["min-length"].as<int>();
  to.search.allow_unk = vm["allow-unk"].as<bool>();
  to.mini_batch_words = vm["mini-batch-words"].as<int64_t>();
  to.mini_batch = vm["mini-batch"].as<int>();
  to.maxi_batch = vm["maxi-batch"].as<int>();
  to.max_input_tokens = vm["max-input-length"].as<int>();
  if (to.search.beam_size < 1) throw Error("--beam-size must be >= 1");
  decode::Translator translator(*lm.model, lm.vocab, to);

  const S in_path = vm["input"].as<S>(), out_path = vm["output"].as<S>();
  const S trace_path = vm["routing-trace"].as<S>();
  const S in_name = in_path == "-" ? "stdin" : in_path;
  for (const S& o : {out_path, trace_path})
    if (in_path != "-" && !o.empty() && o != "-" && same_file(in_path, o))
      throw Error("{}: is both the input and an output file; writing it would destroy the input",
                  o);
  if (out_path != "-" && !trace_path.empty() && same_file(out_path, trace_path))
    throw Error("{}: given as both --output and --routing-trace", trace_path);
  std::ifstream in_file;
  if (in_path != "-") {
    if (std::filesystem::is_directory(in_path)) throw Error("{}: is a directory, not an input file", in_path);
    in_file.open(in_path, std::ios::binary);
    if (!in_file) throw Error("{}: cannot open input file ({})", in_path, std::strerror(errno));
  }
  std::istream& in = in_path == "-" ? std::cin : in_file;
  // Outputs go to temporary names renamed at the end: a failed run keeps the old files.
  OutputFile out_file(out_path);
  std::ostream& out = out_file.stream();
  std::optional<OutputFile> trace_file;
  if (!trace_path.empty()) trace_file.emplace(trace_path);
  const bool interactive = vm["interactive"].as<bool>() || (in_path == "-" && ::isatty(STDIN_FILENO));
  const bool progress = !vm["quiet"].as<bool>() && !interactive && ::isatty(STDERR_FILENO);
  const size_t chunk = interactive ? 1 : static_cast<size_t>(std::max(1, to.maxi_batch) * std::max(1, to.mini_batch));

  int64_t line_no = 0, done = 0, tokens = 0, truncated = 0;
  auto t0 = Clock::now();
  std::string line;
  bool eof = false;
  while (!eof) {
    std::vector<decode::TranslationInput> batch;
    std::vector<int64_t> ids;
    while (batch.size() < chunk) {
      if (!std::getline(in, line)) {
        eof = true;
        break;
      }
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t bad = 0;
      if (!data::valid_utf8(line, &bad))
        throw file_error(in_name, line_no, fmt::format("invalid UTF-8 at byte {} ({} lines translated before it)",
                                                        bad, done));
      int32_t tgt = fixed_tgt;
      if (tsv) {
        auto tab = line.find('\t');
        if (tab == S::npos) throw file_error(in_name, line_no, "expected LANG<TAB>TEXT (--tsv)");
        try {
          tgt = lm.tgt_lang_id(line.substr(0, tab));
        } catch (const Error& e) {
          throw file_error(in_name, line_no, e.what());
        }
        line = line.substr(tab + 1);
      }
      batch.push_back({line, src, tgt});
      ids.push_back(line_no - 1);
    }
    if (batch.empty()) break;
    auto res = translator.translate(batch, [&](int64_t n, int64_t toks) {
      if (!progress) return;
      double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      std::fprintf(stderr, "\r[translate] %lld sentences : %.1f sentences/s : %.0f tokens/s   ",
                   static_cast<long long>(done + n), (done + n) / std::max(secs, 1e-9),
                   (tokens + toks) / std::max(secs, 1e-9));
    });
    for (size_t j = 0; j < res.size(); ++j) {
      const auto& r = res[j];
      truncated += r.truncated;
      if (vm["n-best"].as<bool>()) {
        for (size_t h = 0; h < r.nbest.size(); ++h)
          out << ids[j] << " ||| " << r.texts[h] << " ||| F0= " << r.nbest[h].score << " ||| "
              << r.nbest[h].norm_score << "\n";
        if (r.nbest.empty()) out << ids[j] << " |||  ||| F0= 0 ||| 0\n";
      } else {
        out << r.texts[0] << "\n";
      }
      for (const auto& h : r.nbest) tokens += static_cast<int64_t>(h.tokens.size());
      if (trace_file && !r.nbest.empty()) {
        auto pieces = lm.vocab.encode(batch[j].text);
        if (static_cast<int64_t>(pieces.size()) > to.max_input_tokens - 2) pieces.resize(std::max(1, to.max_input_tokens - 2));
        const auto& langs = lm.model->config().languages;
        auto enc = data::encoder_input(lm.vocab.tag_id(langs.at(batch[j].tgt_lang)), pieces, lm.vocab.eos_id());
        for (auto& rec : decode::routing_trace(*lm.model, lm.vocab, ids[j], enc, r.nbest[0].tokens,
                                               batch[j].src_lang, batch[j].tgt_lang))
          trace_file->stream() << rec.dump() << "\n";
      }
    }
    done += static_cast<int64_t>(res.size());
    if (interactive) out.flush();
  }
  if (in.bad()) throw Error("{}: read error after line {}; no output written", in_name, line_no);
  out_file.commit();
  if (trace_file) trace_file->commit();
  if (progress) std::fprintf(stderr, "\n");
  if (truncated > 0)
    log::warn("{} input line(s) longer than --max-input-length {} tokens were truncated", truncated,
              to.max_input_tokens);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!vm["quiet"].as<bool>() && !interactive)
    log::info("translated {} sentences in {:.2f}s ({:.1f} sentences/s, {:.0f} tokens/s)", done, secs,
              done / std::max(secs, 1e-9), tokens / std::max(secs, 1e-9));
  return 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("translate", "translate text (stdin -> stdout) with a trained model", run_translate);
}  // namespace moemt::cli
