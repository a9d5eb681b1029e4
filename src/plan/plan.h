// plan: the end-to-end pipeline of `gpuplan plan`, as one decision. Sizes the scenario's training
// runs and services on every candidate, builds ONE demand (tenants' jobs growing quarter by
// quarter, each workload run as a gang job, each service as GPUs held), buys the fleet (MILP),
// simulates that demand on the fleet as it grows, and checks the service levels the tenants were
// promised. Under the service-level objective it iterates MILP and simulation until every target
// holds or a constraint stops it, then draws the budget frontier. The result is typed
// (PlanResult); ToJson writes report.json (docs/report.md) at the edge.
// A stage that fails is reported in its part (`error`) and the others still run.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "buy/buy.h"
#include "catalog/catalog.h"
#include "scenario/scenario.h"
#include "sim/sim.h"
#include "sizing/sizing.h"
#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::plan {

// The H100-equivalent of the "sizing" capacity unit: steady-state training throughput on the
// reference workload (Llama 3 70B, BF16, 1,024 GPUs) relative to H100 SXM.
inline constexpr char kReferenceModel[] = "llama3-70b";
inline constexpr int kReferenceGpus = 1024;
inline constexpr char kReferenceAccelerator[] = "h100-sxm5-80gb";

// A quarter whose offered load (demanded / installed GPU-hours) exceeds this is warned about:
// above it, queues grow without bound within the quarter.
inline constexpr double kOverloadWarning = 0.9;

// Turns scenario workloads into GPUs per accelerator with the training sizing model (as
// `gpuplan size train --days`), and gives sizing-based H100-equivalents. Borrows `catalog`.
// `sizing_quantile`: training demand sized so that quantile of each run's duration interval
// meets its deadline (sizing (Q1); 0.5: the point estimate).
buy::DemandResolver MakeSizingResolver(const catalog::Catalog& catalog,
                                       double sizing_quantile = sizing::kDefaultSizingQuantile);

// The scenario's cost policy: catalog::kDefaultCostPolicy with its [opex] keys, over its
// horizon. Every cost plan and buy print is priced and labelled by it.
catalog::CostPolicy CostPolicyOf(const scenario::Scenario& scenario);
// A candidate as the policy prices it: its server's price and power per GPU, the cost of one of
// its GPU-hours, and where its price came from.
struct PartCost {
  std::string accelerator{};
  double capex_usd_per_gpu = 0;
  double power_w_per_gpu = 0;
  double usd_per_gpu_hour = 0;
  std::string price_source{};
};
std::vector<PartCost> PartCosts(const scenario::Scenario& scenario,
                                const catalog::Catalog& catalog);
// `cost_policy` of buy --json and report.json: catalog::CostPolicyJson of the scenario's
// policy, its currency, and `parts`.
nlohmann::ordered_json CostPolicyJson(const scenario::Scenario& scenario,
                                      const std::vector<PartCost>& parts);

// Stage reports for a progress display; the library never prints.
class PlanObserver {
 public:
  virtual ~PlanObserver() = default;
  // A new stage begins ("sizing", "buying", "simulating fifo"); `index` of `count` stages.
  virtual void OnStage(const std::string& stage, int index, int count) = 0;
  // Progress within the current stage, in [0, 1].
  virtual void OnStageProgress(double fraction) = 0;
};

enum class Objective { kMaxCapacity, kMinCost, kServiceLevel };
std::string_view ToString(Objective o);
// "max-capacity" | "min-cost" | "service-level"
Result<Objective> ParseObjective(std::string_view text);
Objective FromScenario(scenario::PlanObjective o);

struct PlanOptions {
  // Policies to compare on the same jobs and fleet; empty: the scenario's policy plus fifo,
  // easy and fairshare. The scenario's policy is the recommended one.
  std::vector<std::string> policies = {};
  // Empty: the scenario's [plan] objective.
  std::optional<Objective> objective = std::nullopt;
  bool compare_purchase_options = true;
  // Frontier: this many budgets from the cheapest plan to the full budget (0: none). Drawn
  // under the service-level objective, or always when set explicitly (>= 0).
  int frontier_points = -1;  // -1: 5 under service-level, else 0
  int max_iterations = 6;    // service-level loop
  double buy_time_limit_s = 30;
  double buy_relative_gap = 1e-4;
  // Training demand at this quantile of each run's duration interval (--sizing-quantile).
  double sizing_quantile = sizing::kDefaultSizingQuantile;
  PlanObserver* observer = nullptr;  // borrowed; may be null
};

// ---- Stage results -------------------------------------------------------------------------

struct SizingCell {
  std::string workload{};
  std::string accelerator{};
  std::optional<sizing::TrainPlan> plan{};
  std::string error{};
};

struct ServingCell {
  std::string service{};
  std::string accelerator{};
  std::optional<sizing::ServePlan> plan{};
  std::string error{};
};

// GPUs of one type in service from one quarter through another (indices into the horizon).
struct FleetGroup {
  std::string accelerator{};
  int gpus = 0;
  int gpus_per_node = 8;
  int first_quarter_idx = 0;
  int last_quarter_idx = 1 << 20;  // rentals: one quarter
};

struct BuyStage {
  std::optional<buy::BuyProblem> problem{};
  std::optional<buy::BuyResult> result{};
  std::vector<FleetGroup>
      fleet{};  // existing + deliveries + rentals (existing alone without a plan)
  std::string error{};
  bool has_plan() const;
};

