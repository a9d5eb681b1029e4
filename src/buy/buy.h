// buy: the procurement optimizer. Which accelerators to buy, how many nodes and when, under a
// budget, facility power, an export cap on imported TPP, supply-security shares, capacity
// milestones and workload demand, as a mixed-integer program (formulation: src/buy/model.cpp)
// solved by COIN-OR CBC behind the MilpBackend seam. BuyProblem is plain data, free of sizing.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "scenario/scenario.h"
#include "units/units.h"

namespace gpuplan::buy {

enum class Objective {
  kMaxCapacity,  // maximize delivered H100-equivalent GPU-hours over the horizon
  kMinCost,      // minimize capital plus operating cost while meeting every constraint
};
std::string_view ToString(Objective o);
Result<Objective> ParseObjective(std::string_view text);  // "max-capacity" | "min-cost"

// One accelerator type the center may buy, by whole nodes.
struct CandidateSpec {
  std::string accelerator{};
  std::string vendor{};
  bool is_domestic = false;
  bool is_export_controlled = true;
  int gpus_per_node = 8;
  double node_price_usd = 0;
  double node_power_w = 0;        // IT power of one node (PUE applied by the model)
  int max_nodes_per_quarter = 0;  // orders per quarter
  int lead_time_quarters = 0;     // ordered in q, in service from q + lead time
  int min_nodes_per_order = 0;    // an order is 0 or at least this many nodes
  int first_order_quarter_idx = 0;
  double h100_eq_per_gpu = 0;
  double memory_bytes_per_gpu = 0;
  double tpp_per_gpu = 0;
  // node_price_usd is the price in the horizon's first quarter; it falls by this share a year
  // (0.3: 30% a year), compounded per quarter: NodePriceUsd.
  double price_decline_per_year = 0;
  // Straight-line depreciation from delivery over this life: the residual value at the
  // horizon's end.
  double service_life_years = kDefaultServiceLifeYears;
  static constexpr double kDefaultServiceLifeYears = 5;
};

// GPUs owned before the horizon (or contracted), in service from `first_quarter_idx`.
struct ExistingSpec {
  std::string accelerator{};
  std::string vendor{};
  bool is_domestic = false;
  int num_gpus = 0;
  double power_w_per_gpu = 0;
  int first_quarter_idx = 0;
  double h100_eq_per_gpu = 0;
  double memory_bytes_per_gpu = 0;
  double tpp_per_gpu = 0;
};

struct QuarterSpec {
  std::string label{};  // "2026Q4"
  int year = 0;
  double facility_power_w = 0;  // compared with IT power x PUE
};

// Owned plus rented capacity >= required in `quarter_idx` and every later quarter.
struct MilestoneSpec {
  int quarter_idx = 0;
  double required = 0;  // H100-equivalents, or GPUs when is_gpu_count
  bool is_gpu_count = false;
  std::string label{};
};

struct RentalSpec {
  bool is_enabled = false;
  std::string accelerator{};
  double usd_per_gpu_hour = 0;
  int max_gpus_per_quarter = 0;
  double h100_eq_per_gpu = 0;
  bool is_paid_from_budget = true;
  int first_quarter_idx = 0;
};

// A workload the fleet must be able to host in full in every quarter from first_quarter_idx.
// GPUs of one type alone that run it by its deadline; 0: that type cannot run it (memory).
struct DemandSpec {
  std::string name{};
  int first_quarter_idx = 0;
  std::vector<double> candidate_gpus{};  // per candidate
  std::vector<double> existing_gpus{};   // per existing fleet entry
  double rental_gpus = 0;
};

struct BudgetSpec {
  bool has_budget = false;
  int first_year = 0;
  std::vector<double> capex_usd_per_year{};  // [year - first_year]
  bool is_carry_over = false;
  double total_usd = 0;  // 0: no total cap
};

struct BuyProblem {
  Objective objective = Objective::kMaxCapacity;
  std::string capacity_unit = "peak";  // what an H100-equivalent means (for reports)
  std::vector<QuarterSpec> quarters{};
  std::vector<CandidateSpec> candidates{};
  std::vector<ExistingSpec> existing{};
  std::vector<MilestoneSpec> milestones{};
  std::vector<DemandSpec> demands{};
  RentalSpec rental;
  BudgetSpec budget;
  double power_usd_per_kwh = 0;
  double pue = 1.0;
  double maintenance_share_per_year = 0;
  bool has_export_cap = false;
  double export_cap_tpp = 0;
  double max_vendor_share = 1.0;
  double min_domestic_share = 0.0;
  int share_from_quarter_idx = 0;
  // Soft per-quarter capacity targets, H100-equivalents (owned + rented); empty or 0: none.
  // What the tenants' demand and the service levels need. A target the constraints cannot reach
  // is not infeasible: the plan falls short, by QuarterCapacity::shortfall_h100_eq.
  std::vector<double> capacity_floor_h100_eq{};
  // Yearly rate at which later cash is worth less (present values; min-cost minimizes the
  // present value of spending). 0: every cost at face value.
  double discount_rate = 0;
  // The scenario's money, for the words only (constraint names, relaxations): every figure
  // stays in USD.
  std::string currency = "USD";
  double units_per_usd = 1.0;
};

// The price of one node of `c` ordered in quarter `quarter_idx` (0: the horizon's first).
double NodePriceUsd(const CandidateSpec& c, int quarter_idx);
// What one USD paid at the start of quarter `quarter_idx` is worth at the horizon's start.
double DiscountFactor(const BuyProblem& p, int quarter_idx);
// What a node ordered in `order_idx` is still worth at the horizon's end (after its last
// quarter): its price, depreciated straight-line from delivery over its service life.
double ResidualValueUsd(const BuyProblem& p, const CandidateSpec& c, int order_idx);

// Hours in a quarter: 365.25 days x 24 h / 4.
inline constexpr double kHoursPerQuarter = 2191.5;

// What the caller supplies to turn scenario workloads into GPU requirements (sizing lives
// elsewhere). Either function may be empty; the builder then refuses what needs it.
struct WorkloadFit {
  bool fits = false;    // false: the model does not fit this accelerator's memory
  double num_gpus = 0;  // GPUs of this type alone that meet the deadline
};
struct DemandResolver {
  std::function<Result<WorkloadFit>(const scenario::Workload&, const catalog::Accelerator&)>
      size_workload{};
  // GPUs of one accelerator type that serve a scenario service within its latency targets.
  std::function<Result<WorkloadFit>(const scenario::Service&, const catalog::Accelerator&)>
      size_service{};
  // H100-equivalents per GPU under CapacityUnit::kSizing (effective training throughput).
  std::function<Result<double>(const catalog::Accelerator&)> sizing_h100_eq{};
};

// The busy share of the installed GPU-hours that demand is planned at: the rest is the queue's
// headroom (at 85% busy, an M/M/c queue of hundreds of servers still waits little; the
// service-level objective raises capacity where the simulated waits say it must).
inline constexpr double kPlannedLoad = 0.85;

// Per-quarter capacity (H100-equivalents) that the scenario's demand needs at kPlannedLoad:
// the tenants' expected GPU-hours (reference-type hours), each workload run's GPUs on
// `reference` for its deadline in its first quarter, each service's GPUs from its first quarter.
Result<std::vector<double>> DemandFloors(const scenario::Scenario& scenario,
                                         const catalog::Accelerator& reference,
                                         const DemandResolver& resolver);

// Builds the plain-data problem from a scenario. Error when a workload fits no accelerator or
// the resolver cannot supply what the scenario asks for.
Result<BuyProblem> BuildBuyProblem(const scenario::Scenario& scenario,
                                   const catalog::Catalog& catalog, const DemandResolver& resolver);

// ---- Results -------------------------------------------------------------------------------

enum class BuyStatus { kOptimal, kFeasible, kInfeasible, kNoSolution };
std::string_view ToString(BuyStatus s);

struct Purchase {
  std::string quarter{};    // ordered (and paid)
  std::string delivered{};  // in service from
  std::string accelerator{};
  int nodes = 0;
  int gpus = 0;
  double node_price_usd = 0;  // the quarter's price (NodePriceUsd)
  double capex_usd = 0;
};

struct QuarterCapacity {
  std::string quarter{};
  double h100_equivalents = 0;  // owned + rented
  double owned_h100_equivalents = 0;
  double num_gpus = 0;  // owned + rented
  double rented_gpus = 0;
  double power_w = 0;                // facility power drawn: IT power x PUE
  double tpp = 0;                    // installed TPP, owned GPUs
  double export_tpp_cumulative = 0;  // TPP of export-controlled GPUs bought so far
  double spend_usd = 0;              // capex + rental paid this quarter
  double floor_h100_eq = 0;          // the soft target of BuyProblem::capacity_floor_h100_eq
  double shortfall_h100_eq = 0;      // how far below it the plan stays
};

// A constraint that holds with no room for one more node (or unit), and what relaxing it is worth.
struct Binding {
  std::string constraint{};  // "the 2027 budget (USD 1.20B)"
  std::string kind{};        // budget, power, export_cap, vendor_share, domestic_share, milestone,
                             // demand, supply, rental
  std::string relaxation{};  // "+10% budget in 2027"
  bool is_evaluated = false;
  double objective_gain = 0;  // improvement after the relaxation (more capacity, or less cost)
};

struct BuyResult {
  BuyStatus status = BuyStatus::kNoSolution;
  Objective objective = Objective::kMaxCapacity;
  double objective_value = 0;  // H100-eq GPU-hours, or USD
  bool is_proven_optimal = false;
  double mip_gap = 0;  // relative, plan against CBC's best bound; <= relative_gap when optimal
  std::vector<Purchase> purchases{};        // empty unless kOptimal or kFeasible
  std::vector<QuarterCapacity> capacity{};  // per quarter, idem
  std::vector<Binding> binding{};
  std::vector<std::string> conflicting{};  // constraint names, when kInfeasible
  std::string conflict_sentence{};         // the same, said in words
  double capex_usd = 0;
  double energy_usd = 0;
  double maintenance_usd = 0;
  double rental_usd = 0;
  double total_cost_usd = 0;
  double h100_eq_gpu_hours = 0;
  // The same costs as present values at BuyProblem::discount_rate (equal to the above at 0),
  // and what the bought nodes are still worth at the horizon's end.
  double capex_pv_usd = 0;
  double energy_pv_usd = 0;
  double maintenance_pv_usd = 0;
  double rental_pv_usd = 0;
  double total_cost_pv_usd = 0;
  double residual_value_usd = 0;
  double residual_value_pv_usd = 0;
};

struct SolveOptions {
  double time_limit_s = 30;
  double relative_gap = 1e-4;
  bool explain = true;           // binding values and, when infeasible, the conflicting set
  double relax_fraction = 0.10;  // how much each binding constraint is relaxed to value it
  int max_relaxations = 16;      // at most this many what-if re-solves
};

// ---- The MILP seam -------------------------------------------------------------------------

inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct MilpColumn {
  std::string name{};
  double lower = 0;
  double upper = kInf;
  double cost = 0;
  bool is_integer = false;
};

struct MilpRow {
  std::string name{};
  std::vector<std::pair<int, double>> terms{};  // (column index, coefficient)
  double lower = -kInf;
  double upper = kInf;
};

struct MilpModel {
  bool is_maximize = false;
  double objective_offset = 0;
  std::vector<MilpColumn> columns{};
  std::vector<MilpRow> rows{};
};

enum class MilpStatus { kOptimal, kFeasible, kInfeasible, kNoSolution };

struct MilpSolution {
  MilpStatus status = MilpStatus::kNoSolution;
  std::vector<double> values{};  // per column; empty without a solution
  double objective = 0;          // including the offset
  double best_bound = 0;         // including the offset
};

// A MILP solver. Error only for a broken solver or a model it cannot take.
class MilpBackend {
 public:
  virtual ~MilpBackend() = default;
  virtual std::string_view name() const = 0;
  [[nodiscard]] virtual Result<MilpSolution> Solve(const MilpModel& model, double time_limit_s,
                                                   double relative_gap) = 0;
};

std::unique_ptr<MilpBackend> MakeCbcBackend();

// The MILP as a file for an auditor or another solver, written by COIN-OR's own writers
// (CoinLpIO: CPLEX LP; CoinMpsIO: free MPS). Names are BuildMilp's with characters the formats
// refuse made '_'; a nonzero objective_offset becomes a column "objective_constant" fixed at 1,
// so another solver's objective value is gpuplan's; both formats minimize, so a maximization is
// written as minimizing its negation. A comment on top says so. Written atomically.
enum class MilpFileFormat { kLp, kMps };
[[nodiscard]] Result<void> WriteMilpFile(const MilpModel& model, const std::string& path,
                                         MilpFileFormat format);
// Reads such a file back with COIN-OR (tests; a check before handing a file on).
[[nodiscard]] Result<MilpModel> ReadMilpFile(const std::string& path, MilpFileFormat format);
// Brute force over every integer point within the column bounds; for tests. Refuses continuous
// columns and more than `max_points` points.
std::unique_ptr<MilpBackend> MakeEnumerationBackend(double max_points = 2e6);

// The MILP of `problem` (formulation and numbered constraints at the top of model.cpp).
MilpModel BuildMilp(const BuyProblem& problem);

// Error only for a malformed problem or a broken solver; infeasible is a status.
Result<BuyResult> SolveBuy(const BuyProblem& problem, const SolveOptions& options);
Result<BuyResult> SolveBuy(const BuyProblem& problem, const SolveOptions& options,
                           MilpBackend& backend);

// The document `gpuplan buy --json` prints (DESIGN): status, objective, costs, purchases,
// capacity by quarter, binding constraints and conflicts.
nlohmann::ordered_json ResultJson(const scenario::Scenario& scenario, const BuyProblem& problem,
                                  const BuyResult& result);
// The present-value keys of that document, shared with report.json's buy section: discount_rate,
// total_cost_pv_usd, capex_pv_usd, opex_pv_usd, rental_pv_usd, residual_value_usd,
// residual_value_pv_usd, net_cost_pv_usd (total_cost_pv_usd less residual_value_pv_usd).
void PresentValueJson(const BuyProblem& problem, const BuyResult& result,
                      nlohmann::ordered_json& document);

// ---- An independent check of a plan, for tests ------------------------------------------------

struct BuyPlan {
  std::vector<std::vector<int>> nodes{};  // [candidate][quarter]: nodes ordered
  std::vector<double> rented_gpus{};      // [quarter]; empty: none
};

struct PlanEvaluation {
  std::vector<std::string> violations{};  // names as in Binding::constraint
  double objective_value = 0;
  double capex_usd = 0;
  double total_cost_usd = 0;
  double total_cost_pv_usd = 0;
  double residual_value_usd = 0;
};

// Re-computes a plan's objective and every violated constraint straight from the problem,
// without the MILP. Demand is checked per workload (each alone must fit).
PlanEvaluation EvaluatePlan(const BuyProblem& problem, const BuyPlan& plan);

}  // namespace gpuplan::buy
