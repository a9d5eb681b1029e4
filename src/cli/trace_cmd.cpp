// gpuplan trace gen|stats: synthetic workloads and trace summaries.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/table.h"
#include "trace/trace.h"

namespace gpuplan::cli {

namespace {

struct TraceGenFlags {
  std::string tenants = "startup:4,academia:6,industry:3,public:2";
  std::string jobs_per_day = "2000";
  std::string days = "7d";
  std::string arrivals = "poisson";
  std::string gpu_mix;  // empty: each class's default
  std::string median;   // empty: each class's default
  std::string accelerator;
  uint64_t seed = 1;
  std::string out;
  bool json = false;
};

struct TraceStatsFlags {
  std::string file;
  std::string format = "gpuplan";
  bool json = false;
  bool csv = false;
  std::string table;  // --table: which one --csv prints
};

nlohmann::ordered_json DistJson(const trace::Distribution& d) {
  return {{"min", d.min}, {"p50", d.p50}, {"p90", d.p90},
          {"p99", d.p99}, {"max", d.max}, {"mean", d.mean}};
}

nlohmann::ordered_json StatsJson(const trace::Trace& t, const trace::TraceStats& s) {
  nlohmann::ordered_json j;
  j["source"] = t.source;
  j["jobs"] = s.num_jobs;
  j["tenants"] = s.num_tenants;
  j["fractional_jobs"] = s.num_fractional;
  j["span_s"] = s.span_s;
  j["gpu_hours"] = s.gpu_hours;
  j["duration_s"] = DistJson(s.duration_s);
  j["gpus"] = DistJson(s.gpus);
  j["interarrival_s"] = DistJson(s.interarrival_s);
  nlohmann::ordered_json sizes = nlohmann::ordered_json::array();
  for (const auto& b : s.by_size) {
    sizes.push_back({{"gpus", b.gpus}, {"jobs", b.num_jobs}, {"gpu_hours", b.gpu_hours}});
  }
  j["by_size"] = sizes;
  j["notes"] = t.notes;
  return j;
}

NamedTables StatsTables(const trace::TraceStats& s) {
  Table dists({{"", "metric", true},
               {"min", "min"},
               {"p50", "p50"},
               {"p90", "p90"},
               {"p99", "p99"},
               {"max", "max"},
               {"mean", "mean"}});
  auto dist = [&](const char* name, const trace::Distribution& d, const char* unit) {
    std::vector<Cell> cells = {name};
    for (double v : {d.min, d.p50, d.p90, d.p99, d.max, d.mean}) {
      cells.push_back(Number(v, fmt::format("{:.4g}{}", v, unit)));
    }
    dists.AddRow(std::move(cells));
  };
  dist("duration_s", s.duration_s, " s");
  dist("gpus", s.gpus, "");
  dist("interarrival_s", s.interarrival_s, " s");
  Table sizes({{"gpus", "gpus"}, {"jobs", "jobs"}, {"GPU-hours", "gpu_hours"}});
  for (const auto& b : s.by_size) {
    sizes.AddRow({Number(b.gpus), Count(b.num_jobs),
                  Number(b.gpu_hours, fmt::format("{:.0f}", b.gpu_hours))});
  }
  NamedTables tables;
  tables.emplace_back("by_size", std::move(sizes));
  tables.emplace_back("distributions", std::move(dists));
  return tables;
}

void PrintStats(const trace::Trace& t, const trace::TraceStats& s, std::ostream& out) {
  out << fmt::format(
      "{}: {} jobs from {} tenants over {:.2f} d; {:.0f} GPU-hours; {} jobs share "
      "a GPU\n",
      t.source, s.num_jobs, s.num_tenants, s.span_s / kSecondsPerDay, s.gpu_hours,
      s.num_fractional);
  const NamedTables tables = StatsTables(s);
  out << tables[1].second.Text() << tables[0].second.Text();
  for (const auto& n : t.notes) out << "note: " << n << "\n";
}

int RunTraceGen(const TraceGenFlags& flags, std::ostream& out, std::ostream& err) {
  auto rate = ParseQuantity(flags.jobs_per_day, "--jobs-per-day");
  if (!rate) return ReportBadInput(rate.error(), err);
  if (auto r = CheckRange(*rate, 0, kMaxJobs, "--jobs-per-day"); !r)
    return ReportError(r.error(), err);
  auto days = ParseDurationS(flags.days, "--horizon");
  if (!days) return ReportBadInput(days.error(), err);
  if (!(*days > 0)) return ReportBadInput(Error{"--horizon must be > 0"}, err);
  if (auto c = CheckOutputs({{"--out", flags.out}}, {}); !c) return ReportError(c.error(), err);
  auto locks = LockOutputs({flags.out});
  if (!locks) return ReportError(locks.error(), err);
  // The type names the trace's durations; a typo made a type no cluster has, silently.
  if (!flags.accelerator.empty()) {
    auto cat = catalog::Catalog::LoadDefault();
    if (!cat) return ReportBadInput(cat.error(), err);
    if (auto a = cat->Find(flags.accelerator); !a) {
      return ReportBadInput(Error{fmt::format("--accelerator: {}", a.error().message)}, err);
    }
  }
  auto arrivals = trace::ParseArrivalPattern(flags.arrivals);
  if (!arrivals) return ReportBadInput(arrivals.error(), err);
  auto tenants = trace::ParseTenantMix(flags.tenants, *rate);
  if (!tenants) return ReportBadInput(tenants.error(), err);
  for (auto& d : *tenants) {
    d.arrivals = *arrivals;
    d.accelerator = flags.accelerator;
    if (!flags.gpu_mix.empty()) {
      auto mix = trace::ParseGpuMix(flags.gpu_mix);
      if (!mix) return ReportBadInput(mix.error(), err);
      d.gpu_mix = *mix;
    }
    if (!flags.median.empty()) {
      auto m = ParseDurationS(flags.median, "--median-duration");
      if (!m) return ReportBadInput(m.error(), err);
      if (!(*m > 0)) return ReportBadInput(Error{"--median-duration must be > 0"}, err);
      d.duration_median_s = *m;
    }
  }
  trace::GeneratorSpec spec{.tenants = *tenants, .horizon_s = *days, .seed = flags.seed};
  auto t = trace::Generate(spec);
  if (!t) return ReportBadInput(t.error(), err);
  const std::string csv = trace::WriteGpuplanCsv(*t);
  if (!flags.out.empty()) {
    auto w = WriteFileAtomic(flags.out, csv);
    if (!w) return ReportBadInput(w.error(), err);
    t->source = flags.out;
  }
  if (flags.json) {
    out << StatsJson(*t, trace::ComputeStats(*t)).dump(2) << "\n";
  } else if (flags.out.empty()) {
    out << csv;
  } else {
    PrintStats(*t, trace::ComputeStats(*t), out);
  }
  return kExitOk;
}

int RunTraceStats(const TraceStatsFlags& flags, std::ostream& out, std::ostream& err) {
  auto format = trace::ParseTraceFormat(flags.format);
  if (!format) return ReportBadInput(format.error(), err);
  if (flags.json && flags.csv) return ReportBadInput(Error{"give --json or --csv, not both"}, err);
  if (!flags.table.empty() && !flags.csv) return ReportBadInput(Error{"--table needs --csv"}, err);
  auto t = trace::ReadTrace(flags.file, *format);
  if (!t) return ReportBadInput(t.error(), err);
  const trace::TraceStats s = trace::ComputeStats(*t);
  if (flags.json) {
    out << StatsJson(*t, s).dump(2) << "\n";
  } else if (flags.csv) {
    const NamedTables tables = StatsTables(s);
    auto table = SelectTable(tables, flags.table);
    if (!table) return ReportBadInput(table.error(), err);
    out << (*table)->Csv();
  } else {
    PrintStats(*t, s, out);
  }
  return kExitOk;
}

}  // namespace

void AddTraceCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  CLI::App* cmd = app.add_subcommand(
      "trace",
      "make and inspect job traces\n\n"
      "Examples:\n"
      "  gpuplan trace gen --tenants startup:4,academia:6 --jobs-per-day 3000 --horizon 14d "
      "--out jobs.csv\n"
      "  gpuplan trace gen --arrivals diurnal --gpu-mix 1:0.6,8:0.3,64:0.1 --seed 7 > jobs.csv\n"
      "  gpuplan trace stats jobs.csv\n"
      "  gpuplan trace stats ../shared/traces/alibaba-openb-2023/openb_pod_list_default.csv "
      "--trace-format openb --json\n"
      "  sacct --parsable2 --allocations --starttime 2024-03-01 --format=JobID,User,Account,"
      "Partition,Submit,Start,End,Elapsed,AllocTRES,ReqTRES,Timelimit,State > jobs.sacct\n"
      "  gpuplan trace stats jobs.sacct --trace-format sacct   # Slurm accounting; GPUs from "
      "gres/gpu");
  cmd->require_subcommand(1);

