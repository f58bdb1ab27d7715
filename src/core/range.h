// Inclusive value ranges of numeric settings, shared by the CLI (which checks every bounded
// flag and shows the range in --help) and the readers of the same settings in files.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/error.h"

namespace moemt {

template <typename T>
struct Range {
  static_assert(std::is_arithmetic_v<T>);
  T lo, hi;
  // NaN and infinities are never inside a range.
  constexpr bool contains(T v) const {
    if constexpr (std::is_floating_point_v<T>)
      if (!std::isfinite(v)) return false;
    return v >= lo && v <= hi;
  }
  // "[8, 65536]"; an upper end at the type's maximum reads ">= lo".
  std::string text() const {
    if (hi == std::numeric_limits<T>::max()) return fmt::format(">= {}", lo);
    return fmt::format("[{}, {}]", lo, hi);
  }
  // "VALUE is out of range [LO, HI]" for a value as the user wrote it.
  std::string out_of_range(std::string_view value) const {
    if (hi == std::numeric_limits<T>::max())
      return fmt::format("{} is out of range (must be {})", value, text());
    return fmt::format("{} is out of range {}", value, text());
  }
  // "NAME: VALUE is out of range [LO, HI]" (or "is not a finite number").
  std::string violation(std::string_view name, T v) const {
    if constexpr (std::is_floating_point_v<T>)
      if (!std::isfinite(v)) return fmt::format("{}: {} is not a finite number", name, v);
    return fmt::format("{}: {}", name, out_of_range(fmt::format("{}", v)));
  }
  // Throws Error(prefix + violation) when v is outside.
  void check(std::string_view name, T v, std::string_view prefix = "") const {
    if (!contains(v)) throw Error(std::string(prefix) + violation(name, v));
  }
};

}  // namespace moemt
