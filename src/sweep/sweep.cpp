#include "sweep/sweep.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <thread>

#include "buy/buy.h"
#include "plan/plan.h"

namespace gpuplan::sweep {

namespace {

using Json = nlohmann::ordered_json;

// The 5th and 95th percentiles of a normal axis are its tornado low and high: mean -/+ z sd.
constexpr double kZ95 = 1.6448536269514722;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A sampled number as an override value: shortest round-trip text, always a float literal.
std::string NumberText(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::optional<double> AsNumber(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

// An override value given in JSON: strings as they are, numbers in round-trip form, booleans.
Result<std::string> ValueText(const Json& v, std::string_view where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer()) return fmt::format("{}", v.get<int64_t>());
  if (v.is_number()) return NumberText(v.get<double>());
  return Error{fmt::format("sweep spec: {}: values must be strings, numbers or booleans, got {}",
                           where, v.dump())};
}

Result<double> Number(const Json& v, std::string_view where) {
  if (!v.is_number())
    return Error{fmt::format("sweep spec: {} must be a number, got {}", where, v.dump())};
  return v.get<double>();
}

Result<Axis> SampledAxis(const std::string& key, const Json& d) {
  const std::string where = "sample." + key;
  if (!d.is_object() || d.size() != 1) {
    return Error{
        fmt::format("sweep spec: {} must be one of {{uniform: [lo, hi]}}, "
                    "{{log_uniform: [lo, hi]}}, {{normal: [mean, sd]}}, {{values: [...]}}",
                    where)};
  }
  Axis a{.key = key};
  const std::string kind = d.begin().key();
  const Json& args = d.begin().value();
  if (kind == "values") {
    if (!args.is_array() || args.empty()) {
      return Error{fmt::format("sweep spec: {}.values must be a non-empty list", where)};
    }
    for (const auto& v : args) {
      auto text = ValueText(v, where);
      GPUPLAN_TRY(text);
      a.values.push_back(*text);
    }
    return a;
  }
  static const std::map<std::string, Distribution> kKinds = {
      {"uniform", Distribution::kUniform},
      {"log_uniform", Distribution::kLogUniform},
      {"normal", Distribution::kNormal}};
  const auto it = kKinds.find(kind);
  if (it == kKinds.end()) {
    return Error{
        fmt::format("sweep spec: {}: unknown distribution '{}' (uniform, log_uniform, "
                    "normal, values)",
                    where, kind)};
  }
  if (!args.is_array() || args.size() != 2) {
    return Error{fmt::format("sweep spec: {}.{} must be a list of two numbers", where, kind)};
  }
  a.distribution = it->second;
  auto lo = Number(args[0], where);
  GPUPLAN_TRY(lo);
  auto hi = Number(args[1], where);
  GPUPLAN_TRY(hi);
  a.low = *lo;
  a.high = *hi;
  if (a.distribution == Distribution::kNormal) {
    if (!(a.high > 0)) {
      return Error{fmt::format("sweep spec: {}.normal: the standard deviation must be > 0, got {}",
                               where, a.high)};
    }
  } else if (!(a.low < a.high) || (a.distribution == Distribution::kLogUniform && !(a.low > 0))) {
    return Error{fmt::format("sweep spec: {}.{}: need {}lo < hi, got [{}, {}]", where, kind,
                             a.distribution == Distribution::kLogUniform ? "0 < " : "", a.low,
                             a.high)};
  }
  return a;
}

// The value of axis `a` at a Monte Carlo point.
std::string Draw(const Axis& a, Rng& rng) {
  switch (a.distribution) {
    case Distribution::kValues:
      return a.values[rng.UniformInt(a.values.size())];
    case Distribution::kUniform:
      return NumberText(rng.Uniform(a.low, a.high));
    case Distribution::kLogUniform:
      return NumberText(std::exp(rng.Uniform(std::log(a.low), std::log(a.high))));
    case Distribution::kNormal:
      return NumberText(rng.Normal(a.low, a.high));
  }
  return {};
}

// The tornado's low and high value of an axis.
std::pair<std::string, std::string> Extremes(const Axis& a) {
  switch (a.distribution) {
    case Distribution::kValues: {
      std::vector<double> numbers;
      for (const auto& v : a.values) {
        if (auto n = AsNumber(v)) numbers.push_back(*n);
      }
      if (numbers.size() != a.values.size()) return {a.values.front(), a.values.back()};
      const auto [lo, hi] = std::minmax_element(numbers.begin(), numbers.end());
      return {a.values[static_cast<size_t>(lo - numbers.begin())],
              a.values[static_cast<size_t>(hi - numbers.begin())]};
    }
    case Distribution::kUniform:
    case Distribution::kLogUniform:
      return {NumberText(a.low), NumberText(a.high)};
    case Distribution::kNormal:
      return {NumberText(a.low - kZ95 * a.high), NumberText(a.low + kZ95 * a.high)};
  }
  return {};
}

double Num(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : kNaN;
}

// A number, or null where it is missing or not finite (NaN is not JSON).
Json NumOrNull(const Json& j, const char* key) {
  const double v = Num(j, key);
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

// The row's by_quarter entry of `quarter`, appended (in the order seen) when new.
Json& QuarterEntry(Json& row, const std::string& quarter) {
  Json& list = row["by_quarter"];
  for (Json& q : list) {
    if (q.value("quarter", std::string()) == quarter) return q;
  }
  list.push_back({{"quarter", quarter}});
  return list.back();
}

// Metrics of a purchase plan's JSON (buy --json, or the plan report's "buy" section).
void BuyMetrics(const Json& buy, Json& row) {
  row["status"] = buy.value("status", std::string("error"));
  for (const char* k : {"total_cost_usd", "capex_usd", "h100_eq_gpu_hours"}) row[k] = Num(buy, k);
  const Json* last = nullptr;
  if (auto it = buy.find("capacity"); it != buy.end() && it->is_array() && !it->empty()) {
    last = &it->back();
  }
  row["final_h100_equivalents"] = last ? Num(*last, "h100_equivalents") : kNaN;
  row["final_gpus"] = last ? Num(*last, "gpus") : kNaN;
  row["final_power_mw"] = last ? Num(*last, "power_mw") : kNaN;
  // The fleet by quarter, for the report's bands across points.
  if (auto it = buy.find("capacity"); it != buy.end() && it->is_array()) {
    for (const Json& q : *it) {
      if (!q.contains("quarter") || !q.at("quarter").is_string()) continue;
      Json& entry = QuarterEntry(row, q.at("quarter").get<std::string>());
      for (const char* k : {"gpus", "h100_equivalents", "power_mw"}) entry[k] = NumOrNull(q, k);
    }
  }
}

Result<void> RunStage(const SweepSpec& spec, const scenario::Scenario& s,
                      const catalog::Catalog& catalog, Json& row) {
  if (spec.stage == Stage::kBuy) {
    auto problem = buy::BuildBuyProblem(s, catalog, plan::MakeSizingResolver(catalog));
    GPUPLAN_TRY(problem);
    // The MILP alone: a min-cost scenario minimizes cost; max-capacity and service-level
    // (whose simulation loop is the plan stage's) maximize capacity.
    problem->objective = s.objective == scenario::PlanObjective::kMinCost
                             ? buy::Objective::kMinCost
                             : buy::Objective::kMaxCapacity;
    const buy::SolveOptions options{.time_limit_s = spec.time_limit_s, .explain = false};
    auto result = buy::SolveBuy(*problem, options);
    GPUPLAN_TRY(result);
    BuyMetrics(buy::ResultJson(s, *problem, *result), row);
    return Ok{};
  }
  // The whole plan, under the scenario's policy alone and without the other objective's plan:
  // what a point needs, at a quarter of the report's cost.
  plan::PlanOptions options;
  options.policies = {s.simulation.policy};
  options.compare_purchase_options = false;
  options.frontier_points = 0;
  options.buy_time_limit_s = spec.time_limit_s;
  auto result = plan::RunPlan(s, catalog, options);
  GPUPLAN_TRY(result);
  const Json report = plan::ToJson(*result, s);
  const Json kEmpty = Json::object();
  const Json& buy = report.contains("buy") ? report.at("buy") : kEmpty;
  BuyMetrics(buy, row);
  if (buy.contains("error")) row["error"] = buy.at("error");
  const Json& simulation = report.contains("simulation") ? report.at("simulation") : kEmpty;
  const Json* chosen = nullptr;
  if (auto it = simulation.find("policies"); it != simulation.end()) {
    for (const Json& p : *it) {
      if (p.value("policy", std::string()) == simulation.value("policy", std::string()))
        chosen = &p;
    }
  }
  for (const char* k : {"utilization", "avg_wait_s", "p95_wait_s", "p99_wait_s"}) {
    row[k] = chosen ? Num(*chosen, k) : kNaN;
  }
  // Waits of the jobs submitted in each quarter (the report's simulation.by_quarter).
  if (auto it = simulation.find("by_quarter"); it != simulation.end() && it->is_array()) {
    for (const Json& q : *it) {
      if (!q.contains("quarter") || !q.at("quarter").is_string()) continue;
      Json& entry = QuarterEntry(row, q.at("quarter").get<std::string>());
      for (const char* k : {"utilization", "avg_wait_s", "p95_wait_s"}) entry[k] = NumOrNull(q, k);
    }
  }
  if (simulation.contains("error")) row["error"] = simulation.at("error");
  return Ok{};
}

// NaN is not JSON: missing metrics are null.
void NullNaNs(Json& row) {
  for (auto& [key, value] : row.items()) {
    if (value.is_number_float() && !std::isfinite(value.get<double>())) value = nullptr;
  }
}

bool IsTablePoint(const Json& row) {
  const std::string role = row.value("role", std::string());
  return role == "grid" || role == "sample";
}

std::optional<double> RowNumber(const Json& row, const std::string& key) {
  const auto it = row.find(key);
  if (it == row.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::vector<std::string> TornadoMetrics(Stage stage) {
  std::vector<std::string> m = {"total_cost_usd", "h100_eq_gpu_hours", "final_h100_equivalents"};
  if (stage == Stage::kPlan) m.insert(m.end(), {"avg_wait_s", "p95_wait_s"});
  return m;
}

Json Tornado(const SweepSpec& spec, const std::vector<Json>& rows) {
  const Json* base = nullptr;
  std::map<std::string, const Json*> low, high;
  for (const Json& r : rows) {
    const std::string role = r.at("role");
    if (role == "base") base = &r;
    if (role == "low") low[r.at("varied")] = &r;
    if (role == "high") high[r.at("varied")] = &r;
  }
  Json out;
  out["base"] = base ? *base : Json(nullptr);
  out["metrics"] = Json::object();
  for (const std::string& metric : TornadoMetrics(spec.stage)) {
    struct Bar {
      Json json;
      double swing = -1;  // -1: not known (a point failed)
    };
    std::vector<Bar> bars;
    for (const Axis& a : spec.axes) {
      const Json* lo = low.count(a.key) ? low[a.key] : nullptr;
      const Json* hi = high.count(a.key) ? high[a.key] : nullptr;
      const double at_lo = lo ? RowNumber(*lo, metric).value_or(kNaN) : kNaN;
      const double at_hi = hi ? RowNumber(*hi, metric).value_or(kNaN) : kNaN;
      Bar bar;
      bar.json["key"] = a.key;
      const auto [lo_text, hi_text] = Extremes(a);
      bar.json["low"] = lo_text;
      bar.json["high"] = hi_text;
      bar.json["at_low"] = std::isfinite(at_lo) ? Json(at_lo) : Json(nullptr);
      bar.json["at_high"] = std::isfinite(at_hi) ? Json(at_hi) : Json(nullptr);
      if (std::isfinite(at_lo) && std::isfinite(at_hi)) bar.swing = std::abs(at_hi - at_lo);
      bar.json["swing"] = bar.swing >= 0 ? Json(bar.swing) : Json(nullptr);
      bars.push_back(std::move(bar));
    }
    // Largest swing first (the tornado's shape); ties and unknowns in axis order.
    std::stable_sort(bars.begin(), bars.end(),
                     [](const Bar& a, const Bar& b) { return a.swing > b.swing; });
    Json list = Json::array();
    for (auto& b : bars) list.push_back(std::move(b.json));
    out["metrics"][metric] = {
        {"base", base ? (RowNumber(*base, metric) ? Json(*RowNumber(*base, metric)) : Json(nullptr))
                      : Json(nullptr)},
        {"bars", list}};
  }
  return out;
}

// The nearest-rank p-th quantile (0 < p <= 1) of sorted, non-empty values.
double NearestRank(const std::vector<double>& sorted, double p) {
  const size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(k, 1, sorted.size()) - 1];
}

// Per metric over the table's points: count of known values, min, p5, p50, p95, max, mean
// (nearest-rank percentiles; summed in index order).
Json Summary(const SweepSpec& spec, const std::vector<Json>& rows) {
  Json out = Json::object();
  for (const std::string& metric : MetricNames(spec.stage)) {
    std::vector<double> v;
    for (const Json& r : rows) {
      if (!IsTablePoint(r)) continue;
      if (auto n = RowNumber(r, metric)) v.push_back(*n);
    }
    if (v.empty()) {
      out[metric] = {{"count", 0}};
      continue;
    }
    double sum = 0;
    for (double x : v) sum += x;
    std::sort(v.begin(), v.end());
    out[metric] = {{"count", v.size()},
                   {"min", v.front()},
                   {"p5", NearestRank(v, 0.05)},
                   {"p50", NearestRank(v, 0.5)},
                   {"p95", NearestRank(v, 0.95)},
                   {"max", v.back()},
                   {"mean", sum / static_cast<double>(v.size())}};
  }
  return out;
}

// Per quarter series over the table's points, quarter by quarter: how many points know it and
// their p5, p50 and p95 (nearest rank, as Summary), null where none does. Quarters are the
// union over the points (a scenario axis may change the horizon), in time order.
Json Bands(const SweepSpec& spec, const std::vector<Json>& rows) {
  std::set<std::string> quarter_set;  // "2026Q4" sorts in time order as text
  for (const Json& r : rows) {
    if (!IsTablePoint(r) || !r.contains("by_quarter")) continue;
    for (const Json& q : r.at("by_quarter")) quarter_set.insert(q.value("quarter", std::string()));
  }
  const std::vector<std::string> quarters(quarter_set.begin(), quarter_set.end());
  Json out;
  out["quarters"] = quarters;
  out["series"] = Json::object();
  for (const std::string& series : QuarterSeriesNames(spec.stage)) {
    std::vector<std::vector<double>> values(quarters.size());
    for (const Json& r : rows) {
      if (!IsTablePoint(r) || !r.contains("by_quarter")) continue;
      for (const Json& q : r.at("by_quarter")) {
        const auto at =
            std::lower_bound(quarters.begin(), quarters.end(), q.value("quarter", std::string()));
        if (auto v = RowNumber(q, series))
          values[static_cast<size_t>(at - quarters.begin())].push_back(*v);
      }
    }
    Json band = {{"count", Json::array()},
                 {"p5", Json::array()},
                 {"p50", Json::array()},
                 {"p95", Json::array()}};
    for (std::vector<double>& v : values) {
      std::sort(v.begin(), v.end());
      band["count"].push_back(v.size());
      for (const auto& [name, p] : {std::pair{"p5", 0.05}, {"p50", 0.5}, {"p95", 0.95}}) {
        band[name].push_back(v.empty() ? Json(nullptr) : Json(NearestRank(v, p)));
      }
    }
    out["series"][series] = std::move(band);
  }
  return out;
}

std::string CsvField(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_number_integer()) return fmt::format("{}", v.get<int64_t>());
  if (v.is_number()) return fmt::format("{}", v.get<double>());
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

std::string_view ToString(Stage stage) { return stage == Stage::kBuy ? "buy" : "plan"; }

std::string_view ToString(Distribution d) {
  switch (d) {
    case Distribution::kValues:
      return "values";
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kLogUniform:
      return "log_uniform";
    case Distribution::kNormal:
      return "normal";
  }
  return "values";
}

Result<SweepSpec> SpecFromJson(const Json& j) {
  if (!j.is_object()) return Error{"sweep spec: must be an object"};
  static const std::set<std::string> kKeys = {
      "scenario", "set", "grid", "sample", "samples", "seed", "stage", "tornado", "time_limit_s"};
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.count(key)) {
      return Error{
          fmt::format("sweep spec: unknown key '{}' (scenario, set, grid, sample, samples, "
                      "seed, stage, tornado, time_limit_s)",
                      key)};
    }
  }
  SweepSpec s;
  if (j.contains("scenario")) {
    if (!j["scenario"].is_string()) return Error{"sweep spec: 'scenario' must be a path"};
    s.scenario_path = j["scenario"].get<std::string>();
  }
  if (j.contains("set")) {
    const auto& set = j["set"];
    if (!set.is_object()) return Error{"sweep spec: 'set' must map keys to values"};
    for (const auto& [key, value] : set.items()) {
      auto text = ValueText(value, "set." + key);
      GPUPLAN_TRY(text);
      s.overrides.push_back(key + "=" + *text);
    }
  }
  const bool has_grid = j.contains("grid"), has_sample = j.contains("sample");
  if (has_grid == has_sample) {
    return Error{
        "sweep spec: give exactly one of 'grid' ({key: [values]}) or 'sample' ({key: "
        "{uniform: [lo, hi]}}) with 'samples'"};
  }
  if (has_grid) {
    if (!j["grid"].is_object() || j["grid"].empty()) {
      return Error{"sweep spec: 'grid' must map each key to a list of values"};
    }
    for (const auto& [key, values] : j["grid"].items()) {
      if (!values.is_array() || values.empty()) {
        return Error{fmt::format("sweep spec: grid.{} must be a non-empty list of values", key)};
      }
      Axis a{.key = key};
      for (const auto& v : values) {
        auto text = ValueText(v, "grid." + key);
        GPUPLAN_TRY(text);
        a.values.push_back(*text);
      }
      s.axes.push_back(std::move(a));
    }
    if (j.contains("samples")) return Error{"sweep spec: 'samples' goes with 'sample', not 'grid'"};
  } else {
    if (!j["sample"].is_object() || j["sample"].empty()) {
      return Error{"sweep spec: 'sample' must map each key to a distribution"};
    }
    for (const auto& [key, d] : j["sample"].items()) {
      auto a = SampledAxis(key, d);
      GPUPLAN_TRY(a);
      s.axes.push_back(std::move(*a));
    }
    if (!j.contains("samples") || !j["samples"].is_number_integer() ||
        j["samples"].get<int64_t>() < 1 || j["samples"].get<int64_t>() > kMaxPoints) {
      return Error{
          fmt::format("sweep spec: 'samples' must be a whole number in [1, {}]", kMaxPoints)};
    }
    s.samples = j["samples"].get<int>();
  }
  std::set<std::string> seen;
  for (const Axis& a : s.axes) {
    if (a.key.empty() || !seen.insert(a.key).second) {
      return Error{fmt::format("sweep spec: axis key '{}' is empty or repeated", a.key)};
    }
  }
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned())
      return Error{"sweep spec: 'seed' must be a whole number >= 0"};
    s.seed = j["seed"].get<uint64_t>();
  }
  if (j.contains("stage")) {
    const std::string stage = j["stage"].is_string() ? j["stage"].get<std::string>() : "";
    if (stage != "buy" && stage != "plan") {
      return Error{fmt::format("sweep spec: 'stage' must be \"buy\" or \"plan\", got {}",
                               j["stage"].dump())};
    }
    s.stage = stage == "buy" ? Stage::kBuy : Stage::kPlan;
  }
  if (j.contains("tornado")) {
    if (!j["tornado"].is_boolean()) return Error{"sweep spec: 'tornado' must be true or false"};
    s.has_tornado = j["tornado"].get<bool>();
  }
  if (j.contains("time_limit_s")) {
    auto t = Number(j["time_limit_s"], "'time_limit_s'");
    GPUPLAN_TRY(t);
    if (!(*t > 0)) return Error{fmt::format("sweep spec: 'time_limit_s' must be > 0, got {}", *t)};
    s.time_limit_s = *t;
  }
  if (s.samples == 0) {
    double points = 1;
    for (const Axis& a : s.axes) points *= static_cast<double>(a.values.size());
    if (points > kMaxPoints) {
      return Error{
          fmt::format("sweep spec: the grid has {} points, more than {}", points, kMaxPoints)};
    }
  }
  return s;
}

Json ToJson(const SweepSpec& s) {
  Json j;
  j["scenario"] = s.scenario_path;
  Json set = Json::object();
  for (const std::string& o : s.overrides) {
    const size_t eq = o.find('=');
    set[o.substr(0, eq)] = eq == std::string::npos ? "" : o.substr(eq + 1);
  }
  j["set"] = set;
  Json axes = Json::object();
  for (const Axis& a : s.axes) {
    if (s.samples == 0) {
      axes[a.key] = a.values;
    } else if (a.distribution == Distribution::kValues) {
      axes[a.key] = {{"values", a.values}};
    } else {
      axes[a.key] = {{std::string(ToString(a.distribution)), {a.low, a.high}}};
    }
  }
  j[s.samples == 0 ? "grid" : "sample"] = axes;
  if (s.samples > 0) j["samples"] = s.samples;
  j["seed"] = s.seed;
  j["stage"] = std::string(ToString(s.stage));
  j["tornado"] = s.has_tornado;
  j["time_limit_s"] = s.time_limit_s;
  return j;
}

std::vector<Point> ExpandPoints(const SweepSpec& spec) {
  std::vector<Point> points;
  const size_t num_axes = spec.axes.size();
  if (spec.samples == 0) {
    // Row-major over the axes in spec order: the last axis varies fastest.
    std::vector<size_t> at(num_axes, 0);
    while (true) {
      Point p{.index = static_cast<int>(points.size()), .role = "grid"};
      for (size_t a = 0; a < num_axes; ++a) p.values.push_back(spec.axes[a].values[at[a]]);
      points.push_back(std::move(p));
      size_t a = num_axes;
      while (a > 0 && ++at[a - 1] == spec.axes[a - 1].values.size()) at[--a] = 0;
      if (a == 0) break;
    }
  } else {
    const Rng root(spec.seed);
    for (int i = 0; i < spec.samples; ++i) {
      const Rng point_rng = root.Fork(fmt::format("point/{}", i));
      Point p{.index = i, .role = "sample"};
      for (const Axis& a : spec.axes) {
        Rng axis_rng = point_rng.Fork(a.key);
        p.values.push_back(Draw(a, axis_rng));
      }
      points.push_back(std::move(p));
    }
  }
  if (spec.has_tornado) {
    points.push_back(Point{.index = static_cast<int>(points.size()),
                           .role = "base",
                           .values = std::vector<std::string>(num_axes)});
    for (size_t a = 0; a < num_axes; ++a) {
      const auto [lo, hi] = Extremes(spec.axes[a]);
      for (const auto& [role, value] : {std::pair{"low", lo}, std::pair{"high", hi}}) {
        Point p{.index = static_cast<int>(points.size()),
                .role = role,
                .varied = spec.axes[a].key,
                .values = std::vector<std::string>(num_axes)};
        p.values[a] = value;
        points.push_back(std::move(p));
      }
    }
  }
  return points;
}

Result<scenario::Scenario> LoadScenarioWithOverrides(const std::string& path,
                                                     const catalog::Catalog& catalog,
                                                     const std::vector<std::string>& overrides) {
  return scenario::LoadScenario(path, catalog, overrides);
}

std::vector<std::string> MetricNames(Stage stage) {
  std::vector<std::string> m = {"total_cost_usd",         "capex_usd",  "h100_eq_gpu_hours",
                                "final_h100_equivalents", "final_gpus", "final_power_mw"};
  if (stage == Stage::kPlan)
    m.insert(m.end(), {"utilization", "avg_wait_s", "p95_wait_s", "p99_wait_s"});
  return m;
}

std::vector<std::string> QuarterSeriesNames(Stage stage) {
  std::vector<std::string> m = {"gpus", "h100_equivalents", "power_mw"};
  if (stage == Stage::kPlan) m.insert(m.end(), {"utilization", "avg_wait_s", "p95_wait_s"});
  return m;
}

Result<std::vector<std::string>> CheckAxes(const SweepSpec& spec, const catalog::Catalog& catalog,
                                           const ScenarioLoader& loader) {
  const std::string path =
      spec.scenario_path.empty() ? scenario::DefaultScenarioPath() : spec.scenario_path;
  std::set<std::string> files;
  auto load = [&](const std::string& at, const std::vector<std::string>& overrides) {
    auto s = loader(at, catalog, overrides);
    if (s) files.insert(s->files_read.begin(), s->files_read.end());
    return s;
  };
  if (auto s = load(path, spec.overrides); !s) return s.error();
  // A sampled axis is checked at every value drawn, not only at its bounds: a uniform draw
  // inside valid bounds can still be refused (a whole-number key given 37.2), and a normal
  // one has no bounds.
  std::vector<std::set<std::string>> values(spec.axes.size());  // each axis's, as the points run
  for (const Point& p : ExpandPoints(spec)) {
    for (size_t a = 0; a < p.values.size(); ++a) {
      if (!p.values[a].empty()) values[a].insert(p.values[a]);
    }
  }
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const Axis& axis = spec.axes[a];
    for (const std::string& text : values[a]) {
      std::vector<std::string> overrides = spec.overrides;
      std::string at = path;
      if (axis.key == kScenarioAxis) {
        at = text;
      } else {
        overrides.push_back(axis.key + "=" + text);
      }
      if (auto s = load(at, overrides); !s) {
        return Error{fmt::format("sweep axis '{}' at '{}': {}", axis.key, text, s.error().message),
                     s.error().kind};
      }
    }
  }
  return std::vector<std::string>(files.begin(), files.end());
}

