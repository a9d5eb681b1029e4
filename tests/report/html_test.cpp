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

std::string HtmlEscapeForTest(const Json& s) {
  std::string out;
  for (char c : s.get<std::string>()) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else if (c == '\'')
      out += "&#39;";
    else
      out += c;
  }
  return out;
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
  const std::string html = Render(testing::LoadExtended());
  const Json specs = Json::parse(ScriptBody(html, "chart-specs"));
  ASSERT_EQ(specs.size(), 11u);  // charts_test's TheExtendedFixtureHasEveryChartInPageOrder
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
  Json report = testing::LoadExtended();
  report["scenario"]["name"] = attack;
  report["scenario"]["description"] = "<img src=x onerror=alert(2)>";
  report["sizing"][0]["workload"] = "\"'><b>bold</b>&";
  report["buy"]["binding"][0]["description"] = "<!-- comment";
  report["warnings"].push_back(attack);
  report["simulation"]["policies"][2]["per_class"]["<i>evil</i>"] =
      report["simulation"]["policies"][2]["per_class"]["startup"];
  report["service_levels"][0]["class"] = "<i>evil</i>";
  report["frontier"][0]["per_class"]["<i>evil</i>"] = {{"percentile", 95}, {"wait_h", 3}};
  report["simulation"]["demand"][0]["name"] = attack;
  report["buy"]["iterations"][0]["action"] = attack;
  report["buy"]["iterations"][0]["missed"][0]["quarter"] = "<i>evil</i>";
  report["headline"]["worst_class"] = "<i>evil</i>";
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
  Json report = testing::OlderDocument();
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
  report.erase("purchase_options");
  EXPECT_EQ(Render(report).find("Purchase options compared"), std::string::npos);
}

// <header>...</header> of the page.
std::string HeaderOf(const std::string& html) {
  const size_t start = html.find("<header>");
  const size_t end = html.find("</header>");
  if (start == std::string::npos || end == std::string::npos) return "";
  return html.substr(start, end - start);
}

TEST_F(RenderHtmlTest, TheHeaderHasNoPathNorDebugText) {
  for (const Json& report : {testing::LoadSample(), testing::LoadExtended()}) {
    const std::string header = HeaderOf(Render(report));
    ASSERT_FALSE(header.empty());
    const std::string path = report["scenario"]["path"];
    ASSERT_FALSE(path.empty());
    EXPECT_EQ(header.find(path), std::string::npos) << header;
    EXPECT_EQ(header.find(".toml"), std::string::npos) << header;
    EXPECT_EQ(header.find("report-health"), std::string::npos) << header;
    EXPECT_EQ(header.find("charts"), std::string::npos) << header;
    EXPECT_NE(header.find(HtmlEscapeForTest(report["scenario"]["name"])), std::string::npos);
  }
}

TEST_F(RenderHtmlTest, AKrwScenarioShowsKrwNeverDollars) {
  for (const Json& report : {testing::LoadSample(), testing::LoadExtended()}) {
    const std::string markup = WithoutScriptBodies(Render(report));
    EXPECT_EQ(markup.find('$'), std::string::npos);
    EXPECT_NE(markup.find("KRW "), std::string::npos);
  }
  const std::string markup = WithoutScriptBodies(Render(testing::LoadExtended()));
  // 422e6 USD x 1400 KRW/USD = 590.8e9 KRW, in the cost card and the summary.
  EXPECT_NE(markup.find("<div class=\"v\">KRW 591 B</div><div class=\"k\">total cost"),
            std::string::npos);
  EXPECT_NE(markup.find("<th class=\"num\">KRW per M tokens</th>"), std::string::npos);
  // An older document (no rate) is in dollars, and says so.
  const std::string older = WithoutScriptBodies(Render(testing::OlderDocument()));
  EXPECT_NE(older.find("$422 M"), std::string::npos);
  EXPECT_EQ(older.find("KRW 5"), std::string::npos);
}

TEST_F(RenderHtmlTest, WorstWaitCardJudgesALaterTargetOnItsOwnWindow) {
  const std::string html = Render(Json::parse(R"({
      "headline": {"worst_class": "industry", "worst_percentile": 95, "worst_wait_h": 492},
      "service_levels": [{"class": "industry", "percentile": 95, "wait_h": 48,
                          "achieved_wait_h": 9.26, "from": "2027Q3", "met": true}]})"));
  EXPECT_NE(html.find("industry over the horizon (from 2027Q3: 9.26 h against a target of 48 h: "
                      "met)</div>"),
            std::string::npos);
  EXPECT_EQ(html.find("(target 48 h from 2027Q3: met)"), std::string::npos);
}

