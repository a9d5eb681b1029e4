#include "scenario/scenario.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace gpuplan::scenario {

namespace {

constexpr double kWPerMw = 1e6;
constexpr double kWPerKw = 1e3;
constexpr double kSPerMinute = kSecondsPerHour / 60;
constexpr double kMaxNumber = 1e30;  // a sanity bound: larger means a typo
constexpr int kMaxQuarters = 80;     // 20 years
constexpr int kMaxYear = 2100;
constexpr int kMinYear = 2000;
constexpr int kMaxGpus = 10'000'000;
constexpr int kMaxExtendsDepth = 8;
// The source name of a node an override set: errors then read "--set budget.total: ...".
constexpr std::string_view kOverridePrefix = "--set ";
// Server power and price per GPU over the accelerator alone, when a scenario gives neither:
// a DGX H100 draws 10.2 kW at most for 8 x 700 W GPUs (NVIDIA DGX H100 user guide), 1.8x.
constexpr double kServerPowerOverTdp = 1.8;

// Where a node came from: its own file and line (a base scenario's node names the base), or the
// override that set it ("--set budget.total", which has no line).
std::string At(const std::string& path, const toml::node& n) {
  const toml::source_region& src = n.source();
  if (src.path && src.path->starts_with(kOverridePrefix)) return *src.path;
  return fmt::format("{}:{}", src.path ? *src.path : path, src.begin.line);
}

// A relative path read from `n` is relative to the file that wrote it; an override's, to the
// working directory.
std::string Resolve(const std::string& path, const toml::node& n, const std::string& value) {
  std::filesystem::path p(value);
  if (p.is_relative()) {
    const toml::source_region& src = n.source();
    const std::string& from = src.path ? *src.path : path;
    if (!from.starts_with(kOverridePrefix)) p = std::filesystem::path(from).parent_path() / p;
  }
  return p.lexically_normal().string();
}

// Reads keys of one TOML table with errors that name file, line, section and key.
class TableReader {
 public:
  TableReader(const std::string& path, const toml::table& table, std::string ctx)
      : path_(path), table_(table), ctx_(std::move(ctx)) {}

  const toml::table& table() const { return table_; }
  int line() const { return static_cast<int>(table_.source().begin.line); }

  // "path:line: ctx: message" at the key's node, or at the table when the key is absent.
  Error Fail(std::string_view key, const std::string& message) const {
    const toml::node* n = key.empty() ? nullptr : table_.get(key);
    const std::string where = At(path_, n ? *n : static_cast<const toml::node&>(table_));
    return Error{fmt::format("{}: {}{}", where, ctx_.empty() ? "" : ctx_ + ": ", message)};
  }

  Result<void> CheckKeys(const std::vector<std::string>& allowed) const {
    for (const auto& [key, value] : table_) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      const std::string near = NearestName(key.str(), allowed);
      return Error{fmt::format("{}: {}unknown key '{}'{}", At(path_, value),
                               ctx_.empty() ? "" : ctx_ + ": ", key.str(),
                               near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near))};
    }
    return Ok{};
  }

  bool Has(std::string_view key) const { return table_.get(key) != nullptr; }

  // A number: a TOML int or float, or a quantity string ("1.2B", "15T").
  Result<std::optional<double>> OptionalNumber(std::string_view key) const {
    const toml::node* n = table_.get(key);
    if (!n) return std::optional<double>{};
    if (std::optional<double> v = n->value<double>()) {
      if (!std::isfinite(*v)) return Fail(key, fmt::format("'{}' must be finite", key));
      return v;
    }
    if (std::optional<std::string> s = n->value<std::string>()) {
      Result<double> q = ParseQuantity(*s, fmt::format("'{}'", key));
      if (!q) return Fail(key, q.error().message);
      return std::optional<double>(*q);
    }
    return Fail(key, fmt::format("'{}' must be a number", key));
  }

  // A number in [lo, hi] (lo excluded when `lo_open`); `fallback` when optional and absent.
  Result<double> Number(std::string_view key, std::optional<double> fallback, double lo,
                        double hi = kMaxNumber, bool lo_open = false) const {
    auto v = OptionalNumber(key);
    GPUPLAN_TRY(v);
    if (!*v) {
      if (fallback) return *fallback;
      return Fail("", fmt::format("missing '{}'", key));
    }
    const double x = **v;
    if ((lo_open ? !(x > lo) : !(x >= lo)) || x > hi) {
      std::string expect = fmt::format("{} {}", lo_open ? ">" : ">=", lo);
      if (hi < kMaxNumber) expect += fmt::format(" and <= {}", hi);
      return Fail(key, fmt::format("'{}' must be {}, got {}", key, expect, x));
    }
    return x;
  }

  Result<int> Int(std::string_view key, std::optional<int> fallback, int lo, int hi) const {
    auto v = OptionalNumber(key);
    GPUPLAN_TRY(v);
    if (!*v) {
      if (fallback) return *fallback;
      return Fail("", fmt::format("missing '{}'", key));
    }
    const double x = **v;
    if (x != std::floor(x))
      return Fail(key, fmt::format("'{}' must be a whole number, got {}", key, x));
    if (x < lo || x > hi) {
      return Fail(key, fmt::format("'{}' must be between {} and {}, got {}", key, lo, hi, x));
    }
    return static_cast<int>(x);
  }

  Result<std::string> String(std::string_view key, std::optional<std::string> fallback) const {
    const toml::node* n = table_.get(key);
    if (!n) {
      if (fallback) return *fallback;
      return Fail("", fmt::format("missing '{}'", key));
    }
    std::optional<std::string> v = n->value<std::string>();
    if (!v) return Fail(key, fmt::format("'{}' must be a string", key));
    return *v;
  }

  Result<bool> Bool(std::string_view key, bool fallback) const {
    const toml::node* n = table_.get(key);
    if (!n) return fallback;
    std::optional<bool> v = n->value<bool>();
    if (!v) return Fail(key, fmt::format("'{}' must be true or false", key));
    return *v;
  }

  // A quarter inside [first, last]; `fallback` when absent.
  Result<Quarter> QuarterIn(std::string_view key, std::optional<Quarter> fallback, Quarter first,
                            Quarter last) const {
    if (!Has(key)) {
      if (fallback) return *fallback;
      return Fail("", fmt::format("missing '{}'", key));
    }
    auto s = String(key, std::nullopt);
    GPUPLAN_TRY(s);
    auto q = ParseQuarter(*s, fmt::format("'{}'", key));
    if (!q) return Fail(key, q.error().message);
    if (*q < first || *q > last) {
      return Fail(key, fmt::format("'{}' = {} is outside the horizon {}..{}", key, ToString(*q),
                                   ToString(first), ToString(last)));
    }
    return *q;
  }

  // One of `choices`, with a suggestion when it is none of them.
  Result<std::string> Choice(std::string_view key, std::string fallback,
                             const std::vector<std::string>& choices) const {
    auto s = String(key, fallback);
    GPUPLAN_TRY(s);
    if (std::find(choices.begin(), choices.end(), *s) == choices.end()) {
      return Fail(key, fmt::format("'{}': {}", key, UnknownNameMessage("value", *s, choices)));
    }
    return *s;
  }

  Result<const toml::table*> Subtable(std::string_view key) const {
    const toml::node* n = table_.get(key);
    if (!n) return static_cast<const toml::table*>(nullptr);
    if (!n->as_table()) return Fail(key, fmt::format("'{}' must be a table", key));
    return n->as_table();
  }

  // A step function over quarters: a scalar (one step from `first`) or a quarter table
  // { "2026Q4" = 40, "2027Q2" = 60 } inside the horizon that gives `first`. Values >= 0.
  Result<std::vector<QuarterStep>> QuarterSteps(std::string_view key, Quarter first,
                                                Quarter last) const {
    const toml::node* n = table_.get(key);
    if (!n) return Fail("", fmt::format("missing '{}'", key));
    std::vector<QuarterStep> steps;
    if (!n->as_table()) {
      auto v = Number(key, std::nullopt, 0);
      GPUPLAN_TRY(v);
      steps.push_back({first, *v});
      return steps;
    }
    const std::string sub_ctx = fmt::format("{}{}", ctx_.empty() ? "" : ctx_ + ".", key);
    TableReader s(path_, *n->as_table(), sub_ctx);
    for (const auto& [k, value] : *n->as_table()) {
      const std::string name(k.str());
      auto q = ParseQuarter(name, "quarter");
      if (!q) return s.Fail(name, q.error().message);
      if (*q < first || *q > last) {
        return s.Fail(name, fmt::format("{} is outside the horizon {}..{}", name, ToString(first),
                                        ToString(last)));
      }
      auto v = s.Number(name, std::nullopt, 0);
      GPUPLAN_TRY(v);
      steps.push_back({*q, *v});
    }
    std::sort(steps.begin(), steps.end(),
              [](const QuarterStep& a, const QuarterStep& b) { return a.from < b.from; });
    if (steps.empty() || steps.front().from != first) {
      return s.Fail("", fmt::format("must give the value of the first quarter, \"{}\" (or write "
                                    "one number for every quarter)",
                                    ToString(first)));
    }
    return steps;
  }

  Result<std::vector<std::string>> StringList(std::string_view key) const {
    std::vector<std::string> out;
    const toml::node* n = table_.get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) return Fail(key, fmt::format("'{}' must be an array of strings", key));
    for (const toml::node& e : *a) {
      std::optional<std::string> s = e.value<std::string>();
      if (!s) return Fail(key, fmt::format("'{}' must be an array of strings", key));
      out.push_back(*s);
    }
    return out;
  }

  // A file path: relative to the file that wrote it; empty when absent.
  Result<std::string> Path(std::string_view key) const {
    auto v = String(key, "");
    GPUPLAN_TRY(v);
    if (v->empty()) return std::string{};
    return Resolve(path_, *table_.get(key), *v);
  }

  const std::string& path() const { return path_; }
  const std::string& ctx() const { return ctx_; }

 private:
  const std::string& path_;
  const toml::table& table_;
  std::string ctx_;
};

