#include "report/report.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "report/test_util.h"

namespace gpuplan::report {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

TEST(WriteReport, WritesJsonAndHtmlIntoANewFolder) {
  const fs::path tmp = testing::FreshTempDir();
  RenderOptions options;
  options.chart_js_path = testing::WriteFakeChartJs(tmp);
  const fs::path out = tmp / "nested" / "out";
  const Json sample = testing::LoadSample();
  auto ok = WriteReport(out.string(), sample, options);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  auto json = ReadFile((out / "report.json").string());
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(Json::parse(*json), sample);  // key order kept: ordered_json both ways
  auto html = ReadFile((out / "report.html").string());
  ASSERT_TRUE(html.has_value());
  EXPECT_EQ(*html, *RenderHtml(sample, options));  // same input, same bytes
  // Nothing else is left behind (no .tmp files).
  size_t num_files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(out)) ++num_files;
  EXPECT_EQ(num_files, 2u);
}

TEST(WriteReport, RenderFailureLeavesNothingBehind) {
  const fs::path out = testing::FreshTempDir() / "out";
  RenderOptions options;
  options.chart_js_path = "/nonexistent/chart.js";
  auto ok = WriteReport(out.string(), testing::LoadSample(), options);
  ASSERT_FALSE(ok.has_value());
  EXPECT_FALSE(fs::exists(out));
}

TEST(WriteReport, UnwritableFolderIsAnError) {
  const fs::path tmp = testing::FreshTempDir();
  RenderOptions options;
  options.chart_js_path = testing::WriteFakeChartJs(tmp);
  // A regular file where the folder should be.
  ASSERT_TRUE(WriteFileAtomic((tmp / "file").string(), "x").has_value());
  auto ok = WriteReport((tmp / "file" / "out").string(), Json::object(), options);
  ASSERT_FALSE(ok.has_value());
  EXPECT_NE(ok.error().message.find("cannot create the report folder"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::report
