// gpuplan plan [scenario.toml] [--out DIR]: size, buy and simulate one scenario; write
// report.json and report.html.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "buy/buy.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/table.h"
#include "plan/plan.h"
#include "report/report.h"
#include "scenario/scenario.h"
#include "sizing/sizing.h"

namespace gpuplan::cli {

namespace {

struct PlanFlags {
  std::string scenario_path;           // empty: the built-in default
  std::vector<std::string> overrides;  // --set
  std::string out_dir = "report";
  std::string catalog_path;
  std::vector<std::string> policies;
  std::string objective;               // empty: the scenario's [plan] objective
  std::optional<int> frontier_points;  // unset: the objective's default (PlanOptions' -1)
  bool no_compare = false;
  double time_limit_s = 30;
  double sizing_quantile = sizing::kDefaultSizingQuantile;
  bool json = false;
  bool csv = false;
  bool is_terminal = false;  // stderr is a terminal: draw a bar with an ETA
};

// Stage lines on stderr; on a terminal, one redrawn bar per stage with an ETA.
class StderrProgress : public plan::PlanObserver {
 public:
  StderrProgress(std::ostream& err, bool is_terminal) : err_(err), is_terminal_(is_terminal) {}
  ~StderrProgress() override { EndLine(); }
  void OnStage(const std::string& stage, int index, int count) override {
    EndLine();
    stage_ = fmt::format("[{}/{}] {}", index, count, stage);
    start_ = std::chrono::steady_clock::now();
    if (is_terminal_) {
      err_ << stage_ << std::flush;
      open_line_ = true;
    } else {
      err_ << "plan: " << stage_ << "\n";
    }
  }
  void OnStageProgress(double fraction) override {
    if (!is_terminal_) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta_s = fraction > 0.01 ? elapsed_s * (1 - fraction) / fraction : 0;
    err_ << fmt::format("\r{} [{}{}] {:3.0f}% ETA {:.0f}s ", stage_, std::string(filled, '#'),
                        std::string(kWidth - filled, '.'), 100 * fraction, eta_s)
         << std::flush;
  }

