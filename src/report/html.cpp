// report.html: one self-contained page. Layout: a header, then one section per reader
// (minister: summary, key figures, purchases and fleet charts; operator: waits, utilization,
// fairness; engineer: sizing, serving, constraints, warnings, raw JSON), then the data and the
// scripts. Every piece of text from the document goes through HtmlEscape; the data goes into
// <script type="application/json"> through ScriptSafeJson, so no string can end a script.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "report/charts.h"
#include "report/format.h"
#include "report/page_assets.h"
#include "report/report.h"
#include "units/units.h"

namespace gpuplan::report {

namespace {

using detail::ArrayAt;
using detail::ChartSpec;
using detail::FormatCount;
using detail::FormatDurationS;
using detail::FormatNumber;
using detail::FormatPercent;
using detail::HtmlEscape;
using detail::Json;
using detail::Num;
using detail::NumOr;
using detail::ObjectAt;
using detail::StrOr;

// A table cell for an optional number, right-aligned; "–" when absent.
template <typename F>
std::string NumCell(const Json& row, std::string_view key, F format) {
  const auto v = Num(row, key);
  return fmt::format("<td class=\"num\">{}</td>", v ? HtmlEscape(format(*v)) : "\u2013");
}

std::string TextCell(std::string_view text) { return "<td>" + HtmlEscape(text) + "</td>"; }

std::string HeaderRow(const std::vector<std::pair<std::string, bool>>& columns) {
  std::string out = "<tr>";
  for (const auto& [name, is_num] : columns) {
    out += fmt::format("<th{}>{}</th>", is_num ? " class=\"num\"" : "", HtmlEscape(name));
  }
  return out + "</tr>";
}

std::string Table(const std::string& header, const std::string& body) {
  return "<div class=\"table-wrap\"><table><thead>" + header + "</thead><tbody>" + body +
         "</tbody></table></div>\n";
}

// "<what>: not available", with the stage's error when there is one.
std::string NotAvailableHtml(std::string_view what, const Json* section) {
  const std::string error = section == nullptr ? "" : detail::StageError(*section);
  std::string out = "<p class=\"na\">" + HtmlEscape(what) + ": not available";
  if (!error.empty()) out += " <span class=\"err\">(" + HtmlEscape(error) + ")</span>";
  return out + ".</p>\n";
}

std::string ChartFigure(const ChartSpec& c) {
  return fmt::format(
      "<figure class=\"chart\"><h4>{}</h4><figcaption>{}</figcaption>"
      "<div class=\"canvas-box\"><canvas id=\"{}\" role=\"img\" aria-label=\"{}\"></canvas></div>"
      "</figure>\n",
      HtmlEscape(c.title), HtmlEscape(c.caption), HtmlEscape(c.id), HtmlEscape(c.title));
}

std::string ChartGrid(const std::vector<ChartSpec>& charts, detail::Place place) {
  std::string out;
  for (const ChartSpec& c : charts) {
    if (c.place == place) out += ChartFigure(c);
  }
  return out.empty() ? "" : "<div class=\"charts\">\n" + out + "</div>\n";
}

std::string Header(const Json& report) {
  const Json* scenario = ObjectAt(report, "scenario");
  const Json empty = Json::object();
  const Json& s = scenario == nullptr ? empty : *scenario;
  std::string sub;
  const std::string description = StrOr(s, "description");
  if (!description.empty()) sub += HtmlEscape(description);
  const Json& horizon = ArrayAt(s, "horizon");
  if (!horizon.empty() && horizon.front().is_string() && horizon.back().is_string()) {
    sub += (sub.empty() ? "" : " &middot; ") +
           HtmlEscape(fmt::format("{} to {}", horizon.front().get<std::string>(),
                                  horizon.back().get<std::string>()));
  }
  // The scenario's file path is machine detail: it stays in report.json, out of the header.
  const detail::Money money = detail::MoneyOf(report);
  if (money.currency != "USD") {
    sub += (sub.empty() ? "" : " &middot; ") +
           HtmlEscape(fmt::format("money in {} ({} per US dollar)", money.currency,
                                  FormatNumber(money.units_per_usd, 4)));
  }
  return fmt::format(
      "<header><h1>GPU plan: {}</h1><p class=\"sub\">{}</p>\n"
      "<nav><a href=\"#minister\">Summary</a><a href=\"#service\">Service levels</a>"
      "<a href=\"#operator\">Operations</a><a href=\"#engineer\">Engineering</a></nav>\n"
      "</header>\n",
      HtmlEscape(StrOr(s, "name", "unnamed scenario")), sub);
}

std::string Kpi(std::string_view value, std::string_view key, std::string_view css = "") {
  return fmt::format(
      "<div class=\"kpi{}\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
      css.empty() ? "" : " " + std::string(css), HtmlEscape(value), HtmlEscape(key));
}

// The service-level row of a class (or tenant) name, or nullptr.
const Json* ServiceLevelOf(const Json& report, const std::string& name) {
  for (const Json& sl : ArrayAt(report, "service_levels")) {
    if (StrOr(sl, "class", StrOr(sl, "tenant")) == name) return &sl;
  }
  return nullptr;
}

// The worst-served class's wait: headline.worst_* when present, else the class with the
// longest 95th-percentile wait under the chosen policy (an older document).
std::string WorstClassKpi(const Json& report) {
  const Json* headline = ObjectAt(report, "headline");
  std::string name;
  double percentile = 95;
  std::optional<double> wait_h;
  if (headline != nullptr && Num(*headline, "worst_wait_h")) {
    name = StrOr(*headline, "worst_class");
    percentile = NumOr(*headline, "worst_percentile", 95);
    wait_h = Num(*headline, "worst_wait_h");
  } else if (const Json* sim = ObjectAt(report, "simulation")) {
    const Json* chosen = detail::ChosenPolicy(*sim);
    const Json* per_class = chosen == nullptr ? nullptr : ObjectAt(*chosen, "per_class");
    if (per_class == nullptr) return "";
    for (const auto& [cls, c] : per_class->items()) {
      const auto p95 = Num(c, "p95_wait_s");
      if (p95 && (!wait_h || *p95 / kSecondsPerHour > *wait_h)) {
        name = cls;
        wait_h = *p95 / kSecondsPerHour;
      }
    }
  }
  if (!wait_h) return "";
  std::string key = fmt::format("{}-percentile wait of the worst-served class{}",
                                detail::Ordinal(percentile), name.empty() ? "" : ", " + name);
  std::string css;
  if (const Json* sl = ServiceLevelOf(report, name)) {
    if (auto target = Num(*sl, "wait_h")) {
      const bool met = detail::BoolOr(*sl, "met", *wait_h <= *target);
      const std::string from = StrOr(*sl, "from");
      if (const auto achieved = detail::WindowWaitH(*sl, *wait_h)) {
        key += fmt::format(" over the horizon (from {}: {} against a target of {}: {})", from,
                           detail::FormatHours(*achieved), detail::FormatHours(*target),
                           met ? "met" : "missed");
      } else {
        key += fmt::format(" (target {}{}: {})", detail::FormatHours(*target),
                           from.empty() ? "" : " from " + from, met ? "met" : "missed");
      }
      css = met ? "good" : "bad";
    }
  }
  return Kpi(detail::FormatHours(*wait_h), key, css);
}

std::string Kpis(const Json& report) {
  const detail::Money money = detail::MoneyOf(report);
  const Json empty = Json::object();
  const Json* headline_ptr = ObjectAt(report, "headline");
  const Json& headline = headline_ptr == nullptr ? empty : *headline_ptr;
  const Json* buy = ObjectAt(report, "buy");
  std::string out = WorstClassKpi(report);
  if (auto u = Num(headline, "utilization")) {
    out += Kpi(FormatPercent(*u), "of the installed GPU-hours busy within the horizon");
  } else if (const Json* sim = ObjectAt(report, "simulation")) {
    if (const Json* p = detail::ChosenPolicy(*sim)) {
      if (auto pu = Num(*p, "utilization")) out += Kpi(FormatPercent(*pu), "GPU utilization");
    }
  }
  if (auto usd = Num(headline, "usd_per_useful_h100_hour")) {
    out += Kpi(detail::FormatMoney(*usd, money), "per useful H100-equivalent GPU-hour");
  }
  auto unspent = Num(headline, "unspent_budget_usd");
  if (!unspent && buy != nullptr) unspent = Num(*buy, "unspent_budget_usd");
  if (unspent) out += Kpi(detail::FormatMoney(*unspent, money), "of the budget left unspent");
  auto total = Num(headline, "total_cost_usd");
  if (!total && buy != nullptr) total = Num(*buy, "total_cost_usd");
  if (total) out += Kpi(detail::FormatMoney(*total, money), "total cost over the horizon");
  if (buy != nullptr) {
    const Json& capacity = ArrayAt(*buy, "capacity");
    if (!capacity.empty()) {
      const Json& last = capacity.back();
      if (auto gpus = Num(last, "gpus")) {
        out += Kpi(FormatCount(*gpus), "GPUs by " + StrOr(last, "quarter", "the end"));
      }
      if (auto eq = Num(last, "h100_equivalents")) out += Kpi(FormatCount(*eq), "H100-equivalents");
      // power_mw is facility power (IT x PUE), what the facility's cap limits.
      if (auto mw = Num(last, "power_mw")) {
        out += Kpi(FormatNumber(*mw) + " MW", "power drawn (with cooling)");
      }
    }
  }
  return out.empty() ? "" : "<div class=\"kpis\">" + out + "</div>\n";
}

// Lines that say something failed or could not be satisfied are shown in red.
bool IsProblem(const std::string& line) {
  static constexpr const char* kMarks[] = {"not available", "No purchase plan", "failed",
                                           "could not",     "Relaxing",         "In conflict",
                                           "missed"};
  return std::any_of(std::begin(kMarks), std::end(kMarks),
                     [&line](const char* m) { return line.find(m) != std::string::npos; });
}

// A money cell in the scenario's currency.
std::string MoneyCell(const Json& row, std::string_view key, const detail::Money& money) {
  return NumCell(row, key, [&money](double usd) { return detail::FormatMoney(usd, money); });
}

std::string HoursCell(const Json& row, std::string_view key) {
  return NumCell(row, key, detail::FormatHours);
}

// Met or missed, in words and colour (never colour alone); "–" when the row does not say.
std::string MetCell(const Json& row, std::string_view key) {
  const Json* v = detail::Find(row, key);
  if (v == nullptr || !v->is_boolean()) return "<td>\u2013</td>";
  return v->get<bool>() ? "<td class=\"met\">\u2713 met</td>"
                        : "<td class=\"missed\">\u2717 missed</td>";
}

// Every warning, above the summary: a reader must not miss an over-demanded quarter.
std::string WarningsBox(const Json& report) {
  const Json& warnings = ArrayAt(report, "warnings");
  if (warnings.empty()) return "";
  std::string out = fmt::format(
      "<div class=\"warnings-box\" id=\"warnings\" role=\"alert\"><h3>{} warning{}</h3><ul>",
      warnings.size(), warnings.size() == 1 ? "" : "s");
  for (const Json& w : warnings) {
    out += "<li>" + HtmlEscape(w.is_string() ? w.get<std::string>() : w.dump()) + "</li>";
  }
  return out + "</ul></div>\n";
}

std::string PurchasesTable(const Json& buy, const detail::Money& money) {
  const Json& purchases = ArrayAt(buy, "purchases");
  if (purchases.empty()) return "";
  std::string body;
  for (const Json& p : purchases) {
    body += "<tr>" + TextCell(StrOr(p, "quarter")) + TextCell(StrOr(p, "accelerator")) +
            TextCell(StrOr(p, "vendor")) + NumCell(p, "nodes", FormatCount) +
            NumCell(p, "gpus", FormatCount) + MoneyCell(p, "capex_usd", money) + "</tr>";
  }
  return "<h3>Purchases</h3>\n" + Table(HeaderRow({{"quarter", false},
                                                   {"accelerator", false},
                                                   {"vendor", false},
                                                   {"nodes", true},
                                                   {"GPUs", true},
                                                   {"capex", true}}),
                                        body);
}

// The purchase plan beside the other objective's (docs/report.md, purchase_options).
std::string PurchaseOptionsTable(const Json& report, const detail::Money& money) {
  const Json& options = ArrayAt(report, "purchase_options");
  if (options.empty()) return "";
  std::string body;
  for (const Json& o : options) {
    const bool is_plan = detail::BoolOr(o, "is_plan", false);
    const std::string name = StrOr(o, "objective", "?") + (is_plan ? " (this plan)" : "");
    body += std::string(is_plan ? "<tr class=\"chosen\">" : "<tr>") + TextCell(name) +
            TextCell(StrOr(o, "status", StrOr(o, "error", "\u2013"))) +
            MoneyCell(o, "total_cost_usd", money) + NumCell(o, "final_gpus", FormatCount) +
            NumCell(o, "final_h100_equivalents", FormatCount) +
            NumCell(o, "utilization", FormatPercent) + NumCell(o, "avg_wait_s", FormatDurationS) +
            NumCell(o, "p99_wait_s", FormatDurationS) + "</tr>";
  }
  return "<h3>Purchase options compared</h3>\n<p class=\"who\">The report's plan beside the "
         "other objectives' (the most capacity within the budget, the cheapest fleet that meets "
         "the milestones and demand): the same jobs simulated on each.</p>\n" +
         Table(HeaderRow({{"objective", false},
                          {"status", false},
                          {"total cost", true},
                          {"GPUs at the end", true},
                          {"H100-equivalents", true},
                          {"utilization", true},
                          {"mean wait", true},
                          {"p99 wait", true}}),
               body);
}

// Target against achieved for each service level, worst quarter first to read.
std::string ServiceLevelsTable(const Json& report) {
  const Json& levels = ArrayAt(report, "service_levels");
  if (levels.empty()) return "";
  std::string body;
  size_t met = 0;
  for (const Json& sl : levels) {
    const std::string cls = StrOr(sl, "class");
    const std::string who = cls.empty() ? "tenant " + StrOr(sl, "tenant", "?") : cls;
    const auto percentile = Num(sl, "percentile");
    met += detail::BoolOr(sl, "met", false) ? 1 : 0;
    body += std::string(detail::BoolOr(sl, "met", true) ? "<tr>" : "<tr class=\"missed-row\">") +
            TextCell(who) + TextCell(percentile ? detail::Ordinal(*percentile) : "\u2013") +
            HoursCell(sl, "wait_h") + HoursCell(sl, "achieved_wait_h") +
            TextCell(StrOr(sl, "worst_quarter", "\u2013")) + TextCell(StrOr(sl, "from", "\u2013")) +
            MetCell(sl, "met") + "</tr>";
  }
  return fmt::format(
             "<p class=\"who\">{} of {} service levels met. Each row: the share of jobs "
             "(percentile) that must start within the target wait, in every quarter from "
             "'from' on; achieved is the wait of the worst such quarter.</p>\n",
             met, levels.size()) +
         Table(HeaderRow({{"class or tenant", false},
                          {"percentile", false},
                          {"target wait", true},
                          {"achieved (worst quarter)", true},
                          {"worst quarter", false},
                          {"from", false},
                          {"status", false}}),
               body);
}

// The frontier: for each budget the cheapest plan, what it costs, and what each class waits.
std::string FrontierTable(const Json& report, const detail::Money& money) {
  const Json& frontier = ArrayAt(report, "frontier");
  if (frontier.empty()) return "";
  std::vector<std::string> classes;
  for (const Json& f : frontier) {
    if (const Json* per_class = ObjectAt(f, "per_class")) {
      for (const auto& [name, c] : per_class->items()) {
        if (std::find(classes.begin(), classes.end(), name) == classes.end()) {
          classes.push_back(name);
        }
      }
    }
  }
  std::vector<std::pair<std::string, bool>> columns = {
      {"budget", true},          {"total cost", true},  {"status", false},
      {"GPUs at the end", true}, {"utilization", true}, {"all targets", false}};
  for (const std::string& name : classes) columns.push_back({name + " wait", true});
  std::string body;
  for (const Json& f : frontier) {
    body += "<tr>" + MoneyCell(f, "budget_usd", money) + MoneyCell(f, "total_cost_usd", money) +
            TextCell(StrOr(f, "status", StrOr(f, "error", "\u2013"))) +
            NumCell(f, "final_gpus", FormatCount) + NumCell(f, "utilization", FormatPercent) +
            MetCell(f, "met_all");
    const Json* per_class = ObjectAt(f, "per_class");
    for (const std::string& name : classes) {
      const Json* c = per_class == nullptr ? nullptr : ObjectAt(*per_class, name);
      const auto wait_h = c == nullptr ? std::nullopt : Num(*c, "wait_h");
      const auto percentile = c == nullptr ? std::nullopt : Num(*c, "percentile");
      body += "<td class=\"num\">" +
              (wait_h ? HtmlEscape(detail::FormatHours(*wait_h) +
                                   (percentile ? " (p" + FormatNumber(*percentile) + ")" : ""))
                      : std::string("\u2013")) +
              "</td>";
    }
    body += "</tr>";
  }
  return "<p class=\"who\">The cheapest plan within each budget, from the cheapest plan to the "
         "full budget, simulated on the same jobs: what each extra unit of money buys in "
         "waits.</p>\n" +
         Table(HeaderRow(columns), body);
}

std::string MinisterSection(const Json& report, const std::vector<ChartSpec>& charts) {
  const detail::Money money = detail::MoneyOf(report);
  std::string out =
      "<section class=\"reader\" id=\"minister\"><h2>Summary</h2>\n<p class=\"who\">For decision "
      "makers: what tenants will wait against what they were promised, how busy the GPUs are, "
      "what it costs, what to buy and when, what limits the plan.</p>\n" +
      WarningsBox(report) + Kpis(report) + "<ul class=\"summary\">\n";
  for (const std::string& line : Summarize(report)) {
    if (line.rfind("Warning: ", 0) == 0) continue;  // the warnings box above has them all
    out += fmt::format("<li{}>{}</li>\n", IsProblem(line) ? " class=\"problem\"" : "",
                       HtmlEscape(line));
  }
  out += "</ul>\n";
  const std::string service_table = ServiceLevelsTable(report);
  const std::string service_grid = ChartGrid(charts, detail::Place::kService);
  if (!service_table.empty() || !service_grid.empty()) {
    out += "<h3 id=\"service\">Service levels: promised and achieved</h3>\n" + service_table +
           service_grid;
  }
  const std::string frontier_table = FrontierTable(report, money);
  const std::string frontier_grid = ChartGrid(charts, detail::Place::kFrontier);
  if (!frontier_table.empty() || !frontier_grid.empty()) {
    out += "<h3>What more money buys</h3>\n" + frontier_table + frontier_grid;
  }
  const Json* buy = ObjectAt(report, "buy");
  if (buy == nullptr) {
    out += NotAvailableHtml("Procurement", nullptr);
  } else {
    out += PurchasesTable(*buy, money) + PurchaseOptionsTable(report, money);
    const std::string grid = ChartGrid(charts, detail::Place::kFleet);
    if (grid.empty()) {
      out += NotAvailableHtml("Fleet and spend charts", buy);
    } else {
      out += "<h3>Fleet, power, export cap and spend</h3>\n" + grid;
    }
  }
  return out + "</section>\n";
}

// What the center was asked to run: every tenant, workload run and service that entered the
// simulated queue, with its share of the demanded GPU-hours.
std::string DemandTable(const Json& sim) {
  const Json& demand = ArrayAt(sim, "demand");
  if (demand.empty()) return "";
  double total_h = 0;
  for (const Json& d : demand) total_h += std::max(0.0, NumOr(d, "gpu_hours", 0));
  std::string body;
  for (const Json& d : demand) {
    const auto h = Num(d, "gpu_hours");
    body += "<tr>" + TextCell(StrOr(d, "name", "?")) + TextCell(StrOr(d, "kind", "\u2013")) +
            TextCell(StrOr(d, "tenant_class", "\u2013")) + NumCell(d, "jobs", FormatCount) +
            NumCell(d, "gpu_hours", FormatCount) + "<td class=\"num\">" +
            (h && total_h > 0 ? HtmlEscape(FormatPercent(*h / total_h)) : "\u2013") + "</td></tr>";
  }
  return "<h3>Demand simulated</h3>\n<p class=\"who\">Every tenant's jobs, every training run "
         "of a workload and every service's reserved GPUs enter the same simulated queue.</p>\n" +
         Table(HeaderRow({{"name", false},
                          {"kind", false},
                          {"class", false},
                          {"jobs", true},
                          {"GPU-hours", true},
                          {"share of GPU-hours", true}}),
               body);
}

std::string PerClassTable(const Json& policy) {
  const Json* per_class = ObjectAt(policy, "per_class");
  if (per_class == nullptr || per_class->empty()) return "";
  std::string body;
  for (const auto& [name, c] : per_class->items()) {
    body += "<tr>" + TextCell(name) + NumCell(c, "jobs", FormatCount) +
            NumCell(c, "avg_wait_s", FormatDurationS) + NumCell(c, "p50_wait_s", FormatDurationS) +
            NumCell(c, "p95_wait_s", FormatDurationS) + NumCell(c, "p99_wait_s", FormatDurationS) +
            NumCell(c, "gpu_hours", FormatCount) + NumCell(c, "entitled_share", FormatPercent) +
            NumCell(c, "received_share", FormatPercent) + "</tr>";
  }
  return fmt::format("<h3>Tenant classes under the {} policy</h3>\n",
                     HtmlEscape(StrOr(policy, "policy", "chosen"))) +
         Table(HeaderRow({{"class", false},
                          {"jobs", true},
                          {"mean wait", true},
                          {"median wait", true},
                          {"p95 wait", true},
                          {"p99 wait", true},
                          {"GPU-hours", true},
                          {"entitled share of the center", true},
                          {"received share of the center", true}}),
               body);
}

std::string PoliciesTable(const Json& sim) {
  const Json& policies = ArrayAt(sim, "policies");
  if (policies.empty()) return "";
  const std::string chosen = StrOr(sim, "policy");
  std::string body;
  for (const Json& p : policies) {
    const std::string name = StrOr(p, "policy", "?");
    body += std::string(name == chosen ? "<tr class=\"chosen\">" : "<tr>") + TextCell(name) +
            NumCell(p, "jobs", FormatCount) + NumCell(p, "completed", FormatCount) +
            NumCell(p, "utilization", FormatPercent) +
            NumCell(p, "useful_utilization", FormatPercent) + NumCell(p, "goodput", FormatPercent) +
            NumCell(p, "avg_wait_s", FormatDurationS) + NumCell(p, "p50_wait_s", FormatDurationS) +
            NumCell(p, "p95_wait_s", FormatDurationS) + NumCell(p, "p99_wait_s", FormatDurationS) +
            NumCell(p, "jain_index", [](double v) { return fmt::format("{:.3f}", v); }) + "</tr>";
  }
  return "<h3>Scheduling policies</h3>\n" + Table(HeaderRow({{"policy", false},
                                                             {"jobs", true},
                                                             {"completed", true},
                                                             {"utilization", true},
                                                             {"useful", true},
                                                             {"goodput", true},
                                                             {"mean wait", true},
                                                             {"median wait", true},
                                                             {"p95 wait", true},
                                                             {"p99 wait", true},
                                                             {"Jain fairness", true}}),
                                                  body);
}

std::string OperatorSection(const Json& report, const std::vector<ChartSpec>& charts) {
  std::string out =
      "<section class=\"reader\" id=\"operator\"><h2>Operations</h2>\n<p class=\"who\">For the "
      "operator: how long each tenant class waits, how busy the GPUs are, how fair the sharing "
      "is.</p>\n";
  const Json* sim = ObjectAt(report, "simulation");
  const Json* chosen = sim == nullptr ? nullptr : detail::ChosenPolicy(*sim);
  if (chosen == nullptr) return out + NotAvailableHtml("Simulation", sim) + "</section>\n";
  if (!detail::StageError(*sim).empty()) out += NotAvailableHtml("Part of the simulation", sim);
  if (auto drain = Num(*sim, "drain_s")) {
    out += "<p>" +
           HtmlEscape(fmt::format("Every figure is over the jobs submitted within the horizon; "
                                  "they all finish {} after its end (the drain).",
                                  FormatDurationS(*drain))) +
           "</p>\n";
  }
  out += DemandTable(*sim) + PerClassTable(*chosen) + PoliciesTable(*sim);
  const std::string grid = ChartGrid(charts, detail::Place::kOperator);
  if (!grid.empty()) out += "<h3>Waits and utilization</h3>\n" + grid;
  return out + "</section>\n";
}

std::string Parallelism(const Json& s) {
  const Json* p = ObjectAt(s, "parallelism");
  if (p == nullptr) return "\u2013";
  std::string out;
  for (const char* key : {"tp", "pp", "dp", "ep", "cp"}) {
    if (auto v = Num(*p, key)) out += fmt::format("{}{} ", key, FormatCount(*v));
  }
  if (auto mb = Num(*p, "microbatch")) out += fmt::format("mb{} ", FormatCount(*mb));
  if (const Json* r = detail::Find(*p, "recompute")) {
    if (r->is_boolean() && r->get<bool>()) out += "recompute ";
    if (r->is_string()) out += "recompute:" + r->get<std::string>() + " ";
  }
  if (auto z = Num(*p, "zero")) out += fmt::format("zero{} ", FormatCount(*z));
  if (!out.empty()) out.pop_back();
  return out;
}

std::string SizingTable(const Json& report, const detail::Money& money) {
  const Json* sizing = detail::Find(report, "sizing");
  if (sizing == nullptr || !sizing->is_array()) {
    return "<h3>Training workloads</h3>\n" + NotAvailableHtml("Sizing", nullptr);
  }
  std::string body;
  constexpr int kNumColumns = 14;
  for (const Json& s : *sizing) {
    body += "<tr>" + TextCell(StrOr(s, "workload")) + TextCell(StrOr(s, "model"));
    const std::string error = detail::StageError(s);
    if (!error.empty()) {
      body += fmt::format("<td class=\"error\" colspan=\"{}\">not available: {}</td></tr>",
                          kNumColumns - 2, HtmlEscape(error));
      continue;
    }
    body += NumCell(s, "params", FormatQuantity) + NumCell(s, "tokens", FormatQuantity) +
            TextCell(StrOr(s, "accelerator")) + NumCell(s, "gpus", FormatCount) +
            NumCell(s, "days", [](double v) { return FormatNumber(v); }) +
            NumCell(s, "gpu_hours", FormatCount) + NumCell(s, "mfu", FormatPercent) +
            NumCell(s, "tflops_per_gpu", [](double v) { return FormatNumber(v); }) +
            NumCell(s, "memory_per_gpu_gib", [](double v) { return FormatNumber(v); }) +
            "<td class=\"wrap\">" + HtmlEscape(Parallelism(s)) + "</td>" +
            NumCell(s, "energy_mwh", [](double v) { return FormatNumber(v); }) +
            MoneyCell(s, "cost_usd", money) + "</tr>";
  }
  return "<h3>Training workloads</h3>\n" + Table(HeaderRow({{"workload", false},
                                                            {"model", false},
                                                            {"params", true},
                                                            {"tokens", true},
                                                            {"accelerator", false},
                                                            {"GPUs", true},
                                                            {"days", true},
                                                            {"GPU-hours", true},
                                                            {"MFU", true},
                                                            {"TFLOP/s per GPU", true},
                                                            {"GiB per GPU", true},
                                                            {"parallelism", false},
                                                            {"energy MWh", true},
                                                            {"cost", true}}),
                                                 body);
}

std::string ServingTable(const Json& report, const detail::Money& money) {
  const Json& serving = ArrayAt(report, "serving");
  if (serving.empty()) return "";
  std::string body;
  for (const Json& s : serving) {
    body += "<tr>" + TextCell(StrOr(s, "workload")) + TextCell(StrOr(s, "model"));
    const std::string error = detail::StageError(s);
    if (!error.empty()) {
      body +=
          "<td class=\"error\" colspan=\"7\">not available: " + HtmlEscape(error) + "</td></tr>";
      continue;
    }
    body += TextCell(StrOr(s, "accelerator")) +
            NumCell(s, "requests_per_s", [](double v) { return FormatNumber(v); }) +
            NumCell(s, "gpus", FormatCount) + NumCell(s, "tokens_per_s_per_gpu", FormatCount) +
            NumCell(s, "ttft_ms", [](double v) { return FormatNumber(v); }) +
            NumCell(s, "tpot_ms", [](double v) { return FormatNumber(v); }) +
            MoneyCell(s, "usd_per_million_output_tokens", money) + "</tr>";
  }
  return "<h3>Serving workloads</h3>\n" +
         Table(HeaderRow({{"workload", false},
                          {"model", false},
                          {"accelerator", false},
                          {"requests/s", true},
                          {"GPUs", true},
                          {"tokens/s per GPU", true},
                          {"TTFT ms", true},
                          {"TPOT ms", true},
                          {detail::CurrencyLabel(money) + " per M tokens", true}}),
               body);
}

std::string ConstraintsHtml(const Json& report) {
  const Json* buy = ObjectAt(report, "buy");
  if (buy == nullptr)
    return "<h3>Procurement model</h3>\n" + NotAvailableHtml("Procurement", nullptr);
  std::string out = "<h3>Procurement model</h3>\n<p>";
  out += fmt::format("Solver status: <b>{}</b>", HtmlEscape(StrOr(*buy, "status", "unknown")));
  const std::string kind = StrOr(*buy, "objective_kind");
  if (auto obj = Num(*buy, "objective")) {
    out += HtmlEscape(fmt::format("; objective{} {}", kind.empty() ? "" : " (" + kind + ")",
                                  FormatNumber(*obj, 6)));
  }
  // A solve stopped at its requested gap (1e-4 by default) is optimal within it: the gap is
  // shown to two significant digits, since one decimal of a percent would read 0.0%.
  if (auto gap = Num(*buy, "gap")) out += HtmlEscape("; gap " + FormatNumber(100 * *gap, 2) + "%");
  out += detail::BoolOr(*buy, "proven_optimal", false) ? "; proven optimal" : "";
  out += ".</p>\n";
  const std::string error = detail::StageError(*buy);
  if (!error.empty())
    out += "<p class=\"na\"><span class=\"err\">" + HtmlEscape(error) + "</span></p>\n";
  const Json& binding = ArrayAt(*buy, "binding");
  if (!binding.empty()) {
    std::string body;
    for (const Json& b : binding) {
      body += "<tr>" + TextCell(StrOr(b, "constraint")) +
              TextCell(detail::ConstraintInWords(StrOr(b, "constraint"))) +
              "<td style=\"white-space:normal\">" + HtmlEscape(StrOr(b, "description")) + "</td>" +
              NumCell(b, "relaxation_value", [](double v) { return FormatNumber(v, 4); }) + "</tr>";
    }
    out +=
        "<h3>Binding constraints</h3>\n" +
        Table(
            HeaderRow(
                {{"constraint", false}, {"kind", false}, {"meaning", false}, {"relaxed to", true}}),
            body);
  }
  const Json& conflict = ArrayAt(*buy, "conflict");
  if (!conflict.empty()) {
    out += "<h3>Conflicting constraints</h3>\n<ul>";
    for (const Json& c : conflict) {
      if (c.is_string()) out += "<li>" + HtmlEscape(c.get<std::string>()) + "</li>";
    }
    out += "</ul>\n";
  }
  return out;
}

// The service-level search, one row per MILP solve and simulation (buy.iterations).
std::string IterationsTable(const Json& buy, const detail::Money& money) {
  const Json& iterations = ArrayAt(buy, "iterations");
  if (iterations.empty()) return "";
  std::string body;
  for (const Json& it : iterations) {
    std::vector<std::string> missed;
    for (const Json& m : ArrayAt(it, "missed")) {
      // plan writes `who`; `class` or `tenant` name it as service_levels[] do.
      const std::string cls = StrOr(m, "class", StrOr(m, "who"));
      std::string who = cls.empty() ? "tenant " + StrOr(m, "tenant", "?") : cls;
      std::string text = who + " " + StrOr(m, "quarter", "?");
      const auto achieved = Num(m, "achieved_wait_h");
      const auto target = Num(m, "wait_h");
      if (achieved && target) {
        text += ": " + detail::FormatHours(*achieved) + " > " + detail::FormatHours(*target);
      }
      missed.push_back(text);
    }
    std::string missed_text;
    for (const std::string& m : missed) missed_text += (missed_text.empty() ? "" : "; ") + m;
    body += "<tr>" + NumCell(it, "iteration", FormatCount) +
            MoneyCell(it, "total_cost_usd", money) + MetCell(it, "met_all") +
            "<td class=\"wrap\">" + HtmlEscape(missed_text.empty() ? "\u2013" : missed_text) +
            "</td><td class=\"wrap\">" + HtmlEscape(StrOr(it, "action", "\u2013")) + "</td></tr>";
  }
  return "<h3>How the service-level plan was found</h3>\n<p class=\"who\">Each iteration solves "
         "the purchase model, simulates the fleet, and where a quarter misses a target raises "
         "that quarter's capacity and solves again.</p>\n" +
         Table(HeaderRow({{"iteration", true},
                          {"total cost", true},
                          {"all targets", false},
                          {"missed (achieved > target)", false},
                          {"what was done", false}}),
               body);
}

// The raw-data block: a link to the JSON beside the page (when named) and the embedded copy.
std::string RawData(const RenderOptions& options) {
  std::string out = "<p>";
  if (!options.raw_json_href.empty()) {
    out += "The whole document: <a href=\"" + HtmlEscape(options.raw_json_href) + "\">" +
           HtmlEscape(options.raw_json_href) + "</a> (beside this page). ";
  }
  return out +
         "It is also embedded in this page:</p>\n<details class=\"raw\"><summary>Show the raw "
         "JSON</summary><pre id=\"raw-json\"></pre></details>\n";
}

std::string EngineerSection(const Json& report, const RenderOptions& options) {
  std::string out =
      "<section class=\"reader\" id=\"engineer\"><h2>Engineering</h2>\n<p class=\"who\">For the "
      "engineer: how each workload was sized, the parallelism chosen, the constraints of the "
      "procurement model, and the raw data.</p>\n";
  const detail::Money money = detail::MoneyOf(report);
  if (const std::string costs = detail::CostPolicySentence(report, money); !costs.empty()) {
    out += "<p>" + HtmlEscape(costs) + "</p>\n";
  }
  out += SizingTable(report, money) + ServingTable(report, money) + ConstraintsHtml(report);
  if (const Json* buy = ObjectAt(report, "buy")) out += IterationsTable(*buy, money);
  if (!ArrayAt(report, "warnings").empty()) {
    out +=
        "<p>The warnings are listed at the top of the page (<a href=\"#warnings\">"
        "warnings</a>).</p>\n";
  }
  out += "<h3>Raw data</h3>\n" + RawData(options);
  return out + "</section>\n";
}

// Chart.js's text, checked to be inlinable.
Result<std::string> ReadChartJs(const std::string& path) {
  auto library = ReadFile(path);
  if (!library) {
    return Error{
        fmt::format("cannot inline Chart.js: {} (install libjs-chart.js with "
                    "scripts/install-deps.sh, or set the path)",
                    library.error().message)};
  }
  if (library->empty()) return Error{fmt::format("{}: Chart.js file is empty", path)};
  std::string lowered = *library;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lowered.find("</script") != std::string::npos || lowered.find("<!--") != std::string::npos) {
    return Error{fmt::format("{}: contains '</script' or '<!--' and cannot be inlined", path)};
  }
  return library;
}

// The page around a header and a <main>: CSS and the health script in the head, the footer with
// the health element, the document and the chart specs as JSON, Chart.js and the render script.
Result<std::string> Page(std::string_view title, const std::string& header, const std::string& main,
                         std::string_view made_by, const Json& document,
                         const std::vector<ChartSpec>& charts, const RenderOptions& options) {
  auto library = ReadChartJs(options.chart_js_path);
  if (!library) return library.error();
  Json specs = Json::array();
  for (const ChartSpec& c : charts) specs.push_back({{"id", c.id}, {"config", c.config}});
  std::string html;
  html.reserve(library->size() + (1 << 16));
  html +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + HtmlEscape(title) + "</title>\n";
  html += "<style>" + std::string(detail::kPageCss) + "</style>\n";
  html += "<script>" + std::string(detail::kHealthScript) + "</script>\n</head>\n<body>\n";
  html += header;
  html += "<main>\n" + main + "</main>\n";
  // The health element is for tests and for whoever debugs the page: in the footer, never in
  // the header a reader sees first.
  html += "<footer>" +
          HtmlEscape(fmt::format("Made by {}. Charts: Chart.js, inlined; the page makes no "
                                 "network requests.",
                                 made_by)) +
          "<div id=\"report-health\" data-state=\"pending\">charts not drawn yet (scripts did "
          "not run)</div></footer>\n";
  html += "<script type=\"application/json\" id=\"report-data\">" +
          detail::ScriptSafeJson(document) + "</script>\n";
  html += "<script type=\"application/json\" id=\"chart-specs\">" + detail::ScriptSafeJson(specs) +
          "</script>\n";
  html += "<script>\n" + *library + "\n</script>\n";
  html += "<script>" + std::string(detail::kRenderScript) + "</script>\n</body>\n</html>\n";
  return html;
}

// --- the sweep page -------------------------------------------------------------------------

// A sweep result in its metric's form: money, a duration, a share or a number.
std::string SweepValue(const Json& v, const detail::SweepMetric& view, const detail::Money& money) {
  if (!v.is_number()) return "\u2013";
  const double x = v.get<double>();
  if (view.format == "money") return detail::FormatMoney(x, money);
  if (view.format == "duration") return FormatDurationS(x);
  if (view.format == "percent") return FormatPercent(x);
  return FormatNumber(x);
}

std::string SweepCell(const Json& v, const detail::SweepMetric& view, const detail::Money& money) {
  return "<td class=\"num\">" + HtmlEscape(SweepValue(v, view, money)) + "</td>";
}

std::string SweepHeader(const Json& sweep) {
  const Json empty = Json::object();
  const Json* spec_ptr = ObjectAt(sweep, "spec");
  const Json& spec = spec_ptr == nullptr ? empty : *spec_ptr;
  const std::string scenario = StrOr(spec, "scenario");
  const Json& points = ArrayAt(sweep, "points");
  size_t failed = 0;
  for (const Json& p : points) failed += StrOr(p, "status") == "error" ? 1 : 0;
  std::string shape;
  if (const Json* grid = ObjectAt(spec, "grid")) {
    for (const auto& [key, values] : grid->items()) {
      shape += fmt::format("{}{} {}", shape.empty() ? "" : " x ",
                           values.is_array() ? values.size() : 0, key);
    }
    shape = "a grid of " + shape;
  } else {
    shape = fmt::format("{} Monte Carlo samples, seed {}", NumOr(spec, "samples", 0),
                        NumOr(spec, "seed", 0));
  }
  const std::string sub =
      fmt::format("{} points ({}), stage {}{}", points.size(), shape, StrOr(spec, "stage", "?"),
                  failed == 0 ? "" : fmt::format(", {} failed", failed));
  return fmt::format(
      "<header><h1>Sweep: {}</h1><p class=\"sub\">{}</p>\n"
      "<nav><a href=\"#tornado\">What moves the results</a><a href=\"#bands\">Spread across "
      "the points</a><a href=\"#raw\">Raw data</a></nav>\n</header>\n",
      HtmlEscape(scenario.empty() ? "the built-in scenario" : scenario), HtmlEscape(sub));
}

std::string TornadoSection(const Json& sweep, const std::vector<ChartSpec>& charts,
                           const detail::Money& money) {
  std::string out =
      "<section class=\"reader\" id=\"tornado\"><h2>What moves the results</h2>\n<p "
      "class=\"who\">Each input alone at its low and its high value, every other input at the "
      "scenario's own: how far it moves each result from the base (the scenario as it is). "
      "The input with the largest swing is on top.</p>\n";
  const Json* tornado = ObjectAt(sweep, "tornado");
  const Json* metrics = tornado == nullptr ? nullptr : ObjectAt(*tornado, "metrics");
  if (metrics == nullptr) {
    return out + NotAvailableHtml("The tornado (the sweep ran with --no-tornado)", nullptr) +
           "</section>\n";
  }
  out += ChartGrid(charts, detail::Place::kTornado);
  std::string body;
  for (const auto& [metric, t] : metrics->items()) {
    const detail::SweepMetric view = detail::SweepMetricOf(metric);
    for (const Json& bar : ArrayAt(t, "bars")) {
      body += "<tr>" + TextCell(view.title) + TextCell(StrOr(bar, "key")) +
              TextCell(StrOr(bar, "low")) + TextCell(StrOr(bar, "high")) +
              SweepCell(t.value("base", Json()), view, money);
      for (const char* k : {"at_low", "at_high", "swing"}) {
        body += SweepCell(bar.value(k, Json()), view, money);
      }
      body += "</tr>";
    }
  }
  out += "<h3>The bars</h3>\n" + Table(HeaderRow({{"result", false},
                                                  {"input", false},
                                                  {"low", false},
                                                  {"high", false},
                                                  {"base", true},
                                                  {"at low", true},
                                                  {"at high", true},
                                                  {"swing", true}}),
                                       body);
  return out + "</section>\n";
}

std::string BandsSection(const Json& sweep, const std::vector<ChartSpec>& charts,
                         const detail::Money& money) {
  std::string out =
      "<section class=\"reader\" id=\"bands\"><h2>Spread across the points</h2>\n<p "
      "class=\"who\">Over the sweep's grid or sample points: each result's percentiles, and "
      "quarter by quarter the median plan with the 5th to 95th percentile shaded.</p>\n";
  out += ChartGrid(charts, detail::Place::kBands);
  const Json* spec = ObjectAt(sweep, "spec");
  if (spec != nullptr && StrOr(*spec, "stage") == "buy") {
    out +=
        "<p class=\"na\">Waits: not simulated in stage buy (run the sweep with --stage plan).</p>"
        "\n";
  }
  std::string body;
  if (const Json* summary = ObjectAt(sweep, "summary")) {
    for (const auto& [metric, m] : summary->items()) {
      const detail::SweepMetric view = detail::SweepMetricOf(metric);
      body += "<tr>" + TextCell(view.title) + NumCell(m, "count", FormatCount);
      for (const char* k : {"min", "p5", "p50", "p95", "max"}) {
        body += SweepCell(m.value(k, Json()), view, money);
      }
      body += "</tr>";
    }
  }
  if (!body.empty()) {
    out += "<h3>Results across the points</h3>\n" + Table(HeaderRow({{"result", false},
                                                                     {"points", true},
                                                                     {"min", true},
                                                                     {"5th pct", true},
                                                                     {"median", true},
                                                                     {"95th pct", true},
                                                                     {"max", true}}),
                                                          body);
  }
  return out + "</section>\n";
}

// The points, as the CSV has them (the first kMaxPointRows; every one is in the raw data).
constexpr size_t kMaxPointRows = 500;

std::string PointsSection(const Json& sweep, const detail::Money& money,
                          const RenderOptions& options) {
  const Json& columns = ArrayAt(sweep, "columns");
  const Json& points = ArrayAt(sweep, "points");
  std::vector<std::pair<std::string, bool>> header;
  for (const Json& c : columns) {
    if (c.is_string()) header.push_back({c.get<std::string>(), false});
  }
  std::string body;
  for (size_t i = 0; i < points.size() && i < kMaxPointRows; ++i) {
    const Json& p = points[i];
    const Json empty = Json::object();
    const Json* inputs_ptr = ObjectAt(p, "inputs");
    const Json& inputs = inputs_ptr == nullptr ? empty : *inputs_ptr;
    body += "<tr>";
    for (const auto& [name, is_num] : header) {
      if (inputs.contains(name)) {
        body += TextCell(StrOr(inputs, name, "\u2013"));
      } else if (name == "index") {
        body += NumCell(p, name, FormatCount);
      } else if (name == "status" || name == "error") {
        body += TextCell(StrOr(p, name, "\u2013"));
      } else {
        body += SweepCell(p.value(name, Json()), detail::SweepMetricOf(name), money);
      }
    }
    body += "</tr>";
  }
  std::string out =
      "<section class=\"reader\" id=\"raw\"><h2>Points and raw data</h2>\n<p class=\"who\">"
      "One row per point, as gpuplan sweep --csv writes them" +
      std::string(points.size() > kMaxPointRows
                      ? fmt::format(" (the first {} of {})", kMaxPointRows, points.size())
                      : "") +
      ".</p>\n";
  if (!body.empty()) out += Table(HeaderRow(header), body);
  out += "<h3>Raw data</h3>\n" + RawData(options);
  return out + "</section>\n";
}

}  // namespace

