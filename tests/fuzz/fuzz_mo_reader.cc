// libFuzzer harness: the .mo reader on arbitrary bytes, then what the corpus builder reads from
// a catalog (the singular form of plural entries). moemt::Error is the expected bad-input result.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "corpus/mo_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    moemt::corpus::MoCatalog cat = moemt::corpus::parse_mo(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.mo");
    const size_t singular = static_cast<size_t>(cat.plural_forms.singular_index());
    size_t chars = 0;  // read every string so out-of-range views would be caught
    for (const auto& e : cat.entries) {
      chars += e.context.size() + e.msgid.size() + e.msgid_plural.size();
      if (e.is_plural() && singular < e.msgstr.size()) chars += e.msgstr[singular].size();
    }
    if (chars > 4 * size + 64) __builtin_trap();  // entries cannot outgrow the file much
  } catch (const moemt::Error&) {
  }
  return 0;
}
