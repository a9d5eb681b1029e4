// The minister's summary: short sentences in the order a decision is made (what to buy, what it
// costs, what binds, what tenants will wait), built only from the report document.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/format.h"
#include "report/report.h"
#include "units/units.h"

namespace gpuplan::report {

namespace {

using detail::ArrayAt;
using detail::FormatCount;
using detail::FormatDurationS;
using detail::FormatHours;
using detail::FormatMoney;
using detail::FormatNumber;
using detail::FormatPercent;
using detail::Json;
using detail::Money;
using detail::Num;
using detail::NumOr;
using detail::ObjectAt;
using detail::StrOr;

// Sizing lines beyond this many are folded into "and N more".
constexpr size_t kMaxSizingLines = 3;
// Relaxation values from this size up are shown with an SI suffix.
constexpr double kLargeValue = 1e6;

std::string NotAvailable(std::string_view what, const Json* section) {
  const std::string error = section == nullptr ? "" : detail::StageError(*section);
  if (error.empty()) return fmt::format("{}: not available.", what);
  return fmt::format("{}: not available ({}).", what, error);
}

std::string JoinWords(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  if (items.size() == 1) return items[0];
  std::string out;
  for (size_t i = 0; i + 1 < items.size(); ++i) out += (i > 0 ? ", " : "") + items[i];
  return out + " and " + items.back();
}

void ScenarioLines(const Json& report, const Money& money, std::vector<std::string>& lines) {
  const Json* scenario = ObjectAt(report, "scenario");
  if (scenario == nullptr) return;
  const std::string name = StrOr(*scenario, "name", "this scenario");
  const Json& horizon = ArrayAt(*scenario, "horizon");
  std::string line = fmt::format("Plan for {}", name);
  if (horizon.size() >= 2 && horizon.front().is_string() && horizon.back().is_string()) {
    line += fmt::format(" from {} to {} ({} quarters)", horizon.front().get<std::string>(),
                        horizon.back().get<std::string>(), horizon.size());
  }
  if (money.currency != "USD") {
    line += fmt::format("; money in {} at {} {} per US dollar", money.currency,
                        FormatNumber(money.units_per_usd, 4), money.currency);
  }
  lines.push_back(line + ".");
}

void PurchaseLines(const Json& buy, std::vector<std::string>& lines) {
  // One phrase per accelerator, largest first, with the quarters it is ordered in: a minister
  // reads "what and when", the quarter-by-quarter table is in the purchases section.
  struct Buys {
    double gpus = 0;
    std::string vendor, first, last;
  };
  std::map<std::string, Buys> by_accelerator;
  double total_gpus = 0;
  for (const Json& p : ArrayAt(buy, "purchases")) {
    const double gpus = NumOr(p, "gpus", 0);
    if (gpus <= 0) continue;
    total_gpus += gpus;
    Buys& b = by_accelerator[StrOr(p, "accelerator", "GPUs")];
    const std::string quarter = StrOr(p, "quarter", "?");
    b.gpus += gpus;
    b.vendor = StrOr(p, "vendor");
    if (b.first.empty() || quarter < b.first) b.first = quarter;  // "2026Q4" < "2027Q1"
    if (b.last.empty() || quarter > b.last) b.last = quarter;
  }
  if (by_accelerator.empty()) {
    lines.push_back("Buy nothing: the plan needs no new GPUs.");
    return;
  }
  std::vector<std::pair<std::string, Buys>> sorted(by_accelerator.begin(), by_accelerator.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.gpus > b.second.gpus; });
  std::vector<std::string> parts;
  parts.reserve(sorted.size());
  for (const auto& [id, b] : sorted) {
    parts.push_back(fmt::format(
        "{} {}{} {}", FormatCount(b.gpus), id, b.vendor.empty() ? "" : " (" + b.vendor + ")",
        b.first == b.last ? "in " + b.first : "from " + b.first + " to " + b.last));
  }
  lines.push_back(fmt::format("Buy {} GPUs: {}.", FormatCount(total_gpus), JoinWords(parts)));
}

void CostLine(const Json& buy, const Money& money, std::vector<std::string>& lines) {
  const auto total = Num(buy, "total_cost_usd");
  if (!total) return;
  std::string line = fmt::format("It costs {} over the horizon", FormatMoney(*total, money));
  if (auto budget = Num(buy, "budget_usd")) {
    line += fmt::format(" of a {} budget", FormatMoney(*budget, money));
  }
  std::vector<std::string> parts;
  if (auto capex = Num(buy, "capex_usd")) parts.push_back(FormatMoney(*capex, money) + " to buy");
  if (auto opex = Num(buy, "opex_usd")) parts.push_back(FormatMoney(*opex, money) + " to run");
  double rental_usd = 0;
  for (const Json& s : ArrayAt(buy, "spend")) rental_usd += NumOr(s, "rental_usd", 0);
  if (rental_usd > 0) parts.push_back(FormatMoney(rental_usd, money) + " to rent");
  if (!parts.empty()) line += ": " + JoinWords(parts);
  lines.push_back(line + ".");
  // Spent and present value differ only under a discount rate (docs/scenario.md).
  const auto rate = Num(buy, "discount_rate");
  const auto pv = Num(buy, "total_cost_pv_usd");
  if (rate && *rate > 0 && pv) {
    std::string words = fmt::format("At a {:.3g}% discount rate that is {} in today's money",
                                    100 * *rate, FormatMoney(*pv, money));
    if (auto residual = Num(buy, "residual_value_pv_usd"); residual && *residual > 0) {
      words += fmt::format(", {} net of the {} the hardware is still worth at the end",
                           FormatMoney(*pv - *residual, money), FormatMoney(*residual, money));
    }
    lines.push_back(words + ".");
  }
}

void CapacityLine(const Json& buy, std::vector<std::string>& lines) {
  const Json& capacity = ArrayAt(buy, "capacity");
  if (capacity.empty() || !capacity.back().is_object()) return;
  const Json& last = capacity.back();
  std::string line = fmt::format("By {} the center has {} GPUs", StrOr(last, "quarter", "the end"),
                                 FormatCount(NumOr(last, "gpus", 0)));
  if (auto eq = Num(last, "h100_equivalents")) {
    line += fmt::format(" ({} H100-equivalents)", FormatCount(*eq));
  }
  const auto power = Num(last, "power_mw");
  const auto power_cap = Num(last, "power_cap_mw");
  if (power && power_cap && *power_cap > 0) {
    line += fmt::format(", drawing {} MW of its {} MW power cap", FormatNumber(*power),
                        FormatNumber(*power_cap));
  } else if (power) {
    line += fmt::format(", drawing {} MW", FormatNumber(*power));
  }
  const auto tpp = Num(last, "tpp");
  const auto tpp_cap = Num(last, "tpp_cap");
  if (tpp && tpp_cap && *tpp_cap > 0) {
    line += fmt::format(", and using {} of the export-control (TPP) cap",
                        FormatPercent(*tpp / *tpp_cap));
  }
  lines.push_back(line + ".");
}

std::string BindingPhrase(const Json& b) {
  const std::string constraint = StrOr(b, "constraint", "?");
  const std::string description = StrOr(b, "description");
  std::string phrase = detail::ConstraintInWords(constraint);
  if (!description.empty()) phrase += " (" + description + ")";
  return phrase;
}

void BindingLine(const Json& buy, std::vector<std::string>& lines) {
  const Json* binding = detail::Find(buy, "binding");
  if (binding == nullptr || !binding->is_array()) return;
  // The constraints worth most when relaxed first (objective_gain, when the plan gives it);
  // the summary names a few, the engineering section lists them all.
  constexpr size_t kMaxPhrases = 4;
  std::vector<const Json*> sorted;
  for (const Json& b : *binding) {
    if (b.is_object()) sorted.push_back(&b);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) {
    return NumOr(*a, "objective_gain", 0) > NumOr(*b, "objective_gain", 0);
  });
  std::vector<std::string> phrases;
  for (size_t i = 0; i < sorted.size() && i < kMaxPhrases; ++i) {
    phrases.push_back(BindingPhrase(*sorted[i]));
  }
  if (sorted.size() > kMaxPhrases) {
    phrases.push_back(
        fmt::format("{} more (see the engineering section)", sorted.size() - kMaxPhrases));
  }
  if (phrases.empty()) {
    lines.push_back(
        "No budget, power, export or supply constraint binds: demand alone sets the "
        "size of the fleet.");
  } else {
    lines.push_back("What binds: " + JoinWords(phrases) + ".");
  }
}

