// libFuzzer target: the scenario parser behind the toml++ guard (CheckTomlText). A scenario
// that parses or fails must do so with a message naming the file, never a crash.
#include <cstdint>
#include <string>

#include "catalog/catalog.h"
#include "config/config.h"
#include "scenario/scenario.h"
#include "units/units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gpuplan;
  static const catalog::Catalog* cat = new catalog::Catalog(*catalog::Catalog::LoadDefault());
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!config::CheckTomlText(text, "fuzz.toml")) return 0;
  auto s = scenario::ParseScenario(text, "fuzz.toml", *cat);
  if (!s && s.error().message.find("fuzz.toml") == std::string::npos) abort();
  return 0;
}