// The array of tables `key` ([[key]]), or an empty list.
Result<std::vector<const toml::table*>> TableArray(const std::string& path, const toml::table& root,
                                                   std::string_view key) {
  std::vector<const toml::table*> out;
  const toml::node* n = root.get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) return Error{fmt::format("{}: '{}' must be written [[{}]]", At(path, *n), key, key)};
  for (const toml::node& e : *a) {
    if (!e.as_table()) {
      return Error{fmt::format("{}: each [[{}]] must be a table", At(path, e), key)};
    }
    out.push_back(e.as_table());
  }
  return out;
}

// A tenant class, one of the four a scenario's tenants and targets use.
Result<TenantClass> ClassOf(const TableReader& r) {
  auto cls = r.Choice("class", "", {"startup", "academia", "industry", "public"});
  GPUPLAN_TRY(cls);
  return trace::ParseTenantClass(*cls);
}

// The model a workload or service names: a preset id, or a model file (TOML or a Hugging Face
// config.json) relative to the scenario that names it. Read once here, not at every sizing.
Result<model::ModelShape> ResolveModel(const TableReader& r, const std::string& name) {
  const bool is_file =
      name.find('/') != std::string::npos || name.ends_with(".toml") || name.ends_with(".json");
  auto path = is_file ? r.Path("model") : Result<std::string>(name);
  GPUPLAN_TRY(path);
  auto shape = model::FindModel(*path);
  if (!shape) return r.Fail("model", shape.error().message);
  return shape;
}

struct Context {
  const std::string& path;
  const catalog::Catalog& catalog;
  Scenario& s;
};

Result<const catalog::Accelerator*> CheckAccelerator(const Context& c, const TableReader& r,
                                                     std::string_view key, const std::string& id) {
  auto a = FindAccelerator(c.s, c.catalog, id);
  if (!a) return r.Fail(key, a.error().message);
  return *a;
}

Result<void> ParseHorizon(const Context& c, const toml::table& root) {
  const toml::node* n = root.get("horizon");
  if (!n || !n->as_table()) {
    return Error{
        fmt::format("{}: missing [horizon] with first = \"2026Q4\" and last = \"2029Q3\"", c.path)};
  }
  TableReader r(c.path, *n->as_table(), "horizon");
  GPUPLAN_TRY(r.CheckKeys({"first", "last"}));
  const Quarter lo{kMinYear, 1}, hi{kMaxYear, 4};
  auto first = r.QuarterIn("first", std::nullopt, lo, hi);
  GPUPLAN_TRY(first);
  auto last = r.QuarterIn("last", std::nullopt, lo, hi);
  GPUPLAN_TRY(last);
  if (*last < *first) {
    return r.Fail("last", fmt::format("'last' ({}) is before 'first' ({})", ToString(*last),
                                      ToString(*first)));
  }
  if (last->Index() - first->Index() + 1 > kMaxQuarters) {
    return r.Fail("last", fmt::format("the horizon spans more than {} quarters", kMaxQuarters));
  }
  c.s.first = *first;
  c.s.last = *last;
  return Ok{};
}

Result<void> ParseBudget(const Context& c, const TableReader& root) {
  auto t = root.Subtable("budget");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "budget");
  GPUPLAN_TRY(r.CheckKeys({"capex_per_year", "carry_over", "total"}));
  Budget& b = c.s.budget;
  b.has_budget = true;
  GPUPLAN_ASSIGN_OR_RETURN(b.is_carry_over, r.Bool("carry_over", false));
  auto total = r.Number("total", 0.0, 0);
  GPUPLAN_TRY(total);
  b.total_usd = *total / c.s.units_per_usd;
  auto per_year = r.Subtable("capex_per_year");
  GPUPLAN_TRY(per_year);
  if (!*per_year) {
    if (b.total_usd > 0) {
      // Only a total: every year may spend it, the total row caps the sum.
      for (int y = c.s.first.year; y <= c.s.last.year; ++y) b.per_year.push_back({y, b.total_usd});
      return Ok{};
    }
    return r.Fail("", "needs 'capex_per_year = { \"2026\" = ..., ... }' or 'total'");
  }
  TableReader years(c.path, **per_year, "budget.capex_per_year");
  std::map<int, double> by_year;
  for (const auto& [key, value] : **per_year) {
    const std::string k(key.str());
    int year = 0;
    if (k.size() != 4 || !std::all_of(k.begin(), k.end(), ::isdigit) ||
        (year = std::stoi(k)) < kMinYear || year > kMaxYear) {
      return years.Fail(k,
                        fmt::format("keys must be calendar years such as \"2027\", got '{}'", k));
    }
    auto v = years.Number(k, std::nullopt, 0);
    GPUPLAN_TRY(v);
    by_year[year] = *v / c.s.units_per_usd;
  }
  for (int y = c.s.first.year; y <= c.s.last.year; ++y) {
    if (!by_year.contains(y)) {
      return years.Fail("", fmt::format("no budget for {} (the horizon {}..{} spans {}..{}; write "
                                        "\"{}\" = 0 if nothing may be spent)",
                                        y, ToString(c.s.first), ToString(c.s.last), c.s.first.year,
                                        c.s.last.year, y));
    }
  }
  for (const auto& [y, usd] : by_year) {
    if (y < c.s.first.year || y > c.s.last.year) {
      return years.Fail(std::to_string(y), fmt::format("year {} is outside the horizon {}..{}", y,
                                                       ToString(c.s.first), ToString(c.s.last)));
    }
    b.per_year.push_back({y, usd});
  }
  return Ok{};
}

