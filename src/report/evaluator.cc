// Evaluation runner: multi-way set -> translations -> scores -> EvalReport.
#include "report/evaluator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/unicode_text.h"
#include "core/output_file.h"
#include "decode/routing_trace.h"
#include "report/expert_usage.h"
#include "report/progress.h"

namespace moemt::report {
namespace fs = std::filesystem;

namespace {

// One line per hypothesis: newlines inside a translation would shift every later line of the
// file users re-score, so they become spaces; trailing whitespace goes as sacrebleu strips it.
std::string as_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return std::string(eval::rstrip_py_utf8(s));
}

void write_text(const fs::path& p, const std::string& text) { write_output_file(p.string(), text); }

}  // namespace

DirectionResult score_direction(const Direction& dir, std::vector<std::string>& hyps,
                                const std::vector<std::string>& refs) {
  MOEMT_CHECK(hyps.size() == refs.size(), "{} hypotheses for {} references", hyps.size(),
              refs.size());
  for (auto& h : hyps) h = as_line(std::move(h));
  eval::RefStreams rs(1);
  for (const auto& r : refs) rs[0].push_back(as_line(r));
  eval::BleuOptions bo;
  bo.tokenize = bleu_tokenizer_for(dir.tgt);
  eval::ChrfOptions co;
  co.word_order = 2;  // chrF++
  eval::Bleu bleu(bo);
  eval::Chrf chrf(co);
  DirectionResult r;
  r.dir = dir;
  r.n = static_cast<int64_t>(hyps.size());
  r.bleu = bleu.corpus_score(hyps, rs).score;
  r.chrf = chrf.corpus_score(hyps, rs).score;
  r.bleu_signature = bleu.signature(1);
  r.chrf_signature = chrf.signature(1);
  return r;
}

