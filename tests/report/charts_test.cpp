#include "report/charts.h"

#include <gtest/gtest.h>

#include "report/test_util.h"

namespace gpuplan::report::detail {
namespace {

using testing::LoadSample;

const ChartSpec* FindChart(const std::vector<ChartSpec>& charts, const std::string& id) {
  for (const ChartSpec& c : charts) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

TEST(BuildCharts, TheSampleHasEveryChartInPageOrder) {
  const auto charts = BuildCharts(LoadSample());
  std::vector<std::string> ids;
  for (const ChartSpec& c : charts) ids.push_back(c.id);
  // The sample has capacity, power, TPP and spend, three policies with per-class histograms,
  // and a timeline: all eight charts.
  EXPECT_EQ(ids, (std::vector<std::string>{"chart-capacity", "chart-power", "chart-tpp",
                                           "chart-spend", "chart-waits", "chart-wait-percentiles",
                                           "chart-policies", "chart-utilization"}));
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
  const auto charts = BuildCharts(LoadSample());
  const ChartSpec* c = FindChart(charts, "chart-waits");
  ASSERT_NE(c, nullptr);
  const Json& datasets = c->config["data"]["datasets"];
  ASSERT_EQ(datasets.size(), 3u);  // startup, research, industry
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

TEST(BuildCharts, WaitsByQuarterFollowTheQuarters) {
  const Json report = {{"simulation",
                        {{"policy", "easy"},
                         {"by_quarter",
                          {{{"quarter", "2026Q4"}, {"mean_wait_s", 7200}, {"p99_wait_s", 86400}},
                           {{"quarter", "2027Q1"}, {"mean_wait_s", 60}, {"p99_wait_s", 600}}}}}}};
  const auto charts = BuildCharts(report);
  const ChartSpec* c = FindChart(charts, "chart-waits-by-quarter");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->config["data"]["labels"], (Json{"2026Q4", "2027Q1"}));
  EXPECT_EQ(c->config["data"]["datasets"][0]["data"], (Json{7200, 60}));
  EXPECT_EQ(c->config["data"]["datasets"][1]["data"], (Json{86400, 600}));
  EXPECT_NE(c->caption.find("easy"), std::string::npos);
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
