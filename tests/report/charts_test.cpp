#include "report/charts.h"

#include <gtest/gtest.h>

#include "report/test_util.h"

namespace gpuplan::report::detail {
namespace {

using testing::LoadExtended;
using testing::LoadSample;

const ChartSpec* FindChart(const std::vector<ChartSpec>& charts, const std::string& id) {
  for (const ChartSpec& c : charts) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::vector<std::string> Ids(const std::vector<ChartSpec>& charts) {
  std::vector<std::string> ids;
  for (const ChartSpec& c : charts) ids.push_back(c.id);
  return ids;
}

TEST(BuildCharts, TheExtendedFixtureHasEveryChartInPageOrder) {
  // by_quarter, frontier, capacity with power and TPP caps, spend, three policies with
  // per-class histograms, and a timeline: all eleven charts.
  EXPECT_EQ(Ids(BuildCharts(LoadExtended())),
            (std::vector<std::string>{"chart-load", "chart-class-waits", "chart-frontier",
                                      "chart-capacity", "chart-power", "chart-tpp", "chart-spend",
                                      "chart-waits", "chart-wait-percentiles", "chart-policies",
                                      "chart-utilization"}));
}

TEST(BuildCharts, AnOlderDocumentDrawsWhatItHas) {
  const auto charts = BuildCharts(testing::OlderDocument());
  EXPECT_EQ(Ids(charts),
            (std::vector<std::string>{"chart-capacity", "chart-power", "chart-tpp", "chart-spend",
                                      "chart-waits", "chart-wait-percentiles", "chart-policies",
                                      "chart-utilization"}));
  // No rate: its amounts are dollars, and the spend axis says so.
  const ChartSpec* spend = FindChart(charts, "chart-spend");
  ASSERT_NE(spend, nullptr);
  EXPECT_EQ(spend->config["options"]["scales"]["y"]["gpuplanPrefix"], "$");
  EXPECT_EQ(spend->config["data"]["datasets"][0]["data"][0], 80e6);
}

TEST(BuildCharts, SpendIsInTheScenarioCurrency) {
  const auto charts = BuildCharts(LoadExtended());
  const ChartSpec* c = FindChart(charts, "chart-spend");
  ASSERT_NE(c, nullptr);
  const Json& y = c->config["options"]["scales"]["y"];
  EXPECT_EQ(y["gpuplanFormat"], "money");
  EXPECT_EQ(y["gpuplanPrefix"], "KRW ");
  EXPECT_EQ(y["title"]["text"], "KRW");
  // 2026Q4 capex: 80e6 USD at 1,400 KRW per USD.
  EXPECT_DOUBLE_EQ(c->config["data"]["datasets"][0]["data"][0].get<double>(), 80e6 * 1400);
  EXPECT_NE(c->caption.find("KRW"), std::string::npos);
}

TEST(BuildCharts, LoadChartShowsOfferedLoadUtilizationAndTheThreshold) {
  const auto charts = BuildCharts(LoadExtended());
  const ChartSpec* c = FindChart(charts, "chart-load");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->config["data"]["labels"], (Json{"2026Q4", "2027Q1", "2027Q2", "2027Q3"}));
  const Json& d = c->config["data"]["datasets"];
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0]["data"], (Json{1.19, 0.86, 0.62, 0.48}));
  EXPECT_EQ(d[1]["data"], (Json{0.93, 0.79, 0.61, 0.47}));
  EXPECT_EQ(d[2]["data"], (Json{0.9, 0.9, 0.9, 0.9}));
  EXPECT_TRUE(d[2].contains("borderDash"));
}

TEST(BuildCharts, ClassWaitsFollowTheServiceLevelPercentileAndTarget) {
  const auto charts = BuildCharts(LoadExtended());
  const ChartSpec* c = FindChart(charts, "chart-class-waits");
  ASSERT_NE(c, nullptr);
  const Json& d = c->config["data"]["datasets"];
  // industry and startup have targets (a dashed line each); research has none.
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[0]["label"], "industry (95th percentile)");
  EXPECT_EQ(d[0]["data"], (Json{221400, 151200, 36000, 14400}));
  EXPECT_EQ(d[1]["label"], "industry target");
  EXPECT_EQ(d[1]["data"], (Json{48 * 3600.0, 48 * 3600.0, 48 * 3600.0, 48 * 3600.0}));
  EXPECT_EQ(d[1]["borderColor"], d[0]["borderColor"]);
  EXPECT_EQ(d[3]["label"], "startup target");
  EXPECT_EQ(d[4]["label"], "research (95th percentile)");
}

TEST(BuildCharts, FrontierIsTotalCostAgainstEachClassWait) {
  const Json report = LoadExtended();
  const auto charts = BuildCharts(report);
  const ChartSpec* c = FindChart(charts, "chart-frontier");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->config["options"]["scales"]["x"]["type"], "linear");
  EXPECT_EQ(c->config["options"]["scales"]["x"]["gpuplanPrefix"], "KRW ");
  const Json& industry = c->config["data"]["datasets"][0];
  EXPECT_EQ(industry["label"], "industry (95th percentile)");
  const Json& frontier = report["frontier"];
  ASSERT_EQ(industry["data"].size(), frontier.size());
  for (size_t i = 0; i < frontier.size(); ++i) {
    EXPECT_DOUBLE_EQ(industry["data"][i]["x"].get<double>(),
                     frontier[i]["total_cost_usd"].get<double>() * 1400);
    EXPECT_DOUBLE_EQ(industry["data"][i]["y"].get<double>(),
                     frontier[i]["per_class"]["industry"]["wait_h"].get<double>() * 3600);
  }
  // The target spans the frontier's costs, cheapest to dearest.
  const Json& target = c->config["data"]["datasets"][1];
  EXPECT_EQ(target["label"], "industry target");
  EXPECT_DOUBLE_EQ(target["data"][0]["x"].get<double>(), 298e6 * 1400);
  EXPECT_DOUBLE_EQ(target["data"][1]["x"].get<double>(), 422e6 * 1400);
  EXPECT_DOUBLE_EQ(target["data"][1]["y"].get<double>(), 48 * 3600.0);
}

