#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "report/report.h"
#include "report/test_util.h"

namespace gpuplan::report {
namespace {

using Json = nlohmann::ordered_json;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The page with the bodies of its <script> elements removed (the inlined library's comments
// may hold URLs; they are text, not requests).
std::string WithoutScriptBodies(const std::string& html) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = html.find("<script", pos);
    if (open == std::string::npos) break;
    const size_t open_end = html.find('>', open);
    const size_t close = html.find("</script>", open_end);
    if (open_end == std::string::npos || close == std::string::npos) break;
    out += html.substr(pos, open_end + 1 - pos);
    pos = close;
  }
  return out + html.substr(pos);
}

// The text between <script ... id="ID"> and the next </script>.
std::string ScriptBody(const std::string& html, const std::string& id) {
  const size_t start = html.find("id=\"" + id + "\">");
  if (start == std::string::npos) return "";
  const size_t body = html.find('>', start) + 1;
  return html.substr(body, html.find("</script>", body) - body);
}

class RenderHtmlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir();
    options_.chart_js_path = testing::WriteFakeChartJs(dir_);
  }
  std::string Render(const Json& report) {
    auto html = RenderHtml(report, options_);
    EXPECT_TRUE(html.has_value()) << html.error().message;
    return html.has_value() ? *html : "";
  }
  std::filesystem::path dir_;
  RenderOptions options_;
};

