// Shared helpers for the report tests: the sample fixture, a stand-in Chart.js, temp folders.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "units/units.h"

namespace gpuplan::report::testing {

// tests/report/fixtures/sample_report.json (absolute path baked in by CMake).
inline nlohmann::ordered_json LoadSample() {
  auto text = ReadFile(GPUPLAN_REPORT_FIXTURE);
  EXPECT_TRUE(text.has_value()) << text.error().message;
  return nlohmann::ordered_json::parse(text.has_value() ? *text : "{}");
}

// A fresh folder under the system temp dir, named after the running test.
inline std::filesystem::path FreshTempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (std::string("gpuplan_report_") + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A tiny stand-in for Chart.js, with a URL in a comment as the real library has, so the unit
// tests do not depend on the Debian package (the browser test uses the real one).
inline constexpr char kFakeChartJs[] =
    "/*! Chart.js stand-in, see https://www.chartjs.org */\n"
    "window.Chart = function (canvas, config) { this.canvas = canvas; this.data = config.data; "
    "};\n";

inline std::string WriteFakeChartJs(const std::filesystem::path& dir) {
  const std::string path = (dir / "chart.js").string();
  auto ok = WriteFileAtomic(path, kFakeChartJs);
  EXPECT_TRUE(ok.has_value()) << ok.error().message;
  return path;
}

}  // namespace gpuplan::report::testing