Json EvaluatePoint(const SweepSpec& spec, const Point& point, const catalog::Catalog& catalog,
                   const ScenarioLoader& loader) {
  Json row;
  row["index"] = point.index;
  row["role"] = point.role;
  row["varied"] = point.varied;
  Json inputs = Json::object();
  std::vector<std::string> overrides = spec.overrides;
  std::string path =
      spec.scenario_path.empty() ? scenario::DefaultScenarioPath() : spec.scenario_path;
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const std::string& v = point.values[a];
    inputs[spec.axes[a].key] = v.empty() ? Json(nullptr) : Json(v);
    if (v.empty()) continue;
    if (spec.axes[a].key == kScenarioAxis) {
      path = v;
    } else {
      overrides.push_back(spec.axes[a].key + "=" + v);
    }
  }
  row["inputs"] = inputs;
  row["status"] = "error";
  for (const std::string& m : MetricNames(spec.stage)) row[m] = nullptr;
  row["error"] = nullptr;
  row["by_quarter"] = Json::array();
  auto s = loader(path, catalog, overrides);
  if (s) row["money"] = {{"currency", s->currency}, {"units_per_usd", s->units_per_usd}};
  Result<void> ran = s ? RunStage(spec, *s, catalog, row) : Result<void>(s.error());
  if (!ran) {
    row["status"] = "error";
    row["error"] = ran.error().message;
  }
  // Every quarter has every series of the stage (null: not known), one shape for every row.
  for (Json& q : row["by_quarter"]) {
    for (const std::string& series : QuarterSeriesNames(spec.stage)) {
      if (!q.contains(series)) q[series] = nullptr;
    }
  }
  NullNaNs(row);
  return row;
}

