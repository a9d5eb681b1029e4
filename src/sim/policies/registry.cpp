// The policy table. Adding a policy: write policies/<name>.cpp defining Make<Name>(), declare it
// here and add its row (and the file to src/sim/CMakeLists.txt). No self-registering statics.
#include "sim/engine.h"

namespace gpuplan::sim::detail {

std::unique_ptr<SchedulingPolicy> MakeFifo(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeSjf(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeEasy(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeFairshare(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeLas(const SimConfig& config);

namespace {

struct PolicyEntry {
  const char* name;
  const char* description;
  std::unique_ptr<SchedulingPolicy> (*make)(const SimConfig&);
};

constexpr PolicyEntry kPolicies[] = {
    {"fifo", "first come, first served; the head blocks", &MakeFifo},
    {"sjf", "shortest job first on true run times (oracle)", &MakeSjf},
    {"easy", "FIFO with EASY backfilling on runtime estimates", &MakeEasy},
    {"fairshare", "weighted fair share with decaying usage (Slurm's factor)", &MakeFairshare},
    {"las", "least attained service, preemptive (Tiresias 2D-LAS)", &MakeLas},
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
