// gpuplan simulate: replay a job trace on a cluster under a scheduling policy.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <tuple>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/table.h"
#include "plan/plan.h"
#include "scenario/scenario.h"
#include "sim/sim.h"
#include "trace/trace.h"

namespace gpuplan::cli {

namespace {

// Estimates of a run time x this stay far inside the clock (kMaxTimeS x 1000 < int64 us); users'
// time limits run a few times their jobs' times.
constexpr double kMaxEstimateFactor = 1000;

struct SimulateFlags {
  std::string scenario;  // the cluster, jobs and settings of a scenario (flags given override)
  std::vector<std::string> overrides;  // --set, on the scenario
  std::set<std::string> given;         // settings flags given on the command line
  std::string cluster;
  std::string nodes;  // openb node list
  std::string trace;
  std::string trace_format = "gpuplan";
  std::string policy = "fifo";
  std::string placement = "pack";
  uint64_t seed = 1;
  std::string gpu_mtbf = "0";
  std::string node_repair = "4h";
  std::string checkpoint = "1h";
  std::string restart_overhead = "5m";
  std::string bf_window = "1d";
  std::string decay_half_life = "7d";
  std::string priority_calc_period = "5m";
  double estimate_factor = 2;
  bool per_instance = false;
  std::string timeline;
  std::string timeline_interval = "1h";
  std::string jobs;
  bool json = false;
  bool csv = false;
};

// A progress line on a terminal: rewritten in place, cleared at the end.
class TerminalProgress : public sim::SimObserver {
 public:
  explicit TerminalProgress(std::ostream& err) : err_(err) {}
  ~TerminalProgress() override { err_ << "\r\033[K" << std::flush; }
  void OnProgress(const sim::SimProgress& p) override {
    err_ << fmt::format(
                "\r\033[Ksimulate: t={:.1f} d, {}/{} jobs done, {} running, {} queued, "
                "{} events",
                p.sim_time_s / kSecondsPerDay, p.completed, p.num_jobs, p.running, p.queued,
                p.events)
         << std::flush;
  }