Result<void> ParseOpex(const Context& c, const TableReader& root) {
  auto t = root.Subtable("opex");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "opex");
  GPUPLAN_TRY(r.CheckKeys({"power_price_per_kwh", "pue", "maintenance_share_per_year"}));
  auto price = r.Number("power_price_per_kwh", 0.0, 0);
  GPUPLAN_TRY(price);
  c.s.opex.power_usd_per_kwh = *price / c.s.units_per_usd;
  GPUPLAN_ASSIGN_OR_RETURN(c.s.opex.pue, r.Number("pue", 1.0, 1.0, 3.0));
  GPUPLAN_ASSIGN_OR_RETURN(c.s.opex.maintenance_share_per_year,
                           r.Number("maintenance_share_per_year", 0.0, 0, 1));
  return Ok{};
}

Result<void> ParseExisting(const Context& c, const toml::table& root) {
  auto tables = TableArray(c.path, root, "existing");
  GPUPLAN_TRY(tables);
  for (const toml::table* t : *tables) {
    TableReader r0(c.path, *t, "existing");
    auto id = r0.String("accelerator", std::nullopt);
    GPUPLAN_TRY(id);
    TableReader r(c.path, *t, fmt::format("existing '{}'", *id));
    GPUPLAN_TRY(r.CheckKeys({"accelerator", "gpus", "gpus_per_node", "vendor", "domestic",
                             "power_kw_per_gpu", "in_service_from"}));
    auto acc = CheckAccelerator(c, r, "accelerator", *id);
    GPUPLAN_TRY(acc);
    ExistingFleet e;
    e.accelerator = *id;
    e.line = r.line();
    auto gpus = r.Int("gpus", std::nullopt, 1, kMaxGpus);
    GPUPLAN_TRY(gpus);
    e.num_gpus = *gpus;
    // The node size it is run in: as bought ([[candidate]] of the same type), else the catalog's.
    int node_default = (*acc)->gpus_per_node;
    for (const Candidate& k : c.s.candidates) {
      if (k.accelerator == *id) node_default = k.gpus_per_node;
    }
    GPUPLAN_ASSIGN_OR_RETURN(e.gpus_per_node,
                             r.Int("gpus_per_node", std::max(1, node_default), 1, 1024));
    if (e.num_gpus % e.gpus_per_node != 0) {
      return r.Fail("gpus",
                    fmt::format("'gpus' = {} is not a whole number of {}-GPU nodes{}; "
                                "write a multiple of {}, or set 'gpus_per_node' to the "
                                "size of the nodes these GPUs are in",
                                e.num_gpus, e.gpus_per_node,
                                r.Has("gpus_per_node") ? "" : fmt::format(" ({}'s node size)", *id),
                                e.gpus_per_node));
    }
    GPUPLAN_ASSIGN_OR_RETURN(e.vendor, r.String("vendor", (*acc)->vendor));
    GPUPLAN_ASSIGN_OR_RETURN(e.is_domestic, r.Bool("domestic", false));
    auto kw = r.Number("power_kw_per_gpu", (*acc)->tdp_w * kServerPowerOverTdp / kWPerKw, 0,
                       kMaxNumber, true);
    GPUPLAN_TRY(kw);
    e.power_w_per_gpu = *kw * kWPerKw;
    GPUPLAN_ASSIGN_OR_RETURN(e.in_service_from,
                             r.QuarterIn("in_service_from", c.s.first, c.s.first, c.s.last));
    c.s.existing.push_back(e);
  }
  return Ok{};
}

Result<void> ParseCandidates(const Context& c, const toml::table& root) {
  auto tables = TableArray(c.path, root, "candidate");
  GPUPLAN_TRY(tables);
  std::set<std::string> seen;
  for (const toml::table* t : *tables) {
    TableReader r0(c.path, *t, "candidate");
    auto id = r0.String("accelerator", std::nullopt);
    GPUPLAN_TRY(id);
    TableReader r(c.path, *t, fmt::format("candidate '{}'", *id));
    GPUPLAN_TRY(
        r.CheckKeys({"accelerator", "vendor", "domestic", "export_controlled", "gpus_per_node",
                     "node_price", "node_power_kw", "max_nodes_per_quarter", "min_nodes_per_order",
                     "lead_time_quarters", "available_from"}));
    auto acc = CheckAccelerator(c, r, "accelerator", *id);
    GPUPLAN_TRY(acc);
    if (!seen.insert(*id).second) {
      return r.Fail("accelerator", fmt::format("'{}' is listed twice", *id));
    }
    const catalog::Accelerator& a = **acc;
    Candidate k;
    k.accelerator = *id;
    k.line = r.line();
    GPUPLAN_ASSIGN_OR_RETURN(k.vendor, r.String("vendor", a.vendor));
    GPUPLAN_ASSIGN_OR_RETURN(k.is_domestic, r.Bool("domestic", false));
    GPUPLAN_ASSIGN_OR_RETURN(k.is_export_controlled, r.Bool("export_controlled", !k.is_domestic));
    GPUPLAN_ASSIGN_OR_RETURN(k.gpus_per_node, r.Int("gpus_per_node", a.gpus_per_node, 1, 1024));
    std::optional<double> price_default;
    if (a.price_usd > 0) {
      price_default =
          a.price_usd * k.gpus_per_node * catalog::kServerPriceOverGpus * c.s.units_per_usd;
    }
    if (!r.Has("node_price") && !price_default) {
      return r.Fail("",
                    fmt::format("missing 'node_price' (the catalog has no price for '{}')", *id));
    }
    auto price = r.Number("node_price", price_default, 0, kMaxNumber, true);
    GPUPLAN_TRY(price);
    k.node_price_usd = *price / c.s.units_per_usd;
    std::optional<double> kw_default;
    if (a.tdp_w > 0) kw_default = a.tdp_w * k.gpus_per_node * kServerPowerOverTdp / kWPerKw;
    if (!r.Has("node_power_kw") && !kw_default) {
      return r.Fail("",
                    fmt::format("missing 'node_power_kw' (the catalog has no TDP for '{}')", *id));
    }
    auto kw = r.Number("node_power_kw", kw_default, 0, kMaxNumber, true);
    GPUPLAN_TRY(kw);
    k.node_power_w = *kw * kWPerKw;
    GPUPLAN_ASSIGN_OR_RETURN(k.max_nodes_per_quarter,
                             r.Int("max_nodes_per_quarter", std::nullopt, 0, kMaxGpus));
    auto min_nodes =
        r.Int("min_nodes_per_order",
              std::min(Candidate::kDefaultMinNodesPerOrder, k.max_nodes_per_quarter), 0, kMaxGpus);
    GPUPLAN_TRY(min_nodes);
    if (*min_nodes > k.max_nodes_per_quarter) {
      return r.Fail("min_nodes_per_order",
                    fmt::format("'min_nodes_per_order' = {} is above 'max_nodes_per_quarter' = {}: "
                                "it could never be ordered",
                                *min_nodes, k.max_nodes_per_quarter));
    }
    k.min_nodes_per_order = *min_nodes;
    GPUPLAN_ASSIGN_OR_RETURN(k.lead_time_quarters, r.Int("lead_time_quarters", 1, 0, kMaxQuarters));
    GPUPLAN_ASSIGN_OR_RETURN(k.available_from,
                             r.QuarterIn("available_from", c.s.first, c.s.first, c.s.last));
    c.s.candidates.push_back(k);
  }
  return Ok{};
}

