// Names for value-parameterized tests. ctest lists every case by name, so a name must not come
// from gtest's print of the value (a struct prints as raw bytes, pointers included, which change
// from run to run): each INSTANTIATE_TEST_SUITE_P names its cases with ParamName.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace gpuplan::testing {

// `text` (a case's message fragment or label) as a gtest name: letters and digits, other runs
// as one '_', at most 64 characters. Cases of a suite must differ in it (gtest refuses twins).
inline std::string ParamName(std::string_view text) {
  std::string name;
  for (const char c : text) {
    if (name.size() >= 64) break;
    if (std::isalnum(static_cast<unsigned char>(c))) {
      name += c;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name.empty() ? "empty" : name;
}

}  // namespace gpuplan::testing
