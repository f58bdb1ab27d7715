// Printing scores the way sacrebleu prints them: the text line
// "BLEU|nrefs:1|...|version:... = 27.31 59.0/33.1/20.9/13.4 (BP = ...)", the score alone
// (-b), and the JSON object.
#pragma once

#include <string>

#include "eval/metric.h"

namespace moemt::eval {

std::string format_fixed(double v, int width);
// The score (and bootstrap mean/interval when set): "27.31" or "27.31 (μ = 27.30 ± 1.10)".
std::string format_score_value(const Score& s, int width);
std::string format_score_text(const Score& s, int width, const std::string& signature);
std::string format_score_json(const Score& s, int width, const std::string& signature);

}  // namespace moemt::eval