EvalRun run_eval(const EvalOptions& o, decode::LoadedModel& m) {
  set_num_threads(o.cpu_threads);
  const auto& model_langs = m.model->config().languages;
  // Read the whole set once (cheap) to know its languages, then keep what the plan needs.
  corpus::MultiwaySet set = corpus::load_multiway(o.set_dir, o.split);
  if (set.lines.empty() || set.size() == 0)
    throw Error("{}: the {} set is empty", o.set_dir, o.split);
  std::vector<std::string> set_langs;
  for (const auto& [code, lines] : set.lines) set_langs.push_back(code);
  auto dirs = plan_directions(o.directions, model_langs, set_langs, o.xy_sample, o.seed);
  if (dirs.empty()) throw Error("no direction to evaluate");
  const auto& cfg = m.model->config();
  if (!cfg.src_languages.empty() || !cfg.tgt_languages.empty()) {
    // A sub-model (`moemt extract`) holds the experts of some languages only.
    std::vector<Direction> served;
    for (const auto& d : dirs)
      if (cfg.serves_src(d.src) && cfg.serves_tgt(d.tgt)) served.push_back(d);
    if (served.empty())
      throw Error("{}: this sub-model serves none of the {} planned direction(s) (sources: {}; "
                  "targets: {})",
                  m.dir, dirs.size(), cfg.src_languages.empty() ? "any" : fmt::format("{}", fmt::join(cfg.src_languages, ", ")),
                  cfg.tgt_languages.empty() ? "any" : fmt::format("{}", fmt::join(cfg.tgt_languages, ", ")));
    if (served.size() < dirs.size())
      log::warn("{}: sub-model: evaluating the {} direction(s) it serves, {} skipped", m.dir,
                served.size(), dirs.size() - served.size());
    dirs = served;
  }
  const int64_t n = o.max_sentences > 0 ? std::min<int64_t>(o.max_sentences, set.size())
                                        : static_cast<int64_t>(set.size());

  if (o.expert_usage && m.model->moe_layers().empty())
    throw Error("{}: --expert-usage needs a model with MoE layers; this one is dense", m.dir);
  EvalRun run;
  run.languages = model_langs;
  auto& rep = run.report;
  rep.model_dir = m.dir;
  rep.set_dir = o.set_dir;
  rep.split = o.split;
  rep.sentences = n;
  const auto& s = o.translator.search;
  rep.settings = {{"beam_size", s.beam_size},
                  {"normalize", s.normalize},
                  {"max_length_factor", s.max_length_factor},
                  {"max_length", s.max_length},
                  {"max_input_length", o.translator.max_input_tokens},
                  {"mini_batch_words", o.translator.mini_batch_words},
                  {"mini_batch", o.translator.mini_batch},
                  {"maxi_batch", o.translator.maxi_batch},
                  {"cpu_threads", num_threads()},
                  {"directions_planned", dirs.size()}};
  if (o.xy_sample > 0) rep.settings["xy_sample"] = {{"n", o.xy_sample}, {"seed", o.seed}};
  log::info("evaluating {} direction(s) on {} sentence(s) of {}/{}", dirs.size(), n, o.set_dir,
            o.split);

  decode::Translator tr(*m.model, m.vocab, o.translator);
  Progress progress(n * static_cast<int64_t>(dirs.size()), "eval", o.progress);
  std::vector<DirectionResult> results(dirs.size());
  int64_t done_before = 0, tokens_before = 0;
  // All directions into one target language go through the translator together: batches fill
  // up with sentences of several sources, and long and short sentences sort together.
  std::vector<std::string> targets;
  for (const auto& d : dirs)
    if (std::find(targets.begin(), targets.end(), d.tgt) == targets.end()) targets.push_back(d.tgt);
  for (const auto& tgt : targets) {
    std::vector<size_t> members;
    std::vector<decode::TranslationInput> inputs;
    const int32_t tgt_id = m.tgt_lang_id(tgt);
    for (size_t k = 0; k < dirs.size(); ++k) {
      if (dirs[k].tgt != tgt) continue;
      members.push_back(k);
      const auto& src_lines = set.get(dirs[k].src);
      const int32_t src_id = m.src_lang_id(dirs[k].src);
      for (int64_t i = 0; i < n; ++i) inputs.push_back({src_lines[i], src_id, tgt_id});
    }
    double t0 = progress.elapsed();
    auto outs = tr.translate(inputs, [&](int64_t sent, int64_t tok) {
      progress.update(done_before + sent, tokens_before + tok);
    });
    double group_seconds = progress.elapsed() - t0;
    // The group's time is shared among its directions by their input tokens.
    int64_t group_in = 0;
    for (const auto& x : outs) group_in += x.input_tokens;
    int64_t group_out = 0;
    for (size_t j = 0; j < members.size(); ++j) {
      const Direction& d = dirs[members[j]];
      std::vector<std::string> hyps;
      int64_t in_tok = 0, out_tok = 0, truncated = 0;
      for (int64_t i = 0; i < n; ++i) {
        const auto& x = outs[j * n + i];
        hyps.push_back(x.texts.empty() ? std::string() : x.texts[0]);
        in_tok += x.input_tokens;
        if (!x.nbest.empty()) out_tok += static_cast<int64_t>(x.nbest[0].tokens.size());
        truncated += x.truncated;
        if (o.expert_usage && !x.nbest.empty())
          decode::record_routing(*m.model, m.vocab, x.encoder_input, x.nbest[0].tokens,
                                 m.lang_id(d.src), tgt_id, run.expert_usage);
      }
      if (truncated)
        log::warn("{}: {} input(s) longer than {} tokens were truncated", direction_key(d),
                  truncated, o.translator.max_input_tokens);
      const auto& all_refs = set.get(d.tgt);
      std::vector<std::string> refs(all_refs.begin(), all_refs.begin() + n);
      auto r = score_direction(d, hyps, refs);
      r.seconds = group_in > 0 ? group_seconds * static_cast<double>(in_tok) / group_in : 0;
      r.output_tokens = out_tok;
      group_out += out_tok;
      results[members[j]] = std::move(r);
      run.hypotheses[direction_key(d)] = std::move(hyps);
    }
    done_before += static_cast<int64_t>(inputs.size());
    tokens_before += group_out;
    progress.update(done_before, tokens_before);
  }
  progress.finish();
  rep.seconds = progress.elapsed();
  rep.directions = std::move(results);
  return run;
}

void write_outputs(const EvalRun& run, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("{}: cannot create directory ({})", dir, ec.message());
  write_text(fs::path(dir) / "report.json", to_json(run.report).dump(2) + "\n");
  write_text(fs::path(dir) / "report.md", to_markdown(run.report));
  for (const auto& [key, lines] : run.hypotheses) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    write_text(fs::path(dir) / ("hyp." + key + ".txt"), text);
  }
  if (!run.expert_usage.empty()) {
    write_text(fs::path(dir) / "experts.json",
               run.expert_usage.to_json(run.languages).dump(2) + "\n");
    write_text(fs::path(dir) / "experts.md",
               expert_usage_markdown(run.expert_usage, run.languages));
    write_text(fs::path(dir) / "experts.html",
               expert_usage_html(run.expert_usage, run.languages,
                                 "Expert usage: " + run.report.model_dir + " on " +
                                     run.report.set_dir + " (" + run.report.split + ")"));
  }
}

}  // namespace moemt::report
