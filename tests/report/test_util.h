// Shared helpers for the report tests: the sample fixture, a stand-in Chart.js, temp folders.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "units/units.h"

namespace gpuplan::report::testing {

inline nlohmann::ordered_json LoadJson(const char* path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text.has_value()) << text.error().message;
  return nlohmann::ordered_json::parse(text.has_value() ? *text : "{}");
}

// The renderer's fixture: gpuplan's report of the default scenario (tests/golden/korea), so
// tests that use it check properties, never figures that change when the plan does.
inline nlohmann::ordered_json LoadSample() { return LoadJson(GPUPLAN_REPORT_FIXTURE); }

// tests/report/fixtures/extended_report.json: hand-written, every key of docs/report.md, its
// figures checked by hand (the tests that assert figures use this one).
inline nlohmann::ordered_json LoadExtended() { return LoadJson(GPUPLAN_REPORT_EXTENDED); }

// An older document: the extended fixture without the keys issue 8 added (headline,
// service_levels, frontier, demand, by_quarter, drain_s, the rate, buy's budget and iterations).
inline nlohmann::ordered_json OlderDocument() {
  nlohmann::ordered_json report = LoadExtended();
  for (const char* key : {"headline", "service_levels", "frontier"}) report.erase(key);
  report["scenario"].erase("units_per_usd");
  for (const char* key : {"demand", "by_quarter", "drain_s"}) report["simulation"].erase(key);
  for (const char* key :
       {"total_cost", "currency", "budget_usd", "unspent_budget_usd", "iterations"}) {
    report["buy"].erase(key);
  }
  return report;
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
