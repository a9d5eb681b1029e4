// gpuplan sweep: plan one scenario many times over a grid or Monte Carlo samples of its keys;
// one table (CSV, JSON) and a tornado summary. --shard/--merge split it over a Slurm job array.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <thread>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/table.h"
#include "report/report.h"
#include "sweep/sweep.h"

namespace gpuplan::cli {

namespace {

struct SweepFlags {
  std::string scenario;
  std::string spec_path;
  std::vector<std::string> grid, sample, set;
  int samples = 0;
  uint64_t seed = 1;
  std::string stage = "buy";
  bool no_tornado = false;
  double time_limit_s = 30;
  int workers = 0;
  std::string shard;  // "I/N"
  std::vector<std::string> merge;
  std::string csv, quarters_csv, out, report_dir;
  bool json = false;
};

using Json = nlohmann::ordered_json;

// "key=text": the key and the text after the first '='.
Result<std::pair<std::string, std::string>> KeyValue(const std::string& arg,
                                                     std::string_view flag) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    return Error{fmt::format("{} takes key=value, got '{}'", flag, arg)};
  }
  return std::pair{arg.substr(0, eq), arg.substr(eq + 1)};
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t cut = text.find(sep, start);
    parts.push_back(text.substr(start, cut - start));
    if (cut == std::string::npos) return parts;
    start = cut + 1;
  }
}

// The spec's JSON form from the flags (the same form as --spec and gpuplan.sweep's dict).
Result<Json> SpecJsonFromFlags(const SweepFlags& f) {
  Json j;
  if (!f.spec_path.empty()) {
    if (!f.grid.empty() || !f.sample.empty() || f.samples > 0 || !f.scenario.empty()) {
      return Error{
          "--spec holds the whole sweep; drop the scenario, --grid, --sample and --samples"};
    }
    auto text = ReadFile(f.spec_path);
    GPUPLAN_TRY(text);
    j = Json::parse(*text, nullptr, false);
    if (j.is_discarded()) return Error{fmt::format("{}: not valid JSON", f.spec_path)};
    return j;
  }
  if (!f.scenario.empty()) j["scenario"] = f.scenario;
  for (const std::string& g : f.grid) {
    auto kv = KeyValue(g, "--grid");
    GPUPLAN_TRY(kv);
    j["grid"][kv->first] = Split(kv->second, ',');
  }
  for (const std::string& s : f.sample) {
    auto kv = KeyValue(s, "--sample");
    GPUPLAN_TRY(kv);
    const std::vector<std::string> parts = Split(kv->second, ':');
    if (parts.size() == 2 && parts[0] == "values") {
      j["sample"][kv->first]["values"] = Split(parts[1], ',');
      continue;
    }
    if (parts.size() != 3) {
      return Error{
          fmt::format("--sample {}: give uniform:LO:HI, log_uniform:LO:HI, normal:MEAN:SD "
                      "or values:A,B,...",
                      s)};
    }
    std::vector<double> args;
    for (size_t i = 1; i < 3; ++i) {
      auto v = ParseQuantity(parts[i], "--sample " + kv->first);
      GPUPLAN_TRY(v);
      args.push_back(*v);
    }
    j["sample"][kv->first][parts[0]] = args;
  }
  if (f.samples > 0) j["samples"] = f.samples;
  for (const std::string& s : f.set) {
    auto kv = KeyValue(s, "--set");
    GPUPLAN_TRY(kv);
    j["set"][kv->first] = kv->second;
  }
  j["seed"] = f.seed;
  j["stage"] = f.stage;
  j["tornado"] = !f.no_tornado;
  j["time_limit_s"] = f.time_limit_s;
  return j;
}

Result<std::pair<int, int>> ParseShard(const std::string& text) {
  const size_t slash = text.find('/');
  int index = -1, count = 0;
  if (slash != std::string::npos) {
    try {
      size_t used = 0;
      index = std::stoi(text.substr(0, slash), &used);
      if (used != slash) index = -1;
      count = std::stoi(text.substr(slash + 1), &used);
      if (used != text.size() - slash - 1) count = 0;
    } catch (const std::exception&) {
      index = -1;
    }
  }
  if (index < 0 || count < 1 || index >= count) {
    return Error{fmt::format("--shard takes I/N with 0 <= I < N, e.g. 3/10, got '{}'", text)};
  }
  return std::pair{index, count};
}