Result<void> ParsePower(const Context& c, const TableReader& root) {
  auto t = root.Subtable("power");
  GPUPLAN_TRY(t);
  if (!*t) {
    return root.Fail("", "missing [power] with facility_mw = { \"2026Q4\" = 30, ... }");
  }
  TableReader r(c.path, **t, "power");
  GPUPLAN_TRY(r.CheckKeys({"facility_mw"}));
  if (!r.Has("facility_mw")) return r.Fail("", "missing 'facility_mw = { \"2026Q4\" = 30, ... }'");
  auto steps = r.QuarterSteps("facility_mw", c.s.first, c.s.last);
  GPUPLAN_TRY(steps);
  for (const QuarterStep& step : *steps) c.s.power.push_back({step.from, step.value * kWPerMw});
  return Ok{};
}

Result<void> ParseExportCap(const Context& c, const TableReader& root) {
  auto t = root.Subtable("export_cap");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "export_cap");
  GPUPLAN_TRY(r.CheckKeys({"cumulative_tpp"}));
  auto tpp = r.Number("cumulative_tpp", std::nullopt, 0);
  GPUPLAN_TRY(tpp);
  c.s.export_cap = {.has_cap = true, .cumulative_tpp = *tpp};
  return Ok{};
}

Result<void> ParseSupply(const Context& c, const TableReader& root) {
  c.s.supply.from = c.s.last;
  auto t = root.Subtable("supply_security");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "supply_security");
  GPUPLAN_TRY(r.CheckKeys({"max_vendor_share", "min_domestic_share", "from"}));
  auto vmax = r.Number("max_vendor_share", 1.0, 0, 1, true);
  GPUPLAN_TRY(vmax);
  auto dmin = r.Number("min_domestic_share", 0.0, 0, 1);
  GPUPLAN_TRY(dmin);
  auto from = r.QuarterIn("from", c.s.last, c.s.first, c.s.last);
  GPUPLAN_TRY(from);
  c.s.supply = {.max_vendor_share = *vmax, .min_domestic_share = *dmin, .from = *from};
  const bool any_domestic = std::any_of(c.s.candidates.begin(), c.s.candidates.end(),
                                        [](const Candidate& k) { return k.is_domestic; }) ||
                            std::any_of(c.s.existing.begin(), c.s.existing.end(),
                                        [](const ExistingFleet& e) { return e.is_domestic; });
  if (*dmin > 0 && !any_domestic) {
    return r.Fail("min_domestic_share",
                  fmt::format("'min_domestic_share' is {} but no [[candidate]] or [[existing]] "
                              "fleet is domestic = true",
                              *dmin));
  }
  return Ok{};
}

Result<void> ParseMilestones(const Context& c, const toml::table& root) {
  auto tables = TableArray(c.path, root, "milestone");
  GPUPLAN_TRY(tables);
  for (const toml::table* t : *tables) {
    TableReader r(c.path, *t, "milestone");
    GPUPLAN_TRY(r.CheckKeys({"quarter", "h100_equivalents", "gpus", "label"}));
    Milestone m;
    m.line = r.line();
    auto q = r.QuarterIn("quarter", std::nullopt, c.s.first, c.s.last);
    if (!q && r.Has("quarter")) {
      return Error{q.error().message + " (milestones must fall inside the horizon)"};
    }
    GPUPLAN_TRY(q);
    m.quarter = *q;
    if (r.Has("h100_equivalents") == r.Has("gpus")) {
      return r.Fail("", "give exactly one of 'h100_equivalents' and 'gpus'");
    }
    auto h = r.Number("h100_equivalents", 0.0, 0, kMaxGpus, true);
    GPUPLAN_TRY(h);
    m.h100_equivalents = r.Has("h100_equivalents") ? *h : 0;
    GPUPLAN_ASSIGN_OR_RETURN(m.num_gpus, r.Int("gpus", 0, 1, kMaxGpus));
    GPUPLAN_ASSIGN_OR_RETURN(m.label, r.String("label", ""));
    c.s.milestones.push_back(m);
  }
  std::stable_sort(c.s.milestones.begin(), c.s.milestones.end(),
                   [](const Milestone& a, const Milestone& b) { return a.quarter < b.quarter; });
  return Ok{};
}

Result<void> ParseRental(const Context& c, const TableReader& root) {
  auto t = root.Subtable("rental");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "rental");
  GPUPLAN_TRY(r.CheckKeys(
      {"accelerator", "price_per_gpu_hour", "max_gpus_per_quarter", "paid_from_budget", "from"}));
  Rental& rent = c.s.rental;
  rent.is_enabled = true;
  auto id = r.String("accelerator", rent.accelerator);
  GPUPLAN_TRY(id);
  auto acc = CheckAccelerator(c, r, "accelerator", *id);
  GPUPLAN_TRY(acc);
  rent.accelerator = *id;
  auto price = r.Number("price_per_gpu_hour", std::nullopt, 0, kMaxNumber, true);
  GPUPLAN_TRY(price);
  rent.usd_per_gpu_hour = *price / c.s.units_per_usd;
  GPUPLAN_ASSIGN_OR_RETURN(rent.max_gpus_per_quarter,
                           r.Int("max_gpus_per_quarter", std::nullopt, 0, kMaxGpus));
  GPUPLAN_ASSIGN_OR_RETURN(rent.is_paid_from_budget, r.Bool("paid_from_budget", true));
  GPUPLAN_ASSIGN_OR_RETURN(rent.from, r.QuarterIn("from", c.s.first, c.s.first, c.s.last));
  return Ok{};
}

std::vector<std::string> TenantNames(const Scenario& s) {
  std::vector<std::string> names;
  for (const Tenant& t : s.tenants) names.push_back(t.name);
  return names;
}

Result<void> CheckTenant(const Context& c, const TableReader& r, std::string_view key,
                         const std::string& name) {
  const std::vector<std::string> names = TenantNames(c.s);
  if (std::find(names.begin(), names.end(), name) != names.end()) return Ok{};
  if (names.empty()) {
    return r.Fail(
        key, fmt::format("'{}' = \"{}\" names no [[tenant]] (the scenario has none)", key, name));
  }
  return r.Fail(key, fmt::format("'{}': {}", key, UnknownNameMessage("[[tenant]]", name, names)));
}

