// gpuplan buy: which accelerators to buy, how many and when (the procurement MILP).
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "buy/buy.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/table.h"
#include "plan/plan.h"
#include "scenario/scenario.h"
#include "sizing/sizing.h"

namespace gpuplan::cli {

namespace {

constexpr double kWPerMw = 1e6;
constexpr double kDefaultTimeLimitS = 30;
constexpr double kDefaultGap = 1e-4;

struct BuyFlags {
  std::string scenario;                // empty: the built-in default
  std::vector<std::string> overrides;  // --set
  std::string objective;               // empty: the scenario's [plan] objective
  double time_limit_s = kDefaultTimeLimitS;
  double gap = kDefaultGap;
  double sizing_quantile = sizing::kDefaultSizingQuantile;
  bool no_explain = false;
  std::string write_lp;   // empty: none
  std::string write_mps;  // empty: none
  bool json = false;
  bool csv = false;
  std::string table;  // --table: which one --csv prints
};

// Money in the scenario's currency (the model works in USD).
std::string Money(const scenario::Scenario& s, double usd) {
  return s.currency + " " + FormatQuantity(usd * s.units_per_usd);
}

// purchases, capacity and parts (the cost policy's price of each candidate), in the scenario's
// currency for people, in USD (the _usd columns) in CSV.
NamedTables BuyTables(const scenario::Scenario& s, const buy::BuyResult& r,
                      const std::vector<plan::PartCost>& parts) {
  auto money = [&s](double usd) { return Number(usd, Money(s, usd)); };
  Table purchases({{"order", "quarter", true},
                   {"in use", "delivered", true},
                   {"accelerator", "accelerator", true},
                   {"nodes", "nodes"},
                   {"GPUs", "gpus"},
                   {"capex", "capex_usd"}});
  for (const auto& b : r.purchases) {
    purchases.AddRow(
        {b.quarter, b.delivered, b.accelerator, Count(b.nodes), Count(b.gpus), money(b.capex_usd)});
  }
  Table capacity({{"quarter", "quarter", true},
                  {"H100-eq", "h100_equivalents"},
                  {"GPUs", "gpus"},
                  {"rented", "rented_gpus"},
                  {"power MW", "power_mw"},
                  {"TPP", "installed_tpp"},
                  {"spend", "spend_usd"}});
  for (const auto& c : r.capacity) {
    capacity.AddRow({c.quarter,
                     Number(c.h100_equivalents, fmt::format("{:.0f}", c.h100_equivalents)),
                     Number(c.num_gpus, fmt::format("{:.0f}", c.num_gpus)),
                     Number(c.rented_gpus, fmt::format("{:.0f}", c.rented_gpus)),
                     Number(c.power_w / kWPerMw, fmt::format("{:.1f}", c.power_w / kWPerMw)),
                     Number(c.tpp, FormatQuantity(c.tpp)), money(c.spend_usd)});
  }
  Table prices({{"accelerator", "accelerator", true},
                {"per GPU-hour", "usd_per_gpu_hour"},
                {"per GPU", "capex_usd_per_gpu"},
                {"W per GPU", "power_w_per_gpu"},
                {"price source", "price_source", true}});
  for (const auto& p : parts) {
    prices.AddRow({p.accelerator, money(p.usd_per_gpu_hour), money(p.capex_usd_per_gpu),
                   Number(p.power_w_per_gpu, fmt::format("{:.0f}", p.power_w_per_gpu)),
                   p.price_source});
  }
  NamedTables tables;
  tables.emplace_back("purchases", std::move(purchases));
  tables.emplace_back("capacity", std::move(capacity));
  tables.emplace_back("parts", std::move(prices));
  return tables;
}

void PrintCostPolicy(const scenario::Scenario& s, const std::vector<plan::PartCost>& parts,
                     std::ostream& out) {
  out << "\n"
      << catalog::CostPolicyLine(plan::CostPolicyOf(s), s.currency, s.units_per_usd) << "\n";
  out << BuyTables(s, {}, parts)[2].second.Text("  ");
}

void PrintHuman(const scenario::Scenario& s, const buy::BuyProblem& p, const buy::BuyResult& r,
                std::ostream& out) {
  out << fmt::format(
      "scenario {} ({}..{}), objective {}, H100-equivalent = {}\n", s.name, ToString(s.first),
      ToString(s.last), buy::ToString(r.objective),
      p.capacity_unit == "peak" ? "dense BF16 peak / H100 SXM" : "training throughput / H100 SXM");
  out << fmt::format("status: {}{}\n", buy::ToString(r.status),
                     r.status == buy::BuyStatus::kFeasible
                         ? fmt::format(" (not proven optimal; gap {:.3g}%)", 100 * r.mip_gap)
                     : r.status == buy::BuyStatus::kOptimal && r.mip_gap > 0
                         ? fmt::format(" (within {:.2g}% of the best bound)", 100 * r.mip_gap)
                         : "");
  if (r.status == buy::BuyStatus::kInfeasible) {
    out << "no plan meets every constraint: " << r.conflict_sentence << "\n";
    return;
  }
  if (r.status == buy::BuyStatus::kNoSolution) {
    out << "no plan found within the time limit; try a longer --time-limit\n";
    return;
  }
  const NamedTables tables = BuyTables(s, r, {});
  out << "\npurchases\n";
  if (r.purchases.empty()) {
    out << "(nothing to buy)\n";
  } else {
    out << tables[0].second.Text();
  }
  out << "\ncapacity\n" << tables[1].second.Text();
  out << fmt::format("\ncost: capex {}, energy {}, maintenance {}, rental {}, total {}\n",
                     Money(s, r.capex_usd), Money(s, r.energy_usd), Money(s, r.maintenance_usd),
                     Money(s, r.rental_usd), Money(s, r.total_cost_usd));
  out << fmt::format("delivered: {} H100-equivalent GPU-hours\n",
                     FormatQuantity(r.h100_eq_gpu_hours));
  if (!r.binding.empty()) {
    out << "\nbinding constraints (what relaxing each is worth)\n";
    for (const auto& b : r.binding) {
      std::string worth = "not evaluated";
      if (b.is_evaluated) {
        worth = r.objective == buy::Objective::kMaxCapacity
                    ? fmt::format("+{} H100-eq GPU-hours", FormatQuantity(b.objective_gain))
                    : fmt::format("saves {}", Money(s, b.objective_gain));
      }
      out << fmt::format("  {}: {} -> {}\n", b.constraint,
                         b.relaxation.empty() ? "relax" : b.relaxation, worth);
    }
  }
}

int RunBuy(const BuyFlags& flags, std::ostream& out, std::ostream& err) {
  if (flags.json && flags.csv) return ReportBadInput(Error{"give --json or --csv, not both"}, err);
  if (!flags.table.empty() && !flags.csv) return ReportBadInput(Error{"--table needs --csv"}, err);
  std::optional<plan::Objective> objective;
  if (!flags.objective.empty()) {
    auto parsed = plan::ParseObjective(flags.objective);
    if (!parsed) return ReportBadInput(parsed.error(), err);
    objective = *parsed;
  }
  if (!(flags.time_limit_s > 0 && std::isfinite(flags.time_limit_s))) {
    return ReportBadInput(
        Error{fmt::format("--time-limit must be a finite number of seconds > 0, got {}",
                          flags.time_limit_s)},
        err);
  }
  if (!(flags.gap >= 0 && flags.gap < 1)) {
    return ReportBadInput(Error{fmt::format("--gap must be in [0, 1), got {}", flags.gap)}, err);
  }
  if (auto q = sizing::ValidateSizingQuantile(flags.sizing_quantile); !q) {
    return ReportBadInput(q.error(), err);
  }
  const std::string path =
      flags.scenario.empty() ? scenario::DefaultScenarioPath() : flags.scenario;
  // The MILP files are written last: refused at once when one would replace the scenario.
  const std::vector<NamedPath> outputs = {{"--write-lp", flags.write_lp},
                                          {"--write-mps", flags.write_mps}};
  if (auto c = CheckOutputs(outputs, {{"--scenario", path}}); !c) {
    return ReportError(c.error(), err);
  }
  auto locks = LockOutputs({flags.write_lp, flags.write_mps});
  if (!locks) return ReportError(locks.error(), err);
  auto cat = catalog::Catalog::LoadDefault();
  if (!cat) return ReportBadInput(cat.error(), err);
  auto s = scenario::LoadScenario(path, *cat, flags.overrides);
  if (!s) return ReportBadInput(s.error(), err);
  if (auto c = CheckOutputs(outputs, ScenarioInputs(s->files_read)); !c) {
    return ReportError(c.error(), err);
  }
  if (!objective) objective = plan::FromScenario(s->objective);
  auto problem =
      buy::BuildBuyProblem(*s, *cat, plan::MakeSizingResolver(*cat, flags.sizing_quantile));
  if (!problem) return ReportBadInput(problem.error(), err);
  std::optional<buy::BuyResult> result;
  nlohmann::ordered_json levels = nlohmann::ordered_json::array();
  nlohmann::ordered_json iterations = nlohmann::ordered_json::array();
  if (*objective == plan::Objective::kServiceLevel) {
    // The service levels are checked by simulation: the plan pipeline's loop, one policy.
    plan::PlanOptions options{.policies = {s->simulation.policy},
                              .objective = plan::Objective::kServiceLevel,
                              .compare_purchase_options = false,
                              .frontier_points = 0,
                              .buy_time_limit_s = flags.time_limit_s,
                              .buy_relative_gap = flags.gap};
    auto planned = plan::RunPlan(*s, *cat, options);
    if (!planned) return ReportBadInput(planned.error(), err);
    if (!planned->buy.result) {
      err << "error: " << planned->buy.error << "\n";
      return kExitFailure;
    }
    result = *planned->buy.result;
    problem = *planned->buy.problem;
    const auto doc = plan::ToJson(*planned, *s);
    levels = doc["service_levels"];
    if (doc["buy"].contains("iterations")) iterations = doc["buy"]["iterations"];
  } else {
    problem->objective = *objective == plan::Objective::kMinCost ? buy::Objective::kMinCost
                                                                 : buy::Objective::kMaxCapacity;
    const buy::SolveOptions options{.time_limit_s = flags.time_limit_s,
                                    .relative_gap = flags.gap,
                                    .explain = !flags.no_explain};
    auto solved = buy::SolveBuy(*problem, options);
    if (!solved) {
      err << "error: " << solved.error().message << "\n";
      return kExitFailure;
    }
    result = std::move(*solved);
  }
  // The MILP as last solved (with service-level, the last iteration's), for an auditor.
  if (!flags.write_lp.empty() || !flags.write_mps.empty()) {
    const buy::MilpModel milp = buy::BuildMilp(*problem);
    for (const auto& [file, format] : {std::pair{flags.write_lp, buy::MilpFileFormat::kLp},
                                       std::pair{flags.write_mps, buy::MilpFileFormat::kMps}}) {
      if (file.empty()) continue;
      auto written = buy::WriteMilpFile(milp, file, format);
      if (!written) return ReportBadInput(written.error(), err);
    }
  }
  const std::vector<plan::PartCost> parts = plan::PartCosts(*s, *cat);
  if (flags.csv) {
    const NamedTables tables = BuyTables(*s, *result, parts);
    auto table = SelectTable(tables, flags.table);
    if (!table) return ReportBadInput(table.error(), err);
    out << (*table)->Csv();
  } else if (flags.json) {
    auto j = buy::ResultJson(*s, *problem, *result);
    j["cost_policy"] = plan::CostPolicyJson(*s, parts);
    if (*objective == plan::Objective::kServiceLevel) {
      j["objective_kind"] = "service-level";
      j["service_levels"] = levels;
      j["iterations"] = iterations;
    }
    out << j.dump(2) << "\n";
  } else {
    PrintHuman(*s, *problem, *result, out);
    PrintCostPolicy(*s, parts, out);
    for (const auto& l : levels) {
      out << fmt::format("service level {} p{:.0f} <= {:.0f} h: {:.1f} h in {} ({})\n",
                         l.value("class", l.value("tenant", "")), l["percentile"].get<double>(),
                         l["wait_h"].get<double>(), l["achieved_wait_h"].get<double>(),
                         l["worst_quarter"].get<std::string>(),
                         l["met"].get<bool>() ? "met" : "MISSED");
    }
  }
  const bool has_plan =
      result->status == buy::BuyStatus::kOptimal || result->status == buy::BuyStatus::kFeasible;
  return has_plan ? kExitOk : kExitFailure;
}

}  // namespace

void AddBuyCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<BuyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "buy",
      "which accelerators to buy, how many nodes and when (a MILP solved by COIN-OR CBC)\n\n"
      "Examples:\n"
      "  gpuplan buy                                      # the built-in Korea-like scenario\n"
      "  gpuplan buy --scenario data/scenarios/india.toml --json\n"
      "  gpuplan buy --scenario data/scenarios/tier2-capped.toml --objective min-cost\n"
      "  gpuplan buy --scenario s.toml --time-limit 5 --gap 0.001\n"
      "  gpuplan buy --objective min-cost --write-mps buy.mps   # the MILP, for an auditor\n"
      "\n"
      "max-capacity maximizes delivered H100-equivalent GPU-hours within the budget; min-cost\n"
      "meets every milestone at the least capital plus operating cost. The answer lists the\n"
      "purchases, the capacity, power and TPP timeline, the binding constraints with what\n"
      "relaxing each is worth, and, when no plan exists, the constraints that conflict.\n"
      "Exit 0 with a plan, 1 when infeasible or out of time, 2 on bad input.");
  cmd->add_option("--scenario", flags->scenario,
                  "scenario TOML (default: data/scenarios/korea.toml)");
  AddSetOption(cmd, flags->overrides);
  cmd->add_option("--objective", flags->objective,
                  "max-capacity, min-cost or service-level (simulated waits meet every "
                  "[[service_level]]); default: the scenario's [plan] objective");
  cmd->add_option("--time-limit", flags->time_limit_s, "solver time limit, seconds")
      ->capture_default_str();
  cmd->add_option("--gap", flags->gap, "relative optimality gap to stop at, e.g. 0.001 = 0.1%")
      ->capture_default_str();
  cmd->add_option("--sizing-quantile", flags->sizing_quantile,
                  "size training demand so this quantile (0.05-0.95) of each run's duration "
                  "interval meets its deadline; 0.5: the point estimate")
      ->capture_default_str();
  cmd->add_flag("--no-explain", flags->no_explain,
                "skip the what-if re-solves behind binding values and conflicts");
  cmd->add_option("--write-lp", flags->write_lp,
                  "also write the MILP as solved to this file, CPLEX LP format (COIN-OR's writer)");
  cmd->add_option("--write-mps", flags->write_mps,
                  "also write the MILP as solved to this file, free MPS format (COIN-OR's writer)");
  cmd->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  cmd->add_flag("--csv", flags->csv, "print one table as CSV (--table; money in USD)");
  cmd->add_option("--table", flags->table, TableOptionHelp({"purchases", "capacity", "parts"}));
  cmd->callback([flags, &exit_code, &out, &err] { exit_code = RunBuy(*flags, out, err); });
}

}  // namespace gpuplan::cli
