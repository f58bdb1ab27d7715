// Out-of-line part of the check macro, so the failure path does not bloat every call site.
#include "core/error.h"

namespace moemt {

void check_failed(const char* cond, const char* file, int line, const std::string& msg) {
  throw InternalError(fmt::format("internal check failed at {}:{}: ({}) {}", file, line, cond, msg));
}

}  // namespace moemt