 private:
  void EndLine() {
    if (open_line_) err_ << "\n";
    open_line_ = false;
  }
  std::ostream& err_;
  bool is_terminal_;
  bool open_line_ = false;
  std::string stage_;
  std::chrono::steady_clock::time_point start_;
};

// The report's tables as CSV beside report.json, for a spreadsheet: what --csv writes.
constexpr std::pair<const char*, const char*> kReportTables[] = {
    {"purchases", "/buy/purchases"},
    {"capacity", "/buy/capacity"},
    {"service_levels", "/service_levels"},
    {"by_quarter", "/simulation/by_quarter"},
    {"policies", "/simulation/policies"},
    {"sizing", "/sizing"},
    {"serving", "/serving"},
    {"frontier", "/frontier"},
    {"purchase_options", "/purchase_options"},
    {"parts", "/cost_policy/parts"}};

Result<void> WriteReportTables(const std::string& dir, const nlohmann::ordered_json& report) {
  std::vector<FileContent> files;
  for (const auto& [name, pointer] : kReportTables) {
    const nlohmann::ordered_json::json_pointer at(pointer);
    if (!report.contains(at) || !report.at(at).is_array()) continue;
    files.push_back({fmt::format("{}/{}.csv", dir, name), JsonRowsTable(report.at(at)).Csv()});
  }
  return WriteFilesAtomic(files);
}

int RunPlanCommand(const PlanFlags& flags, std::ostream& out, std::ostream& err) {
  const std::vector<NamedPath> outputs = {{"--out", flags.out_dir + "/report.json"},
                                          {"--out", flags.out_dir + "/report.html"}};
  if (auto c = CheckOutputs(
          outputs, {{"--scenario", flags.scenario_path}, {"--catalog", flags.catalog_path}});
      !c) {
    return ReportError(c.error(), err);
  }
  auto lock = OutputLock::Acquire(flags.out_dir);
  if (!lock) return ReportError(lock.error(), err);
  auto cat = flags.catalog_path.empty() ? catalog::Catalog::LoadDefault()
                                        : catalog::Catalog::Load(flags.catalog_path);
  if (!cat) return ReportBadInput(cat.error(), err);
  const std::string path =
      flags.scenario_path.empty() ? scenario::DefaultScenarioPath() : flags.scenario_path;
  auto s = scenario::LoadScenario(path, *cat, flags.overrides);
  if (!s) return ReportBadInput(s.error(), err);
  if (auto c = CheckOutputs(outputs, ScenarioInputs(s->files_read)); !c) {
    return ReportError(c.error(), err);
  }
  if (!(flags.time_limit_s > 0 && std::isfinite(flags.time_limit_s))) {
    return ReportBadInput(
        Error{fmt::format("--time-limit must be a finite number of seconds > 0, got {}",
                          flags.time_limit_s)},
        err);
  }
  if (auto q = sizing::ValidateSizingQuantile(flags.sizing_quantile); !q) {
    return ReportBadInput(q.error(), err);
  }
  plan::PlanOptions options;
  options.sizing_quantile = flags.sizing_quantile;
  if (!flags.objective.empty()) {
    auto objective = plan::ParseObjective(flags.objective);
    if (!objective) return ReportBadInput(objective.error(), err);
    options.objective = *objective;
  }
  // -1 is PlanOptions' "default", not a value to give: --frontier -1 was accepted silently.
  if (flags.frontier_points && (*flags.frontier_points < 0 || *flags.frontier_points > 20)) {
    return ReportBadInput(
        Error{fmt::format("--frontier must be in [0, 20], got {}", *flags.frontier_points)}, err);
  }
  options.frontier_points = flags.frontier_points.value_or(-1);
  options.policies = flags.policies;
  options.compare_purchase_options = !flags.no_compare;
  options.buy_time_limit_s = flags.time_limit_s;
  StderrProgress progress(err, flags.is_terminal);
  options.observer = &progress;
  const auto start = std::chrono::steady_clock::now();
  auto result = plan::RunPlan(*s, *cat, options);
  if (!result) return ReportBadInput(result.error(), err);
  auto report = WithSchemaVersion(plan::ToJson(*result, *s));
  report["wall_s"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto written = report::WriteReport(flags.out_dir, report, report::RenderOptions{});
  if (!written) return ReportError(written.error(), err);
  if (flags.csv) {
    auto csv = WriteReportTables(flags.out_dir, report);
    if (!csv) return ReportError(csv.error(), err);
  }
  if (flags.json) {
    out << report.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& line : report::Summarize(report)) out << "- " << line << "\n";
  out << fmt::format("\nreport: {}/report.html (data: {}/report.json{})\n", flags.out_dir,
                     flags.out_dir, flags.csv ? ", tables: *.csv beside it" : "");
  return kExitOk;
}

}  // namespace

void AddPlanCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "size, buy and simulate a center; write report.html and report.json\n\n"
      "Runs every stage on one scenario: sizes its training runs and services on each candidate\n"
      "accelerator; builds one demand (the tenants' jobs as they grow, each [[workload]] run as a\n"
      "gang job, each [[service]] holding the GPUs it was sized for); buys the fleet (MILP) and\n"
      "simulates that demand on it over the horizon as the fleet grows, under several scheduling\n"
      "policies; checks each [[service_level]]. Under --objective service-level the MILP and the\n"
      "simulation iterate: a quarter that misses a target gets more capacity, until every target\n"
      "holds or a constraint stops it; then a budget frontier shows what more money buys in\n"
      "waits. The other objectives' plans are simulated beside it. A stage that fails (an\n"
      "infeasible purchase plan) is explained in the report.\n\n"
      "Examples:\n"
      "  gpuplan plan                                   # built-in default "
      "(data/scenarios/korea.toml)\n"
      "  gpuplan plan data/scenarios/india.toml --out india\n"
      "  gpuplan plan s.toml --policies fifo,easy,las --time-limit 10\n"
      "  gpuplan plan --objective min-cost          # the cheapest fleet; max-capacity beside it\n"
      "  gpuplan plan --objective service-level --frontier 6\n"
      "  gpuplan plan --set budget.capex_per_year.2027=1.5e12 --set "
      "candidate.b200.max_nodes_per_quarter=40");
  cmd->add_option("scenario", flags->scenario_path,
                  "scenario TOML (default: the built-in Korea-like scenario)");
  // As on every other command that reads a scenario.
  cmd->add_option("--scenario", flags->scenario_path, "the same, as on buy and simulate");
  AddSetOption(cmd, flags->overrides);
  cmd->add_option("--out", flags->out_dir, "folder for report.html and report.json")
      ->capture_default_str();
  cmd->add_option("--policies", flags->policies,
                  "scheduling policies to compare (default: the scenario's, fifo, easy, fairshare)")
      ->delimiter(',');
  cmd->add_option("--objective", flags->objective,
                  "service-level (cheapest fleet whose simulated waits meet every "
                  "[[service_level]]), min-cost (cheapest fleet meeting milestones and demand) or "
                  "max-capacity (most H100-equivalent GPU-hours within the budget); default: the "
                  "scenario's [plan] objective");
  cmd->add_option("--frontier", flags->frontier_points,
                  "budgets on the frontier from the cheapest plan to the full budget (0: none; "
                  "default 5 under service-level, else 0)");
  cmd->add_flag("--no-compare", flags->no_compare,
                "skip the side-by-side plan of the other objective");
  cmd->add_option("--time-limit", flags->time_limit_s, "seconds the MILP solver may take")
      ->capture_default_str();
  cmd->add_option("--sizing-quantile", flags->sizing_quantile,
                  "buy for training demand sized so this quantile (0.05-0.95) of each run's "
                  "duration interval meets its deadline; 0.5: the point estimate")
      ->capture_default_str();
  cmd->add_option("--catalog", flags->catalog_path,
                  "accelerator catalog TOML (default: data/accelerators.toml)");
  cmd->add_flag("--json", flags->json, "print the whole report document as one JSON object");
  cmd->add_flag("--csv", flags->csv,
                "also write the report's tables as CSV into --out (purchases, capacity, "
                "service_levels, by_quarter, policies, sizing, serving, frontier, "
                "purchase_options, parts)");
  cmd->callback([flags, &exit_code, &out, &err] {
    flags->is_terminal = isatty(fileno(stderr)) != 0;
    exit_code = RunPlanCommand(*flags, out, err);
  });
}

}  // namespace gpuplan::cli
