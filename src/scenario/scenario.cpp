#include "scenario/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "config/config.h"

namespace gpuplan::scenario {

namespace {

constexpr double kWPerMw = 1e6;
constexpr double kWPerKw = 1e3;
constexpr double kSPerMinute = kSecondsPerHour / 60;
using config::kMaxNumber;
constexpr double kMinUnitsPerUsd = 1e-3, kMaxUnitsPerUsd = 1e8;
constexpr int kMaxQuarters = 80;  // 20 years
constexpr int kMaxYear = 2100;
constexpr int kMinYear = 2000;
constexpr int kMaxGpus = 10'000'000;
constexpr int kMaxExtendsDepth = 8;
// A price falling 95% a year, money worth half a year later, a server kept 50 years: beyond
// these a value is a typo (0.3 for 30%, not 30).
constexpr double kMaxPriceDeclinePerYear = 0.95;
constexpr double kMaxDiscountRate = 1;
constexpr double kMaxServiceLifeYears = 50;
// Server power and price per GPU over the accelerator alone, when a scenario gives neither:
// a DGX H100 draws 10.2 kW at most for 8 x 700 W GPUs (NVIDIA DGX H100 user guide), 1.8x.
constexpr double kServerPowerOverTdp = 1.8;

using config::Table;

// A quarter inside [first, last]; `fallback` when absent.
Result<Quarter> QuarterIn(const Table& r, std::string_view key, std::optional<Quarter> fallback,
                          Quarter first, Quarter last) {
  if (!r.Has(key)) {
    if (fallback) return *fallback;
    return r.Fail("", fmt::format("missing '{}'", key));
  }
  auto s = r.String(key, std::nullopt);
  GPUPLAN_TRY(s);
  auto q = ParseQuarter(*s, fmt::format("'{}'", key));
  if (!q) return r.Fail(key, q.error().message);
  if (*q < first || *q > last) {
    return r.Fail(key, fmt::format("'{}' = {} is outside the horizon {}..{}", key, ToString(*q),
                                   ToString(first), ToString(last)));
  }
  return *q;
}

// A step function over quarters: a scalar (one step from `first`) or a quarter table
// { "2026Q4" = 40, "2027Q2" = 60 } inside the horizon that gives `first`. Values >= 0.
Result<std::vector<QuarterStep>> QuarterSteps(const Table& r, std::string_view key, Quarter first,
                                              Quarter last) {
  if (!r.Has(key)) return r.Fail("", fmt::format("missing '{}'", key));
  std::vector<QuarterStep> steps;
  auto sub = r.Subtable(key);
  if (!sub) {  // not a table: one number for every quarter
    auto v = r.Number(key, std::nullopt, 0);
    GPUPLAN_TRY(v);
    steps.push_back({first, *v});
    return steps;
  }
  const Table& s = **sub;
  for (const std::string& name : s.Keys()) {
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

// The entries of [[key]], each with its required identity `id_key` and the context "key 'ID'".
struct Entry {
  std::string id;
  Table r;
};
Result<std::vector<Entry>> Entries(const Table& root, std::string_view key,
                                   std::string_view id_key) {
  auto tables = root.TableArray(key);
  GPUPLAN_TRY(tables);
  std::vector<Entry> out;
  for (const Table& t : *tables) {
    auto id = t.String(id_key, std::nullopt);
    GPUPLAN_TRY(id);
    out.push_back({*id, t.WithContext(fmt::format("{} '{}'", key, *id))});
  }
  return out;
}

// A tenant class, one of the four a scenario's tenants and targets use.
Result<TenantClass> ClassOf(const Table& r) {
  auto cls = r.Choice("class", "", {"startup", "academia", "industry", "public"});
  GPUPLAN_TRY(cls);
  return trace::ParseTenantClass(*cls);
}

struct Context {
  const std::string& path;
  const catalog::Catalog& catalog;
  Scenario& s;
};

// The model a workload or service names: a preset id, or a model file (TOML or a Hugging Face
// config.json) relative to the scenario that names it. Read once here, not at every sizing.
Result<model::ModelShape> ResolveModel(const Context& c, const Table& r, const std::string& name) {
  const bool is_file =
      name.find('/') != std::string::npos || name.ends_with(".toml") || name.ends_with(".json");
  auto path = is_file ? r.Path("model") : Result<std::string>(name);
  GPUPLAN_TRY(path);
  auto shape = model::FindModel(*path);
  if (!shape) return r.Fail("model", shape.error().message);
  if (is_file) c.s.files_read.push_back(*path);
  return shape;
}

// An amount in the scenario's currency as USD. The rate is bounded, but a huge amount over a small
// rate still leaves the sanity bound (1e30 units at 1e-3 a USD); it is refused at its key.
Result<double> ToUsd(const Context& c, const Table& r, std::string_view key, double amount) {
  const double usd = amount / c.s.units_per_usd;
  if (std::isfinite(usd) && usd <= kMaxNumber) return usd;
  return r.Fail(key, fmt::format("'{}' = {:g} {} is {:g} USD at units_per_usd = {:g}, past the "
                                 "sanity bound of {:g}",
                                 key, amount, c.s.currency, usd, c.s.units_per_usd, kMaxNumber));
}

Result<const catalog::Accelerator*> CheckAccelerator(const Context& c, const Table& r,
                                                     std::string_view key, const std::string& id) {
  auto a = FindAccelerator(c.s, c.catalog, id);
  if (!a) return r.Fail(key, a.error().message);
  return *a;
}

Result<void> ParseHorizon(const Context& c, const Table& root) {
  auto t = root.Subtable("horizon");
  if (!t || !*t) {
    return Error{
        fmt::format("{}: missing [horizon] with first = \"2026Q4\" and last = \"2029Q3\"", c.path)};
  }
  const Table& r = **t;
  GPUPLAN_TRY(r.CheckKeys({"first", "last"}));
  const Quarter lo{kMinYear, 1}, hi{kMaxYear, 4};
  auto first = QuarterIn(r, "first", std::nullopt, lo, hi);
  GPUPLAN_TRY(first);
  auto last = QuarterIn(r, "last", std::nullopt, lo, hi);
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

Result<void> ParseBudget(const Context& c, const Table& root) {
  auto t = root.Subtable("budget");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
  GPUPLAN_TRY(r.CheckKeys({"capex_per_year", "carry_over", "total", "discount_rate"}));
  Budget& b = c.s.budget;
  GPUPLAN_ASSIGN_OR_RETURN(b.discount_rate, r.Number("discount_rate", 0.0, 0, kMaxDiscountRate));
  // A discount rate alone values a min-cost plan's spending without capping it.
  if (r.Has("discount_rate") && !r.Has("capex_per_year") && !r.Has("total")) return Ok{};
  b.has_budget = true;
  GPUPLAN_ASSIGN_OR_RETURN(b.is_carry_over, r.Bool("carry_over", false));
  auto total = r.Number("total", 0.0, 0);
  GPUPLAN_TRY(total);
  GPUPLAN_ASSIGN_OR_RETURN(b.total_usd, ToUsd(c, r, "total", *total));
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
  const Table& years = **per_year;
  std::map<int, double> by_year;
  for (const std::string& k : years.Keys()) {
    int year = 0;
    if (k.size() != 4 || !std::all_of(k.begin(), k.end(), ::isdigit) ||
        (year = std::stoi(k)) < kMinYear || year > kMaxYear) {
      return years.Fail(k,
                        fmt::format("keys must be calendar years such as \"2027\", got '{}'", k));
    }
    auto v = years.Number(k, std::nullopt, 0);
    GPUPLAN_TRY(v);
    GPUPLAN_ASSIGN_OR_RETURN(by_year[year], ToUsd(c, years, k, *v));
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

Result<void> ParseOpex(const Context& c, const Table& root) {
  auto t = root.Subtable("opex");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
  GPUPLAN_TRY(r.CheckKeys({"power_price_per_kwh", "pue", "maintenance_share_per_year",
                           "amortization", "part_life_years"}));
  auto price = r.Number("power_price_per_kwh", c.s.opex.power_usd_per_kwh * c.s.units_per_usd, 0);
  GPUPLAN_TRY(price);
  GPUPLAN_ASSIGN_OR_RETURN(c.s.opex.power_usd_per_kwh, ToUsd(c, r, "power_price_per_kwh", *price));
  GPUPLAN_ASSIGN_OR_RETURN(c.s.opex.pue, r.Number("pue", c.s.opex.pue, 1.0, 3.0));
  GPUPLAN_ASSIGN_OR_RETURN(c.s.opex.maintenance_share_per_year,
                           r.Number("maintenance_share_per_year", 0.0, 0, 1));
  auto amortization =
      r.String("amortization", std::string(catalog::ToString(c.s.opex.amortization)));
  GPUPLAN_TRY(amortization);
  auto parsed = catalog::ParseAmortization(*amortization);
  if (!parsed) return r.Fail("amortization", "'amortization': " + parsed.error().message);
  c.s.opex.amortization = *parsed;
  GPUPLAN_ASSIGN_OR_RETURN(c.s.opex.part_life_years,
                           r.Number("part_life_years", c.s.opex.part_life_years, 1, 30));
  return Ok{};
}

Result<void> ParseExisting(const Context& c, const Table& root) {
  auto entries = Entries(root, "existing", "accelerator");
  GPUPLAN_TRY(entries);
  for (const auto& [id, r] : *entries) {
    GPUPLAN_TRY(r.CheckKeys({"accelerator", "gpus", "gpus_per_node", "vendor", "domestic",
                             "power_kw_per_gpu", "in_service_from"}));
    auto acc = CheckAccelerator(c, r, "accelerator", id);
    GPUPLAN_TRY(acc);
    ExistingFleet e;
    e.accelerator = id;
    e.line = r.line();
    auto gpus = r.Int("gpus", std::nullopt, 1, kMaxGpus);
    GPUPLAN_TRY(gpus);
    e.num_gpus = *gpus;
    // The node size it is run in: as bought ([[candidate]] of the same type), else the catalog's.
    int node_default = (*acc)->gpus_per_node;
    for (const Candidate& k : c.s.candidates) {
      if (k.accelerator == id) node_default = k.gpus_per_node;
    }
    GPUPLAN_ASSIGN_OR_RETURN(e.gpus_per_node,
                             r.Int("gpus_per_node", std::max(1, node_default), 1, 1024));
    if (e.num_gpus % e.gpus_per_node != 0) {
      return r.Fail("gpus",
                    fmt::format("'gpus' = {} is not a whole number of {}-GPU nodes{}; "
                                "write a multiple of {}, or set 'gpus_per_node' to the "
                                "size of the nodes these GPUs are in",
                                e.num_gpus, e.gpus_per_node,
                                r.Has("gpus_per_node") ? "" : fmt::format(" ({}'s node size)", id),
                                e.gpus_per_node));
    }
    GPUPLAN_ASSIGN_OR_RETURN(e.vendor, r.String("vendor", (*acc)->vendor));
    GPUPLAN_ASSIGN_OR_RETURN(e.is_domestic, r.Bool("domestic", false));
    auto kw = r.Number("power_kw_per_gpu", (*acc)->tdp_w * kServerPowerOverTdp / kWPerKw, 0,
                       kMaxNumber, true);
    GPUPLAN_TRY(kw);
    e.power_w_per_gpu = *kw * kWPerKw;
    GPUPLAN_ASSIGN_OR_RETURN(e.in_service_from,
                             QuarterIn(r, "in_service_from", c.s.first, c.s.first, c.s.last));
    c.s.existing.push_back(e);
  }
  return Ok{};
}

Result<void> ParseCandidates(const Context& c, const Table& root) {
  auto entries = Entries(root, "candidate", "accelerator");
  GPUPLAN_TRY(entries);
  std::set<std::string> seen;
  for (const auto& [id, r] : *entries) {
    GPUPLAN_TRY(r.CheckKeys({"accelerator", "vendor", "domestic", "export_controlled",
                             "gpus_per_node", "node_price", "node_power_kw",
                             "max_nodes_per_quarter", "min_nodes_per_order", "lead_time_quarters",
                             "available_from", "price_decline_per_year", "service_life_years"}));
    auto acc = CheckAccelerator(c, r, "accelerator", id);
    GPUPLAN_TRY(acc);
    if (!seen.insert(id).second) {
      return r.Fail("accelerator", fmt::format("'{}' is listed twice", id));
    }
    const catalog::Accelerator& a = **acc;
    Candidate k;
    k.accelerator = id;
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
                    fmt::format("missing 'node_price' (the catalog has no price for '{}')", id));
    }
    auto price = r.Number("node_price", price_default, 0, kMaxNumber, true);
    GPUPLAN_TRY(price);
    GPUPLAN_ASSIGN_OR_RETURN(k.node_price_usd, ToUsd(c, r, "node_price", *price));
    std::optional<double> kw_default;
    if (a.tdp_w > 0) kw_default = a.tdp_w * k.gpus_per_node * kServerPowerOverTdp / kWPerKw;
    if (!r.Has("node_power_kw") && !kw_default) {
      return r.Fail("",
                    fmt::format("missing 'node_power_kw' (the catalog has no TDP for '{}')", id));
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
                             QuarterIn(r, "available_from", c.s.first, c.s.first, c.s.last));
    GPUPLAN_ASSIGN_OR_RETURN(k.price_decline_per_year,
                             r.Number("price_decline_per_year", 0.0, 0, kMaxPriceDeclinePerYear));
    // One part life unless a candidate says otherwise: the residual value depreciates over the
    // same [opex] part_life_years that the cost per GPU-hour amortizes over (parsed above).
    GPUPLAN_ASSIGN_OR_RETURN(
        k.service_life_years,
        r.Number("service_life_years", c.s.opex.part_life_years, 0, kMaxServiceLifeYears, true));
    c.s.candidates.push_back(k);
  }
  return Ok{};
}

Result<void> ParsePower(const Context& c, const Table& root) {
  auto t = root.Subtable("power");
  GPUPLAN_TRY(t);
  if (!*t) {
    return root.Fail("", "missing [power] with facility_mw = { \"2026Q4\" = 30, ... }");
  }
  const Table& r = **t;
  GPUPLAN_TRY(r.CheckKeys({"facility_mw"}));
  if (!r.Has("facility_mw")) return r.Fail("", "missing 'facility_mw = { \"2026Q4\" = 30, ... }'");
  auto steps = QuarterSteps(r, "facility_mw", c.s.first, c.s.last);
  GPUPLAN_TRY(steps);
  for (const QuarterStep& step : *steps) c.s.power.push_back({step.from, step.value * kWPerMw});
  return Ok{};
}

Result<void> ParseExportCap(const Context& c, const Table& root) {
  auto t = root.Subtable("export_cap");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
  GPUPLAN_TRY(r.CheckKeys({"cumulative_tpp"}));
  auto tpp = r.Number("cumulative_tpp", std::nullopt, 0);
  GPUPLAN_TRY(tpp);
  c.s.export_cap = {.has_cap = true, .cumulative_tpp = *tpp};
  return Ok{};
}

Result<void> ParseSupply(const Context& c, const Table& root) {
  c.s.supply.from = c.s.last;
  auto t = root.Subtable("supply_security");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
  GPUPLAN_TRY(r.CheckKeys({"max_vendor_share", "min_domestic_share", "from"}));
  auto vmax = r.Number("max_vendor_share", 1.0, 0, 1, true);
  GPUPLAN_TRY(vmax);
  auto dmin = r.Number("min_domestic_share", 0.0, 0, 1);
  GPUPLAN_TRY(dmin);
  auto from = QuarterIn(r, "from", c.s.last, c.s.first, c.s.last);
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

Result<void> ParseMilestones(const Context& c, const Table& root) {
  auto tables = root.TableArray("milestone");
  GPUPLAN_TRY(tables);
  for (const Table& t : *tables) {
    const Table& r = t;
    GPUPLAN_TRY(r.CheckKeys({"quarter", "h100_equivalents", "gpus", "label"}));
    Milestone m;
    m.line = r.line();
    auto q = QuarterIn(r, "quarter", std::nullopt, c.s.first, c.s.last);
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

Result<void> ParseRental(const Context& c, const Table& root) {
  auto t = root.Subtable("rental");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
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
  GPUPLAN_ASSIGN_OR_RETURN(rent.usd_per_gpu_hour, ToUsd(c, r, "price_per_gpu_hour", *price));
  GPUPLAN_ASSIGN_OR_RETURN(rent.max_gpus_per_quarter,
                           r.Int("max_gpus_per_quarter", std::nullopt, 0, kMaxGpus));
  GPUPLAN_ASSIGN_OR_RETURN(rent.is_paid_from_budget, r.Bool("paid_from_budget", true));
  GPUPLAN_ASSIGN_OR_RETURN(rent.from, QuarterIn(r, "from", c.s.first, c.s.first, c.s.last));
  return Ok{};
}

std::vector<std::string> TenantNames(const Scenario& s) {
  std::vector<std::string> names;
  for (const Tenant& t : s.tenants) names.push_back(t.name);
  return names;
}

Result<void> CheckTenant(const Context& c, const Table& r, std::string_view key,
                         const std::string& name) {
  const std::vector<std::string> names = TenantNames(c.s);
  if (std::find(names.begin(), names.end(), name) != names.end()) return Ok{};
  if (names.empty()) {
    return r.Fail(
        key, fmt::format("'{}' = \"{}\" names no [[tenant]] (the scenario has none)", key, name));
  }
  return r.Fail(key, fmt::format("'{}': {}", key, UnknownNameMessage("[[tenant]]", name, names)));
}

Result<void> ParseWorkloads(const Context& c, const Table& root) {
  auto entries = Entries(root, "workload", "name");
  GPUPLAN_TRY(entries);
  std::set<std::string> names;
  for (const auto& [name, r] : *entries) {
    GPUPLAN_TRY(r.CheckKeys(
        {"name", "model", "tokens", "deadline_days", "every", "from", "precision", "tenant"}));
    if (!names.insert(name).second) return r.Fail("name", "duplicate workload name");
    Workload w;
    w.name = name;
    w.line = r.line();
    auto model = r.String("model", std::nullopt);
    GPUPLAN_TRY(model);
    if (model->empty()) return r.Fail("model", "'model' must name a model preset");
    w.model = *model;
    GPUPLAN_ASSIGN_OR_RETURN(w.shape, ResolveModel(c, r, *model));
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
    GPUPLAN_ASSIGN_OR_RETURN(w.from, QuarterIn(r, "from", c.s.first, c.s.first, c.s.last));
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

Result<void> ParseServices(const Context& c, const Table& root) {
  auto entries = Entries(root, "service", "name");
  GPUPLAN_TRY(entries);
  std::set<std::string> names;
  for (const auto& [name, r] : *entries) {
    GPUPLAN_TRY(r.CheckKeys({"name", "model", "requests_per_s", "prompt_tokens", "output_tokens",
                             "ttft_ms", "tpot_ms", "precision", "from"}));
    if (!names.insert(name).second) return r.Fail("name", "duplicate service name");
    Service v;
    v.name = name;
    v.line = r.line();
    auto model = r.String("model", std::nullopt);
    GPUPLAN_TRY(model);
    if (model->empty()) return r.Fail("model", "'model' must name a model preset");
    v.model = *model;
    GPUPLAN_ASSIGN_OR_RETURN(v.shape, ResolveModel(c, r, *model));
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
    GPUPLAN_ASSIGN_OR_RETURN(v.from, QuarterIn(r, "from", c.s.first, c.s.first, c.s.last));
    c.s.services.push_back(v);
  }
  return Ok{};
}

Result<void> ParseTenants(const Context& c, const Table& root) {
  auto entries = Entries(root, "tenant", "name");
  GPUPLAN_TRY(entries);
  std::set<std::string> names;
  for (const auto& [name, r] : *entries) {
    GPUPLAN_TRY(r.CheckKeys({"name", "class", "share", "quota_gpus", "demand"}));
    if (!names.insert(name).second) return r.Fail("name", "duplicate tenant name");
    Tenant ten;
    ten.name = name;
    ten.line = r.line();
    if (!r.Has("class"))
      return r.Fail("", "missing 'class' (startup, academia, industry or public)");
    GPUPLAN_ASSIGN_OR_RETURN(ten.tenant_class, ClassOf(r));
    GPUPLAN_ASSIGN_OR_RETURN(ten.share_weight, r.Number("share", 1.0, 0, kMaxNumber, true));
    GPUPLAN_ASSIGN_OR_RETURN(ten.quota_gpus, r.Int("quota_gpus", 0, 0, kMaxGpus));
    auto dt = r.Subtable("demand", fmt::format("tenant '{}' demand", name));
    GPUPLAN_TRY(dt);
    if (!*dt) return r.Fail("", "missing [tenant.demand]");
    const Table& d = **dt;
    GPUPLAN_TRY(d.CheckKeys({"jobs_per_day", "growth_per_year", "gpu_mix", "median_duration_h",
                             "duration_sigma", "accelerators"}));
    if (!d.Has("jobs_per_day")) return d.Fail("", "missing 'jobs_per_day'");
    auto jobs = QuarterSteps(d, "jobs_per_day", c.s.first, c.s.last);
    GPUPLAN_TRY(jobs);
    const bool any_jobs =
        std::any_of(jobs->begin(), jobs->end(), [](const QuarterStep& q) { return q.value > 0; });
    if (!any_jobs) return d.Fail("jobs_per_day", "'jobs_per_day' must be > 0 in some quarter");
    // -90% a year is a tenant winding down; 10x a year is beyond any published AI demand growth.
    auto growth = d.Number("growth_per_year", 0.0, -0.9, 10);
    GPUPLAN_TRY(growth);
    auto median = d.Number("median_duration_h", std::nullopt, 0, kMaxNumber, true);
    GPUPLAN_TRY(median);
    auto sigma = d.Number("duration_sigma", 1.0, 0, 10);
    GPUPLAN_TRY(sigma);
    auto accs = d.StringList("accelerators");
    GPUPLAN_TRY(accs);
    for (const auto& id : *accs) GPUPLAN_TRY(CheckAccelerator(c, d, "accelerators", id));
    auto mix = d.Subtable("gpu_mix");
    GPUPLAN_TRY(mix);
    if (!*mix) return d.Fail("", "missing 'gpu_mix = { \"1\" = 0.5, \"8\" = 0.5 }'");
    const Table& m = **mix;
    std::vector<trace::GpuCountWeight> gpu_mix;
    double total = 0;
    for (const std::string& k : m.Keys()) {
      if (k.empty() || k.size() > 7 || !std::all_of(k.begin(), k.end(), ::isdigit) ||
          std::stoi(k) < 1) {
        return m.Fail(k, fmt::format("keys are GPU counts per job such as \"8\", got '{}'", k));
      }
      auto w = m.Number(k, std::nullopt, 0);
      GPUPLAN_TRY(w);
      total += *w;
      gpu_mix.push_back({std::stoi(k), *w});
    }
    if (!(total > 0)) return m.Fail("", "weights must not all be zero");
    std::sort(gpu_mix.begin(), gpu_mix.end(),
              [](const auto& x, const auto& y) { return x.gpus < y.gpus; });

    // The rate in each quarter: its step, compounded by growth from the first quarter.
    std::vector<double> rate_by_quarter;
    for (int i = c.s.first.Index(); i <= c.s.last.Index(); ++i) {
      double rate = 0;
      for (const QuarterStep& step : *jobs) {
        if (step.from.Index() <= i) rate = step.value;
      }
      rate_by_quarter.push_back(rate * std::pow(1 + *growth, (i - c.s.first.Index()) / 4.0));
    }
    // The jobs this demand generates over the horizon must fit a trace (kMaxJobs): 1e30 a day
    // generated until the trace limit, which took minutes, instead of failing here.
    double num_jobs = 0;
    for (double rate : rate_by_quarter) num_jobs += rate * kSecondsPerQuarter / kSecondsPerDay;
    if (!(num_jobs <= static_cast<double>(kMaxJobs))) {
      return d.Fail("jobs_per_day",
                    fmt::format("'jobs_per_day' comes to {:.3g} jobs over the horizon, more than "
                                "the limit of {} jobs in a trace",
                                num_jobs, kMaxJobs));
    }
    trace::TenantDemand& dem = ten.demand;
    dem = trace::DefaultDemand(ten.tenant_class, ten.name, rate_by_quarter.front());
    dem.tenant.share_weight = ten.share_weight;
    dem.tenant.quota_gpus = ten.quota_gpus;
    dem.duration_median_s = *median * kSecondsPerHour;
    dem.duration_sigma = *sigma;
    dem.gpu_mix = std::move(gpu_mix);
    dem.allowed = *accs;
    const bool varies = std::any_of(rate_by_quarter.begin(), rate_by_quarter.end(),
                                    [&](double rate) { return rate != rate_by_quarter.front(); });
    if (varies) {
      for (size_t i = 0; i < rate_by_quarter.size(); ++i) {
        dem.rate_steps.push_back({.from_s = static_cast<double>(i) * kSecondsPerQuarter,
                                  .jobs_per_day = rate_by_quarter[i]});
      }
    }
    c.s.tenants.push_back(ten);
  }
  return Ok{};
}

Result<void> ParseSimulation(const Context& c, const Table& root) {
  auto t = root.Subtable("simulation");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
  if (r.Has("duration_days")) {
    return r.Fail("duration_days",
                  "'duration_days' is no longer read: the simulation covers the whole horizon "
                  "([horizon] first..last); remove it");
  }
  GPUPLAN_TRY(r.CheckKeys({"policy", "placement", "seed", "gpu_mtbf_h", "checkpoint_interval_min",
                           "restart_overhead_min", "trace", "bf_window_h", "decay_half_life_h",
                           "priority_calc_period_min", "estimate_factor"}));
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
  // Limits of the simulator's clock (kMaxTimeS), checked here to name the line: the
  // simulator's own check says only "the restart overhead (s) must be in [0, 1e+10]".
  auto mtbf = r.Number("gpu_mtbf_h", 0.0, 0, kMaxTimeS / kSecondsPerHour);
  GPUPLAN_TRY(mtbf);
  if (*mtbf != 0 && *mtbf < 1) {
    return r.Fail("gpu_mtbf_h", fmt::format("'gpu_mtbf_h' must be 0 (no failures) or at least 1 "
                                            "hour per GPU, got {:g}",
                                            *mtbf));
  }
  sim.gpu_mtbf_s = *mtbf * kSecondsPerHour;
  auto ckpt = r.Number("checkpoint_interval_min", 0.0, 0, kMaxTimeS / kSPerMinute);
  GPUPLAN_TRY(ckpt);
  sim.checkpoint_interval_s = *ckpt * kSPerMinute;
  auto restart = r.Number("restart_overhead_min", 0.0, 0, kMaxTimeS / kSPerMinute);
  GPUPLAN_TRY(restart);
  sim.restart_overhead_s = *restart * kSPerMinute;
  // The schedulers' settings. Ten years bounds the windows: past the horizon of any plan, and
  // far inside the simulator's clock.
  constexpr double kMaxHours = 10 * 8766;
  auto bf_window = r.Number("bf_window_h", sim.bf_window_s / kSecondsPerHour, 0, kMaxHours, true);
  GPUPLAN_TRY(bf_window);
  sim.bf_window_s = *bf_window * kSecondsPerHour;
  auto half_life =
      r.Number("decay_half_life_h", sim.decay_half_life_s / kSecondsPerHour, 0, kMaxHours, true);
  GPUPLAN_TRY(half_life);
  sim.decay_half_life_s = *half_life * kSecondsPerHour;
  auto calc = r.Number("priority_calc_period_min", sim.priority_calc_period_s / kSPerMinute, 0,
                       kMaxHours * 60);
  GPUPLAN_TRY(calc);
  sim.priority_calc_period_s = *calc * kSPerMinute;
  auto factor = r.Number("estimate_factor", sim.estimate_factor, 0, 1000);
  GPUPLAN_TRY(factor);
  sim.estimate_factor = *factor;
  GPUPLAN_ASSIGN_OR_RETURN(sim.trace, r.Path("trace"));
  // Checked here so that a typo is named at its line, not when the plan reads the trace.
  if (std::error_code ec; !sim.trace.empty() && !std::filesystem::exists(sim.trace, ec)) {
    return r.Fail("trace", fmt::format("'trace' names '{}', which does not exist", sim.trace));
  }
  if (!sim.trace.empty()) c.s.files_read.push_back(sim.trace);
  return Ok{};
}

// [[cluster_queue]]: Kueue's ClusterQueue (sim::ClusterQueue). After [[tenant]] and
// [simulation]: the tenants it names must be [[tenant]]s unless a trace brings its own.
Result<void> ParseClusterQueues(const Context& c, const Table& root) {
  auto entries = Entries(root, "cluster_queue", "name");
  GPUPLAN_TRY(entries);
  std::map<std::string, std::string> queue_of_tenant, queue_of_class;
  for (const auto& [name, r] : *entries) {
    GPUPLAN_TRY(r.CheckKeys({"name", "tenants", "classes", "cohort", "nominal_quota_gpus",
                             "borrowing_limit_gpus", "lending_limit_gpus"}));
    sim::ClusterQueue q{.name = name};
    for (const sim::ClusterQueue& other : c.s.cluster_queues) {
      if (other.name == name) return r.Fail("name", "duplicate cluster queue name");
    }
    GPUPLAN_ASSIGN_OR_RETURN(q.tenants, r.StringList("tenants"));
    for (const std::string& t : q.tenants) {
      if (c.s.simulation.trace.empty()) GPUPLAN_TRY(CheckTenant(c, r, "tenants", t));
      auto [it, fresh] = queue_of_tenant.insert({t, name});
      if (!fresh) {
        return r.Fail("tenants",
                      fmt::format("tenant '{}' is already in cluster queue '{}'", t, it->second));
      }
    }
    auto classes = r.StringList("classes");
    GPUPLAN_TRY(classes);
    for (const std::string& cls : *classes) {
      auto tc = trace::ParseTenantClass(cls);
      if (!tc || *tc == TenantClass::kUnclassified) {
        return r.Fail("classes", fmt::format("'{}' is not a class (startup, academia, industry "
                                             "or public)",
                                             cls));
      }
      auto [it, fresh] = queue_of_class.insert({cls, name});
      if (!fresh) {
        return r.Fail("classes",
                      fmt::format("class '{}' is already in cluster queue '{}'", cls, it->second));
      }
      q.tenant_classes.push_back(*tc);
    }
    if (q.tenants.empty() && q.tenant_classes.empty()) {
      return r.Fail("", "a cluster queue covers no one: give 'tenants' or 'classes'");
    }
    GPUPLAN_ASSIGN_OR_RETURN(q.cohort, r.String("cohort", ""));
    if (!r.Has("nominal_quota_gpus")) return r.Fail("", "missing 'nominal_quota_gpus'");
    GPUPLAN_ASSIGN_OR_RETURN(q.nominal_quota_gpus, r.Int("nominal_quota_gpus", 0, 0, kMaxGpus));
    for (const auto& [key, out] : {std::pair{"borrowing_limit_gpus", &q.borrowing_limit_gpus},
                                   std::pair{"lending_limit_gpus", &q.lending_limit_gpus}}) {
      if (!r.Has(key)) continue;
      if (q.cohort.empty()) return r.Fail(key, fmt::format("'{}' needs a 'cohort'", key));
      GPUPLAN_ASSIGN_OR_RETURN(*out, r.Int(key, 0, 0, kMaxGpus));
    }
    if (q.lending_limit_gpus.value_or(0) > q.nominal_quota_gpus) {
      return r.Fail("lending_limit_gpus",
                    fmt::format("'lending_limit_gpus' ({}) must not exceed 'nominal_quota_gpus' "
                                "({})",
                                *q.lending_limit_gpus, q.nominal_quota_gpus));
    }
    c.s.cluster_queues.push_back(std::move(q));
  }
  return Ok{};
}

Result<void> ParseServiceLevels(const Context& c, const Table& root) {
  auto tables = root.TableArray("service_level");
  GPUPLAN_TRY(tables);
  // With a job trace, tenants come from the trace, so names and classes are checked there.
  const bool has_trace = !c.s.simulation.trace.empty();
  for (const Table& t : *tables) {
    const Table& r = t;
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
    GPUPLAN_ASSIGN_OR_RETURN(sl.from, QuarterIn(r, "from", c.s.first, c.s.first, c.s.last));
    c.s.service_levels.push_back(sl);
  }
  return Ok{};
}

Result<void> ParsePlan(const Context& c, const Table& root) {
  auto t = root.Subtable("plan");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
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

Result<void> ParseCapacity(const Context& c, const Table& root) {
  auto t = root.Subtable("capacity");
  GPUPLAN_TRY(t);
  if (!*t) return Ok{};
  const Table& r = **t;
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
  const trace::TenantDemand& d = tenant.demand;
  const double at_s = (q.Index() - first.Index()) * kSecondsPerQuarter;
  double rate = d.jobs_per_day;
  for (const auto& step : d.rate_steps) {
    if (step.from_s <= at_s) rate = step.jobs_per_day;
  }
  return rate;
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

namespace {

Result<Scenario> ParseRoot(const Table& root, const std::string& path,
                           const catalog::Catalog& catalog);

}  // namespace

Result<Scenario> ParseScenario(std::string_view toml_text, const std::string& path,
                               const catalog::Catalog& catalog,
                               const std::vector<std::string>& overrides) {
  auto doc = config::Document::ParseWithExtends(toml_text, path, "extends", kMaxExtendsDepth);
  GPUPLAN_TRY(doc);
  // After a [[list]], an override names one entry by its index or by one of these keys.
  const std::vector<std::string> identity = {"name", "accelerator", "id", "tenant", "class"};
  for (const std::string& o : overrides) GPUPLAN_TRY(doc->Override(o, identity));
  auto s = ParseRoot(doc->Root(), path, catalog);
  GPUPLAN_TRY(s);
  s->files_read.insert(s->files_read.begin(), doc->files().begin(), doc->files().end());
  return s;
}

Result<Scenario> LoadScenario(const std::string& path, const catalog::Catalog& catalog,
                              const std::vector<std::string>& overrides) {
  auto text = ReadFile(path, 16 << 20);
  GPUPLAN_TRY(text);
  return ParseScenario(*text, path, catalog, overrides);
}

namespace {

Result<Scenario> ParseRoot(const Table& root, const std::string& path,
                           const catalog::Catalog& catalog) {
  Scenario s;
  s.path = path;
  const Context c{path, catalog, s};
  const Table& r = root;
  GPUPLAN_TRY(r.CheckKeys({"name",          "description",     "currency",
                           "units_per_usd", "extra_catalog",   "horizon",
                           "capacity",      "budget",          "opex",
                           "existing",      "candidate",       "power",
                           "export_cap",    "supply_security", "milestone",
                           "rental",        "workload",        "service",
                           "tenant",        "service_level",   "simulation",
                           "plan",          "extends",         "cluster_queue"}));
  auto name = r.String("name", std::filesystem::path(path).stem().string());
  GPUPLAN_TRY(name);
  s.name = *name;
  GPUPLAN_ASSIGN_OR_RETURN(s.description, r.String("description", ""));
  auto currency = r.String("currency", "USD");
  GPUPLAN_TRY(currency);
  s.currency = *currency;
  // Currencies lie between 0.3 (Kuwaiti dinar) and about 1e6 (Iranian rial) units a USD; a rate
  // such as 1e-300 made every budget infinite.
  auto rate = r.Number("units_per_usd", 1.0, kMinUnitsPerUsd, kMaxUnitsPerUsd);
  GPUPLAN_TRY(rate);
  if (s.currency == "USD" && *rate != 1.0) {
    return r.Fail("units_per_usd", "'units_per_usd' must be 1 when currency is USD");
  }
  s.units_per_usd = *rate;
  auto extra = r.Path("extra_catalog");
  GPUPLAN_TRY(extra);
  if (!extra->empty()) {
    auto cat = catalog::Catalog::Load(*extra);
    if (!cat) return r.Fail("extra_catalog", "extra_catalog: " + cat.error().message);
    for (const auto& id : cat->ids()) {
      if (catalog.Find(id)) {
        return r.Fail("extra_catalog", fmt::format("'{}' is already in the catalog", id));
      }
    }
    s.extra_catalog = std::move(*cat);
    s.files_read.push_back(*extra);
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
  GPUPLAN_TRY(ParseClusterQueues(c, root));
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