 private:
  std::ostream& err_;
};

// The settings flags (policy, placement, seed, failures, outputs) applied to `config`; with
// --scenario only those given on the command line override the scenario's.
Result<void> ApplySettings(const SimulateFlags& flags, sim::SimConfig& config) {
  const bool all = flags.scenario.empty();
  const auto use = [&](const char* flag) { return all || flags.given.contains(flag); };
  if (use("--placement")) {
    auto placement = sim::ParsePlacement(flags.placement);
    if (!placement) return placement.error();
    config.placement = *placement;
  }
  if (use("--policy")) config.policy = flags.policy;
  if (use("--seed")) config.seed = flags.seed;
  if (use("--estimate-factor")) {
    // At most kMaxEstimateFactor: 1e308 made estimates past the clock's range (int64 us).
    if (!(flags.estimate_factor >= 0 && flags.estimate_factor <= kMaxEstimateFactor)) {
      return Error{fmt::format("--estimate-factor must be in [0, {:g}], got {}", kMaxEstimateFactor,
                               flags.estimate_factor)};
    }
    config.estimate_factor = flags.estimate_factor;
  }
  for (const auto& [text, flag, out] :
       {std::tuple{&flags.bf_window, "--bf-window", &config.bf_window_s},
        std::tuple{&flags.decay_half_life, "--decay-half-life", &config.fairshare_half_life_s}}) {
    if (!use(flag)) continue;
    auto v = ParseDurationS(*text, flag);
    if (!v) return v.error();
    if (!(*v > 0)) return Error{fmt::format("{} must be > 0, got '{}'", flag, *text)};
    *out = *v;
  }
  if (use("--priority-calc-period")) {
    auto v = ParseDurationS(flags.priority_calc_period, "--priority-calc-period");
    if (!v) return v.error();
    if (!(*v >= 0)) {
      return Error{
          fmt::format("--priority-calc-period must be >= 0, got '{}'", flags.priority_calc_period)};
    }
    config.priority_calc_period_s = *v;
  }
  struct Dur {
    const std::string& text;
    const char* flag;
    double& out;
  };
  for (const Dur& d :
       {Dur{flags.gpu_mtbf, "--gpu-mtbf", config.failures.gpu_mtbf_s},
        Dur{flags.node_repair, "--node-repair", config.failures.node_repair_s},
        Dur{flags.checkpoint, "--checkpoint", config.failures.checkpoint_interval_s},
        Dur{flags.restart_overhead, "--restart-overhead", config.failures.restart_overhead_s}}) {
    if (!use(d.flag)) continue;
    auto v = ParseDurationS(d.text, d.flag);
    if (!v) return v.error();
    if (*v < 0) return Error{fmt::format("{} must be >= 0, got '{}'", d.flag, d.text)};
    d.out = *v;
  }
  config.timeline_interval_s = 0;
  if (!flags.timeline.empty()) {
    auto v = ParseDurationS(flags.timeline_interval, "--timeline-interval");
    if (!v) return v.error();
    if (!(*v > 0)) return Error{"--timeline-interval must be > 0"};
    config.timeline_interval_s = *v;
  }
  config.record_jobs = false;
  config.jobs_csv = !flags.jobs.empty();  // rows as text only
  if (flags.per_instance) config.metrics_per_instance = true;
  return Ok{};
}

Result<sim::SimConfig> BuildConfig(const SimulateFlags& flags, trace::TraceFormat format) {
  sim::SimConfig config;
  if (!flags.cluster.empty()) {
    auto cat = catalog::Catalog::LoadDefault();
    if (!cat) return cat.error();
    auto spec = sim::ParseClusterSpec(flags.cluster, *cat);
    if (!spec) return spec.error();
    config.cluster = *spec;
  } else {
    std::string nodes = flags.nodes;
    if (nodes.empty() && format == trace::TraceFormat::kOpenb) {
      // The node list published beside the pod lists.
      nodes = (std::filesystem::path(flags.trace).parent_path() / "openb_node_list_gpu_node.csv")
                  .string();
    }
    if (nodes.empty()) {
      return Error{
          "give the cluster: --cluster \"h100-sxm5-80gb:128x8\" (or --nodes "
          "openb_node_list_gpu_node.csv)"};
    }
    auto list = trace::ReadOpenbNodes(nodes);
    if (!list) return list.error();
    auto spec = sim::ClusterFromOpenbNodes(*list);
    if (!spec) return spec.error();
    config.cluster = *spec;
  }
  GPUPLAN_TRY(ApplySettings(flags, config));
  return config;
}

// --scenario: the planned fleet, the scenario's jobs (or --trace) and its [simulation] settings.
struct ScenarioRun {
  sim::SimConfig config;
  trace::Trace trace;
  std::vector<std::string> files_read;  // the scenario's (Scenario::files_read)
};
Result<ScenarioRun> BuildScenarioRun(const SimulateFlags& flags, trace::TraceFormat format) {
  if (!flags.cluster.empty() || !flags.nodes.empty()) {
    return Error{"--scenario brings its own cluster (its purchase plan); drop --cluster/--nodes"};
  }
  auto cat = catalog::Catalog::LoadDefault();
  GPUPLAN_TRY(cat);
  auto s = scenario::LoadScenario(flags.scenario, *cat, flags.overrides);
  GPUPLAN_TRY(s);
  auto run = plan::SimulationOfScenario(*s, *cat);
  GPUPLAN_TRY(run);
  ScenarioRun out{
      .config = run->config, .trace = std::move(run->trace), .files_read = s->files_read};
  if (!flags.trace.empty()) {
    auto trace = trace::ReadTrace(flags.trace, format);
    GPUPLAN_TRY(trace);
    out.trace = std::move(*trace);
    out.config.tenants.clear();  // the trace's own tenants
  }
  GPUPLAN_TRY(ApplySettings(flags, out.config));
  return out;
}

std::string Hours(double s) { return fmt::format("{:.2f} h", s / kSecondsPerHour); }

// One row per tenant, then one per class (tenant column "[N tenants]"; empty in CSV).
Table TenantTable(const sim::SimResult& r) {
  Table t({{"tenant", "tenant", true},
           {"class", "class", true},
           {"jobs", "jobs"},
           {"wait mean", "avg_wait_s"},
           {"wait p95", "p95_wait_s"},
           {"JCT mean", "avg_jct_s"},
           {"slowdown", "avg_bounded_slowdown"},
           {"GPU-hours", "gpu_hours"},
           {"share", "share_ratio"}});
  auto row = [&](Cell name, std::string_view cls, int64_t jobs, const sim::WaitStats& w,
                 double gpu_hours, double ratio) {
    t.AddRow({std::move(name), std::string(cls), Count(jobs),
              Number(w.avg_wait_s, Hours(w.avg_wait_s)), Number(w.p95_wait_s, Hours(w.p95_wait_s)),
              Number(w.avg_jct_s, Hours(w.avg_jct_s)),
              Number(w.avg_bounded_slowdown, fmt::format("{:.2f}", w.avg_bounded_slowdown)),
              Number(gpu_hours, fmt::format("{:.0f}", gpu_hours)),
              Number(ratio, fmt::format("{:.2f}", ratio))});
  };
  for (const auto& x : r.per_tenant) {
    row(x.name, trace::ToString(x.tenant_class), x.jobs, x.waits, x.gpu_hours, x.share_ratio);
  }
  for (const auto& c : r.per_class) {
    row(Cell(fmt::format("[{} tenants]", c.tenants), ""), trace::ToString(c.tenant_class), c.jobs,
        c.waits, c.gpu_hours, c.share_ratio);
  }
  return t;
}

// One row per Kueue-style cluster queue (only when the run has quotas).
Table QueueTable(const sim::SimResult& r) {
  Table t({{"queue", "queue", true},
           {"cohort", "cohort", true},
           {"quota", "nominal_quota_gpus"},
           {"jobs", "jobs"},
           {"wait mean", "avg_wait_s"},
           {"wait p95", "p95_wait_s"},
           {"GPU-hours", "gpu_hours"},
           {"borrowed", "borrowed_gpu_hours"},
           {"max borrowed", "max_borrowed_gpus"},
           {"reclaimed", "reclaimed_jobs"}});
  for (const auto& q : r.cluster_queues) {
    t.AddRow({q.name, q.cohort, Count(q.nominal_quota_gpus), Count(q.jobs),
              Number(q.waits.avg_wait_s, Hours(q.waits.avg_wait_s)),
              Number(q.waits.p95_wait_s, Hours(q.waits.p95_wait_s)),
              Number(q.gpu_hours, fmt::format("{:.0f}", q.gpu_hours)),
              Number(q.borrowed_gpu_hours, fmt::format("{:.0f}", q.borrowed_gpu_hours)),
              Number(q.max_borrowed_gpus, fmt::format("{:.0f}", q.max_borrowed_gpus)),
              Count(q.reclaimed_jobs)});
  }
  return t;
}

void PrintHuman(const sim::SimResult& r, std::ostream& out) {
  out << fmt::format("policy {} ({} placement): {} jobs, {} completed, {} unschedulable\n",
                     r.policy, r.placement, r.jobs, r.completed, r.unschedulable_count);
  out << fmt::format(
      "makespan {:.2f} d; utilization {:.1f}% allocated, {:.1f}% useful; goodput "
      "{:.3f}\n",
      r.makespan_s / kSecondsPerDay, 100 * r.utilization, 100 * r.useful_utilization, r.goodput);
  out << fmt::format(
      "wait: mean {}, p50 {}, p95 {}, p99 {}; JCT mean {}, p99 {}; bounded "
      "slowdown {:.2f}\n",
      Hours(r.waits.avg_wait_s), Hours(r.waits.p50_wait_s), Hours(r.waits.p95_wait_s),
      Hours(r.waits.p99_wait_s), Hours(r.waits.avg_jct_s), Hours(r.waits.p99_jct_s),
      r.waits.avg_bounded_slowdown);
  out << fmt::format(
      "queue: mean {:.1f}, max {} jobs; failures {}, preemptions {} ({:.1f} GPU-hours of "
      "restart overhead), restarts {}; Jain's index {:.3f}\n",
      r.avg_queue_length, r.max_queue_length, r.failures, r.preemptions,
      r.preemption_lost_gpu_hours, r.restarts, r.jain_index);
  out << "\n" << TenantTable(r).Text();
  out << "share = GPUs held / entitled (max-min fair share by weight of the up GPUs, capped by "
         "running + queued demand), sampled hourly\n";
  if (!r.cluster_queues.empty()) {
    out << "\n" << QueueTable(r).Text();
    out << fmt::format(
        "quota and borrowed in GPUs, borrowed GPU-hours beyond the nominal quota; {} jobs "
        "preempted to reclaim quota\n",
        r.reclaim_preemptions);
  }
  constexpr size_t kMaxListed = 10;
  for (size_t i = 0; i < r.unschedulable.size() && i < kMaxListed; ++i) {
    const auto& u = r.unschedulable[i];
    out << fmt::format("unschedulable: job {} (line {}): {}\n", u.job_id, u.line, u.reason);
  }
  if (r.unschedulable.size() > kMaxListed) {
    out << fmt::format("unschedulable: {} more (see --json)\n",
                       r.unschedulable.size() - kMaxListed);
  }
  for (const auto& n : r.notes) out << "note: " << n << "\n";
  out << fmt::format("{} events in {:.3f} s\n", r.events, r.wall_s);
}

int RunSimulate(const SimulateFlags& flags, std::ostream& out, std::ostream& err) {
  auto format = trace::ParseTraceFormat(flags.trace_format);
  if (!format) return ReportBadInput(format.error(), err);
  // Outputs: locked for the run, never an input, never a device or folder.
  const std::vector<NamedPath> outputs = {{"--timeline", flags.timeline}, {"--jobs", flags.jobs}};
  if (auto c = CheckOutputs(
          outputs,
          {{"--trace", flags.trace}, {"--scenario", flags.scenario}, {"--nodes", flags.nodes}});
      !c) {
    return ReportError(c.error(), err);
  }
  auto locks = LockOutputs({flags.timeline, flags.jobs});
  if (!locks) return ReportError(locks.error(), err);
  Result<sim::SimConfig> config = Error{};
  Result<trace::Trace> trace = Error{};
  if (!flags.scenario.empty()) {
    auto run = BuildScenarioRun(flags, *format);
    if (!run) return ReportBadInput(run.error(), err);
    if (auto c = CheckOutputs(outputs, ScenarioInputs(run->files_read)); !c) {
      return ReportError(c.error(), err);
    }
    config = std::move(run->config);
    trace = std::move(run->trace);
  } else {
    if (flags.trace.empty()) {
      return ReportBadInput(Error{"give --trace FILE (or --scenario s.toml)"}, err);
    }
    if (!flags.overrides.empty()) {
      return ReportBadInput(Error{"--set changes a scenario: give --scenario s.toml"}, err);
    }
    config = BuildConfig(flags, *format);
    if (!config) return ReportBadInput(config.error(), err);
  }
  std::unique_ptr<TerminalProgress> progress;
  if (&err == &std::cerr && isatty(STDERR_FILENO)) {
    progress = std::make_unique<TerminalProgress>(err);
    config->observer = progress.get();
  }
  auto start = std::chrono::steady_clock::now();
  Result<sim::SimResult> result = Error{};
  if (flags.scenario.empty()) {
    // Streamed: each job is bound as it is read. A trace that does not stream (unsorted,
    // invalid, or refused by the simulator) is read whole, which gives the answer or the error.
    auto streamed = std::make_unique<sim::StreamedSimulation>(*config);
    auto read = trace::StreamTrace(flags.trace, *format, *streamed);
    if (read) {
      result = streamed->Finish(*read);
    } else {
      streamed.reset();
      trace = trace::ReadTrace(flags.trace, *format);
      if (!trace) {
        progress.reset();
        return ReportBadInput(trace.error(), err);
      }
      start = std::chrono::steady_clock::now();
      result = sim::Simulate(std::move(*trace), *config);  // frees the jobs as it goes
    }
  } else {
    result = sim::Simulate(std::move(*trace), *config);  // frees the jobs as it goes
  }
  progress.reset();
  if (!result) return ReportBadInput(result.error(), err);
  result->wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::vector<FileContent> files;
    if (!flags.timeline.empty()) files.push_back({flags.timeline, sim::TimelineCsv(*result)});
    if (!flags.jobs.empty()) files.push_back({flags.jobs, std::move(result->jobs_csv)});
    auto w = WriteFilesAtomic(files);
    if (!w) return ReportError(w.error(), err);
  }
  if (flags.json) {
    out << sim::ToJson(*result).dump(2) << "\n";
  } else if (flags.csv) {
    out << TenantTable(*result).Csv();
  } else {
    PrintHuman(*result, out);
  }
  return kExitOk;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<SimulateFlags>();
  std::string policies;
  for (const auto& p : sim::Policies())
    policies += fmt::format("\n  {:<10} {}", p.name, p.description);
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "replay a job trace on a cluster under a scheduling policy\n\n"
      "Examples:\n"
      "  gpuplan simulate --cluster h100-sxm5-80gb:128x8 --trace data/traces/sample.csv "
      "--policy easy\n"
      "  gpuplan simulate --cluster \"h100-sxm5-80gb:1250x8,mi300x:250x8\" --trace jobs.csv "
      "--policy fairshare --json\n"
      "  gpuplan simulate --trace ../shared/traces/alibaba-openb-2023/openb_pod_list_default.csv "
      "--trace-format openb --policy las\n"
      "  gpuplan simulate --cluster h100-sxm5-80gb:32x8 --trace data/traces/sample_sacct.txt "
      "--trace-format sacct --policy easy\n"
      "  gpuplan simulate --cluster h100-sxm5-80gb:64x8 --trace jobs.csv --gpu-mtbf 50000h "
      "--checkpoint 30m --timeline t.csv --jobs j.csv\n"
      "  gpuplan simulate --scenario data/scenarios/korea.toml --policy easy\n\n"
      "Durations in the trace are measured on the first --cluster type (or on the job's "
      "'accelerator' column) and scale by effective dense BF16 throughput (peak x "
      "gemm_efficiency).\nPolicies:" +
          policies);
  cmd->add_option("--cluster", flags->cluster,
                  "node groups 'id:NODESxGPUS,...' (or 'id:GPUS'), catalog ids");
  cmd->add_option("--nodes", flags->nodes,
                  "openb node list CSV as the cluster (default with --trace-format openb: the "
                  "node list beside the trace)");
  cmd->add_option("--scenario", flags->scenario,
                  "scenario TOML: its purchase plan's fleet (growing quarter by quarter), its "
                  "tenants' jobs and its [simulation] settings; flags given override them");
  AddSetOption(cmd, flags->overrides);
  cmd->add_option("--trace", flags->trace, "job trace file (required without --scenario)");
  std::string formats;
  for (const std::string& f : trace::TraceFormatNames()) {
    formats += (formats.empty() ? "" : "|") + f;
  }
  cmd->add_option("--trace-format", flags->trace_format,
                  formats + " (sacct: sacct --parsable2 --allocations output, see trace --help)")
      ->capture_default_str();
  std::string policy_names;
  for (const std::string& p : sim::PolicyNames()) {
    policy_names += (policy_names.empty() ? "" : "|") + p;
  }
  cmd->add_option("--policy", flags->policy, policy_names)->capture_default_str();
  cmd->add_option("--placement", flags->placement, "pack|spread")->capture_default_str();
  cmd->add_option("--seed", flags->seed, "same seed, same output")
      ->check(NonNegativeInteger())
      ->capture_default_str();
  cmd->add_option("--gpu-mtbf", flags->gpu_mtbf,
                  "mean time between failures per GPU, e.g. "
                  "50000h (0: no failures)")
      ->capture_default_str();
  cmd->add_option("--node-repair", flags->node_repair, "node repair time")->capture_default_str();
  cmd->add_option("--checkpoint", flags->checkpoint, "checkpoint interval (0: none)")
      ->capture_default_str();
  cmd->add_option("--restart-overhead", flags->restart_overhead,
                  "time to restart a job after a failure or preemption")
      ->capture_default_str();
  cmd->add_option("--bf-window", flags->bf_window,
                  "easy, fairshare: how far ahead reservations are planned (Slurm bf_window)")
      ->capture_default_str();
  cmd->add_option("--estimate-factor", flags->estimate_factor,
                  "runtime estimates of jobs without one in the trace: run time x this, rounded "
                  "up to a round limit (0: exact)")
      ->capture_default_str();
  cmd->add_option("--decay-half-life", flags->decay_half_life,
                  "fairshare: usage decay half-life (Slurm PriorityDecayHalfLife)")
      ->capture_default_str();
  cmd->add_option("--priority-calc-period", flags->priority_calc_period,
                  "fairshare: how often priorities are recalculated, stored in between (Slurm "
                  "PriorityCalcPeriod; 0: every scheduling pass)")
      ->capture_default_str();
  cmd->add_option("--timeline", flags->timeline, "write a CSV row per interval to this file");
  cmd->add_option("--timeline-interval", flags->timeline_interval, "timeline interval")
      ->capture_default_str();
  cmd->add_option("--jobs", flags->jobs, "write one CSV row per job to this file");
  cmd->add_flag("--per-instance", flags->per_instance,
                "average waits and JCT over instances (PAI's num_inst), as the PAI 2020 "
                "simulator reports them");
  cmd->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  cmd->add_flag("--csv", flags->csv,
                "print the per-tenant and per-class table as CSV (waits in seconds; a class row "
                "has no tenant)");
  cmd->callback([cmd, flags, &exit_code, &out, &err] {
    for (const char* f : {"--policy", "--placement", "--seed", "--gpu-mtbf", "--node-repair",
                          "--checkpoint", "--restart-overhead", "--bf-window", "--estimate-factor",
                          "--decay-half-life", "--priority-calc-period"}) {
      if (cmd->count(f) > 0) flags->given.insert(f);
    }
    exit_code = RunSimulate(*flags, out, err);
  });
}

}  // namespace gpuplan::cli