  auto gen = std::make_shared<TraceGenFlags>();
  CLI::App* g = cmd->add_subcommand(
      "gen", "a seeded synthetic workload in the gpuplan CSV (stdout, or --out FILE)");
  g->add_option("--tenants", gen->tenants, "tenants per class: startup|academia|industry|public")
      ->capture_default_str();
  g->add_option("--jobs-per-day", gen->jobs_per_day, "jobs a day over all tenants (e.g. 2K)")
      ->capture_default_str();
  // --horizon, not --days: `size train --days` is a deadline, this is the arrival window.
  g->add_option("--horizon", gen->days, "jobs arrive over this long (e.g. 7d, 36h)")
      ->capture_default_str();
  g->add_option("--days", gen->days, "deprecated: use --horizon")->group("");
  g->add_option("--arrivals", gen->arrivals, "poisson|diurnal")->capture_default_str();
  g->add_option("--gpu-mix", gen->gpu_mix, "GPUs:weight,... (default: each class's own mix)");
  g->add_option("--median-duration", gen->median, "median job length (default: per class)");
  g->add_option("--accelerator", gen->accelerator, "type the durations are measured on");
  g->add_option("--seed", gen->seed, "same seed, same trace")
      ->check(NonNegativeInteger())
      ->capture_default_str();
  g->add_option("--out", gen->out, "write the CSV here (atomically) and print its statistics");
  g->add_flag("--json", gen->json, "print the trace's statistics as one JSON object");
  g->callback([gen, &exit_code, &out, &err] { exit_code = RunTraceGen(*gen, out, err); });

  auto stats = std::make_shared<TraceStatsFlags>();
  CLI::App* s = cmd->add_subcommand("stats", "counts, GPU-hours, duration and size distributions");
  s->add_option("file", stats->file, "trace file")->required();
  std::string formats;
  for (const std::string& f : trace::TraceFormatNames())
    formats += (formats.empty() ? "" : "|") + f;
  s->add_option("--trace-format", stats->format, formats + " (default: gpuplan)");
  // The old name, kept so scripts keep working; hidden from --help.
  s->add_option("--format", stats->format, "deprecated: use --trace-format")->group("");
  s->add_flag("--json", stats->json, "print exactly one JSON object on stdout");
  s->add_flag("--csv", stats->csv, "print one table as CSV (--table)");
  s->add_option("--table", stats->table, TableOptionHelp({"by_size", "distributions"}));
  s->callback([stats, &exit_code, &out, &err] { exit_code = RunTraceStats(*stats, out, err); });
}

}  // namespace gpuplan::cli