// One part of the demand the simulator replays.
struct DemandRow {
  std::string name{};
  std::string kind{};          // "tenant", "workload", "service"
  std::string tenant_class{};  // of the owning tenant
  int64_t jobs = 0;            // services: 0 (they hold GPUs)
  double gpu_hours = 0;        // reference-type GPU-hours (services: held GPU-hours)
};

struct ClassWaits {
  std::string tenant_class{};
  int64_t jobs = 0;  // submitted in the quarter and started
  double mean_wait_s = 0, p50_wait_s = 0, p95_wait_s = 0, p99_wait_s = 0;
};

struct QuarterStats {
  std::string quarter{};
  double demanded_gpu_hours = 0;  // jobs submitted in the quarter, plus services' held GPUs
  double installed_gpu_hours = 0;
  double offered_load = 0;  // demanded / installed
  double utilization = 0;   // busy share of the installed GPUs (services count as busy)
  int64_t jobs_submitted = 0;
  int64_t jobs_started = 0;
  double mean_wait_s = 0, p50_wait_s = 0, p95_wait_s = 0, p99_wait_s = 0;
  std::vector<ClassWaits> per_class{};
};

struct PolicyRun {
  std::string policy{};
  std::optional<sim::SimResult> result{};
  std::string error{};
};

// Who a service level is for: a class ("industry") or a tenant.
struct LevelOutcome {
  scenario::ServiceLevel target{};
  std::string who{};           // "industry" or the tenant's name
  double achieved_wait_s = 0;  // the target percentile in the worst quarter
  std::string worst_quarter{};
  bool met = true;
  bool has_jobs = false;  // false: no job of theirs was submitted from `from` on
};

struct Miss {
  std::string who{};
  std::string quarter{};
  double achieved_wait_s = 0;
  double wait_s = 0;
};

struct Iteration {
  int iteration = 0;
  double total_cost_usd = 0;
  bool met_all = false;
  std::vector<Miss> missed{};
  std::string action{};
};

struct FrontierPoint {
  double budget_usd = 0;
  double total_cost_usd = 0;
  std::string status{};
  double final_gpus = 0;
  double utilization = 0;
  bool met_all = false;
  std::vector<std::pair<std::string, double>> class_wait_s{};  // at `percentile`
  double percentile = 95;
};

struct PurchaseOption {
  Objective objective = Objective::kMaxCapacity;
  bool is_plan = false;
  std::string status{};
  std::string error{};
  double total_cost_usd = 0, capex_usd = 0, h100_eq_gpu_hours = 0;
  double final_gpus = 0, final_h100_equivalents = 0;
  std::string policy{};
  double utilization = 0, mean_wait_s = 0, p95_wait_s = 0, p99_wait_s = 0;
  bool met_all = false;
};

struct Headline {
  std::string worst_class{};
  double worst_percentile = 95;
  double worst_wait_s = 0;
  double utilization = 0;  // within the horizon
  double usd_per_useful_h100_hour = 0;
  double total_cost_usd = 0;
  double unspent_budget_usd = 0;
};

struct SimulationStage {
  std::string policy{};  // the recommended one
  double horizon_s = 0;
  double drain_s = 0;  // after the horizon, until jobs submitted within it finish
  std::string source{};
  int64_t jobs = 0;
  std::vector<DemandRow> demand{};
  std::vector<PolicyRun> runs{};           // the recommended policy first
  std::vector<QuarterStats> by_quarter{};  // of the recommended policy
  std::string error{};
  const sim::SimResult* recommended() const;  // null when it failed
};

struct PlanResult {
  Objective objective = Objective::kMaxCapacity;
  std::vector<SizingCell> sizing{};
  std::vector<ServingCell> serving{};
  BuyStage buy{};
  SimulationStage simulation{};
  std::vector<LevelOutcome> service_levels{};
  std::vector<Iteration> iterations{};  // service-level objective
  std::vector<FrontierPoint> frontier{};
  std::vector<PurchaseOption> purchase_options{};
  Headline headline{};
  std::vector<PartCost> part_costs{};
  std::vector<std::string> warnings{};
};

// Runs every stage. Error only for a broken scenario the parser should have refused or an
// unknown policy; a stage that fails (an infeasible purchase plan, a workload that fits nothing)
// is reported in its part.
Result<PlanResult> RunPlan(const scenario::Scenario& scenario, const catalog::Catalog& catalog,
                           const PlanOptions& options);

// report.json (docs/report.md).
nlohmann::ordered_json ToJson(const PlanResult& result, const scenario::Scenario& scenario);

// What `gpuplan simulate --scenario` runs: the fleet of the scenario's purchase plan (under its
// [plan] objective's MILP; existing GPUs, deliveries and rentals, each in service from its
// quarter's start), the jobs of its [simulation] trace or of its demand (tenants, workload runs,
// services holding GPUs) over the horizon, and its [simulation] settings. When no plan exists,
// the existing fleet alone.
struct ScenarioSimulation {
  sim::SimConfig config;
  trace::Trace trace;
  std::string buy_status;  // of the purchase plan behind the fleet, or its error
};
Result<ScenarioSimulation> SimulationOfScenario(const scenario::Scenario& scenario,
                                                const catalog::Catalog& catalog,
                                                double buy_time_limit_s = 30);

}  // namespace gpuplan::plan