Result<std::string> RenderHtml(const nlohmann::ordered_json& report, const RenderOptions& options) {
  const std::vector<ChartSpec> charts = detail::BuildCharts(report);
  const Json* scenario = ObjectAt(report, "scenario");
  const std::string name = scenario == nullptr ? "" : StrOr(*scenario, "name");
  return Page(name.empty() ? "gpuplan report" : "gpuplan report: " + name, Header(report),
              MinisterSection(report, charts) + OperatorSection(report, charts) +
                  EngineerSection(report, options),
              "gpuplan " + StrOr(report, "gpuplan_version", "(unknown version)"), report, charts,
              options);
}

Result<std::string> RenderSweepHtml(const nlohmann::ordered_json& sweep,
                                    const RenderOptions& options) {
  const std::vector<ChartSpec> charts = detail::BuildSweepCharts(sweep);
  const detail::Money money = detail::MoneyOf(sweep);
  const Json* spec = ObjectAt(sweep, "spec");
  const std::string scenario = spec == nullptr ? "" : StrOr(*spec, "scenario");
  return Page("gpuplan sweep" + (scenario.empty() ? "" : ": " + scenario), SweepHeader(sweep),
              TornadoSection(sweep, charts, money) + BandsSection(sweep, charts, money) +
                  PointsSection(sweep, money, options),
              "gpuplan sweep", sweep, charts, options);
}

}  // namespace gpuplan::report