void InfeasibleLines(const Json& buy, std::vector<std::string>& lines) {
  std::vector<std::string> conflict;
  for (const Json& c : ArrayAt(buy, "conflict")) {
    if (c.is_string()) conflict.push_back(detail::ConstraintInWords(c.get<std::string>()));
  }
  // Two raw names may read the same in words ("budget_2027", "budget_2028").
  conflict.erase(std::unique(conflict.begin(), conflict.end()), conflict.end());
  if (conflict.empty()) {
    lines.push_back(
        "No purchase plan satisfies this scenario: the optimizer found no fleet that "
        "meets every constraint.");
  } else {
    lines.push_back(
        fmt::format("No purchase plan satisfies this scenario: {} cannot all hold "
                    "at once.",
                    JoinWords(conflict)));
  }
  for (const Json& b : ArrayAt(buy, "binding")) {
    std::string phrase = BindingPhrase(b);
    if (auto value = Num(b, "relaxation_value")) {
      // Large limits (budgets, TPP) read better as "1.45T" than as thirteen digits.
      const std::string shown =
          std::fabs(*value) >= kLargeValue ? FormatQuantity(*value) : FormatNumber(*value, 4);
      lines.push_back(fmt::format("Relaxing {} to {} would make a plan possible.", phrase, shown));
    } else {
      lines.push_back(fmt::format("In conflict: {}.", phrase));
    }
  }
  const std::string error = detail::StageError(buy);
  if (!error.empty()) lines.push_back("The optimizer said: " + error + ".");
}