TEST_F(RenderHtmlTest, HeadlineCardsLeadWithTheWorstWaitAgainstItsTarget) {
  const std::string html = Render(testing::LoadExtended());
  const size_t cards = html.find("<div class=\"kpis\">");
  ASSERT_NE(cards, std::string::npos);
  // First card: the worst class's wait, marked missed; then utilization, cost per useful
  // H100-equivalent hour (2.29 USD x 1400), unspent budget (7.8e7 x 1400).
  const std::string first =
      "<div class=\"kpi bad\"><div class=\"v\">61.5 h</div><div class=\"k\">95th-percentile "
      "wait of the worst-served class, industry (target 48 h from 2026Q4: missed)</div></div>";
  EXPECT_EQ(html.find(first), cards + std::string("<div class=\"kpis\">").size());
  const size_t util = html.find("67.4%</div><div class=\"k\">of the installed GPU-hours");
  const size_t cost = html.find("KRW 3,206</div><div class=\"k\">per useful H100-equivalent");
  const size_t unspent = html.find("KRW 109 B</div><div class=\"k\">of the budget left unspent");
  EXPECT_LT(cards, util);
  EXPECT_LT(util, cost);
  EXPECT_LT(cost, unspent);
  // The cards and the warnings come before the summary list.
  EXPECT_LT(html.find("id=\"warnings\""), cards);
  EXPECT_LT(cards, html.find("<ul class=\"summary\">"));
}

TEST_F(RenderHtmlTest, ServiceLevelsAreTabledMetOrMissed) {
  const std::string html = Render(testing::LoadExtended());
  const size_t table = html.find("Service levels: promised and achieved");
  ASSERT_NE(table, std::string::npos);
  EXPECT_NE(html.find("2 of 3 service levels met.", table), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"missed-row\"><td>industry</td><td>95th</td><td class=\"num\">"
                      "48 h</td><td class=\"num\">61.5 h</td><td>2026Q4</td><td>2026Q4</td>"
                      "<td class=\"missed\">\u2717 missed</td></tr>",
                      table),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td>tenant kisti</td><td>90th</td>", table), std::string::npos);
  EXPECT_EQ(Count(html, "<td class=\"met\">\u2713 met</td>"), 2u);
}

TEST_F(RenderHtmlTest, FrontierDemandAndIterationsAreTabled) {
  const Json report = testing::LoadExtended();
  const std::string html = Render(report);
  const size_t frontier = html.find("<h3>What more money buys</h3>");
  ASSERT_NE(frontier, std::string::npos);
  // One row per budget: 300e6 USD x 1400 = 420e9 KRW ... 500e6 x 1400 = 700e9.
  EXPECT_NE(
      html.find("<tr><td class=\"num\">KRW 420 B</td><td class=\"num\">KRW 417 B</td>", frontier),
      std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">7.92 days (p95)</td>", frontier), std::string::npos);
  const size_t demand = html.find("<h3>Demand simulated</h3>");
  ASSERT_NE(demand, std::string::npos);
  // sovereign-70b: 10.5e6 of the 97.9e6 GPU-hours demanded = 10.7%.
  EXPECT_NE(html.find("<tr><td>sovereign-70b</td><td>workload</td><td>research</td><td "
                      "class=\"num\">2</td><td class=\"num\">10,500,000</td><td "
                      "class=\"num\">10.7%</td></tr>",
                      demand),
            std::string::npos);
  EXPECT_NE(html.find("<td>public-assistant</td><td>service</td>", demand), std::string::npos);
  const size_t iterations = html.find("How the service-level plan was found");
  ASSERT_NE(iterations, std::string::npos);
  // 140 h is past the 96 h shown in hours: 140 / 24 = 5.83 days.
  EXPECT_NE(html.find("industry 2026Q4: 5.83 days &gt; 48 h; industry 2027Q1: 75 h &gt; 48 h; "
                      "startup 2027Q1: 30 h &gt; 24 h",
                      iterations),
            std::string::npos);
  EXPECT_NE(html.find("they all finish 3.2 days after its end (the drain)"), std::string::npos);
}

TEST_F(RenderHtmlTest, EveryWarningIsShownAtTheTop) {
  const Json report = testing::LoadExtended();
  const std::string html = Render(report);
  const size_t box = html.find("<div class=\"warnings-box\" id=\"warnings\"");
  ASSERT_NE(box, std::string::npos);
  EXPECT_LT(box, html.find("<ul class=\"summary\">"));
  EXPECT_NE(html.find("<h3>3 warnings</h3>", box), std::string::npos);
  for (const Json& w : report["warnings"]) {
    EXPECT_NE(html.find("<li>" + HtmlEscapeForTest(w) + "</li>", box), std::string::npos) << w;
  }
}