Result<void> ParseWorkloads(const Context& c, const toml::table& root) {
  auto tables = TableArray(c.path, root, "workload");
  GPUPLAN_TRY(tables);
  std::set<std::string> names;
  for (const toml::table* t : *tables) {
    TableReader r0(c.path, *t, "workload");
    auto name = r0.String("name", std::nullopt);
    GPUPLAN_TRY(name);
    TableReader r(c.path, *t, fmt::format("workload '{}'", *name));
    GPUPLAN_TRY(r.CheckKeys(
        {"name", "model", "tokens", "deadline_days", "every", "from", "precision", "tenant"}));
    if (!names.insert(*name).second) return r.Fail("name", "duplicate workload name");
    Workload w;
    w.name = *name;
    w.line = r.line();
    auto model = r.String("model", std::nullopt);
    GPUPLAN_TRY(model);
    if (model->empty()) return r.Fail("model", "'model' must name a model preset");
    w.model = *model;
    GPUPLAN_ASSIGN_OR_RETURN(w.shape, ResolveModel(r, *model));
    GPUPLAN_ASSIGN_OR_RETURN(w.tokens, r.Number("tokens", std::nullopt, 0, kMaxNumber, true));
    auto days = r.Number("deadline_days", std::nullopt, 0, 3650, true);
    GPUPLAN_TRY(days);
    w.deadline_s = *days * kSecondsPerDay;
    auto every = r.Choice("every", "once", {"once", "quarter", "half-year", "year"});
    GPUPLAN_TRY(every);
    w.recurrence = *every == "quarter"     ? Recurrence::kQuarterly
                   : *every == "half-year" ? Recurrence::kHalfYearly
                   : *every == "year"      ? Recurrence::kYearly
                                           : Recurrence::kOnce;
    GPUPLAN_ASSIGN_OR_RETURN(w.from, r.QuarterIn("from", c.s.first, c.s.first, c.s.last));
    auto prec = r.Choice("precision", "bf16", {"bf16", "fp8"});
    GPUPLAN_TRY(prec);
    w.precision = catalog::ParsePrecision(*prec).value();
    auto tenant = r.String("tenant", "");
    GPUPLAN_TRY(tenant);
    if (r.Has("tenant")) GPUPLAN_TRY(CheckTenant(c, r, "tenant", *tenant));
    w.tenant = *tenant;
    c.s.workloads.push_back(w);
  }
  return Ok{};
}

Result<void> ParseServices(const Context& c, const toml::table& root) {
  auto tables = TableArray(c.path, root, "service");
  GPUPLAN_TRY(tables);
  std::set<std::string> names;
  for (const toml::table* t : *tables) {
    TableReader r0(c.path, *t, "service");
    auto name = r0.String("name", std::nullopt);
    GPUPLAN_TRY(name);
    TableReader r(c.path, *t, fmt::format("service '{}'", *name));
    GPUPLAN_TRY(r.CheckKeys({"name", "model", "requests_per_s", "prompt_tokens", "output_tokens",
                             "ttft_ms", "tpot_ms", "precision", "from"}));
    if (!names.insert(*name).second) return r.Fail("name", "duplicate service name");
    Service v;
    v.name = *name;
    v.line = r.line();
    auto model = r.String("model", std::nullopt);
    GPUPLAN_TRY(model);
    if (model->empty()) return r.Fail("model", "'model' must name a model preset");
    v.model = *model;
    GPUPLAN_ASSIGN_OR_RETURN(v.shape, ResolveModel(r, *model));
    GPUPLAN_ASSIGN_OR_RETURN(v.requests_per_s,
                             r.Number("requests_per_s", std::nullopt, 0, 1e7, true));
    auto prompt = r.Number("prompt_tokens", 1000.0, 0, 1e7, true);
    GPUPLAN_TRY(prompt);
    v.prompt_tokens = static_cast<int>(*prompt);
    auto output = r.Number("output_tokens", 200.0, 0, 1e7, true);
    GPUPLAN_TRY(output);
    v.output_tokens = static_cast<int>(*output);
    auto ttft = r.Number("ttft_ms", 500.0, 0, 3.6e6, true);
    GPUPLAN_TRY(ttft);
    v.ttft_s = *ttft / 1000;
    auto tpot = r.Number("tpot_ms", 50.0, 0, 3.6e6, true);
    GPUPLAN_TRY(tpot);
    v.tpot_s = *tpot / 1000;
    auto prec = r.String("precision", "bf16");
    GPUPLAN_TRY(prec);
    auto serve_precision = sizing::ParseServePrecision(*prec);
    if (!serve_precision) return r.Fail("precision", serve_precision.error().message);
    v.precision = *serve_precision;
    GPUPLAN_ASSIGN_OR_RETURN(v.from, r.QuarterIn("from", c.s.first, c.s.first, c.s.last));
    c.s.services.push_back(v);
  }
  return Ok{};
}

Result<void> ParseTenants(const Context& c, const toml::table& root) {
  auto tables = TableArray(c.path, root, "tenant");
  GPUPLAN_TRY(tables);
  std::set<std::string> names;
  for (const toml::table* t : *tables) {
    TableReader r0(c.path, *t, "tenant");
    auto name = r0.String("name", std::nullopt);
    GPUPLAN_TRY(name);
    TableReader r(c.path, *t, fmt::format("tenant '{}'", *name));
    GPUPLAN_TRY(r.CheckKeys({"name", "class", "share", "quota_gpus", "demand"}));
    if (!names.insert(*name).second) return r.Fail("name", "duplicate tenant name");
    Tenant ten;
    ten.name = *name;
    ten.line = r.line();
    if (!r.Has("class"))
      return r.Fail("", "missing 'class' (startup, academia, industry or public)");
    GPUPLAN_ASSIGN_OR_RETURN(ten.tenant_class, ClassOf(r));
    GPUPLAN_ASSIGN_OR_RETURN(ten.share_weight, r.Number("share", 1.0, 0, kMaxNumber, true));
    GPUPLAN_ASSIGN_OR_RETURN(ten.quota_gpus, r.Int("quota_gpus", 0, 0, kMaxGpus));
    auto dt = r.Subtable("demand");
    GPUPLAN_TRY(dt);
    if (!*dt) return r.Fail("", "missing [tenant.demand]");
    TableReader d(c.path, **dt, fmt::format("tenant '{}' demand", *name));
    GPUPLAN_TRY(d.CheckKeys({"jobs_per_day", "growth_per_year", "gpu_mix", "median_duration_h",
                             "duration_sigma", "accelerators"}));
    if (!d.Has("jobs_per_day")) return d.Fail("", "missing 'jobs_per_day'");
    auto jobs = d.QuarterSteps("jobs_per_day", c.s.first, c.s.last);
    GPUPLAN_TRY(jobs);
    const bool any_jobs =
        std::any_of(jobs->begin(), jobs->end(), [](const QuarterStep& q) { return q.value > 0; });
    if (!any_jobs) return d.Fail("jobs_per_day", "'jobs_per_day' must be > 0 in some quarter");
    ten.demand.jobs_per_day_steps = *jobs;
    ten.demand.jobs_per_day = jobs->front().value;
    // -90% a year is a tenant winding down; 10x a year is beyond any published AI demand growth.
    GPUPLAN_ASSIGN_OR_RETURN(ten.demand.growth_per_year,
                             d.Number("growth_per_year", 0.0, -0.9, 10));
    auto median = d.Number("median_duration_h", std::nullopt, 0, kMaxNumber, true);
    GPUPLAN_TRY(median);
    ten.demand.median_duration_s = *median * kSecondsPerHour;
    GPUPLAN_ASSIGN_OR_RETURN(ten.demand.duration_sigma, d.Number("duration_sigma", 1.0, 0, 10));
    auto accs = d.StringList("accelerators");
    GPUPLAN_TRY(accs);
    for (const auto& id : *accs) GPUPLAN_TRY(CheckAccelerator(c, d, "accelerators", id));
    ten.demand.accelerators = *accs;
    auto mix = d.Subtable("gpu_mix");
    GPUPLAN_TRY(mix);
    if (!*mix) return d.Fail("", "missing 'gpu_mix = { \"1\" = 0.5, \"8\" = 0.5 }'");
    TableReader m(c.path, **mix, fmt::format("tenant '{}' demand.gpu_mix", *name));
    double total = 0;
    for (const auto& [key, value] : **mix) {
      const std::string k(key.str());
      if (k.empty() || k.size() > 7 || !std::all_of(k.begin(), k.end(), ::isdigit) ||
          std::stoi(k) < 1) {
        return m.Fail(k, fmt::format("keys are GPU counts per job such as \"8\", got '{}'", k));
      }
      auto w = m.Number(k, std::nullopt, 0);
      GPUPLAN_TRY(w);
      total += *w;
      ten.demand.gpu_mix.push_back({std::stoi(k), *w});
    }
    if (!(total > 0)) return m.Fail("", "weights must not all be zero");
    std::sort(ten.demand.gpu_mix.begin(), ten.demand.gpu_mix.end(),
              [](const GpuMixEntry& a, const GpuMixEntry& b) { return a.num_gpus < b.num_gpus; });
    c.s.tenants.push_back(ten);
  }
  return Ok{};
}