void BuyLines(const Json& report, const Money& money, std::vector<std::string>& lines) {
  const Json* buy = ObjectAt(report, "buy");
  const std::string status = buy == nullptr ? "" : StrOr(*buy, "status");
  if (buy == nullptr || status.empty() || status == "no_solution") {
    lines.push_back(NotAvailable("Procurement", buy));
    if (status == "no_solution" && detail::StageError(*buy).empty()) {
      lines.back() = "Procurement: the optimizer found no plan within its limits.";
    }
    return;
  }
  if (status == "infeasible") {
    InfeasibleLines(*buy, lines);
    return;
  }
  PurchaseLines(*buy, lines);
  CostLine(*buy, money, lines);
  if (status == "feasible" && !detail::BoolOr(*buy, "proven_optimal", false)) {
    std::string line = "This plan is feasible but not proven to be the best";
    if (auto gap = Num(*buy, "gap")) line += fmt::format(" (within {})", FormatPercent(*gap));
    lines.push_back(line + ".");
  }
  CapacityLine(*buy, lines);
  BindingLine(*buy, lines);
}

void SizingLines(const Json& report, const Money& money, std::vector<std::string>& lines) {
  const Json* sizing = detail::Find(report, "sizing");
  if (sizing == nullptr || !sizing->is_array()) {
    lines.push_back(NotAvailable("Workload sizing", sizing));
    return;
  }
  size_t shown = 0;
  for (const Json& s : *sizing) {
    if (!s.is_object()) continue;
    if (shown == kMaxSizingLines) {
      lines.push_back(
          fmt::format("... and {} more workloads (see the sizing table).", sizing->size() - shown));
      break;
    }
    ++shown;
    const std::string workload = StrOr(s, "workload", StrOr(s, "model", "?"));
    const std::string error = detail::StageError(s);
    if (!error.empty()) {
      lines.push_back(fmt::format("Sizing {} failed: {}.", workload, error));
      continue;
    }
    std::string line = fmt::format("Training {}", workload);
    const std::string model = StrOr(s, "model");
    if (!model.empty() && model != workload) line += " (" + model + ")";
    line += fmt::format(" takes {} {} GPUs for {}", FormatCount(NumOr(s, "gpus", 0)),
                        StrOr(s, "accelerator", "?"),
                        FormatDurationS(NumOr(s, "days", 0) * kSecondsPerDay));
    std::vector<std::string> extra;
    if (auto h = Num(s, "gpu_hours")) extra.push_back(FormatCount(*h) + " GPU-hours");
    if (auto usd = Num(s, "cost_usd")) extra.push_back(FormatMoney(*usd, money));
    if (!extra.empty()) line += " (" + JoinWords(extra) + ")";
    lines.push_back(line + ".");
  }
}

