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

// A sweep document by hand: a cost tornado of three inputs (one with its high point failed), a
// wait tornado whose base failed, and bands over two quarters (one wait quarter unknown).
Json HandSweep() {
  return Json::parse(R"({
    "gpuplan_sweep": 1, "spec": {"stage": "plan"},
    "tornado": {"metrics": {
      "total_cost_usd": {"base": 100, "bars": [
        {"key": "b", "low": "1", "high": "2", "at_low": 300, "at_high": 80, "swing": 220},
        {"key": "a", "low": "10", "high": "20", "at_low": 90, "at_high": 150, "swing": 60},
        {"key": "c", "low": "x", "high": "y", "at_low": 95, "at_high": null, "swing": null}]},
      "p95_wait_s": {"base": null, "bars": [
        {"key": "b", "low": "1", "high": "2", "at_low": 5, "at_high": 6, "swing": 1}]}}},
    "bands": {"quarters": ["2026Q4", "2027Q1"], "series": {
      "h100_equivalents": {"count": [2, 2], "p5": [1, 2], "p50": [3, 4], "p95": [5, 6]},
      "p95_wait_s": {"count": [2, 0], "p5": [10, null], "p50": [20, null], "p95": [30, null]},
      "avg_wait_s": {"count": [0, 0], "p5": [null, null], "p50": [null, null],
                     "p95": [null, null]}}}})");
}

TEST(BuildSweepCharts, TornadoBarsRunFromTheBaseToEachEnd) {
  const auto charts = BuildSweepCharts(HandSweep());
  // No wait tornado: its base point failed, so its bars have no common origin.
  EXPECT_EQ(Ids(charts), (std::vector<std::string>{"chart-tornado-total_cost_usd",
                                                   "chart-band-capacity", "chart-band-waits"}));
  const Json& config = charts[0].config;
  EXPECT_EQ(config["options"]["indexAxis"], "y");
  // In the bars' order (largest swing first, drawn on top), each with its low and high value.
  EXPECT_EQ(config["data"]["labels"],
            Json({"b (1 \u2192 2)", "a (10 \u2192 20)", "c (x \u2192 y)"}));
  const Json& low = config["data"]["datasets"][0];
  const Json& high = config["data"]["datasets"][1];
  EXPECT_EQ(low["data"], Json::parse("[[100, 300], [100, 90], [100, 95]]"));
  EXPECT_EQ(high["data"], Json::parse("[[100, 80], [100, 150], null]"));
  EXPECT_EQ(low["grouped"], false);  // both ends of an input on one row
  // Money in US dollars (a sweep document has no currency), on a money axis off zero.
  EXPECT_EQ(config["options"]["scales"]["x"]["gpuplanFormat"], "money");
  EXPECT_EQ(config["options"]["scales"]["x"]["gpuplanPrefix"], "$");
  EXPECT_EQ(config["options"]["scales"]["x"]["beginAtZero"], false);
  EXPECT_NE(charts[0].caption.find("$100"), std::string::npos) << charts[0].caption;
}

TEST(BuildSweepCharts, BandsFillFromTheFifthToTheNinetyFifthPercentile) {
  const auto charts = BuildSweepCharts(HandSweep());
  const ChartSpec* capacity = FindChart(charts, "chart-band-capacity");
  ASSERT_NE(capacity, nullptr);
  EXPECT_EQ(capacity->config["data"]["labels"], Json({"2026Q4", "2027Q1"}));
  const Json& d = capacity->config["data"]["datasets"];
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0]["data"], Json({1.0, 2.0}));  // p5, the band's lower edge
  EXPECT_EQ(d[0]["fill"], false);
  EXPECT_EQ(d[0]["gpuplanHideInLegend"], true);
  EXPECT_EQ(d[1]["data"], Json({5.0, 6.0}));  // p95, filled down to p5
  EXPECT_EQ(d[1]["fill"], "-1");
  EXPECT_EQ(d[2]["data"], Json({3.0, 4.0}));  // the median
  // Waits: the 95th-percentile wait's band only (no point knows the mean wait), a gap where
  // no point knows the quarter, on a duration axis.
  const ChartSpec* waits = FindChart(charts, "chart-band-waits");
  ASSERT_NE(waits, nullptr);
  const Json& w = waits->config["data"]["datasets"];
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[1]["data"], Json({30.0, nullptr}));
  EXPECT_EQ(waits->config["options"]["scales"]["y"]["gpuplanFormat"], "duration");
}

TEST(BuildSweepCharts, ABuyStageSweepWithoutTornadoHasTheCapacityBandOnly) {
  Json sweep = HandSweep();
  sweep.erase("tornado");
  sweep["bands"]["series"].erase("p95_wait_s");
  sweep["bands"]["series"].erase("avg_wait_s");
  EXPECT_EQ(Ids(BuildSweepCharts(sweep)), (std::vector<std::string>{"chart-band-capacity"}));
  EXPECT_TRUE(BuildSweepCharts(Json::object()).empty());
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