Result<Json> Assemble(const SweepSpec& spec, std::vector<Json> rows) {
  const std::vector<Point> points = ExpandPoints(spec);
  std::sort(rows.begin(), rows.end(), [](const Json& a, const Json& b) {
    return a.value("index", -1) < b.value("index", -1);
  });
  if (rows.size() != points.size()) {
    return Error{fmt::format("sweep: {} rows for {} points", rows.size(), points.size())};
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].value("index", -1) != static_cast<int>(i) ||
        rows[i].value("role", std::string()) != points[i].role) {
      return Error{fmt::format("sweep: point {} is missing, repeated or from another spec", i)};
    }
  }
  Json doc;
  doc["gpuplan_sweep"] = 1;
  doc["spec"] = ToJson(spec);
  // The scenario's currency, as plan's report carries it, when every point was priced in the same
  // one (an axis may change the rate or the scenario): the page shows money in it. The figures
  // themselves stay in USD.
  std::optional<Json> money;
  bool one_money = true;
  for (const Json& r : rows) {
    if (!r.contains("money")) continue;
    if (!money) money = r["money"];
    one_money = one_money && r["money"] == *money;
  }
  if (money && one_money) doc["scenario"] = *money;
  Json columns = Json::array({"index"});
  for (const Axis& a : spec.axes) columns.push_back(a.key);
  columns.push_back("status");
  for (const std::string& m : MetricNames(spec.stage)) columns.push_back(m);
  columns.push_back("error");
  doc["columns"] = columns;
  doc["points"] = Json::array();
  for (const Json& r : rows) {
    if (IsTablePoint(r)) doc["points"].push_back(r);
  }
  doc["summary"] = Summary(spec, rows);
  doc["bands"] = Bands(spec, rows);
  if (spec.has_tornado) doc["tornado"] = Tornado(spec, rows);
  return doc;
}

