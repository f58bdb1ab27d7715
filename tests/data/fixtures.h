// Shared helpers for the data tests: fixture paths, temporary files and a helper that
// returns the message of the moemt::Error a call throws.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"

namespace moemt::data::testing {

inline std::string fixture(const std::string& name) {
  return std::string(MOEMT_SOURCE_DIR) + "/tests/data/fixtures/" + name;
}

// Writes `content` to a fresh file under the test temp dir and returns its path.
inline std::string temp_file(const std::string& name, const std::string& content) {
  const auto dir = std::filesystem::temp_directory_path() / "moemt_data_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Runs `fn`, expects a moemt::Error, and returns its message.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const moemt::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected moemt::Error";
  return "";
}

}  // namespace moemt::data::testing