Result<void> ParseSimulation(const Context& c, const TableReader& root) {
  auto t = root.Subtable("simulation");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "simulation");
  if (r.Has("duration_days")) {
    return r.Fail("duration_days",
                  "'duration_days' is no longer read: the simulation covers the whole horizon "
                  "([horizon] first..last); remove it");
  }
  GPUPLAN_TRY(r.CheckKeys({"policy", "placement", "seed", "gpu_mtbf_h", "checkpoint_interval_min",
                           "restart_overhead_min", "trace"}));
  Simulation& sim = c.s.simulation;
  GPUPLAN_ASSIGN_OR_RETURN(sim.policy, r.Choice("policy", sim.policy, sim::PolicyNames()));
  auto placement = r.String("placement", "pack");
  GPUPLAN_TRY(placement);
  auto parsed_placement = sim::ParsePlacement(*placement);
  if (!parsed_placement) return r.Fail("placement", parsed_placement.error().message);
  sim.placement = *parsed_placement;
  auto seed = r.Number("seed", 1.0, 0, 9.0e15);
  GPUPLAN_TRY(seed);
  if (*seed != std::floor(*seed)) return r.Fail("seed", "'seed' must be a whole number");
  sim.seed = static_cast<uint64_t>(*seed);
  auto mtbf = r.Number("gpu_mtbf_h", 0.0, 0);
  GPUPLAN_TRY(mtbf);
  sim.gpu_mtbf_s = *mtbf * kSecondsPerHour;
  auto ckpt = r.Number("checkpoint_interval_min", 0.0, 0);
  GPUPLAN_TRY(ckpt);
  sim.checkpoint_interval_s = *ckpt * kSPerMinute;
  auto restart = r.Number("restart_overhead_min", 0.0, 0);
  GPUPLAN_TRY(restart);
  sim.restart_overhead_s = *restart * kSPerMinute;
  GPUPLAN_ASSIGN_OR_RETURN(sim.trace, r.Path("trace"));
  return Ok{};
}

Result<void> ParseServiceLevels(const Context& c, const toml::table& root) {
  auto tables = TableArray(c.path, root, "service_level");
  GPUPLAN_TRY(tables);
  // With a job trace, tenants come from the trace, so names and classes are checked there.
  const bool has_trace = !c.s.simulation.trace.empty();
  for (const toml::table* t : *tables) {
    TableReader r(c.path, *t, "service_level");
    GPUPLAN_TRY(r.CheckKeys({"class", "tenant", "wait_h", "percentile", "from"}));
    ServiceLevel sl;
    sl.line = r.line();
    if (r.Has("class") == r.Has("tenant")) {
      return r.Fail("",
                    "give exactly one of 'class' (startup, academia, industry, public) and "
                    "'tenant'");
    }
    if (r.Has("class")) {
      auto cls = ClassOf(r);
      GPUPLAN_TRY(cls);
      sl.tenant_class = *cls;
      const bool used = std::any_of(c.s.tenants.begin(), c.s.tenants.end(), [&](const Tenant& x) {
        return x.tenant_class == sl.tenant_class;
      });
      if (!used && !has_trace) {
        return r.Fail("class", fmt::format("no [[tenant]] has class '{}': the target would promise "
                                           "nothing to no one",
                                           trace::ToString(*cls)));
      }
    } else {
      auto tenant = r.String("tenant", std::nullopt);
      GPUPLAN_TRY(tenant);
      if (!has_trace) GPUPLAN_TRY(CheckTenant(c, r, "tenant", *tenant));
      sl.tenant = *tenant;
    }
    auto wait = r.Number("wait_h", std::nullopt, 0, kMaxNumber, true);
    GPUPLAN_TRY(wait);
    sl.wait_s = *wait * kSecondsPerHour;
    GPUPLAN_ASSIGN_OR_RETURN(sl.percentile, r.Number("percentile", 95.0, 0, 100, true));
    GPUPLAN_ASSIGN_OR_RETURN(sl.from, r.QuarterIn("from", c.s.first, c.s.first, c.s.last));
    c.s.service_levels.push_back(sl);
  }
  return Ok{};
}

Result<void> ParsePlan(const Context& c, const TableReader& root) {
  auto t = root.Subtable("plan");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "plan");
  GPUPLAN_TRY(r.CheckKeys({"objective"}));
  auto objective =
      r.Choice("objective", "max-capacity", {"max-capacity", "min-cost", "service-level"});
  GPUPLAN_TRY(objective);
  c.s.objective = *objective == "min-cost"        ? PlanObjective::kMinCost
                  : *objective == "service-level" ? PlanObjective::kServiceLevel
                                                  : PlanObjective::kMaxCapacity;
  if (c.s.objective == PlanObjective::kServiceLevel && c.s.service_levels.empty()) {
    return r.Fail("objective",
                  "'objective' = \"service-level\" needs at least one [[service_level]]");
  }
  return Ok{};
}

Result<void> ParseCapacity(const Context& c, const TableReader& root) {
  auto t = root.Subtable("capacity");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  TableReader r(c.path, **t, "capacity");
  GPUPLAN_TRY(r.CheckKeys({"unit"}));
  auto unit = r.Choice("unit", "peak", {"peak", "sizing"});
  GPUPLAN_TRY(unit);
  c.s.capacity_unit = *unit == "sizing" ? CapacityUnit::kSizing : CapacityUnit::kPeak;
  return Ok{};
}

}  // namespace

std::string ToString(Quarter q) { return fmt::format("{}Q{}", q.year, q.quarter); }

Quarter QuarterFromIndex(int index) {
  const int year = index >= 0 ? index / 4 : -((-index + 3) / 4);
  return Quarter{year, index - year * 4 + 1};
}

Result<Quarter> ParseQuarter(std::string_view text, std::string_view field) {
  const bool ok = text.size() == 6 && (text[4] == 'Q' || text[4] == 'q') &&
                  std::all_of(text.begin(), text.begin() + 4, ::isdigit) && text[5] >= '1' &&
                  text[5] <= '4';
  if (!ok) {
    return Error{fmt::format("{}: expected a quarter such as 2026Q4, got '{}'", field, text)};
  }
  return Quarter{std::stoi(std::string(text.substr(0, 4))), text[5] - '0'};
}

std::string_view ToString(CapacityUnit u) { return u == CapacityUnit::kSizing ? "sizing" : "peak"; }

std::string_view ToString(Recurrence r) {
  switch (r) {
    case Recurrence::kQuarterly:
      return "quarter";
    case Recurrence::kHalfYearly:
      return "half-year";
    case Recurrence::kYearly:
      return "year";
    case Recurrence::kOnce:
      break;
  }
  return "once";
}