namespace {

// The points on `workers` threads, rows[i] for mine[i].
void EvaluateOnThreads(const SweepSpec& spec, const std::vector<Point>& mine,
                       const catalog::Catalog& catalog, const RunOptions& options, int workers,
                       std::vector<Json>& rows) {
  // Each worker takes the next point; a row depends on its point alone, so the rows are the
  // same whatever the number of workers and the order they finish in.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < mine.size(); i = next++) {
      if (rows[i].is_null()) rows[i] = EvaluatePoint(spec, mine[i], catalog, options.loader);
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
}

// The points on `workers` forked processes, each taking the next point from a counter in shared
// memory and writing its rows, one JSON line each, to its own unlinked temporary file. Rows a
// worker did not deliver (fork failed, the process was killed) stay null for the caller to fill.
// Processes rather than threads because CBC's driver keeps its state in globals, so within one
// process its solves run one at a time (src/buy/cbc_backend.cpp).
void EvaluateInProcesses(const SweepSpec& spec, const std::vector<Point>& mine,
                         const catalog::Catalog& catalog, const RunOptions& options, int workers,
                         std::vector<Json>& rows) {
  using Counter = std::atomic<size_t>;
  static_assert(Counter::is_always_lock_free, "the counter is shared between processes");
  void* shared =
      mmap(nullptr, sizeof(Counter), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return;
  auto* next = new (shared) Counter(0);
  std::fflush(nullptr);  // nothing buffered before the fork is written twice
  std::vector<std::pair<pid_t, FILE*>> children;
  const pid_t parent = getpid();
  for (int w = 0; w < workers; ++w) {
    FILE* out = std::tmpfile();
    if (out == nullptr) break;
    const pid_t pid = fork();
    if (pid < 0) {
      std::fclose(out);
      break;
    }
    if (pid == 0) {
      // The parent's lock and temp files are its own to remove, and a worker does not outlive
      // it (a killed sweep left its workers running every point to the end).
      ForgetParentCleanupsAfterFork();
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);  // the parent died before prctl took effect
      int code = 0;
      try {
        for (size_t i = (*next)++; i < mine.size(); i = (*next)++) {
          const std::string line =
              EvaluatePoint(spec, mine[i], catalog, options.loader).dump() + "\n";
          if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) code = 1;
        }
      } catch (...) {
        code = 1;
      }
      if (std::fflush(out) != 0) code = 1;
      _exit(code);  // no destructors, no atexit: the parent owns all of that
    }
    children.emplace_back(pid, out);
  }
  std::map<int, size_t> slot;  // point index -> position in mine
  for (size_t i = 0; i < mine.size(); ++i) slot[mine[i].index] = i;
  for (auto& [pid, out] : children) {
    // How the worker ended does not matter: its file says which points it delivered.
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    std::rewind(out);
    std::string line;
    for (int c = std::fgetc(out);; c = std::fgetc(out)) {
      if (c != EOF && c != '\n') {
        line += static_cast<char>(c);
        continue;
      }
      // A line cut short by a killed worker does not parse: its point is evaluated again.
      Json row = Json::parse(line, nullptr, false);
      if (!row.is_discarded() && row.contains("index")) {
        const auto it = slot.find(row["index"].get<int>());
        if (it != slot.end()) rows[it->second] = std::move(row);
      }
      line.clear();
      if (c == EOF) break;
    }
    std::fclose(out);
  }
  munmap(shared, sizeof(Counter));
}

}  // namespace

