// The policy table: the one place a scheduling policy is registered. No self-registering statics.
//
// Adding a policy named `foo` touches exactly two places:
//   1. a new file src/sim/policies/foo.cpp (the file name is the policy's name) that defines, in
//      namespace gpuplan::sim::detail,
//        std::unique_ptr<SchedulingPolicy> MakeFoo(const SimConfig& config);
//   2. one row in kPolicies below (two lines as laid out there); the row declares the factory it
//      calls, so there is no separate declaration to add:
//        {"foo", "what it does",
//         [](const SimConfig& c) { PolicyFactory MakeFoo; return MakeFoo(c); }},
// Nothing else: src/sim/CMakeLists.txt compiles policies/<name>.cpp for each row of this table,
// reading the names from this file when CMake configures (and configuring again when this file
// changes), so the list of policy sources is written once, here, and never globbed. A row must
// begin its line with `{"<name>",`; a row whose file is missing stops the configure step.
//
// `PolicyFactory MakeFoo;` inside the lambda is a block-scope function declaration: it declares
// gpuplan::sim::detail::MakeFoo (kPolicies is in that named namespace, not an unnamed one, so the
// declaration has external linkage and the linker finds the definition in foo.cpp).
#include <memory>

#include "sim/engine.h"

namespace gpuplan::sim::detail {

using PolicyFactory = std::unique_ptr<SchedulingPolicy>(const SimConfig& config);

struct PolicyEntry {
  const char* name;
  const char* description;
  PolicyFactory* make;
};

// One row per policy (see the top of this file); clang-format would spread each lambda over four
// lines, so the table keeps its own layout: a row is the name and description, then the factory.
// clang-format off
constexpr PolicyEntry kPolicies[] = {
    {"fifo", "first come, first served; the head blocks",
     [](const SimConfig& c) { PolicyFactory MakeFifo; return MakeFifo(c); }},
    {"sjf", "shortest job first on true run times (oracle)",
     [](const SimConfig& c) { PolicyFactory MakeSjf; return MakeSjf(c); }},
    {"easy", "FIFO with EASY backfilling on runtime estimates",
     [](const SimConfig& c) { PolicyFactory MakeEasy; return MakeEasy(c); }},
    {"fairshare", "weighted fair share with decaying usage (Slurm's factor)",
     [](const SimConfig& c) { PolicyFactory MakeFairshare; return MakeFairshare(c); }},
    {"las", "least attained service, preemptive (Tiresias 2D-LAS)",
     [](const SimConfig& c) { PolicyFactory MakeLas; return MakeLas(c); }},
};
// clang-format on

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