void ServingLines(const Json& report, const Money& money, std::vector<std::string>& lines) {
  for (const Json& s : ArrayAt(report, "serving")) {
    if (!s.is_object()) continue;
    const std::string error = detail::StageError(s);
    const std::string workload = StrOr(s, "workload", StrOr(s, "model", "?"));
    if (!error.empty()) {
      lines.push_back(fmt::format("Serving {} could not be sized: {}.", workload, error));
      continue;
    }
    std::string line = fmt::format("Serving {} at {} requests/s needs {} {} GPUs", workload,
                                   FormatNumber(NumOr(s, "requests_per_s", 0)),
                                   FormatCount(NumOr(s, "gpus", 0)), StrOr(s, "accelerator", "?"));
    if (auto usd = Num(s, "usd_per_million_output_tokens")) {
      line += fmt::format(" ({} per million tokens)", FormatMoney(*usd, money));
    }
    lines.push_back(line + ".");
  }
}

std::string ClassName(std::string name) {
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

void SimulationLines(const Json& report, std::vector<std::string>& lines) {
  const Json* sim = ObjectAt(report, "simulation");
  const Json* chosen = sim == nullptr ? nullptr : detail::ChosenPolicy(*sim);
  if (chosen == nullptr) {
    lines.push_back(NotAvailable("Simulation of the tenants' jobs", sim));
    return;
  }
  const std::string policy = StrOr(*chosen, "policy", StrOr(*sim, "policy", "?"));
  std::string line = fmt::format("Under the {} scheduling policy the GPUs are busy {} of the time",
                                 policy, FormatPercent(NumOr(*chosen, "utilization", 0)));
  if (auto useful = Num(*chosen, "useful_utilization")) {
    line += fmt::format(" ({} on work that is kept)", FormatPercent(*useful));
  }
  if (auto jain = Num(*chosen, "jain_index")) {
    line += fmt::format("; fairness between tenants (Jain index, 1 = equal) is {:.2f}", *jain);
  }
  lines.push_back(line + ".");
  if (const Json* per_class = ObjectAt(*chosen, "per_class")) {
    for (const auto& [name, c] : per_class->items()) {
      std::string wait = fmt::format("{} tenants wait {} on average", ClassName(name),
                                     FormatDurationS(NumOr(c, "avg_wait_s", 0)));
      if (auto p95 = Num(c, "p95_wait_s")) {
        wait += fmt::format("; 95 in 100 of their jobs start within {}", FormatDurationS(*p95));
      }
      const auto received = Num(c, "received_share");
      const auto entitled = Num(c, "entitled_share");
      if (received && entitled) {
        wait += fmt::format("; they get {} of the GPU time against {} entitled",
                            FormatPercent(*received), FormatPercent(*entitled));
      }
      lines.push_back(wait + ".");
    }
  }
  // Several policies compared: name the one whose worst-served tenant class has the shortest
  // tail wait. The all-jobs 95th percentile is mostly small tenants' jobs (0 s under fair share
  // while industry's is weeks), so it would crown a policy for the jobs that wait least.
  struct Tail {
    const Json* policy;
    std::string who;  // "industry jobs", or "jobs" without classes
    double p95_s;
  };
  std::vector<Tail> tails;
  for (const Json& p : ArrayAt(*sim, "policies")) {
    std::optional<Tail> worst;
    if (const Json* classes = ObjectAt(p, "per_class")) {
      for (const auto& [name, c] : classes->items()) {
        auto p95 = Num(c, "p95_wait_s");
        if (p95 && (!worst || *p95 > worst->p95_s)) {
          worst = Tail{&p, name + " jobs", *p95};
        }
      }
    }
    if (!worst) {
      if (auto p95 = Num(p, "p95_wait_s")) worst = Tail{&p, "jobs", *p95};
    }
    if (worst) tails.push_back(*worst);
  }
  if (tails.size() > 1) {
    std::stable_sort(tails.begin(), tails.end(),
                     [](const Tail& a, const Tail& b) { return a.p95_s < b.p95_s; });
    std::vector<std::string> others;
    for (size_t i = 1; i < tails.size(); ++i) {
      others.push_back(fmt::format("{} under {}", FormatDurationS(tails[i].p95_s),
                                   StrOr(*tails[i].policy, "policy", "?")));
    }
    lines.push_back(fmt::format(
        "Of {} policies compared, {} serves the longest-waiting tenants best: its {} start "
        "within {} (95th percentile), against {}.",
        tails.size(), StrOr(*tails[0].policy, "policy", "?"), tails[0].who,
        FormatDurationS(tails[0].p95_s), JoinWords(others)));
  }
}

// The other purchase option in one sentence: what it would cost and what tenants would wait.
void PurchaseOptionLine(const Json& report, const Money& money, std::vector<std::string>& lines) {
  const Json* plan = nullptr;
  const Json* other = nullptr;
  for (const Json& o : ArrayAt(report, "purchase_options")) {
    if (!o.is_object()) continue;
    (detail::BoolOr(o, "is_plan", false) ? plan : other) = &o;
  }
  if (plan == nullptr || other == nullptr) return;
  const auto cost = Num(*other, "total_cost_usd");
  const auto plan_cost = Num(*plan, "total_cost_usd");
  if (!cost || !plan_cost) return;
  const std::string objective = StrOr(*other, "objective");
  const std::string what =
      objective == "min-cost"        ? "The cheapest fleet that meets the milestones and demand"
      : objective == "service-level" ? "The cheapest fleet that meets the service levels"
                                     : "The most capacity the budget buys";
  std::string line = fmt::format("{} would cost {} instead of {}", what, FormatMoney(*cost, money),
                                 FormatMoney(*plan_cost, money));
  const auto wait = Num(*other, "avg_wait_s");
  const auto plan_wait = Num(*plan, "avg_wait_s");
  if (wait && plan_wait) {
    line += fmt::format(", with a mean wait of {} instead of {}", FormatDurationS(*wait),
                        FormatDurationS(*plan_wait));
    const auto p99 = Num(*other, "p99_wait_s");
    const auto plan_p99 = Num(*plan, "p99_wait_s");
    if (p99 && plan_p99) {
      line += fmt::format(" (99th percentile {} instead of {})", FormatDurationS(*p99),
                          FormatDurationS(*plan_p99));
    }
  }
  lines.push_back(line + ".");
}

// "industry" or "tenant kisti": who a service-level row is about.
std::string WhoOf(const Json& row) {
  const std::string cls = StrOr(row, "class");
  return cls.empty() ? "tenant " + StrOr(row, "tenant", "?") : cls;
}

const Json* ServiceLevelOf(const Json& report, const std::string& who) {
  for (const Json& sl : ArrayAt(report, "service_levels")) {
    if (StrOr(sl, "class", StrOr(sl, "tenant")) == who) return &sl;
  }
  return nullptr;
}

// The lead: the worst-served class's wait against its target, how busy the GPUs are, what a
// useful H100-equivalent hour costs, and what is left of the budget (docs/report.md, headline).
void HeadlineLines(const Json& report, const Money& money, std::vector<std::string>& lines) {
  const Json* h = ObjectAt(report, "headline");
  if (h == nullptr) return;
  if (auto wait_h = Num(*h, "worst_wait_h")) {
    const std::string who = StrOr(*h, "worst_class", "the worst-served class");
    std::string line =
        fmt::format("Worst service: {} jobs wait up to {} ({} percentile)", who,
                    FormatHours(*wait_h), detail::Ordinal(NumOr(*h, "worst_percentile", 95)));
    if (const Json* sl = ServiceLevelOf(report, who)) {
      if (auto target = Num(*sl, "wait_h")) {
        const bool met = detail::BoolOr(*sl, "met", *wait_h <= *target);
        const std::string from = StrOr(*sl, "from");
        // Without the window's own figure, "20 days against 48 h: met" reads as a contradiction.
        if (const auto achieved = detail::WindowWaitH(*sl, *wait_h)) {
          line += fmt::format(
              " over the horizon; from {}, when its target of {} applies, up to {}: {}", from,
              FormatHours(*target), FormatHours(*achieved), met ? "met" : "missed");
        } else {
          line += fmt::format(" against a target of {}{}: {}", FormatHours(*target),
                              from.empty() ? "" : " from " + from, met ? "met" : "missed");
        }
        const std::string quarter = StrOr(*sl, "worst_quarter");
        if (!met && !quarter.empty()) line += " (worst in " + quarter + ")";
      }
    }
    lines.push_back(line + ".");
  }
  std::vector<std::string> parts;
  if (auto u = Num(*h, "utilization")) {
    parts.push_back(fmt::format(
        "the GPUs are busy {} of the installed GPU-hours within the horizon", FormatPercent(*u)));
  }
  if (auto cost = Num(*h, "usd_per_useful_h100_hour")) {
    parts.push_back(
        fmt::format("each useful H100-equivalent GPU-hour costs {}", FormatMoney(*cost, money)));
  }
  if (!parts.empty()) {
    std::string line = JoinWords(parts);
    line[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(line[0])));
    lines.push_back(line + ".");
  }
  if (auto unspent = Num(*h, "unspent_budget_usd")) {
    if (*unspent > 0) {
      lines.push_back(
          fmt::format("{} of the budget is left unspent.", FormatMoney(*unspent, money)));
    } else {
      lines.push_back("The whole budget is spent.");
    }
  }
}

