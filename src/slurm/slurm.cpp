// Slurm syntax from the slurm.conf(5), gres.conf(5) and sacctmgr(1) man pages of Slurm 22.05
// (slurm.schedmd.com): host lists "name-[001-128]"; Gres=gpu:<type>:<count> on NodeName lines with
// GresTypes=gpu; GPU quotas as GrpTRES=gres/gpu=N, which Slurm tracks only when
// AccountingStorageTRES names gres/gpu; Fairshare is a whole number.
#include "slurm/slurm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace gpuplan::slurm {

namespace {

struct NodeRange {
  const sim::NodeGroup* group = nullptr;
  int64_t first = 0;  // 1-based node number within the partition
};

std::string HostList(const std::string& prefix, int64_t first, int64_t last, int width) {
  if (first == last) return fmt::format("{}-{:0{}}", prefix, first, width);
  return fmt::format("{}-[{:0{}}-{:0{}}]", prefix, first, width, last, width);
}

bool InService(const sim::NodeGroup& g, const SlurmConfigOptions& options) {
  if (g.num_nodes <= 0) return false;
  if (!options.at_s) return g.retired_at_s == sim::kNever;
  return g.available_from_s <= *options.at_s && *options.at_s < g.retired_at_s;
}

// Device files per GPU: what slurmd binds a job's GPUs to. Without File= slurmd drops typed GPUs.
std::string DeviceFiles(std::string_view vendor, int gpus) {
  std::string v(vendor);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "nvidia") return fmt::format(" File=/dev/nvidia[0-{}]", gpus - 1);
  if (v == "amd") return fmt::format(" File=/dev/dri/renderD[128-{}]", 127 + gpus);
  return "";
}

std::string Header(const SlurmConfigOptions& options) {
  std::string out;
  for (const std::string& line : options.header) out += "# " + line + "\n";
  return out;
}

}  // namespace

std::string SlurmName(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  return out;
}

