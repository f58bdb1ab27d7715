// libFuzzer harness: a Plural-Forms header value ("nplurals=..; plural=..;") parsed and its
// expression evaluated for typical and extreme n. moemt::Error is the expected bad-input result.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "core/error.h"
#include "corpus/plural_forms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace moemt::corpus;
  try {
    PluralForms pf =
        parse_plural_forms(std::string_view(reinterpret_cast<const char*>(data), size));
    if (pf.nplurals < 1 || static_cast<uint64_t>(pf.nplurals) > kMaxPlurals) __builtin_trap();
    const int s = pf.singular_index();
    if (s < 0 || s >= pf.nplurals) __builtin_trap();
    for (uint64_t n :
         {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{5}, uint64_t{11}, uint64_t{21},
          uint64_t{111}, uint64_t{1000001}, std::numeric_limits<uint64_t>::max()})
      pf.plural.eval(n);
  } catch (const moemt::Error&) {
  }
  return 0;
}
