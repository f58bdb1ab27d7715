// Helpers for the scoring tests: reading the committed vectors under tests/data/score.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/unicode_text.h"

namespace moemt::eval::testing {

inline std::string score_data(const std::string& name) {
  return std::string(MOEMT_SOURCE_DIR) + "/tests/data/score/" + name;
}

// Lines as sacrebleu's CLI reads them: split on '\n', trailing whitespace stripped.
inline std::vector<std::string> read_lines(const std::string& name) {
  std::ifstream in(score_data(name), std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.emplace_back(rstrip_py_utf8(line));
  return lines;
}

inline std::vector<nlohmann::json> read_jsonl(const std::string& name) {
  std::ifstream in(score_data(name), std::ios::binary);
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace moemt::eval::testing