// Rows of every shard file, checked to be of one spec and one shard count.
Result<std::vector<Json>> ReadShards(const std::vector<std::string>& paths, const Json& spec_json) {
  std::vector<Json> rows;
  std::set<int> shards;
  int count = 0;
  for (const std::string& path : paths) {
    auto text = ReadFile(path);
    GPUPLAN_TRY(text);
    const Json j = Json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.contains("gpuplan_sweep_shard") || !j.contains("rows")) {
      return Error{
          fmt::format("{}: not a sweep shard (gpuplan sweep --shard I/N --out FILE)", path)};
    }
    if (j.at("spec") != spec_json) {
      return Error{fmt::format("{}: a shard of another sweep (its spec differs from {})", path,
                               paths.front())};
    }
    const int index = j["gpuplan_sweep_shard"].value("index", -1);
    const int n = j["gpuplan_sweep_shard"].value("count", 0);
    if (count == 0) count = n;
    if (n != count || !shards.insert(index).second) {
      return Error{fmt::format("{}: shard {}/{} repeated or of another split", path, index, n)};
    }
    for (const Json& r : j.at("rows")) rows.push_back(r);
  }
  if (static_cast<int>(shards.size()) != count) {
    return Error{fmt::format("--merge: {} of {} shards given", shards.size(), count)};
  }
  return rows;
}

Result<Json> SpecOfFirstShard(const std::string& path) {
  auto text = ReadFile(path);
  GPUPLAN_TRY(text);
  const Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains("spec")) {
    return Error{fmt::format("{}: not a sweep shard (gpuplan sweep --shard I/N --out FILE)", path)};
  }
  return j.at("spec");
}

std::string Compact(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_number()) return FormatQuantity(v.get<double>());
  return v.is_string() ? v.get<std::string>() : v.dump();
}

void PrintHuman(const Json& doc, std::ostream& out) {
  const Json& points = doc.at("points");
  int errors = 0;
  for (const Json& p : points) errors += p.at("status") == "error" ? 1 : 0;
  out << fmt::format("{} points ({} failed), stage {}\n", points.size(), errors,
                     doc.at("spec").at("stage").get<std::string>());
  Table summary({{"result", "metric", true}, {"p5", "p5"}, {"p50", "p50"}, {"p95", "p95"}});
  for (const auto& [metric, s] : doc.at("summary").items()) {
    if (s.value("count", 0) == 0) continue;
    summary.AddRow({metric, Compact(s.at("p5")), Compact(s.at("p50")), Compact(s.at("p95"))});
  }
  out << summary.Text("  ");
  if (!doc.contains("tornado")) return;
  out << "\nwhat moves each result most (each input alone at its low and high value):\n";
  for (const auto& [metric, t] : doc.at("tornado").at("metrics").items()) {
    out << fmt::format("  {} (base {})\n", metric, Compact(t.at("base")));
    Table bars({{"input", "key", true},
                {"low", "low"},
                {"high", "high"},
                {"at low", "at_low"},
                {"at high", "at_high"},
                {"swing", "swing"}});
    for (const Json& bar : t.at("bars")) {
      bars.AddRow({bar.at("key").get<std::string>(), Compact(bar.at("low")),
                   Compact(bar.at("high")), Compact(bar.at("at_low")), Compact(bar.at("at_high")),
                   Compact(bar.at("swing"))});
    }
    out << bars.Text("    ");
  }
}

int WriteOutputs(const SweepFlags& f, const Json& doc, std::ostream& out, std::ostream& err) {
  if (!f.csv.empty()) {
    auto w = WriteFileAtomic(f.csv, sweep::TableCsv(doc));
    if (!w) return ReportBadInput(w.error(), err);
  }
  if (!f.quarters_csv.empty()) {
    auto w = WriteFileAtomic(f.quarters_csv, sweep::QuarterTableCsv(doc));
    if (!w) return ReportBadInput(w.error(), err);
  }
  if (!f.out.empty()) {
    auto w = WriteFileAtomic(f.out, doc.dump(2) + "\n");
    if (!w) return ReportBadInput(w.error(), err);
  }
  if (!f.report_dir.empty()) {
    auto w = report::WriteSweepReport(f.report_dir, doc, report::RenderOptions{});
    if (!w) return ReportBadInput(w.error(), err);
  }
  if (f.json) {
    out << doc.dump(2) << "\n";
  } else {
    PrintHuman(doc, out);
  }
  return kExitOk;
}