TEST_F(RenderHtmlTest, SelfContainedNoExternalSources) {
  const std::string html = Render(testing::LoadSample());
  ASSERT_FALSE(html.empty());
  // The library is inlined, URL comment and all.
  EXPECT_NE(html.find("Chart.js stand-in, see https://www.chartjs.org"), std::string::npos);
  const std::string markup = WithoutScriptBodies(html);
  // No element that loads anything: no script src, no stylesheet link, no images or frames.
  EXPECT_EQ(markup.find("http://"), std::string::npos);
  EXPECT_EQ(markup.find("https://"), std::string::npos);
  const std::regex external(R"((src|href)\s*=\s*["']?\s*(https?:|//|ftp:))", std::regex::icase);
  EXPECT_FALSE(std::regex_search(markup, external));
  const std::regex loaders(R"(<(link|img|iframe|embed|object|video|audio|source)\b)",
                           std::regex::icase);
  EXPECT_FALSE(std::regex_search(markup, loaders));
  EXPECT_FALSE(
      std::regex_search(markup, std::regex(R"(<script[^>]*\bsrc\s*=)", std::regex::icase)));
  EXPECT_EQ(markup.find("@import"), std::string::npos);
  EXPECT_EQ(markup.find("url("), std::string::npos);
  // The only link is the relative one to report.json beside the page.
  EXPECT_NE(markup.find("href=\"report.json\""), std::string::npos);
}

TEST_F(RenderHtmlTest, OneCanvasPerChartSpecAndTheHealthElement) {
  const std::string html = Render(testing::LoadSample());
  const Json specs = Json::parse(ScriptBody(html, "chart-specs"));
  ASSERT_EQ(specs.size(), 8u);  // every chart of charts_test's TheSampleHasEveryChartInPageOrder
  EXPECT_EQ(Count(html, "<canvas "), specs.size());
  for (const Json& s : specs) {
    EXPECT_NE(html.find("<canvas id=\"" + s["id"].get<std::string>() + "\""), std::string::npos);
  }
  EXPECT_NE(html.find("id=\"report-health\""), std::string::npos);
  EXPECT_NE(html.find("window.onerror"), std::string::npos);
  EXPECT_NE(html.find("console.error = function"), std::string::npos);
  for (const char* id : {"id=\"minister\"", "id=\"operator\"", "id=\"engineer\""}) {
    EXPECT_NE(html.find(id), std::string::npos) << id;
  }
}

TEST_F(RenderHtmlTest, EmbeddedDataParsesBackToTheReport) {
  const Json sample = testing::LoadSample();
  EXPECT_EQ(Json::parse(ScriptBody(Render(sample), "report-data")), sample);
}

TEST_F(RenderHtmlTest, HostileStringsAreEscapedEverywhere) {
  const std::string attack = "</script><script>alert(1)</script>";
  Json report = testing::LoadSample();
  report["scenario"]["name"] = attack;
  report["scenario"]["description"] = "<img src=x onerror=alert(2)>";
  report["sizing"][0]["workload"] = "\"'><b>bold</b>&";
  report["buy"]["binding"][0]["description"] = "<!-- comment";
  report["warnings"].push_back(attack);
  report["simulation"]["policies"][2]["per_class"]["<i>evil</i>"] =
      report["simulation"]["policies"][2]["per_class"]["startup"];
  const std::string html = Render(report);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold"), std::string::npos);
  EXPECT_EQ(html.find("<i>evil"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  // Exactly the page's own five scripts: health, data, chart specs, library, renderer.
  EXPECT_EQ(Count(html, "<script"), 5u);
  EXPECT_EQ(Count(html, "</script>"), 5u);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;&#39;&gt;&lt;b&gt;bold&lt;/b&gt;&amp;"), std::string::npos);
  // The data still carries the strings unchanged.
  EXPECT_EQ(Json::parse(ScriptBody(html, "report-data")), report);
}

TEST_F(RenderHtmlTest, MissingSectionsSayNotAvailable) {
  const std::string html = Render(Json{{"scenario", {{"name", "Bare"}}}});
  EXPECT_NE(html.find("Procurement: not available"), std::string::npos);
  EXPECT_NE(html.find("Simulation: not available"), std::string::npos);
  EXPECT_NE(html.find("Sizing: not available"), std::string::npos);
  EXPECT_EQ(Count(html, "<canvas "), 0u);
  EXPECT_EQ(Json::parse(ScriptBody(html, "chart-specs")), Json::array());
}

TEST_F(RenderHtmlTest, PurchaseOptionsAreTabledWithThePlanMarked) {
  Json report = testing::LoadSample();
  report["purchase_options"] = Json::parse(R"([
      {"objective": "max-capacity", "is_plan": true, "status": "optimal",
       "total_cost_usd": 1.85e9, "final_gpus": 47224, "avg_wait_s": 6480},
      {"objective": "min-cost", "is_plan": false, "status": "optimal",
       "total_cost_usd": 3.43e8, "final_gpus": 18312, "avg_wait_s": 21960}])");
  const std::string html = Render(report);
  const size_t table = html.find("<h3>Purchase options compared</h3>");
  ASSERT_NE(table, std::string::npos);
  EXPECT_NE(html.find("<tr class=\"chosen\"><td>max-capacity (this plan)</td>", table),
            std::string::npos);
  EXPECT_NE(html.find("<td>min-cost</td>", table), std::string::npos);
  EXPECT_EQ(Render(testing::LoadSample()).find("Purchase options compared"), std::string::npos);
}

TEST_F(RenderHtmlTest, FailedStagesShowTheirErrors) {
  const Json report = {
      {"buy", {{"status", "no_solution"}, {"error", "cbc: time limit <60 s> reached"}}},
      {"simulation", {{"error", "trace.csv:9: 'gpus' must be > 0"}}},
      {"sizing", {{{"workload", "w"}, {"error", "unknown model 'x'"}}}}};
  const std::string html = Render(report);
  EXPECT_NE(html.find("cbc: time limit &lt;60 s&gt; reached"), std::string::npos);
  EXPECT_NE(html.find("Simulation: not available <span class=\"err\">(trace.csv:9: &#39;gpus&#39; "
                      "must be &gt; 0)"),
            std::string::npos);
  EXPECT_NE(html.find("not available: unknown model &#39;x&#39;"), std::string::npos);
}

TEST_F(RenderHtmlTest, RawJsonLinkCanBeHidden) {
  options_.raw_json_href = "";
  EXPECT_EQ(Render(testing::LoadSample()).find("href=\"report.json\""), std::string::npos);
}

TEST(RenderHtml, MissingChartJsIsAClearError) {
  RenderOptions options;
  options.chart_js_path = "/nonexistent/chart.js";
  auto html = RenderHtml(Json::object(), options);
  ASSERT_FALSE(html.has_value());
  EXPECT_NE(html.error().message.find("/nonexistent/chart.js"), std::string::npos);
  EXPECT_NE(html.error().message.find("libjs-chart.js"), std::string::npos);
}

TEST(RenderHtml, ALibraryThatWouldCloseTheScriptIsRefused) {
  const auto dir = testing::FreshTempDir();
  const std::string path = (dir / "bad.js").string();
  ASSERT_TRUE(WriteFileAtomic(path, "var s = '</SCRIPT>';").has_value());
  RenderOptions options;
  options.chart_js_path = path;
  auto html = RenderHtml(Json::object(), options);
  ASSERT_FALSE(html.has_value());
  EXPECT_NE(html.error().message.find("cannot be inlined"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::report
