// report.html: one self-contained page. Layout: a header, then one section per reader
// (minister: summary, key figures, purchases and fleet charts; operator: waits, utilization,
// fairness; engineer: sizing, serving, constraints, warnings, raw JSON), then the data and the
// scripts. Every piece of text from the document goes through HtmlEscape; the data goes into
// <script type="application/json"> through ScriptSafeJson, so no string can end a script.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "report/charts.h"
#include "report/format.h"
#include "report/page_assets.h"
#include "report/report.h"

namespace gpuplan::report {

namespace {

using detail::ArrayAt;
using detail::ChartSpec;
using detail::FormatCount;
using detail::FormatDurationS;
using detail::FormatNumber;
using detail::FormatPercent;
using detail::FormatUsd;
using detail::HtmlEscape;
using detail::Json;
using detail::Num;
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

std::string ChartGrid(const std::vector<ChartSpec>& charts, detail::Reader reader) {
  std::string out;
  for (const ChartSpec& c : charts) {
    if (c.reader == reader) out += ChartFigure(c);
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
  const std::string path = StrOr(s, "path");
  if (!path.empty()) sub += (sub.empty() ? "" : " &middot; ") + HtmlEscape(path);
  return fmt::format(
      "<header><h1>GPU plan: {}</h1><p class=\"sub\">{}</p>\n"
      "<nav><a href=\"#minister\">Summary</a><a href=\"#operator\">Operations</a>"
      "<a href=\"#engineer\">Engineering</a></nav>\n"
      "<div id=\"report-health\" data-state=\"pending\">charts not drawn yet (scripts did not "
      "run)</div></header>\n",
      HtmlEscape(StrOr(s, "name", "unnamed scenario")), sub);
}

std::string Kpi(std::string_view value, std::string_view key) {
  return fmt::format("<div class=\"kpi\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
                     HtmlEscape(value), HtmlEscape(key));
}

std::string Kpis(const Json& report) {
  std::string out;
  if (const Json* buy = ObjectAt(report, "buy")) {
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
    if (auto usd = Num(*buy, "total_cost_usd")) out += Kpi(FormatUsd(*usd), "total cost");
  }
  if (const Json* sim = ObjectAt(report, "simulation")) {
    if (const Json* p = detail::ChosenPolicy(*sim)) {
      if (auto u = Num(*p, "utilization")) out += Kpi(FormatPercent(*u), "GPU utilization");
      if (auto w = Num(*p, "p95_wait_s")) out += Kpi(FormatDurationS(*w), "95th-percentile wait");
    }
  }
  return out.empty() ? "" : "<div class=\"kpis\">" + out + "</div>\n";
}

// Lines that say something failed or could not be satisfied are shown in red.
bool IsProblem(const std::string& line) {
  static constexpr const char* kMarks[] = {"not available", "No purchase plan", "failed",
                                           "could not",     "Relaxing",         "In conflict"};
  return std::any_of(std::begin(kMarks), std::end(kMarks),
                     [&line](const char* m) { return line.find(m) != std::string::npos; });
}

std::string PurchasesTable(const Json& buy) {
  const Json& purchases = ArrayAt(buy, "purchases");
  if (purchases.empty()) return "";
  std::string body;
  for (const Json& p : purchases) {
    body += "<tr>" + TextCell(StrOr(p, "quarter")) + TextCell(StrOr(p, "accelerator")) +
            TextCell(StrOr(p, "vendor")) + NumCell(p, "nodes", FormatCount) +
            NumCell(p, "gpus", FormatCount) + NumCell(p, "capex_usd", FormatUsd) + "</tr>";
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
std::string PurchaseOptionsTable(const Json& report) {
  const Json& options = ArrayAt(report, "purchase_options");
  if (options.empty()) return "";
  std::string body;
  for (const Json& o : options) {
    const bool is_plan = detail::BoolOr(o, "is_plan", false);
    const std::string name = StrOr(o, "objective", "?") + (is_plan ? " (this plan)" : "");
    body += std::string(is_plan ? "<tr class=\"chosen\">" : "<tr>") + TextCell(name) +
            TextCell(StrOr(o, "status", StrOr(o, "error", "\u2013"))) +
            NumCell(o, "total_cost_usd", FormatUsd) + NumCell(o, "final_gpus", FormatCount) +
            NumCell(o, "final_h100_equivalents", FormatCount) +
            NumCell(o, "utilization", FormatPercent) + NumCell(o, "avg_wait_s", FormatDurationS) +
            NumCell(o, "p99_wait_s", FormatDurationS) + "</tr>";
  }
  return "<h3>Purchase options compared</h3>\n<p class=\"who\">The most capacity within "
         "the budget, or the cheapest fleet that meets the milestones and demand: the same jobs "
         "simulated on each.</p>\n" +
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

std::string MinisterSection(const Json& report, const std::vector<ChartSpec>& charts) {
  std::string out =
      "<section class=\"reader\" id=\"minister\"><h2>Summary</h2>\n<p class=\"who\">For decision "
      "makers: what to buy and when, what it costs, what tenants will wait, what limits the "
      "plan.</p>\n<ul class=\"summary\">\n";
  for (const std::string& line : Summarize(report)) {
    out += fmt::format("<li{}>{}</li>\n", IsProblem(line) ? " class=\"problem\"" : "",
                       HtmlEscape(line));
  }
  out += "</ul>\n" + Kpis(report);
  const Json* buy = ObjectAt(report, "buy");
  if (buy == nullptr) {
    out += NotAvailableHtml("Procurement", nullptr);
  } else {
    out += PurchasesTable(*buy) + PurchaseOptionsTable(report);
    const std::string grid = ChartGrid(charts, detail::Reader::kMinister);
    if (grid.empty()) {
      out += NotAvailableHtml("Fleet and spend charts", buy);
    } else {
      out += "<h3>Fleet, power, export cap and spend</h3>\n" + grid;
    }
  }
  return out + "</section>\n";
}

std::string PerClassTable(const Json& policy) {
  const Json* per_class = ObjectAt(policy, "per_class");
  if (per_class == nullptr || per_class->empty()) return "";
  std::string body;
  for (const auto& [name, c] : per_class->items()) {
    body += "<tr>" + TextCell(name) + NumCell(c, "jobs", FormatCount) +
            NumCell(c, "mean_wait_s", FormatDurationS) + NumCell(c, "p50_wait_s", FormatDurationS) +
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
                          {"entitled share", true},
                          {"received share", true}}),
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
  out += PerClassTable(*chosen) + PoliciesTable(*sim);
  const std::string grid = ChartGrid(charts, detail::Reader::kOperator);
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

std::string SizingTable(const Json& report) {
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
            NumCell(s, "cost_usd", FormatUsd) + "</tr>";
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

std::string ServingTable(const Json& report) {
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
            NumCell(s, "usd_per_million_tokens", FormatUsd) + "</tr>";
  }
  return "<h3>Serving workloads</h3>\n" + Table(HeaderRow({{"workload", false},
                                                           {"model", false},
                                                           {"accelerator", false},
                                                           {"requests/s", true},
                                                           {"GPUs", true},
                                                           {"tokens/s per GPU", true},
                                                           {"TTFT ms", true},
                                                           {"TPOT ms", true},
                                                           {"$ per M tokens", true}}),
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
  if (auto gap = Num(*buy, "gap")) out += HtmlEscape("; gap " + FormatPercent(*gap));
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

std::string EngineerSection(const Json& report, const RenderOptions& options) {
  std::string out =
      "<section class=\"reader\" id=\"engineer\"><h2>Engineering</h2>\n<p class=\"who\">For the "
      "engineer: how each workload was sized, the parallelism chosen, the constraints of the "
      "procurement model, and the raw data.</p>\n";
  out += SizingTable(report) + ServingTable(report) + ConstraintsHtml(report);
  const Json& warnings = ArrayAt(report, "warnings");
  if (!warnings.empty()) {
    out += "<h3>Warnings</h3>\n<ul class=\"warnings\">";
    for (const Json& w : warnings) {
      out += "<li>" + HtmlEscape(w.is_string() ? w.get<std::string>() : w.dump()) + "</li>";
    }
    out += "</ul>\n";
  }
  out += "<h3>Raw data</h3>\n<p>";
  if (!options.raw_json_href.empty()) {
    out += "The whole document: <a href=\"" + HtmlEscape(options.raw_json_href) + "\">" +
           HtmlEscape(options.raw_json_href) + "</a> (beside this page). ";
  }
  out +=
      "It is also embedded in this page:</p>\n<details class=\"raw\"><summary>Show the raw "
      "JSON</summary><pre id=\"raw-json\"></pre></details>\n";
  return out + "</section>\n";
}

}  // namespace

Result<std::string> RenderHtml(const nlohmann::ordered_json& report, const RenderOptions& options) {
  auto library = ReadFile(options.chart_js_path);
  if (!library) {
    return Error{
        fmt::format("cannot inline Chart.js: {} (install libjs-chart.js with "
                    "scripts/install-deps.sh, or set the path)",
                    library.error().message)};
  }
  if (library->empty())
    return Error{fmt::format("{}: Chart.js file is empty", options.chart_js_path)};
  std::string lowered = *library;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lowered.find("</script") != std::string::npos || lowered.find("<!--") != std::string::npos) {
    return Error{fmt::format("{}: contains '</script' or '<!--' and cannot be inlined",
                             options.chart_js_path)};
  }
  const std::vector<ChartSpec> charts = detail::BuildCharts(report);
  Json specs = Json::array();
  for (const ChartSpec& c : charts) specs.push_back({{"id", c.id}, {"config", c.config}});

  const Json* scenario = ObjectAt(report, "scenario");
  const std::string name = scenario == nullptr ? "" : StrOr(*scenario, "name");
  std::string html;
  html.reserve(library->size() + (1 << 16));
  html +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + HtmlEscape(name.empty() ? "gpuplan report" : "gpuplan report: " + name) +
          "</title>\n";
  html += "<style>" + std::string(detail::kPageCss) + "</style>\n";
  html += "<script>" + std::string(detail::kHealthScript) + "</script>\n</head>\n<body>\n";
  html += Header(report);
  html += "<main>\n" + MinisterSection(report, charts) + OperatorSection(report, charts) +
          EngineerSection(report, options) + "</main>\n";
  html += "<footer>" +
          HtmlEscape(fmt::format("Made by gpuplan {}. Charts: Chart.js, inlined; the page makes no "
                                 "network requests.",
                                 StrOr(report, "gpuplan_version", "(unknown version)"))) +
          "</footer>\n";
  html += "<script type=\"application/json\" id=\"report-data\">" + detail::ScriptSafeJson(report) +
          "</script>\n";
  html += "<script type=\"application/json\" id=\"chart-specs\">" + detail::ScriptSafeJson(specs) +
          "</script>\n";
  html += "<script>\n" + *library + "\n</script>\n";
  html += "<script>" + std::string(detail::kRenderScript) + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace gpuplan::report
