// report: turns the plan's report.json document into words (Summarize), one self-contained,
// offline HTML page with Chart.js charts (RenderHtml), and both files on disk (WriteReport).
// The document's shape (keys, units, meaning) is the contract in docs/report.md; every section
// is optional, and a missing or failed section is rendered as "not available" with its error.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "units/units.h"

namespace gpuplan::report {

// Debian's libjs-chart.js (installed by scripts/install-deps.sh): Chart.js 3.x, UMD build.
inline constexpr char kDefaultChartJsPath[] = "/usr/share/javascript/chart.js/Chart.js";

struct RenderOptions {
  std::string chart_js_path = kDefaultChartJsPath;  // inlined into the page
  std::string raw_json_href = "report.json";        // the engineer's raw-data link; "" hides it
};

// The plain-words summary for a minister: what to buy and when, what it costs, what each tenant
// class will wait, what binds; an infeasible plan says why. Never fails: odd or missing fields
// are skipped, missing sections are said to be not available.
std::vector<std::string> Summarize(const nlohmann::ordered_json& report);

// One self-contained HTML page: Chart.js and the report data inlined, no network requests, all
// text HTML-escaped. Error only when the Chart.js file cannot be read or cannot be inlined.
Result<std::string> RenderHtml(const nlohmann::ordered_json& report, const RenderOptions& options);

// Creates `dir` and writes dir/report.json and dir/report.html, each via WriteFileAtomic, so no
// half-written report is ever left. The HTML is rendered before anything is written.
Result<void> WriteReport(const std::string& dir, const nlohmann::ordered_json& report,
                         const RenderOptions& options);

// The sweep page, as self-contained as RenderHtml's, from gpuplan sweep's document (spec,
// columns, points, summary, bands, tornado; docs/python.md): a tornado chart per result (which
// input moves cost, capacity and waits most), the 5th-95th percentile bands by quarter on the
// capacity and wait charts, the percentiles of each result, and the points.
Result<std::string> RenderSweepHtml(const nlohmann::ordered_json& sweep,
                                    const RenderOptions& options);

// dir/sweep.json and dir/sweep.html, as WriteReport (the page links sweep.json unless
// options.raw_json_href is empty).
Result<void> WriteSweepReport(const std::string& dir, const nlohmann::ordered_json& sweep,
                              RenderOptions options);

}  // namespace gpuplan::report
