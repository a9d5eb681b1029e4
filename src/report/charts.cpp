#include "report/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "units/units.h"

namespace gpuplan::report::detail {

namespace {

// Okabe-Ito colour-blind-safe palette, then a few extra distinct hues.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                                    "#D55E00", "#F0E442", "#000000", "#7f7f7f", "#8c564b"};
constexpr size_t kNumColors = sizeof(kPalette) / sizeof(kPalette[0]);
constexpr const char* kCapColor = "#C0392B";

std::string Color(size_t idx) { return kPalette[idx % kNumColors]; }

Json BaseOptions() {
  Json o;
  o["animation"] = false;  // deterministic screenshots and printing
  o["responsive"] = true;
  o["maintainAspectRatio"] = false;
  o["interaction"] = {{"mode", "index"}, {"intersect", false}};
  o["plugins"]["legend"] = {{"position", "bottom"}};
  return o;
}

Json Axis(std::string_view title, std::string_view format, bool begin_at_zero = true) {
  Json a;
  a["beginAtZero"] = begin_at_zero;
  a["title"] = {{"display", true}, {"text", title}};
  a["gpuplanFormat"] = format;
  return a;
}

// A Chart.js dataset; `order` 0 draws on top of 1 (lines over bars).
Json Dataset(std::string_view type, std::string_view label, Json data, const std::string& color) {
  return {{"type", type},         {"label", label},           {"data", std::move(data)},
          {"borderColor", color}, {"backgroundColor", color}, {"order", type == "line" ? 0 : 1}};
}

Json LineDataset(std::string_view label, Json data, const std::string& color) {
  Json d = Dataset("line", label, std::move(data), color);
  d["borderWidth"] = 2;
  d["pointRadius"] = 2;
  d["tension"] = 0;
  return d;
}

Json CapDataset(std::string_view label, Json data) {
  Json d = LineDataset(label, std::move(data), kCapColor);
  d["borderDash"] = {6, 4};
  d["pointRadius"] = 0;
  d["stepped"] = true;
  return d;
}

Json BarDataset(std::string_view label, Json data, const std::string& color) {
  return Dataset("bar", label, std::move(data), color);
}

// A number or null (a gap in the chart) for each row of `rows`.
Json Column(const Json& rows, std::string_view key) {
  Json out = Json::array();
  for (const Json& r : rows) {
    if (auto v = Num(r, key)) {
      out.push_back(*v);
    } else {
      out.push_back(nullptr);
    }
  }
  return out;
}

bool AnyNumber(const Json& rows, std::string_view key) {
  return std::any_of(rows.begin(), rows.end(), [key](const Json& r) { return Num(r, key); });
}

Json Labels(const Json& rows, std::string_view key) {
  Json out = Json::array();
  for (const Json& r : rows) out.push_back(StrOr(r, key, "?"));
  return out;
}

void AddCapacity(const Json& capacity, std::vector<ChartSpec>& charts) {
  ChartSpec c{.id = "chart-capacity",
              .reader = Reader::kMinister,
              .title = "Capacity by accelerator",
              .caption =
                  "GPUs installed per quarter, stacked by accelerator (bars, left axis); "
                  "H100-equivalents of compute (line, right axis)."};
  Json datasets = Json::array();
  std::set<std::string> ids;  // sorted: same colours for the same inputs
  for (const Json& q : capacity) {
    if (const Json* by = ObjectAt(q, "gpus_by_accelerator")) {
      for (const auto& [id, n] : by->items()) ids.insert(id);
    }
  }
  size_t color_idx = 0;
  for (const std::string& id : ids) {
    Json data = Json::array();
    for (const Json& q : capacity) {
      const Json* by = ObjectAt(q, "gpus_by_accelerator");
      data.push_back(by == nullptr ? 0.0 : NumOr(*by, id, 0));
    }
    Json d = BarDataset(id, std::move(data), Color(color_idx++));
    d["stack"] = "gpus";
    d["yAxisID"] = "y";
    datasets.push_back(std::move(d));
  }
  if (ids.empty() && AnyNumber(capacity, "gpus")) {
    Json d = BarDataset("GPUs", Column(capacity, "gpus"), Color(color_idx++));
    d["yAxisID"] = "y";
    datasets.push_back(std::move(d));
  }
  if (AnyNumber(capacity, "h100_equivalents")) {
    Json d = LineDataset("H100-equivalents", Column(capacity, "h100_equivalents"), "#333333");
    d["yAxisID"] = "y1";
    datasets.push_back(std::move(d));
  }
  if (datasets.empty()) return;
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", Labels(capacity, "quarter")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  Json& scales = c.config["options"]["scales"];
  scales["x"] = {{"stacked", true}};
  scales["y"] = Axis("GPUs", "compact");
  scales["y"]["stacked"] = true;
  scales["y1"] = Axis("H100-equivalents", "compact");
  scales["y1"]["position"] = "right";
  scales["y1"]["grid"] = {{"drawOnChartArea", false}};
  charts.push_back(std::move(c));
}

// A quantity against its cap over the quarters: power against the facility, TPP against export.
void AddAgainstCap(const Json& capacity, std::string_view key, std::string_view cap_key,
                   ChartSpec c, std::string_view label, std::string_view cap_label,
                   std::string_view axis_title, std::vector<ChartSpec>& charts) {
  if (!AnyNumber(capacity, key)) return;
  Json datasets = Json::array();
  Json d = LineDataset(label, Column(capacity, key), Color(0));
  d["fill"] = "origin";
  d["backgroundColor"] = "rgba(0,114,178,0.15)";
  datasets.push_back(std::move(d));
  if (AnyNumber(capacity, cap_key))
    datasets.push_back(CapDataset(cap_label, Column(capacity, cap_key)));
  c.config["type"] = "line";
  c.config["data"] = {{"labels", Labels(capacity, "quarter")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["y"] = Axis(axis_title, "compact");
  charts.push_back(std::move(c));
}

void AddSpend(const Json& spend, std::vector<ChartSpec>& charts) {
  static constexpr struct {
    const char* key;
    const char* label;
  } kParts[] = {{"capex_usd", "purchases (capex)"},
                {"opex_usd", "operation (power, staff, upkeep)"},
                {"rental_usd", "rented GPUs"}};
  Json datasets = Json::array();
  size_t color_idx = 0;
  for (const auto& part : kParts) {
    if (!AnyNumber(spend, part.key)) continue;
    Json d = BarDataset(part.label, Column(spend, part.key), Color(color_idx++));
    d["stack"] = "usd";
    datasets.push_back(std::move(d));
  }
  if (datasets.empty()) return;
  ChartSpec c{.id = "chart-spend",
              .reader = Reader::kMinister,
              .title = "Spend by quarter",
              .caption = "US dollars per quarter, stacked: buying, running, renting."};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", Labels(spend, "quarter")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["x"] = {{"stacked", true}};
  c.config["options"]["scales"]["y"] = Axis("US dollars", "usd");
  c.config["options"]["scales"]["y"]["stacked"] = true;
  charts.push_back(std::move(c));
}

void AddWaitHistogram(const Json& per_class, const std::string& policy,
                      std::vector<ChartSpec>& charts) {
  Json labels;
  Json first_edges;
  Json datasets = Json::array();
  size_t color_idx = 0;
  for (const auto& [name, cls] : per_class.items()) {
    const Json* hist = ObjectAt(cls, "wait_histogram");
    if (hist == nullptr) continue;
    const Json& edges = ArrayAt(*hist, "edges_s");
    const Json& counts = ArrayAt(*hist, "counts");
    if (counts.empty()) continue;
    if (labels.is_null()) {
      labels = HistogramLabels(edges, counts.size());
      first_edges = edges;
    } else if (edges != first_edges || counts.size() != labels.size()) {
      continue;  // docs/report.md: the classes of one policy share their bin edges
    }
    double total = 0;
    for (const Json& n : counts) total += n.is_number() ? n.get<double>() : 0;
    Json data = Json::array();
    for (const Json& n : counts) {
      data.push_back(total > 0 && n.is_number() ? n.get<double>() / total : 0.0);
    }
    datasets.push_back(BarDataset(name, std::move(data), Color(color_idx++)));
  }
  if (datasets.empty()) return;
  ChartSpec c{.id = "chart-waits",
              .reader = Reader::kOperator,
              .title = "How long jobs wait, by tenant class",
              .caption = fmt::format("Share of each class's jobs by time from submission to "
                                     "start, under the {} policy.",
                                     policy)};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", labels}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["x"] = {{"title", {{"display", true}, {"text", "wait"}}}};
  c.config["options"]["scales"]["y"] = Axis("share of the class's jobs", "percent");
  charts.push_back(std::move(c));
}

void AddWaitPercentiles(const Json& per_class, const std::string& policy,
                        std::vector<ChartSpec>& charts) {
  static constexpr struct {
    const char* key;
    const char* label;
  } kStats[] = {{"p50_wait_s", "median"},
                {"mean_wait_s", "mean"},
                {"p95_wait_s", "95th percentile"},
                {"p99_wait_s", "99th percentile"}};
  Json labels = Json::array();
  std::vector<const Json*> classes;
  for (const auto& [name, cls] : per_class.items()) {
    if (!cls.is_object()) continue;
    labels.push_back(name);
    classes.push_back(&cls);
  }
  Json datasets = Json::array();
  size_t color_idx = 0;
  for (const auto& stat : kStats) {
    Json data = Json::array();
    bool any = false;
    for (const Json* cls : classes) {
      if (auto v = Num(*cls, stat.key)) {
        data.push_back(*v);
        any = true;
      } else {
        data.push_back(nullptr);
      }
    }
    if (any) datasets.push_back(BarDataset(stat.label, std::move(data), Color(color_idx)));
    ++color_idx;
  }
  if (datasets.empty()) return;
  ChartSpec c{
      .id = "chart-wait-percentiles",
      .reader = Reader::kOperator,
      .title = "Wait percentiles by tenant class",
      .caption = fmt::format("Median, mean and tail waits per class under the {} policy.", policy)};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", labels}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["y"] = Axis("wait", "duration");
  charts.push_back(std::move(c));
}

void AddPolicies(const Json& policies, std::vector<ChartSpec>& charts) {
  if (policies.size() < 2) return;
  Json datasets = Json::array();
  Json avg = BarDataset("mean wait", Column(policies, "avg_wait_s"), Color(0));
  Json p95 = BarDataset("95th-percentile wait", Column(policies, "p95_wait_s"), Color(1));
  avg["yAxisID"] = p95["yAxisID"] = "y";
  datasets.push_back(std::move(avg));
  datasets.push_back(std::move(p95));
  Json util = LineDataset("utilization", Column(policies, "utilization"), Color(2));
  util["yAxisID"] = "y1";
  util["showLine"] = false;
  util["pointRadius"] = 6;
  util["pointStyle"] = "rectRot";
  datasets.push_back(std::move(util));
  ChartSpec c{.id = "chart-policies",
              .reader = Reader::kOperator,
              .title = "Scheduling policies compared",
              .caption =
                  "The same jobs on the same fleet under each policy: waits (bars, left "
                  "axis) and utilization (diamonds, right axis)."};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", Labels(policies, "policy")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["y"] = Axis("wait", "duration");
  c.config["options"]["scales"]["y1"] = Axis("utilization", "percent");
  c.config["options"]["scales"]["y1"]["position"] = "right";
  c.config["options"]["scales"]["y1"]["max"] = 1;
  c.config["options"]["scales"]["y1"]["grid"] = {{"drawOnChartArea", false}};
  charts.push_back(std::move(c));
}

void AddUtilization(const Json& timeline, std::vector<ChartSpec>& charts) {
  if (!AnyNumber(timeline, "utilization")) return;
  const size_t stride = (timeline.size() + kMaxTimelinePoints - 1) / kMaxTimelinePoints;
  Json rows = Json::array();
  for (size_t i = 0; i < timeline.size(); ++i) {
    if (i % stride == 0 || i + 1 == timeline.size()) rows.push_back(timeline[i]);
  }
  // A linear x axis in days: round ticks, and points keep their true spacing.
  const auto points = [&rows](std::string_view key) {
    Json out = Json::array();
    for (const Json& r : rows) {
      const auto y = Num(r, key);
      out.push_back(
          {{"x", NumOr(r, "t_s", 0) / kSecondsPerDay}, {"y", y ? Json(*y) : Json(nullptr)}});
    }
    return out;
  };
  Json datasets = Json::array();
  Json util = LineDataset("utilization", points("utilization"), Color(0));
  util["pointRadius"] = 0;
  util["yAxisID"] = "y";
  datasets.push_back(std::move(util));
  if (AnyNumber(rows, "useful_utilization")) {
    Json useful = LineDataset("useful utilization", points("useful_utilization"), Color(2));
    useful["pointRadius"] = 0;
    useful["yAxisID"] = "y";
    datasets.push_back(std::move(useful));
  }
  if (AnyNumber(rows, "queue_length")) {
    Json queue = LineDataset("jobs waiting", points("queue_length"), Color(1));
    queue["pointRadius"] = 0;
    queue["borderWidth"] = 1;
    queue["yAxisID"] = "y1";
    datasets.push_back(std::move(queue));
  }
  ChartSpec c{.id = "chart-utilization",
              .reader = Reader::kOperator,
              .title = "Utilization over time",
              .caption =
                  "Share of installed GPUs busy (left axis) and jobs waiting in the queue "
                  "(right axis), as the fleet grows."};
  c.config["type"] = "line";
  c.config["data"] = {{"datasets", datasets}};
  c.config["options"] = BaseOptions();
  Json& scales = c.config["options"]["scales"];
  scales["x"] = Axis("day of the plan", "compact");
  scales["x"]["type"] = "linear";
  scales["y"] = Axis("utilization", "percent");
  scales["y"]["max"] = 1;
  scales["y1"] = Axis("jobs waiting", "compact");
  scales["y1"]["position"] = "right";
  scales["y1"]["grid"] = {{"drawOnChartArea", false}};
  charts.push_back(std::move(c));
}

// Waits of the jobs submitted in each quarter: how service changes as the fleet grows.
void AddWaitsByQuarter(const Json& by_quarter, const std::string& policy,
                       std::vector<ChartSpec>& charts) {
  if (!AnyNumber(by_quarter, "mean_wait_s")) return;
  Json datasets = Json::array();
  datasets.push_back(BarDataset("mean wait", Column(by_quarter, "mean_wait_s"), Color(0)));
  if (AnyNumber(by_quarter, "p99_wait_s")) {
    datasets.push_back(LineDataset("99th-percentile wait", Column(by_quarter, "p99_wait_s"),
                                   Color(3)));
  }
  ChartSpec c{.id = "chart-waits-by-quarter",
              .reader = Reader::kOperator,
              .title = "Waits by quarter as the fleet grows",
              .caption = fmt::format("Mean and 99th-percentile wait of the jobs submitted in each "
                                     "quarter, under the {} policy.",
                                     policy)};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", Labels(by_quarter, "quarter")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["y"] = Axis("wait", "duration");
  charts.push_back(std::move(c));
}

}  // namespace

std::vector<std::string> HistogramLabels(const Json& edges_s, size_t num_counts) {
  std::vector<std::string> labels;
  for (size_t i = 0; i < num_counts; ++i) {
    const bool has_lo = i < edges_s.size() && edges_s[i].is_number();
    const bool has_hi = i + 1 < edges_s.size() && edges_s[i + 1].is_number();
    if (has_lo && has_hi) {
      labels.push_back(FormatDurationS(edges_s[i].get<double>()) + "\u2013" +
                       FormatDurationS(edges_s[i + 1].get<double>()));
    } else if (has_lo) {
      labels.push_back("\u2265 " + FormatDurationS(edges_s[i].get<double>()));
    } else {
      labels.push_back(fmt::format("bin {}", i + 1));
    }
  }
  return labels;
}

std::vector<ChartSpec> BuildCharts(const Json& report) {
  std::vector<ChartSpec> charts;
  if (const Json* buy = ObjectAt(report, "buy")) {
    const Json& capacity = ArrayAt(*buy, "capacity");
    AddCapacity(capacity, charts);
    AddAgainstCap(capacity, "power_mw", "power_cap_mw",
                  ChartSpec{.id = "chart-power",
                            .reader = Reader::kMinister,
                            .title = "Power against the facility cap",
                            .caption = "Facility power drawn by the installed fleet (IT power x PUE), "
                                       "megawatts; dashed: the facility's power envelope."},
                  "power drawn", "power cap", "MW", charts);
    AddAgainstCap(capacity, "tpp", "tpp_cap",
                  ChartSpec{.id = "chart-tpp",
                            .reader = Reader::kMinister,
                            .title = "Compute against the export-control cap",
                            .caption = "Total Processing Performance (TPP, US export-control "
                                       "measure): of the export-controlled GPUs bought so far "
                                       "where a cap applies, else of the fleet; dashed: the cap."},
                  "fleet TPP", "export cap", "TPP", charts);
    AddSpend(ArrayAt(*buy, "spend"), charts);
  }
  if (const Json* sim = ObjectAt(report, "simulation")) {
    if (const Json* chosen = ChosenPolicy(*sim)) {
      const std::string policy = StrOr(*chosen, "policy", "chosen");
      if (const Json* per_class = ObjectAt(*chosen, "per_class")) {
        AddWaitHistogram(*per_class, policy, charts);
        AddWaitPercentiles(*per_class, policy, charts);
      }
    }
    AddPolicies(ArrayAt(*sim, "policies"), charts);
    AddUtilization(ArrayAt(*sim, "timeline"), charts);
    AddWaitsByQuarter(ArrayAt(*sim, "by_quarter"), StrOr(*sim, "policy", "chosen"), charts);
  }
  return charts;
}

}  // namespace gpuplan::report::detail