Result<SlurmConfig> MakeSlurmConfig(const sim::ClusterSpec& cluster,
                                    const std::vector<trace::Tenant>& tenants,
                                    const SlurmConfigOptions& options) {
  SlurmConfig config;
  // Partitions in order of first appearance; node groups of one type share a partition.
  std::vector<std::vector<const sim::NodeGroup*>> members;
  for (const sim::NodeGroup& g : cluster.groups) {
    if (!InService(g, options)) continue;
    const std::string name = SlurmName(g.accelerator);
    auto it = std::find_if(config.partitions.begin(), config.partitions.end(),
                           [&](const Partition& p) { return p.name == name; });
    if (it != config.partitions.end() && it->accelerator != g.accelerator) {
      return Error{fmt::format("accelerators '{}' and '{}' have the same Slurm name '{}'",
                               it->accelerator, g.accelerator, name)};
    }
    if (it != config.partitions.end() && it->gpus_per_node != g.gpus_per_node) {
      return Error{
          fmt::format("accelerator '{}' comes in nodes of {} and of {} GPUs; one "
                      "partition needs one node size",
                      g.accelerator, it->gpus_per_node, g.gpus_per_node)};
    }
    if (it == config.partitions.end()) {
      config.partitions.push_back(
          {.name = name, .accelerator = g.accelerator, .gpus_per_node = g.gpus_per_node});
      members.emplace_back();
      it = config.partitions.end() - 1;
    }
    it->num_nodes += g.num_nodes;
    members[static_cast<size_t>(it - config.partitions.begin())].push_back(&g);
  }
  if (config.partitions.empty()) {
    return Error{options.at_s ? fmt::format("no GPUs are in service on day {:.0f}",
                                            *options.at_s / kSecondsPerDay)
                              : std::string("the fleet has no GPUs in service at the end")};
  }
  auto largest =
      std::max_element(config.partitions.begin(), config.partitions.end(),
                       [](const Partition& a, const Partition& b) {
                         return a.num_nodes * a.gpus_per_node < b.num_nodes * b.gpus_per_node;
                       });
  largest->is_default = true;

  std::string conf = Header(options);
  conf +=
      "# Include this file from slurm.conf. Give each NodeName its CPUs= and RealMemory= (slurmd "
      "-C\n"
      "# prints them). Fair-share needs PriorityType=priority/multifactor and\n"
      "# PriorityWeightFairshare > 0; GPU quotas need "
      "AccountingStorageEnforce=associations,limits.\n"
      "GresTypes=gpu\n"
      "AccountingStorageTRES=gres/gpu\n";
  std::string gres = Header(options) + "AutoDetect=off\n";
  for (size_t p = 0; p < config.partitions.size(); ++p) {
    Partition& part = config.partitions[p];
    const int width = std::max(3, static_cast<int>(fmt::format("{}", part.num_nodes).size()));
    int64_t next = 1;
    conf += "\n";
    for (const sim::NodeGroup* g : members[p]) {
      const int64_t last = next + g->num_nodes - 1;
      const std::string hosts = HostList(part.name, next, last, width);
      conf += fmt::format(
          "# {}: {} nodes x {} GPUs, in service from day {:.0f}{}\n", g->accelerator, g->num_nodes,
          g->gpus_per_node, g->available_from_s / kSecondsPerDay,
          g->retired_at_s == sim::kNever
              ? std::string()
              : fmt::format(", retired on day {:.0f}", g->retired_at_s / kSecondsPerDay));
      conf += fmt::format("NodeName={} Gres=gpu:{}:{} State=UNKNOWN\n", hosts, part.name,
                          g->gpus_per_node);
      const auto vendor = options.vendor_of.find(g->accelerator);
      const std::string files =
          DeviceFiles(vendor == options.vendor_of.end() ? std::string_view() : vendor->second,
                      g->gpus_per_node);
      gres += fmt::format("NodeName={} Name=gpu Type={}{}{}\n", hosts, part.name,
                          files.empty() ? fmt::format(" Count={}", g->gpus_per_node) : files,
                          files.empty() ? "  # add File= with the GPUs' device files" : "");
      next = last + 1;
    }
    part.nodes = HostList(part.name, 1, part.num_nodes, width);
    conf += fmt::format("PartitionName={} Nodes={} MaxTime=UNLIMITED State=UP{}\n", part.name,
                        part.nodes, part.is_default ? " Default=YES" : "");
  }
  config.slurm_conf = std::move(conf);
  config.gres_conf = std::move(gres);

  double total_share = 0;
  for (const trace::Tenant& t : tenants) total_share += std::max(0.0, t.share_weight);
  std::set<std::string> names;
  std::string sh = "#!/bin/sh\n" + Header(options);
  sh +=
      "# One account per tenant: Fairshare = the tenant's share of all shares, in percent;\n"
      "# GrpTRES=gres/gpu = its GPU quota. Add users with: sacctmgr -i add user NAME "
      "Account=ACCOUNT\n"
      "set -e\n";
  for (const trace::Tenant& t : tenants) {
    Account a{.name = SlurmName(t.name), .tenant = t.name, .quota_gpus = t.quota_gpus};
    if (a.name.empty()) return Error{"a tenant has an empty name"};
    if (!names.insert(a.name).second) {
      return Error{fmt::format("two tenants have the Slurm account name '{}'", a.name)};
    }
    a.fairshare =
        total_share > 0
            ? std::max(1, static_cast<int>(std::lround(100 * t.share_weight / total_share)))
            : 1;
    sh +=
        fmt::format("sacctmgr -i add account {} Description='{}' Organization={} Fairshare={}{}\n",
                    a.name, SlurmName(t.name), ToString(t.tenant_class), a.fairshare,
                    a.quota_gpus > 0 ? fmt::format(" GrpTRES=gres/gpu={}", a.quota_gpus) : "");
    config.accounts.push_back(a);
  }
  config.sacctmgr = std::move(sh);
  return config;
}

}  // namespace gpuplan::slurm