TEST_F(RenderHtmlTest, AbsentOrOddNewKeysRender) {
  const std::string older = Render(testing::OlderDocument());
  EXPECT_EQ(older.find("Service levels: promised"), std::string::npos);
  EXPECT_EQ(older.find("What more money buys"), std::string::npos);
  EXPECT_EQ(older.find("Demand simulated"), std::string::npos);
  EXPECT_NE(older.find("GPU utilization"), std::string::npos);  // the older card
  // Each new key removed on its own, or of the wrong type: the page still renders.
  const Json full = testing::LoadExtended();
  const std::vector<std::vector<std::string>> paths = {{"headline"},
                                                       {"service_levels"},
                                                       {"frontier"},
                                                       {"warnings"},
                                                       {"scenario", "units_per_usd"},
                                                       {"simulation", "demand"},
                                                       {"simulation", "by_quarter"},
                                                       {"simulation", "drain_s"},
                                                       {"buy", "iterations"},
                                                       {"buy", "budget_usd"}};
  for (const auto& path : paths) {
    for (const Json& value :
         {Json(), Json("x"), Json(7), Json::array({1, nullptr}), Json::object({{"met", "yes"}})}) {
      Json report = full;
      Json* parent = &report;
      for (size_t i = 0; i + 1 < path.size(); ++i) parent = &(*parent)[path[i]];
      (*parent)[path.back()] = value;
      const std::string html = Render(report);
      EXPECT_NE(html.find("</html>"), std::string::npos) << path.back() << " = " << value;
    }
  }
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

// The sweep page of a real sweep (tests/report/fixtures/sweep.json, stage plan, 2 x 2 grid).
TEST_F(RenderHtmlTest, SweepPageHasItsChartsTablesAndData) {
  const Json sweep = testing::LoadJson(GPUPLAN_REPORT_SWEEP);
  ASSERT_TRUE(WriteSweepReport(dir_.string(), sweep, options_).has_value());
  auto text = ReadFile((dir_ / "sweep.html").string());
  ASSERT_TRUE(text.has_value());
  const std::string& html = *text;
  // One canvas per chart: a tornado per result, the capacity and wait bands.
  const Json specs = Json::parse(ScriptBody(html, "chart-specs"));
  EXPECT_EQ(specs.size(), sweep["tornado"]["metrics"].size() + 2);
  EXPECT_EQ(Count(html, "<canvas "), specs.size());
  for (const char* id : {"chart-band-capacity", "chart-band-waits", "chart-tornado-p95_wait_s"}) {
    EXPECT_NE(html.find("<canvas id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  for (const char* id : {"id=\"tornado\"", "id=\"bands\"", "id=\"raw\"", "id=\"report-health\""}) {
    EXPECT_NE(html.find(id), std::string::npos) << id;
  }
  // The whole document embedded and beside the page, linked by its name.
  EXPECT_EQ(Json::parse(ScriptBody(html, "report-data")), sweep);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "sweep.json"));
  EXPECT_NE(html.find("href=\"sweep.json\""), std::string::npos);
  // The tornado's bars and the points are tabled: a row per bar, a row per point.
  size_t bars = 0;
  for (const auto& [metric, t] : sweep["tornado"]["metrics"].items()) bars += t["bars"].size();
  const size_t header_rows = 3;  // the bars, the results' percentiles, the points
  EXPECT_EQ(Count(html, "<tr>"),
            header_rows + bars + sweep["summary"].size() + sweep["points"].size());
  EXPECT_NE(html.find("4 points (a grid of 2 budget.total x 2 candidate.b200.node_price), "
                      "stage plan"),
            std::string::npos);
}

// The sweep document's scenario currency (sweep::Assemble) is the page's: figures in KRW, not $.
TEST_F(RenderHtmlTest, SweepPageShowsMoneyInTheScenariosCurrency) {
  Json sweep = testing::LoadJson(GPUPLAN_REPORT_SWEEP);
  sweep.erase("scenario");
  auto in_usd = RenderSweepHtml(sweep, options_);
  ASSERT_TRUE(in_usd.has_value()) << in_usd.error().message;
  EXPECT_EQ(WithoutScriptBodies(*in_usd).find("KRW"), std::string::npos);
  sweep["scenario"] = {{"currency", "KRW"}, {"units_per_usd", 1400.0}};
  auto in_krw = RenderSweepHtml(sweep, options_);
  ASSERT_TRUE(in_krw.has_value()) << in_krw.error().message;
  EXPECT_NE(WithoutScriptBodies(*in_krw).find("KRW"), std::string::npos);
}

TEST_F(RenderHtmlTest, SweepPageEscapesItsInputs) {
  Json sweep = testing::LoadJson(GPUPLAN_REPORT_SWEEP);
  sweep["tornado"]["metrics"]["total_cost_usd"]["bars"][0]["key"] = "<img src=x onerror=alert(1)>";
  sweep["points"][0]["error"] = "</script><b>";
  auto html = RenderSweepHtml(sweep, options_);
  ASSERT_TRUE(html.has_value()) << html.error().message;
  EXPECT_EQ(html->find("<img src=x"), std::string::npos);
  EXPECT_NE(html->find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_EQ(WithoutScriptBodies(*html).find("<b>"), std::string::npos);
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