// "Service levels: 2 of 3 met; missed: industry (95th percentile 61.5 h against 48 h, worst in
// 2026Q4)."
void ServiceLevelLines(const Json& report, std::vector<std::string>& lines) {
  const Json& levels = ArrayAt(report, "service_levels");
  if (levels.empty()) return;
  size_t met = 0, known = 0;
  std::vector<std::string> missed;
  for (const Json& sl : levels) {
    const Json* m = detail::Find(sl, "met");
    if (m == nullptr || !m->is_boolean()) continue;
    ++known;
    if (m->get<bool>()) {
      ++met;
      continue;
    }
    std::string phrase = WhoOf(sl);
    const auto achieved = Num(sl, "achieved_wait_h");
    const auto target = Num(sl, "wait_h");
    // The headline's worst class was already said in full, one line up.
    const Json* h = ObjectAt(report, "headline");
    const bool said = h != nullptr && Num(*h, "worst_wait_h") && StrOr(*h, "worst_class") == phrase;
    if (said) {
      phrase += " (above)";
    } else if (achieved && target) {
      phrase +=
          fmt::format(" ({} percentile {} against {}", detail::Ordinal(NumOr(sl, "percentile", 95)),
                      FormatHours(*achieved), FormatHours(*target));
      const std::string quarter = StrOr(sl, "worst_quarter");
      phrase += quarter.empty() ? ")" : ", worst in " + quarter + ")";
    }
    missed.push_back(phrase);
  }
  if (known == 0) return;
  std::string line = fmt::format("Service levels: {} of {} met", met, known);
  if (!missed.empty()) line += "; missed: " + JoinWords(missed);
  lines.push_back(line + ".");
}