double Scenario::FacilityPowerW(Quarter q) const {
  double w = 0;
  for (const PowerStep& s : power) {
    if (s.from <= q) w = s.facility_w;
  }
  return w;
}

double Scenario::JobsPerDay(const Tenant& tenant, Quarter q) const {
  const TenantDemand& d = tenant.demand;
  double rate = d.jobs_per_day;
  for (const QuarterStep& step : d.jobs_per_day_steps) {
    if (step.from <= q) rate = step.value;
  }
  const int quarters = q.Index() - first.Index();
  return rate * std::pow(1 + d.growth_per_year, quarters / 4.0);
}

std::vector<Quarter> Scenario::RunsOf(const Workload& w) const {
  const int step = w.recurrence == Recurrence::kQuarterly    ? 1
                   : w.recurrence == Recurrence::kHalfYearly ? 2
                   : w.recurrence == Recurrence::kYearly     ? 4
                                                             : 0;
  std::vector<Quarter> runs;
  const Quarter from = w.from.year == 0 ? first : w.from;
  for (int i = from.Index(); i <= last.Index(); i += step) {
    runs.push_back(QuarterFromIndex(i));
    if (step == 0) break;
  }
  return runs;
}

trace::TenantDemand GeneratorDemand(const Scenario& s, const Tenant& t) {
  trace::TenantDemand d = trace::DefaultDemand(t.tenant_class, t.name, s.JobsPerDay(t, s.first));
  d.tenant.share_weight = t.share_weight;
  d.tenant.quota_gpus = t.quota_gpus;
  if (t.demand.median_duration_s > 0) d.duration_median_s = t.demand.median_duration_s;
  if (t.demand.duration_sigma > 0) d.duration_sigma = t.demand.duration_sigma;
  if (!t.demand.gpu_mix.empty()) {
    d.gpu_mix.clear();
    for (const auto& m : t.demand.gpu_mix) d.gpu_mix.push_back({m.num_gpus, m.weight});
  }
  d.allowed = t.demand.accelerators;
  // One step per quarter whenever the rate changes over the horizon (steps or growth).
  bool varies = false;
  for (int i = s.first.Index(); i <= s.last.Index(); ++i) {
    varies = varies || s.JobsPerDay(t, QuarterFromIndex(i)) != d.jobs_per_day;
  }
  if (varies) {
    for (int i = s.first.Index(); i <= s.last.Index(); ++i) {
      d.rate_steps.push_back({.from_s = (i - s.first.Index()) * kSecondsPerQuarter,
                              .jobs_per_day = s.JobsPerDay(t, QuarterFromIndex(i))});
    }
  }
  return d;
}

std::string_view ToString(PlanObjective o) {
  switch (o) {
    case PlanObjective::kMinCost:
      return "min-cost";
    case PlanObjective::kServiceLevel:
      return "service-level";
    case PlanObjective::kMaxCapacity:
      break;
  }
  return "max-capacity";
}

Result<const catalog::Accelerator*> FindAccelerator(const Scenario& scenario,
                                                    const catalog::Catalog& catalog,
                                                    std::string_view id) {
  if (scenario.extra_catalog) {
    auto a = scenario.extra_catalog->Find(id);
    if (a) return *a;
  }
  auto a = catalog.Find(id);
  if (a || !scenario.extra_catalog) return a;
  std::vector<std::string> ids = catalog.ids();
  for (const auto& x : scenario.extra_catalog->ids()) ids.push_back(x);
  return Error{UnknownNameMessage("accelerator", id, ids)};
}

// --- extends and overrides, applied to the TOML tree before it is read -----------------------

namespace {

Result<toml::table> ParseToml(std::string_view text, const std::string& path) {
  GPUPLAN_TRY(CheckTomlText(text, path));  // toml++ 3.3.0 has UB on some inputs
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error{
        fmt::format("{}:{}: malformed TOML: {}", path, e.source().begin.line, e.description())};
  }
}

// The including file's keys replace the base's; tables merge key by key; arrays, [[tables]]
// included, are replaced whole (a scenario that changes one candidate restates them all, so a
// reader never has to merge lists in their head). Moves keep each node's file and line.
void MergeInto(toml::table& base, toml::table&& over) {
  for (auto&& [key, node] : over) {
    toml::node* b = base.get(key);
    if (b && b->is_table() && node.is_table()) {
      MergeInto(*b->as_table(), std::move(*node.as_table()));
    } else {
      base.insert_or_assign(key, std::move(node));
    }
  }
}

// `text` of `path` with its `extends` chain resolved; `chain` holds the files being read, to
// refuse cycles.
Result<toml::table> ReadWithExtends(std::string_view text, const std::string& path,
                                    std::vector<std::string>& chain) {
  auto root = ParseToml(text, path);
  GPUPLAN_TRY(root);
  const toml::node* ext = root->get("extends");
  if (!ext) return root;
  std::optional<std::string> base_name = ext->value<std::string>();
  if (!base_name || base_name->empty()) {
    return Error{fmt::format("{}: 'extends' must name a scenario file", At(path, *ext))};
  }
  const std::string base_path = Resolve(path, *ext, *base_name);
  if (std::find(chain.begin(), chain.end(), base_path) != chain.end()) {
    return Error{fmt::format("{}: 'extends' = \"{}\" makes a cycle ({} -> {})", At(path, *ext),
                             *base_name, fmt::join(chain, " -> "), base_path)};
  }
  if (chain.size() >= kMaxExtendsDepth) {
    return Error{fmt::format("{}: 'extends' chain is deeper than {} files", At(path, *ext),
                             kMaxExtendsDepth)};
  }
  auto base_text = ReadFile(base_path, 16 << 20);
  if (!base_text) {
    return Error{fmt::format("{}: 'extends': {}", At(path, *ext), base_text.error().message),
                 base_text.error().kind};
  }
  chain.push_back(base_path);
  auto base = ReadWithExtends(*base_text, base_path, chain);
  GPUPLAN_TRY(base);
  root->erase("extends");
  MergeInto(*base, std::move(*root));
  return base;
}

// "a.b.c" into its keys; a key may be quoted ("candidate.\"x.y\".price").
Result<std::vector<std::string>> SplitKeyPath(std::string_view key, const std::string& where) {
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  bool was_quoted = false;
  for (char ch : key) {
    if (ch == '"') {
      quoted = !quoted;
      was_quoted = true;
    } else if (ch == '.' && !quoted) {
      if (cur.empty() && !was_quoted) break;
      parts.push_back(std::move(cur));
      cur.clear();
      was_quoted = false;
    } else {
      cur += ch;
    }
  }
  if (quoted) return Error{fmt::format("{}: unclosed quote in the key", where)};
  if (cur.empty() && !was_quoted) {
    return Error{fmt::format("{}: the key has an empty part (write a.b.c)", where)};
  }
  parts.push_back(std::move(cur));
  return parts;
}

