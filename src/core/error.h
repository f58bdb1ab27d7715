// Errors: moemt::Error for mistakes a user can make (bad file, bad flag), with the file and
// line it concerns; MOEMT_CHECK for internal invariants, which are bugs when they fire.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace moemt {

// A user-facing error. The CLI prints what() as one line and exits non-zero.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
  template <typename... Args>
  Error(fmt::format_string<Args...> f, Args&&... args)
      : std::runtime_error(fmt::format(f, std::forward<Args>(args)...)) {}
};

// An error located in an input file: "path:line: message".
inline Error file_error(const std::string& path, int64_t line, const std::string& msg) {
  if (line > 0) return Error(fmt::format("{}:{}: {}", path, line, msg));
  return Error(fmt::format("{}: {}", path, msg));
}

// Internal invariant violated: a bug in moemt, not a user mistake.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& msg) : std::logic_error(msg) {}
};

[[noreturn]] void check_failed(const char* cond, const char* file, int line, const std::string& msg);

}  // namespace moemt

#define MOEMT_CHECK(cond, ...)                                                         \
  do {                                                                                 \
    if (!(cond)) [[unlikely]]                                                          \
      ::moemt::check_failed(#cond, __FILE__, __LINE__, ::fmt::format(__VA_ARGS__));    \
  } while (0)
