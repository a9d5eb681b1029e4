// gpuplan slurm-config --scenario S [--out DIR]: the Slurm configuration of a scenario's planned
// fleet (partitions per accelerator type, gres.conf) and the sacctmgr commands of its tenants.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <system_error>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "plan/plan.h"
#include "scenario/scenario.h"
#include "slurm/slurm.h"
#include "trace/trace.h"

namespace gpuplan::cli {

namespace {

struct SlurmConfigFlags {
  std::string scenario;  // empty: the built-in default
  std::string out_dir;   // empty: print the files on stdout
  std::string quarter;   // empty: the fleet at the end of the horizon
  double time_limit_s = 30;
  bool json = false;
};

constexpr const char* kFiles[] = {"slurm.conf", "gres.conf", "sacctmgr.sh"};

int RunSlurmConfig(const SlurmConfigFlags& flags, std::ostream& out, std::ostream& err) {
  if (!(flags.time_limit_s > 0 && std::isfinite(flags.time_limit_s))) {
    return ReportBadInput(
        Error{fmt::format("--time-limit must be a finite number of seconds > 0, got {}",
                          flags.time_limit_s)},
        err);
  }
  const std::string path =
      flags.scenario.empty() ? scenario::DefaultScenarioPath() : flags.scenario;
  std::vector<NamedPath> outputs;
  if (!flags.out_dir.empty()) {
    for (const char* name : kFiles) {
      outputs.push_back({"--out", (std::filesystem::path(flags.out_dir) / name).string()});
    }
  }
  // Refused at once when a file it writes would replace the scenario (--out beside it).
  if (auto c = CheckOutputs(outputs, {{"--scenario", path}}); !c)
    return ReportError(c.error(), err);
  std::optional<OutputLock> lock;
  if (!flags.out_dir.empty()) {
    auto held = OutputLock::Acquire(flags.out_dir);
    if (!held) return ReportError(held.error(), err);
    lock = std::move(*held);
  }
  auto cat = catalog::Catalog::LoadDefault();
  if (!cat) return ReportBadInput(cat.error(), err);
  auto s = scenario::LoadScenario(path, *cat);
  if (!s) return ReportBadInput(s.error(), err);
  if (auto c = CheckOutputs(outputs, ScenarioInputs(s->files_read)); !c) {
    return ReportError(c.error(), err);
  }
  slurm::SlurmConfigOptions options;
  std::string when = fmt::format("at the end of {}", ToString(s->last));
  if (!flags.quarter.empty()) {
    auto q = scenario::ParseQuarter(flags.quarter, "--quarter");
    if (!q) return ReportBadInput(q.error(), err);
    if (*q < s->first || *q > s->last) {
      return ReportBadInput(
          Error{fmt::format("--quarter {} is outside the scenario's horizon "
                            "{}..{}",
                            flags.quarter, ToString(s->first), ToString(s->last))},
          err);
    }
    options.at_s = (q->Index() - s->first.Index()) * kSecondsPerQuarter;
    when = fmt::format("at the start of {}", ToString(*q));
  }
  auto run = plan::SimulationOfScenario(*s, *cat, flags.time_limit_s);
  if (!run) return ReportBadInput(run.error(), err);
  for (const sim::NodeGroup& g : run->config.cluster.groups) {
    auto a = scenario::FindAccelerator(*s, *cat, g.accelerator);
    if (a) options.vendor_of[g.accelerator] = (*a)->vendor;
  }
  std::vector<trace::Tenant> tenants;
  for (const scenario::Tenant& t : s->tenants) {
    tenants.push_back({.name = t.name,
                       .tenant_class = t.tenant_class,
                       .share_weight = t.share_weight,
                       .quota_gpus = t.quota_gpus});
  }
  if (tenants.empty()) tenants = run->config.tenants;
  options.header = {
      fmt::format("Written by gpuplan slurm-config from scenario '{}' ({}).", s->name, s->path),
      fmt::format("The planned fleet {} (purchase plan: {}).", when, run->buy_status)};
  auto config = slurm::MakeSlurmConfig(run->config.cluster, tenants, options);
  if (!config) return ReportBadInput(config.error(), err);
  const std::string* texts[] = {&config->slurm_conf, &config->gres_conf, &config->sacctmgr};

  std::vector<std::string> written;
  if (!flags.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.out_dir, ec);
    if (ec) {
      return ReportBadInput(
          IoError(fmt::format("{}: cannot create the folder: {}", flags.out_dir, ec.message())),
          err);
    }
    // The three files published together, as report.json and report.html: a signal or a full
    // disk never leaves a new slurm.conf beside an old gres.conf.
    std::vector<FileContent> files;
    for (size_t i = 0; i < std::size(kFiles); ++i) {
      files.push_back({outputs[i].path, *texts[i]});
      written.push_back(outputs[i].path);
    }
    auto w = WriteFilesAtomic(files);
    if (!w) return ReportBadInput(w.error(), err);
  }
  if (flags.json) {
    nlohmann::ordered_json j;
    j["scenario"] = s->name;
    j["path"] = s->path;
    j["buy_status"] = run->buy_status;
    j["partitions"] = nlohmann::ordered_json::array();
    for (const auto& p : config->partitions) {
      j["partitions"].push_back({{"name", p.name},
                                 {"accelerator", p.accelerator},
                                 {"nodes", p.num_nodes},
                                 {"gpus_per_node", p.gpus_per_node},
                                 {"gpus", p.num_nodes * p.gpus_per_node},
                                 {"node_list", p.nodes},
                                 {"is_default", p.is_default}});
    }
    j["accounts"] = nlohmann::ordered_json::array();
    for (const auto& a : config->accounts) {
      j["accounts"].push_back({{"name", a.name},
                               {"tenant", a.tenant},
                               {"fairshare", a.fairshare},
                               {"quota_gpus", a.quota_gpus}});
    }
    j["files"] = written;
    out << j.dump(2) << "\n";
  } else if (flags.out_dir.empty()) {
    for (size_t i = 0; i < std::size(kFiles); ++i) {
      out << fmt::format("==> {} <==\n{}\n", kFiles[i], *texts[i]);
    }
  } else {
    for (const auto& p : config->partitions) {
      out << fmt::format("partition {:<20} {:>6} nodes x {} GPUs{}\n", p.name, p.num_nodes,
                         p.gpus_per_node, p.is_default ? " (default)" : "");
    }
    for (const auto& a : config->accounts) {
      out << fmt::format("account   {:<20} fairshare {:>3}{}\n", a.name, a.fairshare,
                         a.quota_gpus > 0 ? fmt::format(", quota {} GPUs", a.quota_gpus) : "");
    }
    for (const auto& f : written) out << "wrote " << f << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddSlurmConfigCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<SlurmConfigFlags>();
  CLI::App* cmd = app.add_subcommand(
      "slurm-config",
      "the Slurm configuration a scenario's planned fleet implies\n\n"
      "Solves the scenario's purchase plan and writes, for the fleet in service at the end of\n"
      "the horizon (or at the start of --quarter):\n"
      "  slurm.conf   GresTypes, AccountingStorageTRES, one NodeName line per delivery and one\n"
      "               PartitionName per accelerator type (Gres=gpu:<type>:N); Include it\n"
      "  gres.conf    the GPUs of each node (device files for NVIDIA and AMD)\n"
      "  sacctmgr.sh  one account per tenant: Fairshare from its share, GrpTRES=gres/gpu from\n"
      "               its quota_gpus\n\n"
      "Examples:\n"
      "  gpuplan slurm-config --scenario data/scenarios/korea.toml --out slurm\n"
      "  gpuplan slurm-config --scenario s.toml --quarter 2027Q1 --json");
  cmd->add_option("--scenario", flags->scenario,
                  "scenario TOML (default: data/scenarios/korea.toml)");
  cmd->add_option("--out", flags->out_dir,
                  "write slurm.conf, gres.conf and sacctmgr.sh here (default: print them)");
  cmd->add_option("--quarter", flags->quarter,
                  "the fleet in service at the start of this quarter, e.g. 2027Q1 (default: at "
                  "the end of the horizon)");
  cmd->add_option("--time-limit", flags->time_limit_s, "purchase solver time limit, seconds")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  cmd->callback([flags, &exit_code, &out, &err] { exit_code = RunSlurmConfig(*flags, out, err); });
}

}  // namespace gpuplan::cli
