// The policy table: the one list of scheduling policies (sim::Policies(), sim::PolicyNames());
// the scenario, the CLI and plan read their names from it. No self-registering statics.
// Adding a policy `foo`: its file policies/foo.cpp defining MakeFoo (declared in
// policies/policies.h), one row below, and the file in src/sim/CMakeLists.txt's source list.
#include <memory>

#include "sim/policies/policies.h"

namespace gpuplan::sim::detail {

namespace {

struct PolicyEntry {
  const char* name;
  const char* description;
  std::unique_ptr<SchedulingPolicy> (*make)(const SimConfig& config);
};

constexpr PolicyEntry kPolicies[] = {
    {"fifo", "first come, first served within trace priorities; the head blocks", MakeFifo},
    {"sjf", "shortest job first on true run times (oracle)", MakeSjf},
    {"easy", "FIFO with EASY backfilling per pool on runtime estimates (Slurm backfill)", MakeEasy},
    {"fairshare",
     "Slurm multifactor priority (fair share, age, size; recalculated every PriorityCalcPeriod) "
     "with backfill",
     MakeFairshare},
    {"las", "least attained service, preemptive, size-aware victims (Tiresias 2D-LAS)", MakeLas},
    {"firstfit", "list scheduling in submit order, no reservation (Alibaba PAI simulator)",
     MakeFirstfit},
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakePolicy(std::string_view name, const SimConfig& config) {
  for (const PolicyEntry& e : kPolicies) {
    if (name == e.name) return e.make(config);
  }
  return nullptr;
}

}  // namespace gpuplan::sim::detail

namespace gpuplan::sim {

std::vector<PolicyInfo> Policies() {
  std::vector<PolicyInfo> out;
  for (const auto& e : detail::kPolicies) out.push_back({e.name, e.description});
  return out;
}

std::vector<std::string> PolicyNames() {
  std::vector<std::string> out;
  for (const auto& e : detail::kPolicies) out.emplace_back(e.name);
  return out;
}

}  // namespace gpuplan::sim