int RunSweepCommand(const SweepFlags& f, std::ostream& out, std::ostream& err) {
  Result<Json> spec_json = Error{};
  if (!f.merge.empty()) {
    if (!f.grid.empty() || !f.sample.empty() || !f.spec_path.empty() || !f.shard.empty()) {
      return ReportBadInput(
          Error{"--merge reads the spec from the shards; give only the shard files"}, err);
    }
    auto first = SpecOfFirstShard(f.merge.front());
    if (!first) return ReportBadInput(first.error(), err);
    spec_json = Json::parse(first->dump());
  } else {
    spec_json = SpecJsonFromFlags(f);
  }
  if (!spec_json) return ReportBadInput(spec_json.error(), err);
  auto spec = sweep::SpecFromJson(*spec_json);
  if (!spec) return ReportBadInput(spec.error(), err);
  // Outputs are written at the end, after every point: refused at once when one would replace
  // an input, and locked against a second run writing them.
  std::vector<NamedPath> inputs = {
      {"--spec", f.spec_path},
      {"scenario",
       spec->scenario_path.empty() ? scenario::DefaultScenarioPath() : spec->scenario_path}};
  for (const std::string& m : f.merge) inputs.push_back({"--merge", m});
  std::vector<NamedPath> outputs = {
      {"--csv", f.csv}, {"--quarters-csv", f.quarters_csv}, {"--out", f.out}};
  if (!f.report_dir.empty()) {
    outputs.push_back({"--report", f.report_dir + "/sweep.json"});
    outputs.push_back({"--report", f.report_dir + "/sweep.html"});
  }
  if (auto c = CheckOutputs(outputs, inputs); !c) return ReportError(c.error(), err);
  auto locks = LockOutputs({f.csv, f.quarters_csv, f.out, f.report_dir});
  if (!locks) return ReportError(locks.error(), err);
  if (f.workers < 0) return ReportBadInput(Error{"--workers must be >= 0 (0: all cores)"}, err);
  if (!f.shard.empty() && !f.report_dir.empty()) {
    return ReportBadInput(
        Error{"--report needs the whole sweep: give it to --merge, not to a --shard"}, err);
  }
  auto cat = catalog::Catalog::LoadDefault();
  if (!cat) return ReportBadInput(cat.error(), err);

  if (!f.merge.empty()) {
    auto rows = ReadShards(f.merge, sweep::ToJson(*spec));
    if (!rows) return ReportBadInput(rows.error(), err);
    auto doc = sweep::Assemble(*spec, std::move(*rows));
    if (!doc) return ReportBadInput(doc.error(), err);
    return WriteOutputs(f, *doc, out, err);
  }
  // Worker processes: each point's MILP solve runs in its own process (sweep.h says why).
  sweep::RunOptions options{.workers = f.workers, .processes = true};
  if (!f.shard.empty()) {
    auto shard = ParseShard(f.shard);
    if (!shard) return ReportBadInput(shard.error(), err);
    options.shard_index = shard->first;
    options.shard_count = shard->second;
  }
  auto read = sweep::CheckAxes(*spec, *cat);
  if (!read) return ReportError(read.error(), err);
  // Checked again with every file the sweep's scenarios read (extends, trace, model files).
  if (auto c = CheckOutputs(outputs, ScenarioInputs(*read)); !c) {
    return ReportError(c.error(), err);
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<Json> rows = sweep::EvaluateShard(*spec, *cat, options);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t failed = 0;
  for (const Json& r : rows) failed += r.at("status") == "error" ? 1 : 0;
  err << fmt::format("sweep: {} points in {:.2f} s ({:.1f} points/s), {} failed\n", rows.size(),
                     wall_s, rows.empty() ? 0.0 : static_cast<double>(rows.size()) / wall_s,
                     failed);
  if (!rows.empty() && failed == rows.size()) {
    // Every point failing is a bad key or value, not a result.
    return ReportBadInput(Error{fmt::format("every sweep point failed; the first: {}",
                                            rows.front().at("error").get<std::string>())},
                          err);
  }
  if (!f.shard.empty()) {
    Json shard;
    shard["gpuplan_sweep_shard"] = {{"index", options.shard_index}, {"count", options.shard_count}};
    shard["spec"] = sweep::ToJson(*spec);
    shard["rows"] = rows;
    if (f.out.empty() && !f.json)
      return ReportBadInput(Error{"--shard writes its rows to --out FILE (or --json)"}, err);
    if (!f.out.empty()) {
      auto w = WriteFileAtomic(f.out, shard.dump(2) + "\n");
      if (!w) return ReportBadInput(w.error(), err);
    }
    if (f.json) out << shard.dump(2) << "\n";
    return kExitOk;
  }
  auto doc = sweep::Assemble(*spec, std::move(rows));
  if (!doc) {
    err << "error: " << doc.error().message << "\n";
    return kExitFailure;
  }
  return WriteOutputs(f, *doc, out, err);
}

}  // namespace

void AddSweepCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  auto f = std::make_shared<SweepFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "plan a scenario many times over a grid or random samples of its keys\n\n"
      "Each point is the scenario with some keys changed (as --set key.path=value) and runs the\n"
      "purchase MILP (--stage buy, fast) or the whole plan under the scenario's policy (--stage\n"
      "plan). One row per point (--csv, --out, --json), percentiles of each result, and a "
      "tornado:\n"
      "each input alone at its low and high value, the others at the scenario's, and how far it\n"
      "moves cost, capacity and waits. Points run on all cores, a process each; the table is the\n"
      "same for any --workers. A Slurm job array runs one --shard each; --merge joins them.\n\n"
      "Examples:\n"
      "  gpuplan sweep --grid budget.total=1.2e12,1.5e12,1.8e12 --csv sweep.csv\n"
      "  gpuplan sweep s.toml --sample budget.total=uniform:1e12:2e12 --samples 100 --seed 7 "
      "--json\n"
      "  gpuplan sweep --spec sweep.json --shard 3/10 --out shard-3.json   # one array task\n"
      "  gpuplan sweep --merge shard-*.json --csv sweep.csv --out sweep.json\n"
      "  gpuplan sweep s.toml --stage plan --grid budget.total=3e7,6e7 --report sweep/  # "
      "sweep/sweep.html");
  cmd->add_option("scenario", f->scenario,
                  "scenario TOML (default: the built-in Korea-like scenario)");
  cmd->add_option("--spec", f->spec_path,
                  "the whole sweep as JSON: {scenario, set, grid or sample+samples, seed, stage, "
                  "tornado, time_limit_s}");
  cmd->add_option("--grid", f->grid, "KEY=V1,V2,...: a grid axis (repeat for more axes)");
  cmd->add_option(
      "--sample", f->sample,
      "KEY=uniform:LO:HI | log_uniform:LO:HI | normal:MEAN:SD | values:A,B: a sampled axis");
  cmd->add_option("--samples", f->samples, "Monte Carlo points (with --sample)");
  cmd->add_option("--set", f->set, "KEY=VALUE for every point (repeatable)");
  cmd->add_option("--seed", f->seed, "seed of the samples")
      ->check(NonNegativeInteger())
      ->capture_default_str();
  cmd->add_option("--stage", f->stage, "buy (the MILP alone) or plan (buy and simulate)")
      ->capture_default_str();
  cmd->add_flag("--no-tornado", f->no_tornado, "skip the one-input-at-a-time points");
  cmd->add_option("--time-limit", f->time_limit_s, "seconds each MILP may take")
      ->capture_default_str();
  cmd->add_option("--workers", f->workers, "worker processes (default 0: all cores)");
  cmd->add_option("--shard", f->shard, "I/N: evaluate every N-th point from I (write with --out)");
  cmd->add_option("--merge", f->merge, "shard files to join into the whole sweep");
  cmd->add_option("--csv", f->csv, "write the table as CSV");
  cmd->add_option("--quarters-csv", f->quarters_csv,
                  "write each point's fleet (and waits, stage plan) by quarter as CSV: one line "
                  "per point and quarter");
  cmd->add_option("--out", f->out, "write the sweep document (or a shard) as JSON");
  cmd->add_option("--report", f->report_dir,
                  "folder for sweep.html (tornado per result, p5-p95 bands by quarter on the "
                  "capacity and wait charts; offline) and sweep.json");
  cmd->add_flag("--json", f->json, "print exactly one JSON object on stdout");
  cmd->callback([f, &exit_code, &out, &err] { exit_code = RunSweepCommand(*f, out, err); });
}

}  // namespace gpuplan::cli
