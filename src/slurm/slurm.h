// slurm: the Slurm configuration a planned fleet implies. One partition per accelerator type
// (slurm.conf NodeName/PartitionName lines and gres.conf, with typed generic GPUs) and the
// sacctmgr commands that give each tenant its fair-share and its GPU quota. Plain text only:
// the caller writes the files. Checked against a real Slurm in tests/slurm/slurm_test.sh.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/sim.h"
#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::slurm {

struct SlurmConfigOptions {
  // The fleet in service at this time (seconds since the horizon's start); empty: the groups
  // that are never retired (the fleet at the end of the horizon).
  std::optional<double> at_s{};
  // Vendor of each accelerator ("NVIDIA", "AMD", ...): it decides gres.conf's device files.
  std::map<std::string, std::string, std::less<>> vendor_of{};
  // Comment lines put at the top of every file (without the leading "# ").
  std::vector<std::string> header{};
};

struct Partition {
  std::string name{};         // also the GPU type in Gres=gpu:<name>:N
  std::string accelerator{};  // catalog id
  int64_t num_nodes = 0;
  int gpus_per_node = 0;
  std::string nodes{};      // Slurm host list: "h100-sxm5-80gb-[001-128]"
  bool is_default = false;  // the partition with the most GPUs
};

struct Account {
  std::string name{};  // Slurm account name (lower case)
  std::string tenant{};
  int fairshare = 1;   // sacctmgr Fairshare: the tenant's share of all shares, in percent
  int quota_gpus = 0;  // GrpTRES=gres/gpu=N; 0: none
};

struct SlurmConfig {
  std::vector<Partition> partitions{};
  std::vector<Account> accounts{};
  std::string slurm_conf{};  // a fragment to Include from slurm.conf
  std::string gres_conf{};
  std::string sacctmgr{};  // a sh script of sacctmgr commands
};

// Slurm names: lower case letters, digits and '-'; anything else becomes '-'.
std::string SlurmName(std::string_view text);

// Error when no GPUs are in service at the chosen time, or two tenants (or two accelerators)
// map to the same Slurm name.
Result<SlurmConfig> MakeSlurmConfig(const sim::ClusterSpec& cluster,
                                    const std::vector<trace::Tenant>& tenants,
                                    const SlurmConfigOptions& options);

}  // namespace gpuplan::slurm
