// libFuzzer target: CheckTomlText in front of toml++ compiled from its headers here, so that
// ASan/UBSan see inside the parser (Debian's libtomlplusplus.so is not instrumented). Any input
// the guard lets through must parse or fail cleanly.
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
// Assertions on: toml++'s release build turns them into assumptions (undefined behaviour).
#define TOML_ASSERT(expr) \
  do {                    \
    if (!(expr)) abort(); \
  } while (0)
#include <toml++/toml.h>

#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!gpuplan::config::CheckTomlText(text, "fuzz.toml")) return 0;
  try {
    auto table = toml::parse(text, std::string_view("fuzz.toml"));
    (void)table;
  } catch (const toml::parse_error&) {
  }
  return 0;
}