// The service-level search in one sentence: how many solves, and how it ended.
void IterationsLine(const Json& buy, std::vector<std::string>& lines) {
  const Json& iterations = ArrayAt(buy, "iterations");
  if (iterations.empty() || !iterations.back().is_object()) return;
  const Json& last = iterations.back();
  std::string line = fmt::format("The service-level search solved and simulated {} time{}",
                                 iterations.size(), iterations.size() == 1 ? "" : "s");
  const std::string action = StrOr(last, "action");
  if (!action.empty()) line += "; last: " + action;
  if (line.back() != '.') line += ".";
  lines.push_back(line);
}

// What more money buys: the cheapest and the dearest plan of the frontier, and how the waits of
// the worst-served class change between them.
void FrontierLine(const Json& report, const Money& money, std::vector<std::string>& lines) {
  const Json* first = nullptr;
  const Json* last = nullptr;
  for (const Json& f : ArrayAt(report, "frontier")) {
    if (!Num(f, "total_cost_usd")) continue;
    if (first == nullptr || *Num(f, "total_cost_usd") < *Num(*first, "total_cost_usd")) first = &f;
    if (last == nullptr || *Num(f, "total_cost_usd") >= *Num(*last, "total_cost_usd")) last = &f;
  }
  if (first == nullptr || first == last) return;
  const auto lo = *Num(*first, "total_cost_usd");
  const auto hi = *Num(*last, "total_cost_usd");
  std::string line = fmt::format("From the cheapest plan ({}) to the dearest ({})",
                                 FormatMoney(lo, money), FormatMoney(hi, money));
  const Json* h = ObjectAt(report, "headline");
  const std::string who = h == nullptr ? "" : StrOr(*h, "worst_class");
  const Json* a = ObjectAt(*first, "per_class");
  const Json* b = ObjectAt(*last, "per_class");
  const Json* ca = a == nullptr || who.empty() ? nullptr : ObjectAt(*a, who);
  const Json* cb = b == nullptr || who.empty() ? nullptr : ObjectAt(*b, who);
  if (ca != nullptr && cb != nullptr && Num(*ca, "wait_h") && Num(*cb, "wait_h")) {
    line += fmt::format(", the {} percentile wait of {} goes from {} to {}",
                        detail::Ordinal(NumOr(*cb, "percentile", 95)), who,
                        FormatHours(*Num(*ca, "wait_h")), FormatHours(*Num(*cb, "wait_h")));
  } else {
    line += " the waits change as in the frontier table";
  }
  lines.push_back(line + " (see \"What more money buys\").");
}

