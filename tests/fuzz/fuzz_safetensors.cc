// libFuzzer harness: the safetensors reader (checkpoints) on arbitrary bytes, every tensor it
// returns read back in full. moemt::Error is the expected bad-input result.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/error.h"
#include "core/safetensors.h"

// The missing-checksum warning would print on nearly every input.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    moemt::SafetensorsFile f = moemt::parse_safetensors(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    uint8_t sink = 0;
    for (const auto& [name, t] : f.tensors) {
      if (t.nbytes() > size) __builtin_trap();  // data comes from the file
      const auto* p = static_cast<const uint8_t*>(t.raw());
      for (size_t i = 0; i < t.nbytes(); ++i) sink ^= p[i];
    }
    volatile uint8_t keep = sink;
    (void)keep;
  } catch (const moemt::Error&) {
  }
  return 0;
}