std::vector<Json> EvaluateShard(const SweepSpec& spec, const catalog::Catalog& catalog,
                                const RunOptions& options) {
  std::vector<Point> mine;
  for (Point& p : ExpandPoints(spec)) {
    if (p.index % options.shard_count == options.shard_index) mine.push_back(std::move(p));
  }
  std::vector<Json> rows(mine.size());
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int workers = std::min(options.workers > 0 ? options.workers : cores,
                               std::max(1, static_cast<int>(mine.size())));
  if (options.processes && workers > 1) {
    EvaluateInProcesses(spec, mine, catalog, options, workers, rows);
    EvaluateOnThreads(spec, mine, catalog, options, 1, rows);  // what no worker delivered
  } else {
    EvaluateOnThreads(spec, mine, catalog, options, workers, rows);
  }
  return rows;
}

Result<Json> RunSweep(const SweepSpec& spec, const catalog::Catalog& catalog,
                      const RunOptions& options) {
  return Assemble(spec, EvaluateShard(spec, catalog, options));
}

std::string TableCsv(const Json& doc) {
  std::string out;
  const Json& columns = doc.at("columns");
  for (size_t c = 0; c < columns.size(); ++c) out += (c ? "," : "") + CsvField(columns[c]);
  out += "\n";
  for (const Json& row : doc.at("points")) {
    for (size_t c = 0; c < columns.size(); ++c) {
      const std::string name = columns[c];
      const Json& inputs = row.at("inputs");
      const Json& v = inputs.contains(name) ? inputs.at(name) : row.value(name, Json(nullptr));
      out += (c ? "," : "") + CsvField(v);
    }
    out += "\n";
  }
  return out;
}

std::string QuarterTableCsv(const Json& doc) {
  const std::string stage = doc.at("spec").value("stage", std::string("buy"));
  const std::vector<std::string> series =
      QuarterSeriesNames(stage == "plan" ? Stage::kPlan : Stage::kBuy);
  std::vector<std::string> axes;
  for (const Json& c : doc.at("columns")) {
    const std::string name = c;
    if (name == "status") break;
    if (name != "index") axes.push_back(name);
  }
  std::string out = "index";
  for (const std::string& a : axes) out += "," + CsvField(a);
  out += ",quarter";
  for (const std::string& name : series) out += "," + name;
  out += "\n";
  for (const Json& row : doc.at("points")) {
    if (!row.contains("by_quarter")) continue;
    std::string prefix = CsvField(row.at("index"));
    for (const std::string& a : axes) prefix += "," + CsvField(row.at("inputs").value(a, Json()));
    for (const Json& q : row.at("by_quarter")) {
      out += prefix + "," + CsvField(q.value("quarter", Json()));
      for (const std::string& name : series) out += "," + CsvField(q.value(name, Json()));
      out += "\n";
    }
  }
  return out;
}

}  // namespace gpuplan::sweep
