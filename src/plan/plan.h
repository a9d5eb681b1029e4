// plan: the end-to-end pipeline of `gpuplan plan`. Sizes a scenario's training workloads on
// every candidate accelerator, buys the fleet (MILP), builds a workload from the tenants' demand
// (or replays the scenario's trace), simulates the center over the whole horizon as the fleet
// grows under several scheduling policies, and assembles report.json (docs/report.md).
// A stage that fails is reported in its section (`error`) and the others still run.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "buy/buy.h"
#include "catalog/catalog.h"
#include "scenario/scenario.h"
#include "sim/sim.h"
#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::plan {

// The H100-equivalent of the "sizing" capacity unit: steady-state training throughput on the
// reference workload (Llama 3 70B, BF16, 1,024 GPUs) relative to H100 SXM.
inline constexpr char kReferenceModel[] = "llama3-70b";
inline constexpr int kReferenceGpus = 1024;
inline constexpr char kReferenceAccelerator[] = "h100-sxm5-80gb";

// Turns scenario workloads into GPUs per accelerator with the training sizing model (as
// `gpuplan size train --days`), and gives sizing-based H100-equivalents. Borrows `catalog`.
buy::DemandResolver MakeSizingResolver(const catalog::Catalog& catalog);

// Stage reports for a progress display; the library never prints.
class PlanObserver {
 public:
  virtual ~PlanObserver() = default;
  // A new stage begins ("sizing", "buying", "simulating fifo"); `index` of `count` stages.
  virtual void OnStage(const std::string& stage, int index, int count) = 0;
  // Progress within the current stage, in [0, 1].
  virtual void OnStageProgress(double fraction) = 0;
};

struct PlanOptions {
  // Policies to compare on the same jobs and fleet; empty: the scenario's policy plus fifo,
  // easy and fairshare. The scenario's policy is the recommended one.
  std::vector<std::string> policies = {};
  // The purchase plan's objective; the other objective's plan is compared side by side
  // (`purchase_options` in the report) when compare_purchase_options is set.
  buy::Objective objective = buy::Objective::kMaxCapacity;
  bool compare_purchase_options = true;
  double buy_time_limit_s = 30;
  double buy_relative_gap = 1e-4;
  PlanObserver* observer = nullptr;  // borrowed; may be null
};

// Runs every stage and returns the report document. Error only for a broken scenario the
// parser should have refused; a stage that fails (an infeasible purchase plan, a workload that
// fits nothing) is reported in the document.
Result<nlohmann::ordered_json> RunPlan(const scenario::Scenario& scenario,
                                       const catalog::Catalog& catalog, const PlanOptions& options);

// What `gpuplan simulate --scenario` runs: the fleet of the scenario's purchase plan (existing
// GPUs, deliveries and rentals, each in service from its quarter's start), the jobs of its
// [simulation] trace or generated from its tenants' demand over the whole horizon, and its
// [simulation] settings (policy, placement, seed, failures). Solves the purchase MILP; when no
// plan exists, the existing fleet alone.
struct ScenarioSimulation {
  sim::SimConfig config;
  trace::Trace trace;
  std::string buy_status;  // of the purchase plan behind the fleet, or its error
};
Result<ScenarioSimulation> SimulationOfScenario(const scenario::Scenario& scenario,
                                                const catalog::Catalog& catalog,
                                                double buy_time_limit_s = 30);



}  // namespace gpuplan::plan
