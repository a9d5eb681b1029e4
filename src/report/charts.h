// Internal to report/: the Chart.js configurations the page draws, built from the report
// document in C++ so that tests can check them. The page's script only hands each config to
// Chart.js, after turning the "gpuplanFormat" hints on axes (usd, percent, duration, compact)
// into tick and tooltip formatters.
#pragma once

#include <string>
#include <vector>

#include "report/format.h"

namespace gpuplan::report::detail {

// Where a chart sits on the page: the minister's service levels, what more money buys, the fleet
// and spend; the operator's waits and utilization; on the sweep page, the tornado and the bands.
enum class Place { kService, kFrontier, kFleet, kOperator, kTornado, kBands };

struct ChartSpec {
  std::string id;  // canvas id: "chart-capacity"
  Place place = Place::kFleet;
  std::string title;
  std::string caption;           // one line under the title: what the chart shows, units
  Json config = Json::object();  // a Chart.js 3 configuration: {type, data, options}
};

// Timelines longer than this are thinned (every k-th point, the last always kept).
inline constexpr size_t kMaxTimelinePoints = 1000;

// One spec per chart whose data is present, in page order: offered load and class waits by
// quarter, the frontier, capacity, power, tpp, spend (for the minister), then waits, wait
// percentiles, policies and utilization (for the operator). Money is shown in
// the scenario's currency (MoneyOf).
std::vector<ChartSpec> BuildCharts(const Json& report);

// The sweep page's charts (a gpuplan sweep document): one tornado per result of tornado.metrics
// that has a base (per input, a bar from the base to the result at the input's low value and
// one to its high value, largest swing on top), then the p5-p95 bands by quarter across the
// points: H100-equivalents installed, and the waits (stage plan).
std::vector<ChartSpec> BuildSweepCharts(const Json& sweep);

// How the sweep page shows a result: its words and its axis format ("money", "compact",
// "duration").
struct SweepMetric {
  std::string title;
  std::string format;
};
SweepMetric SweepMetricOf(std::string_view metric);

// Bin labels for a wait histogram: edges [0, 60, 3600] and 3 counts -> "0 s–1 min",
// "1 min–1 h", "≥ 1 h" (a count past the last edge is open-ended).
std::vector<std::string> HistogramLabels(const Json& edges_s, size_t num_counts);

}  // namespace gpuplan::report::detail
