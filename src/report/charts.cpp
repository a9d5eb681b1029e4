#include "report/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
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

// An axis of amounts in the scenario's currency (the data already converted).
Json MoneyAxis(const Money& money) {
  Json a = Axis(CurrencyLabel(money), "money");
  a["gpuplanPrefix"] = money.currency == "USD" ? "$" : money.currency + " ";
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

// Column(rows, key) of US dollars, in the scenario's currency.
Json MoneyColumn(const Json& rows, std::string_view key, const Money& money) {
  Json out = Column(rows, key);
  for (Json& v : out) {
    if (v.is_number()) v = v.get<double>() * money.units_per_usd;
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
              .place = Place::kFleet,
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

void AddSpend(const Json& spend, const Money& money, std::vector<ChartSpec>& charts) {
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
    Json d = BarDataset(part.label, MoneyColumn(spend, part.key, money), Color(color_idx++));
    d["stack"] = "usd";
    datasets.push_back(std::move(d));
  }
  if (datasets.empty()) return;
  ChartSpec c{.id = "chart-spend",
              .place = Place::kFleet,
              .title = "Spend by quarter",
              .caption = fmt::format("{} per quarter, stacked: buying, running, renting.",
                                     money.currency == "USD" ? "US dollars" : money.currency)};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", Labels(spend, "quarter")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["x"] = {{"stacked", true}};
  c.config["options"]["scales"]["y"] = MoneyAxis(money);
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
              .place = Place::kOperator,
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
                {"avg_wait_s", "mean"},
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
      .place = Place::kOperator,
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
              .place = Place::kOperator,
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
              .place = Place::kOperator,
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

// The wait key of by_quarter[].per_class that shows a percentile: the simulator writes the
// 50th, 95th and 99th; another percentile is shown as the 95th, and labelled so.
double ShownPercentile(double percentile) {
  for (double p : {50.0, 95.0, 99.0}) {
    if (percentile == p) return p;
  }
  return 95;
}

// Each class's service-level percentile and target (hours), from service_levels[] rows that
// name a class (tenant rows have no per-class series to draw against).
struct ClassTarget {
  double percentile = 95;
  std::optional<double> wait_h;
};

std::map<std::string, ClassTarget> ClassTargets(const Json& report) {
  std::map<std::string, ClassTarget> targets;
  for (const Json& sl : ArrayAt(report, "service_levels")) {
    const std::string cls = StrOr(sl, "class");
    if (cls.empty()) continue;
    targets[cls] = {NumOr(sl, "percentile", 95), Num(sl, "wait_h")};
  }
  return targets;
}

// Class names in first-seen order over rows[].per_class (or rows[].<key> objects).
std::vector<std::string> ClassNames(const Json& rows) {
  std::vector<std::string> names;
  for (const Json& r : rows) {
    const Json* per_class = ObjectAt(r, "per_class");
    if (per_class == nullptr) continue;
    for (const auto& [name, c] : per_class->items()) {
      if (c.is_object() && std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  }
  return names;
}

// Offered load against utilization per quarter: a quarter whose demand exceeds what the fleet
// can serve (load near or above 1) queues its jobs into later quarters.
void AddLoad(const Json& by_quarter, std::vector<ChartSpec>& charts) {
  if (!AnyNumber(by_quarter, "offered_load") && !AnyNumber(by_quarter, "utilization")) return;
  constexpr double kLoadWarning = 0.9;  // the plan's warning threshold (docs/report.md)
  Json datasets = Json::array();
  if (AnyNumber(by_quarter, "offered_load")) {
    datasets.push_back(BarDataset("offered load (GPU-hours asked / installed)",
                                  Column(by_quarter, "offered_load"), Color(4)));
  }
  if (AnyNumber(by_quarter, "utilization")) {
    datasets.push_back(LineDataset("utilization (GPU-hours busy / installed)",
                                   Column(by_quarter, "utilization"), Color(0)));
  }
  Json threshold = Json::array();
  for (size_t i = 0; i < by_quarter.size(); ++i) threshold.push_back(kLoadWarning);
  datasets.push_back(CapDataset("0.9: waits grow fast above", std::move(threshold)));
  ChartSpec c{.id = "chart-load",
              .place = Place::kService,
              .title = "Demand against capacity by quarter",
              .caption =
                  "Offered load: GPU-hours the tenants, workloads and services ask for in the "
                  "quarter over the GPU-hours installed (bars); utilization: the share busy "
                  "(line). Above 0.9, queues and waits grow quickly."};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", Labels(by_quarter, "quarter")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["y"] = Axis("share of installed GPU-hours", "percent");
  charts.push_back(std::move(c));
}

// Each class's percentile wait by submission quarter, its target dashed in the same colour.
void AddClassWaits(const Json& by_quarter, const std::map<std::string, ClassTarget>& targets,
                   const std::string& policy, std::vector<ChartSpec>& charts) {
  const std::vector<std::string> names = ClassNames(by_quarter);
  Json datasets = Json::array();
  size_t color_idx = 0;
  for (const std::string& name : names) {
    const auto target = targets.find(name);
    const double percentile =
        ShownPercentile(target == targets.end() ? 95 : target->second.percentile);
    const std::string key = fmt::format("p{}_wait_s", static_cast<int>(percentile));
    Json data = Json::array();
    bool any = false;
    for (const Json& q : by_quarter) {
      const Json* per_class = ObjectAt(q, "per_class");
      const Json* c = per_class == nullptr ? nullptr : ObjectAt(*per_class, name);
      const auto v = c == nullptr ? std::nullopt : Num(*c, key);
      data.push_back(v ? Json(*v) : Json(nullptr));
      any = any || v.has_value();
    }
    const std::string color = Color(color_idx++);
    if (!any) continue;
    datasets.push_back(
        LineDataset(fmt::format("{} ({} percentile)", name, Ordinal(percentile)), data, color));
    if (target != targets.end() && target->second.wait_h) {
      Json line = Json::array();
      for (size_t i = 0; i < by_quarter.size(); ++i) {
        line.push_back(*target->second.wait_h * kSecondsPerHour);
      }
      Json d = LineDataset(name + " target", std::move(line), color);
      d["borderDash"] = {6, 4};
      d["pointRadius"] = 0;
      d["borderWidth"] = 1;
      datasets.push_back(std::move(d));
    }
  }
  if (datasets.empty()) return;
  ChartSpec c{.id = "chart-class-waits",
              .place = Place::kService,
              .title = "Each class's wait by quarter, against its target",
              .caption = fmt::format(
                  "Percentile wait of the jobs submitted in each quarter, per tenant class, "
                  "under the {} policy; dashed: the service-level target.",
                  policy)};
  c.config["type"] = "line";
  c.config["data"] = {{"labels", Labels(by_quarter, "quarter")}, {"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["y"] = Axis("wait", "duration");
  charts.push_back(std::move(c));
}

// What each extra unit of money buys in waits: one line per class through the frontier's plans,
// total cost on the x axis; dashed: the class's target.
void AddFrontier(const Json& frontier, const std::map<std::string, ClassTarget>& targets,
                 const Money& money, std::vector<ChartSpec>& charts) {
  const std::vector<std::string> names = ClassNames(frontier);
  double x_min = 0, x_max = 0;
  bool any_x = false;
  for (const Json& f : frontier) {
    if (auto x = Num(f, "total_cost_usd")) {
      x_min = any_x ? std::min(x_min, *x) : *x;
      x_max = any_x ? std::max(x_max, *x) : *x;
      any_x = true;
    }
  }
  if (!any_x) return;
  Json datasets = Json::array();
  size_t color_idx = 0;
  for (const std::string& name : names) {
    Json points = Json::array();
    double percentile = 0;
    for (const Json& f : frontier) {
      const auto x = Num(f, "total_cost_usd");
      const Json* per_class = ObjectAt(f, "per_class");
      const Json* c = per_class == nullptr ? nullptr : ObjectAt(*per_class, name);
      const auto wait_h = c == nullptr ? std::nullopt : Num(*c, "wait_h");
      if (!x || !wait_h) continue;
      percentile = NumOr(*c, "percentile", percentile);
      points.push_back({{"x", *x * money.units_per_usd}, {"y", *wait_h * kSecondsPerHour}});
    }
    const std::string color = Color(color_idx++);
    if (points.empty()) continue;
    const std::string label =
        percentile > 0 ? fmt::format("{} ({} percentile)", name, Ordinal(percentile)) : name;
    datasets.push_back(LineDataset(label, std::move(points), color));
    const auto target = targets.find(name);
    if (target != targets.end() && target->second.wait_h) {
      const double y = *target->second.wait_h * kSecondsPerHour;
      Json d = LineDataset(name + " target",
                           Json::array({{{"x", x_min * money.units_per_usd}, {"y", y}},
                                        {{"x", x_max * money.units_per_usd}, {"y", y}}}),
                           color);
      d["borderDash"] = {6, 4};
      d["pointRadius"] = 0;
      d["borderWidth"] = 1;
      datasets.push_back(std::move(d));
    }
  }
  if (datasets.empty()) return;
  ChartSpec c{.id = "chart-frontier",
              .place = Place::kFrontier,
              .title = "What more money buys in waits",
              .caption = fmt::format(
                  "Each point is the cheapest plan within one budget: its total cost ({}) and "
                  "each class's percentile wait; dashed: the class's target.",
                  CurrencyLabel(money))};
  c.config["type"] = "line";
  c.config["data"] = {{"datasets", datasets}};
  c.config["options"] = BaseOptions();
  c.config["options"]["interaction"] = {{"mode", "nearest"}, {"intersect", false}};
  Json& scales = c.config["options"]["scales"];
  scales["x"] = MoneyAxis(money);
  scales["x"]["type"] = "linear";
  scales["x"]["beginAtZero"] = false;
  scales["x"]["title"]["text"] = "total cost over the horizon (" + CurrencyLabel(money) + ")";
  scales["y"] = Axis("wait", "duration");
  charts.push_back(std::move(c));
}

// One tornado: the bars of tornado.metrics[metric], in their order (largest swing first, which
// Chart.js draws at the top of a category y axis).
void AddTornado(const std::string& metric, const Json& t, const Money& money,
                std::vector<ChartSpec>& charts) {
  const auto base = Num(t, "base");
  if (!base) return;  // the scenario as it is failed: no common origin for the bars
  const SweepMetric view = SweepMetricOf(metric);
  const double scale = view.format == "money" ? money.units_per_usd : 1;
  Json labels = Json::array();
  Json at_low = Json::array(), at_high = Json::array();
  bool any = false;
  for (const Json& bar : ArrayAt(t, "bars")) {
    labels.push_back(fmt::format("{} ({} \u2192 {})", StrOr(bar, "key", "?"),
                                 StrOr(bar, "low", "?"), StrOr(bar, "high", "?")));
    for (const auto& [key, out] : {std::pair{"at_low", &at_low}, std::pair{"at_high", &at_high}}) {
      const auto v = Num(bar, key);
      out->push_back(v ? Json::array({*base * scale, *v * scale}) : Json(nullptr));
      any = any || v.has_value();
    }
  }
  if (!any) return;
  Json low = BarDataset("input at its low value", std::move(at_low), Color(0));
  Json high = BarDataset("input at its high value", std::move(at_high), Color(1));
  for (Json* d : {&low, &high}) {
    (*d)["grouped"] = false;  // both bars of an input on one row, either side of the base
    (*d)["barPercentage"] = 0.7;
  }
  ChartSpec c{.id = "chart-tornado-" + metric,
              .place = Place::kTornado,
              .title = view.title,
              .caption = fmt::format(
                  "Each input alone at its low and high value, the others at the scenario's: "
                  "bars from the base ({}) to the result. Largest swing on top.",
                  view.format == "money"      ? FormatMoney(*base, money)
                  : view.format == "duration" ? FormatDurationS(*base)
                                              : FormatNumber(*base))};
  c.config["type"] = "bar";
  c.config["data"] = {{"labels", labels}, {"datasets", Json::array({low, high})}};
  c.config["options"] = BaseOptions();
  c.config["options"]["indexAxis"] = "y";
  Json& scales = c.config["options"]["scales"];
  scales["x"] = view.format == "money" ? MoneyAxis(money) : Axis(view.title, view.format);
  scales["x"]["beginAtZero"] = false;
  scales["x"]["title"]["text"] = view.title;
  scales["y"] = {{"title", {{"display", true}, {"text", "input (low \u2192 high)"}}}};
  charts.push_back(std::move(c));
}

// bands.series[key] as a band: the 5th and 95th percentiles across points (the area between
// them filled) and the median, per quarter.
void AddBand(const Json& series, std::string_view label, const std::string& color,
             const std::string& fill, Json& datasets) {
  Json p5 = LineDataset(fmt::format("{}: 5th percentile", label), Column(series, "p5"), color);
  Json p95 =
      LineDataset(fmt::format("{}: 5th to 95th percentile", label), Column(series, "p95"), color);
  Json p50 = LineDataset(fmt::format("{}: median", label), Column(series, "p50"), color);
  for (Json* d : {&p5, &p95}) {
    (*d)["borderWidth"] = 1;
    (*d)["pointRadius"] = 0;
  }
  p5["fill"] = false;
  p5["gpuplanHideInLegend"] = true;  // the shaded p95 dataset stands for the band
  p95["fill"] = "-1";                // down to the dataset before it: p5
  p95["backgroundColor"] = fill;
  datasets.push_back(std::move(p5));
  datasets.push_back(std::move(p95));
  datasets.push_back(std::move(p50));
}

// The values of bands.series[key] as rows {p5, p50, p95} per quarter, for Column.
Json BandRows(const Json& band) {
  Json rows = Json::array();
  const Json& p50 = ArrayAt(band, "p50");
  for (size_t i = 0; i < p50.size(); ++i) {
    Json r = Json::object();
    for (const char* k : {"p5", "p50", "p95"}) {
      const Json& list = ArrayAt(band, k);
      r[k] = i < list.size() ? list[i] : Json(nullptr);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

// A band chart: line datasets over the quarters, on one y axis.
void AddBandChart(ChartSpec c, const Json& quarters, Json datasets, Json y_axis,
                  std::vector<ChartSpec>& charts) {
  c.config["type"] = "line";
  c.config["data"] = {{"labels", quarters}, {"datasets", std::move(datasets)}};
  c.config["options"] = BaseOptions();
  c.config["options"]["scales"]["y"] = std::move(y_axis);
  charts.push_back(std::move(c));
}

void AddSweepBands(const Json& bands, std::vector<ChartSpec>& charts) {
  const Json* series = ObjectAt(bands, "series");
  if (series == nullptr) return;
  const Json& quarters = ArrayAt(bands, "quarters");
  const auto band = [&](std::string_view key) {
    const Json* b = ObjectAt(*series, key);
    return b == nullptr ? Json::array() : BandRows(*b);
  };
  const Json capacity = band("h100_equivalents");
  if (AnyNumber(capacity, "p50")) {
    Json datasets = Json::array();
    AddBand(capacity, "H100-equivalents", Color(0), "rgba(0,114,178,0.18)", datasets);
    AddBandChart({.id = "chart-band-capacity",
                  .place = Place::kBands,
                  .title = "Capacity by quarter across the points",
                  .caption = "H100-equivalents of compute installed each quarter: the median plan "
                             "of the sweep's points (line) and the 5th to 95th percentile across "
                             "them (shaded)."},
                 quarters, std::move(datasets), Axis("H100-equivalents", "compact"), charts);
  }
  const Json p95 = band("p95_wait_s"), mean = band("avg_wait_s");
  if (AnyNumber(p95, "p50") || AnyNumber(mean, "p50")) {
    Json datasets = Json::array();
    if (AnyNumber(p95, "p50")) {
      AddBand(p95, "95th-percentile wait", Color(5), "rgba(213,94,0,0.18)", datasets);
    }
    if (AnyNumber(mean, "p50"))
      AddBand(mean, "mean wait", Color(2), "rgba(0,158,115,0.18)", datasets);
    AddBandChart({.id = "chart-band-waits",
                  .place = Place::kBands,
                  .title = "Waits by quarter across the points",
                  .caption = "Wait of the jobs submitted each quarter (all tenants) under the "
                             "scenario's policy: the median of the sweep's points (line) and the "
                             "5th to 95th percentile across them (shaded)."},
                 quarters, std::move(datasets), Axis("wait", "duration"), charts);
  }
}

}  // namespace

SweepMetric SweepMetricOf(std::string_view metric) {
  static const std::map<std::string, SweepMetric, std::less<>> kMetrics = {
      {"total_cost_usd", {"total cost over the horizon", "money"}},
      {"capex_usd", {"purchases (capex)", "money"}},
      {"h100_eq_gpu_hours", {"H100-equivalent GPU-hours over the horizon", "compact"}},
      {"final_h100_equivalents", {"H100-equivalents at the end", "compact"}},
      {"final_gpus", {"GPUs at the end", "compact"}},
      {"final_power_mw", {"power drawn at the end (MW)", "compact"}},
      {"utilization", {"utilization", "percent"}},
      {"avg_wait_s", {"mean wait", "duration"}},
      {"p95_wait_s", {"95th-percentile wait", "duration"}},
      {"p99_wait_s", {"99th-percentile wait", "duration"}}};
  const auto it = kMetrics.find(metric);
  return it != kMetrics.end() ? it->second : SweepMetric{std::string(metric), "compact"};
}

std::vector<ChartSpec> BuildSweepCharts(const Json& sweep) {
  std::vector<ChartSpec> charts;
  const Money money = MoneyOf(sweep);
  if (const Json* tornado = ObjectAt(sweep, "tornado")) {
    if (const Json* metrics = ObjectAt(*tornado, "metrics")) {
      for (const auto& [metric, t] : metrics->items()) AddTornado(metric, t, money, charts);
    }
  }
  if (const Json* bands = ObjectAt(sweep, "bands")) AddSweepBands(*bands, charts);
  return charts;
}

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
  const Money money = MoneyOf(report);
  const auto targets = ClassTargets(report);
  if (const Json* sim = ObjectAt(report, "simulation")) {
    const Json& by_quarter = ArrayAt(*sim, "by_quarter");
    AddLoad(by_quarter, charts);
    AddClassWaits(by_quarter, targets, StrOr(*sim, "policy", "chosen"), charts);
  }
  AddFrontier(ArrayAt(report, "frontier"), targets, money, charts);
  if (const Json* buy = ObjectAt(report, "buy")) {
    const Json& capacity = ArrayAt(*buy, "capacity");
    AddCapacity(capacity, charts);
    AddAgainstCap(
        capacity, "power_mw", "power_cap_mw",
        ChartSpec{.id = "chart-power",
                  .place = Place::kFleet,
                  .title = "Power against the facility cap",
                  .caption = "Facility power drawn by the installed fleet (IT power x PUE), "
                             "megawatts; dashed: the facility's power envelope."},
        "power drawn", "power cap", "MW", charts);
    AddAgainstCap(capacity, "tpp", "tpp_cap",
                  ChartSpec{.id = "chart-tpp",
                            .place = Place::kFleet,
                            .title = "Compute against the export-control cap",
                            .caption = "Total Processing Performance (TPP, US export-control "
                                       "measure): of the export-controlled GPUs bought so far "
                                       "where a cap applies, else of the fleet; dashed: the cap."},
                  "fleet TPP", "export cap", "TPP", charts);
    AddSpend(ArrayAt(*buy, "spend"), money, charts);
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
  }
  return charts;
}

}  // namespace gpuplan::report::detail