// The element of [[name]] that `selector` names: its 0-based index, or the one whose name,
// accelerator, id, tenant or class is `selector`.
Result<toml::table*> SelectElement(toml::array& array, std::string_view name,
                                   const std::string& selector, const std::string& where) {
  static constexpr std::string_view kIdentityKeys[] = {"name", "accelerator", "id", "tenant",
                                                       "class"};
  std::vector<toml::table*> matches;
  std::vector<std::string> known;
  for (toml::node& e : array) {
    toml::table* t = e.as_table();
    if (!t) continue;
    bool hit = false;
    std::string label;
    for (std::string_view k : kIdentityKeys) {
      std::optional<std::string> v = t->get(k) ? t->get(k)->value<std::string>() : std::nullopt;
      if (!v) continue;
      if (label.empty()) label = *v;
      if (*v == selector) hit = true;
    }
    if (!label.empty()) known.push_back(label);
    if (hit) matches.push_back(t);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) {
    return Error{fmt::format("{}: {} [[{}]] entries match '{}'; use its index (0..{})", where,
                             matches.size(), name, selector, array.size() - 1)};
  }
  const bool is_index =
      !selector.empty() &&
      std::all_of(selector.begin(), selector.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (is_index && selector.size() < 6) {
    const size_t i = std::stoul(selector);
    if (i < array.size() && array[i].as_table()) return array[i].as_table();
    return Error{
        fmt::format("{}: [[{}]] has {} entries, no index {}", where, name, array.size(), i)};
  }
  return Error{fmt::format(
      "{}: no [[{}]] is named '{}'{}", where, name, selector,
      known.empty() ? std::string{} : fmt::format(" (there are: {})", fmt::join(known, ", ")))};
}

// The override's value as TOML (a number, a quoted string, an array, an inline table); a bare
// word that is not TOML is taken as a string, so `plan.objective=service-level` works.
Result<toml::table> ParseOverrideValue(std::string_view value, const std::string& where) {
  auto parsed = ParseToml(fmt::format("v = {}\n", value), where);
  if (parsed) return parsed;
  const bool bare =
      !value.empty() && value.find_first_of("\"'[]{}\n\\=#") == std::string_view::npos;
  if (bare) {
    auto as_string = ParseToml(fmt::format("v = \"{}\"\n", value), where);
    if (as_string) return as_string;
  }
  return Error{
      fmt::format("{}: '{}' is not a TOML value (quote strings that have spaces or "
                  "punctuation: key='\"text\"')",
                  where, value)};
}

Result<void> ApplyOverride(toml::table& root, std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return Error{
        fmt::format("--set '{}': expected key.path=value (for example "
                    "budget.total=2.5e9)",
                    text)};
  }
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  const std::string_view key = trim(text.substr(0, eq));
  const std::string where = fmt::format("{}{}", kOverridePrefix, key);
  auto parts = SplitKeyPath(key, where);
  GPUPLAN_TRY(parts);
  auto value = ParseOverrideValue(trim(text.substr(eq + 1)), where);
  GPUPLAN_TRY(value);

  toml::table* table = &root;
  for (size_t i = 0; i + 1 < parts->size(); ++i) {
    const std::string& part = (*parts)[i];
    toml::node* child = table->get(part);
    if (!child) {
      // A missing section is created, so an override can add [rental] to a scenario without one.
      table = table->insert_or_assign(part, toml::table{}).first->second.as_table();
      continue;
    }
    if (toml::table* t = child->as_table()) {
      table = t;
    } else if (toml::array* a = child->as_array()) {
      if (i + 2 >= parts->size()) {
        return Error{fmt::format("{}: '{}' is a list; name an entry and its key ({}.{}.KEY)", where,
                                 part, part, a->empty() ? "0" : "NAME")};
      }
      GPUPLAN_ASSIGN_OR_RETURN(table, SelectElement(*a, part, (*parts)[++i], where));
    } else {
      return Error{fmt::format("{}: '{}' is a value, not a table", where, part)};
    }
  }
  table->insert_or_assign(parts->back(), std::move(*value->get("v")));
  return Ok{};
}

Result<Scenario> ParseRoot(const toml::table& root, const std::string& path,
                           const catalog::Catalog& catalog);

}  // namespace

Result<Scenario> ParseScenario(std::string_view toml_text, const std::string& path,
                               const catalog::Catalog& catalog,
                               const std::vector<std::string>& overrides) {
  std::vector<std::string> chain = {path};
  auto root = ReadWithExtends(toml_text, path, chain);
  GPUPLAN_TRY(root);
  for (const std::string& o : overrides) GPUPLAN_TRY(ApplyOverride(*root, o));
  return ParseRoot(*root, path, catalog);
}

Result<Scenario> LoadScenario(const std::string& path, const catalog::Catalog& catalog,
                              const std::vector<std::string>& overrides) {
  auto text = ReadFile(path, 16 << 20);
  GPUPLAN_TRY(text);
  return ParseScenario(*text, path, catalog, overrides);
}

namespace {

Result<Scenario> ParseRoot(const toml::table& root, const std::string& path,
                           const catalog::Catalog& catalog) {
  Scenario s;
  s.path = path;
  const Context c{path, catalog, s};
  TableReader r(path, root, "");
  GPUPLAN_TRY(r.CheckKeys(
      {"name",       "description",     "currency",   "units_per_usd", "extra_catalog", "horizon",
       "capacity",   "budget",          "opex",       "existing",      "candidate",     "power",
       "export_cap", "supply_security", "milestone",  "rental",        "workload",      "service",
       "tenant",     "service_level",   "simulation", "plan",          "extends"}));
  auto name = r.String("name", std::filesystem::path(path).stem().string());
  GPUPLAN_TRY(name);
  s.name = *name;
  GPUPLAN_ASSIGN_OR_RETURN(s.description, r.String("description", ""));
  auto currency = r.String("currency", "USD");
  GPUPLAN_TRY(currency);
  s.currency = *currency;
  auto rate = r.Number("units_per_usd", 1.0, 0, kMaxNumber, true);
  GPUPLAN_TRY(rate);
  if (s.currency == "USD" && *rate != 1.0) {
    return r.Fail("units_per_usd", "'units_per_usd' must be 1 when currency is USD");
  }
  s.units_per_usd = *rate;
  auto extra = r.Path("extra_catalog");
  GPUPLAN_TRY(extra);
  if (!extra->empty()) {
    auto cat = catalog::Catalog::Load(*extra);
    if (!cat) return r.Fail("extra_catalog", cat.error().message);
    for (const auto& id : cat->ids()) {
      if (catalog.Find(id)) {
        return r.Fail("extra_catalog", fmt::format("'{}' is already in the catalog", id));
      }
    }
    s.extra_catalog = std::move(*cat);
  }
  GPUPLAN_TRY(ParseHorizon(c, root));
  GPUPLAN_TRY(ParseCapacity(c, r));
  GPUPLAN_TRY(ParseBudget(c, r));
  GPUPLAN_TRY(ParseOpex(c, r));
  GPUPLAN_TRY(ParseCandidates(c, root));
  GPUPLAN_TRY(ParseExisting(c, root));  // after candidates: a fleet's node size defaults to theirs
  GPUPLAN_TRY(ParsePower(c, r));
  GPUPLAN_TRY(ParseExportCap(c, r));
  GPUPLAN_TRY(ParseSupply(c, r));
  GPUPLAN_TRY(ParseMilestones(c, root));
  GPUPLAN_TRY(ParseRental(c, r));
  GPUPLAN_TRY(ParseTenants(c, root));  // before workloads and service levels, which name them
  GPUPLAN_TRY(ParseWorkloads(c, root));
  GPUPLAN_TRY(ParseServices(c, root));
  GPUPLAN_TRY(ParseSimulation(c, r));
  GPUPLAN_TRY(ParseServiceLevels(c, root));
  GPUPLAN_TRY(ParsePlan(c, r));
  if (s.candidates.empty() && s.existing.empty()) {
    return Error{
        fmt::format("{}: no [[candidate]] and no [[existing]] fleet: nothing to plan", path)};
  }
  return s;
}

}  // namespace

std::string DefaultScenarioPath() { return DefaultDataDir() + "/scenarios/korea.toml"; }

}  // namespace gpuplan::scenario