TEST(BuildCharts, OddNewKeysDrawNothingAndNeverThrow) {
  const Json odd = Json::parse(R"({"service_levels": [1, null, {"class": 3}],
      "frontier": [{"per_class": []}, {"total_cost_usd": "x"}, 5],
      "simulation": {"by_quarter": [{"per_class": {"a": 1}}, "q", {"offered_load": null}]}})");
  std::vector<ChartSpec> charts;
  EXPECT_NO_THROW(charts = BuildCharts(odd));
  EXPECT_TRUE(charts.empty());
}

TEST(BuildCharts, CapacityStacksSumToTheFleetOfEachQuarter) {
  const Json report = LoadSample();
  const auto charts = BuildCharts(report);
  const ChartSpec* c = FindChart(charts, "chart-capacity");
  ASSERT_NE(c, nullptr);
  const Json& capacity = report["buy"]["capacity"];
  const Json& datasets = c->config["data"]["datasets"];
  ASSERT_EQ(c->config["data"]["labels"].size(), capacity.size());
  for (size_t q = 0; q < capacity.size(); ++q) {
    double stacked = 0;
    for (const Json& d : datasets) {
      if (d["type"] == "bar") stacked += d["data"][q].get<double>();
    }
    // The fixture's own "gpus" total is the independent check of the stack.
    EXPECT_EQ(stacked, capacity[q]["gpus"].get<double>()) << capacity[q]["quarter"];
  }
  EXPECT_EQ(datasets.back()["label"], "H100-equivalents");
}

TEST(BuildCharts, WaitHistogramSharesSumToOnePerClass) {
  const auto charts = BuildCharts(LoadExtended());
  const ChartSpec* c = FindChart(charts, "chart-waits");
  ASSERT_NE(c, nullptr);
  const Json& datasets = c->config["data"]["datasets"];
  ASSERT_EQ(datasets.size(), 3u);  // industry, startup, research
  for (const Json& d : datasets) {
    double sum = 0;
    for (const Json& v : d["data"]) sum += v.get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-12) << d["label"];
  }
  // Six counts over edges 0, 60, 600, 3600, 14400, 86400 s: five closed bins and one open.
  EXPECT_EQ(c->config["data"]["labels"].size(), 6u);
  EXPECT_EQ(c->config["data"]["labels"].back(), "\u2265 1 day");
}

TEST(BuildCharts, PowerChartCarriesTheCapAsADashedLine) {
  const Json report = LoadSample();
  const auto charts = BuildCharts(report);
  const ChartSpec* c = FindChart(charts, "chart-power");
  ASSERT_NE(c, nullptr);
  const Json& cap = c->config["data"]["datasets"][1];
  EXPECT_EQ(cap["label"], "power cap");
  EXPECT_TRUE(cap.contains("borderDash"));
  EXPECT_EQ(cap["data"].back(), report["buy"]["capacity"].back()["power_cap_mw"]);
}

TEST(BuildCharts, LongTimelinesAreThinnedKeepingTheLastPoint) {
  Json timeline = Json::array();
  const size_t n = 3 * kMaxTimelinePoints + 7;
  for (size_t i = 0; i < n; ++i) {
    timeline.push_back({{"t_s", 3600.0 * i}, {"utilization", 0.5}});
  }
  const Json report = {{"simulation", {{"timeline", timeline}}}};
  const auto charts = BuildCharts(report);
  const ChartSpec* c = FindChart(charts, "chart-utilization");
  ASSERT_NE(c, nullptr);
  const Json& points = c->config["data"]["datasets"][0]["data"];
  EXPECT_LE(points.size(), kMaxTimelinePoints + 1);
  // Last point: t = (n - 1) h = 3006 h = 125.25 days.
  EXPECT_DOUBLE_EQ(points.back()["x"].get<double>(), 125.25);
}

TEST(BuildCharts, NothingToDrawGivesNoCharts) {
  EXPECT_TRUE(BuildCharts(Json::object()).empty());
  EXPECT_TRUE(BuildCharts(Json{{"buy", {{"status", "infeasible"}}},
                               {"simulation", {{"error", "trace missing"}}}})
                  .empty());
}

TEST(HistogramLabels, ClosedAndOpenBins) {
  EXPECT_EQ(HistogramLabels(Json{0, 60, 3600}, 3),
            (std::vector<std::string>{"0 s\u20131 min", "1 min\u20131 h", "\u2265 1 h"}));
  EXPECT_EQ(HistogramLabels(Json{0, 60, 3600}, 2),
            (std::vector<std::string>{"0 s\u20131 min", "1 min\u20131 h"}));
  EXPECT_EQ(HistogramLabels(Json::array(), 1), (std::vector<std::string>{"bin 1"}));
}

}  // namespace
}  // namespace gpuplan::report::detail