void DrainLine(const Json& report, std::vector<std::string>& lines) {
  const Json* sim = ObjectAt(report, "simulation");
  const auto drain = sim == nullptr ? std::nullopt : Num(*sim, "drain_s");
  if (!drain) return;
  lines.push_back(fmt::format(
      "Waits are over the jobs submitted within the horizon; they all finish {} after its end.",
      FormatDurationS(*drain)));
}

// Warnings in full (the terminal shows no page): the first few, then a count.
void WarningLines(const Json& report, std::vector<std::string>& lines) {
  constexpr size_t kMaxWarnings = 3;
  const Json& warnings = ArrayAt(report, "warnings");
  size_t shown = 0;
  for (const Json& w : warnings) {
    if (shown == kMaxWarnings) {
      lines.push_back(fmt::format("Warning: {} more (see the top of the report page).",
                                  warnings.size() - shown));
      break;
    }
    lines.push_back("Warning: " + (w.is_string() ? w.get<std::string>() : w.dump()) + ".");
    ++shown;
  }
}

}  // namespace

std::vector<std::string> Summarize(const nlohmann::ordered_json& report) {
  std::vector<std::string> lines;
  if (!report.is_object() || report.empty()) {
    lines.push_back("The report is empty: no stage of the plan produced a result.");
    return lines;
  }
  const Money money = detail::MoneyOf(report);
  ScenarioLines(report, money, lines);
  HeadlineLines(report, money, lines);
  ServiceLevelLines(report, lines);
  WarningLines(report, lines);
  BuyLines(report, money, lines);
  if (std::string costs = detail::CostPolicySentence(report, money); !costs.empty()) {
    lines.push_back(std::move(costs));
  }
  if (const Json* buy = ObjectAt(report, "buy")) IterationsLine(*buy, lines);
  FrontierLine(report, money, lines);
  SimulationLines(report, lines);
  DrainLine(report, lines);
  PurchaseOptionLine(report, money, lines);
  SizingLines(report, money, lines);
  ServingLines(report, money, lines);
  return lines;
}

}  // namespace gpuplan::report
