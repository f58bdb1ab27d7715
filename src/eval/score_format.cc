// Score printing (see score_format.h).
#include "eval/score_format.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace moemt::eval {

std::string format_fixed(double v, int width) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", width, v);
  return buf;
}

std::string format_score_value(const Score& s, int width) {
  std::string sc = format_fixed(s.score, width);
  if (s.mean > 0)
    sc += " (μ = " + format_fixed(s.mean, width) + " ± " + format_fixed(s.ci, width) + ")";
  return sc;
}

std::string format_score_text(const Score& s, int width, const std::string& signature) {
  std::string line = signature.empty() ? s.name : s.name + "|" + signature;
  line += " = " + format_score_value(s, width);
  if (!s.verbose.empty()) line += " " + s.verbose;
  return line;
}

std::string format_score_json(const Score& s, int width, const std::string& signature) {
  // Rounded as sacrebleu rounds: float(f"{score:.{width}f}").
  auto rounded = [&](double v) { return std::strtod(format_fixed(v, width).c_str(), nullptr); };
  nlohmann::ordered_json d;
  d["name"] = s.name;
  d["score"] = rounded(s.score);
  d["signature"] = signature;
  if (s.mean > 0) {
    d["confidence_mean"] = rounded(s.mean);
    d["confidence_var"] = rounded(s.ci);
    d["confidence"] = "μ = " + format_fixed(s.mean, width) + " ± " + format_fixed(s.ci, width);
  }
  if (!s.verbose.empty()) d["verbose_score"] = s.verbose;
  size_t start = 0;
  while (start <= signature.size() && !signature.empty()) {
    size_t bar = signature.find('|', start);
    std::string field =
        signature.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    size_t colon = field.find(':');
    if (colon != std::string::npos) d[field.substr(0, colon)] = field.substr(colon + 1);
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return d.dump(1);
}

}  // namespace moemt::eval
