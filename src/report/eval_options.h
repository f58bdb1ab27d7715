// Typed options of `moemt eval`: which set and directions to evaluate, how to decode them.
// The CLI fills this struct; nothing below it reads strings from the command line.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "decode/translator.h"

namespace moemt::report {

// Which directions to evaluate: the three families of the issue plus explicit pairs.
struct DirectionSpec {
  bool en_x = false;  // English -> every other language
  bool x_en = false;  // every other language -> English
  bool x_y = false;   // between non-English languages (all, or a seeded sample)
  std::vector<std::pair<std::string, std::string>> pairs;  // explicit SRC-TGT (FLORES codes)
};

struct EvalOptions {
  std::string set_dir;
  std::string split = "devtest";
  DirectionSpec directions{true, true, false, {}};
  int xy_sample = 0;                     // --xy-sample: X->Y pairs drawn at random (0 = all)
  uint64_t seed = 1;                     // --seed for that draw
  int64_t max_sentences = 0;             // --max-sentences: first N lines only (0 = all)
  decode::TranslatorOptions translator;  // beam size, normalisation, batching
  int cpu_threads = 0;                   // 0 = all cores
  Device device = Device::cpu();
  bool progress = true;    // progress lines on stderr
  std::string output_dir;  // report.md, report.json, hyp.<src>-<tgt>.txt; "" = none
  // --expert-usage: route the final translations teacher-forced and write experts.md,
  // experts.html and experts.json (MoE models only; needs output_dir).
  bool expert_usage = false;
};

}  // namespace moemt::report
