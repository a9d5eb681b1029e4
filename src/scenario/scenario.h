// scenario: one TOML file describes a whole center (what to buy, under which budget, power,
// export cap and supply policy; who uses it; how to simulate it). Parsed and validated once
// into plain typed config; every money figure is converted to USD on load.
// Key reference: docs/scenario.md and the commented data/scenarios/*.toml.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "sim/sim.h"
#include "sizing/sizing.h"
#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::scenario {

// A calendar quarter, "2026Q4".
struct Quarter {
  int year = 0;
  int quarter = 0;                                        // 1..4
  int Index() const { return year * 4 + (quarter - 1); }  // consecutive quarters differ by 1
  auto operator<=>(const Quarter&) const = default;
};
std::string ToString(Quarter q);
Quarter QuarterFromIndex(int index);
// "2026Q4" (also "2026q4"); `field` names the value in the error message.
Result<Quarter> ParseQuarter(std::string_view text, std::string_view field);

// What one "H100-equivalent" means for milestones and the capacity objective.
enum class CapacityUnit {
  kPeak,    // dense BF16 peak relative to H100 SXM (989.5 TFLOP/s)
  kSizing,  // effective training throughput from the sizing model, relative to H100 SXM
};
std::string_view ToString(CapacityUnit u);

struct YearBudget {
  int year = 0;
  double capex_usd = 0;
};

struct Budget {
  bool has_budget = false;             // false: no capital limit (min-cost scenarios)
  std::vector<YearBudget> per_year{};  // one entry per calendar year the horizon touches
  bool is_carry_over = false;          // unspent budget moves to the next year
  double total_usd = 0;                // 0: no cap over the whole horizon
  double discount_rate = 0;            // per year, for present values (buy.h)
};

// Defaults: catalog::kDefaultCostPolicy's, as size train and size serve price by.
struct Opex {
  double power_usd_per_kwh = catalog::kDefaultCostPolicy.power_usd_per_kwh;
  double pue = catalog::kDefaultCostPolicy.pue;  // facility power / IT power
  double maintenance_share_per_year = 0;         // staff and maintenance, share of capex per year
  // Capital per GPU-hour is written off over the part's life or over the horizon (a center that
  // must recover its capital within its funding period).
  catalog::Amortization amortization = catalog::kDefaultCostPolicy.amortization;
  double part_life_years = catalog::kDefaultCostPolicy.part_life_years;
};

// GPUs already owned (or contracted) when the horizon starts.
struct ExistingFleet {
  std::string accelerator{};
  int num_gpus = 0;
  std::string vendor{};  // default: the catalog vendor
  bool is_domestic = false;
  double power_w_per_gpu = 0;  // whole server share per GPU, before PUE
  Quarter in_service_from{};   // default: the first quarter of the horizon
  // Node size: `gpus_per_node` in the file, else a [[candidate]]'s of the same type, else the
  // catalog's; num_gpus is a whole number of such nodes.
  int gpus_per_node = 0;
  int line = 0;
};

struct Candidate {
  std::string accelerator{};
  std::string vendor{};  // default: the catalog vendor
  bool is_domestic = false;
  bool is_export_controlled = true;  // counts against the export cap; default: !is_domestic
  int gpus_per_node = 0;             // default: the catalog's
  double node_price_usd = 0;
  double node_power_w = 0;  // whole server, before PUE
  int max_nodes_per_quarter = 0;
  int lead_time_quarters = 0;  // ordered in q, in service from q + lead time
  Quarter available_from{};    // first quarter it can be ordered
  // A purchase line is 0 or at least this many nodes (vendors sell scalable units, and a
  // 2-node order of a new type is not worth its integration cost); 0: no minimum. The default
  // is capped at max_nodes_per_quarter so that a small allocation stays buyable.
  int min_nodes_per_order = kDefaultMinNodesPerOrder;
  // node_price is the price in the horizon's first quarter; it falls by this share a year.
  double price_decline_per_year = 0;
  // Straight-line depreciation from delivery: the residual value at the horizon's end. Parsed
  // default: the scenario's [opex] part_life_years (5 unless set), the life costs amortize over.
  double service_life_years = kDefaultServiceLifeYears;
  int line = 0;
  static constexpr int kDefaultMinNodesPerOrder = 4;
  static constexpr double kDefaultServiceLifeYears = 5;
};

// Facility power (including cooling, so compared with IT power x PUE) from `from` on.
struct PowerStep {
  Quarter from{};
  double facility_w = 0;
};

struct ExportCap {
  bool has_cap = false;
  double cumulative_tpp = 0;  // sum of TPP of export-controlled GPUs bought over the horizon
};

struct SupplySecurity {
  double max_vendor_share = 1.0;    // of owned H100-equivalents, per vendor
  double min_domestic_share = 0.0;  // of owned H100-equivalents
  Quarter from{};                   // shares hold from this quarter on; default: last quarter
};

// Owned plus rented capacity that must be reached by `quarter` and kept after it.
struct Milestone {
  Quarter quarter{};
  double h100_equivalents = 0;  // exactly one of h100_equivalents and num_gpus is > 0
  int num_gpus = 0;
  std::string label{};
  int line = 0;
};

// Public-private partnership: GPUs rented from private providers, quarter by quarter.
struct Rental {
  bool is_enabled = false;
  std::string accelerator = "h100-sxm5-80gb";
  double usd_per_gpu_hour = 0;
  int max_gpus_per_quarter = 0;
  bool is_paid_from_budget = true;  // rental spending counts against the capital budget
  Quarter from{};
};

enum class Recurrence { kOnce, kQuarterly, kHalfYearly, kYearly };
std::string_view ToString(Recurrence r);

// A training run the fleet must be able to host: `model` preset, `tokens`, within `deadline_s`.
struct Workload {
  std::string name{};
  std::string model{};        // a model preset id (or a model file), e.g. "llama3-70b"
  model::ModelShape shape{};  // `model`, resolved once at load
  double tokens = 0;
  double deadline_s = 0;
  Recurrence recurrence = Recurrence::kOnce;
  Quarter from{};  // first quarter it runs; default: the first quarter
  catalog::Precision precision = catalog::Precision::kBf16;
  std::string tenant{};  // the [[tenant]] that runs it; empty: the center itself
  int line = 0;
};

// A model served at a steady load (gpuplan size serve); the fleet must be able to host it from
// `from` on. Latency targets are means.
struct Service {
  std::string name{};
  std::string model{};        // a model preset id (or a model file)
  model::ModelShape shape{};  // `model`, resolved once at load
  double requests_per_s = 0;
  int prompt_tokens = 1000;
  int output_tokens = 200;
  double ttft_s = 0.5;
  double tpot_s = 0.05;
  sizing::ServePrecision precision = sizing::ServePrecision::kBf16;
  Quarter from{};  // default: the first quarter
  int line = 0;
};

// One class vocabulary for scenarios and traces; a scenario's tenant always has a class (never
// kUnclassified).
using trace::TenantClass;

// A promised service: the `percentile` of the waits of jobs that `tenant_class` (or `tenant`)
// submits in each quarter from `from` on stays within `wait_s`.
struct ServiceLevel {
  std::optional<TenantClass> tenant_class{};  // exactly one of tenant_class and tenant is set
  std::string tenant{};
  double wait_s = 0;
  double percentile = 95;  // in (0, 100]
  Quarter from{};          // default: the first quarter
  int line = 0;
};

// What `plan` and `buy` optimize when the command line does not say.
enum class PlanObjective { kMaxCapacity, kMinCost, kServiceLevel };
std::string_view ToString(PlanObjective o);  // "max-capacity", "min-cost", "service-level"

// A value that holds from `from` on, until the next step (like facility power).
struct QuarterStep {
  Quarter from{};
  double value = 0;
};

struct Tenant {
  std::string name{};
  TenantClass tenant_class = TenantClass::kAcademia;
  double share_weight = 1.0;  // fair-share weight
  int quota_gpus = 0;         // 0: no quota
  // What the tenant submits, in SI units on the simulator's clock (0 = the first quarter's start):
  // its class's typical jobs (trace::DefaultDemand) with the file's duration and GPU mix, a rate
  // step per quarter when [tenant.demand] jobs_per_day has steps or growth, and the types it may
  // use (`allowed`). The one demand type: the generator, buy's floors and plan all read it.
  trace::TenantDemand demand;
  int line = 0;
};

struct Simulation {
  std::string policy = "fifo";  // one of sim::PolicyNames(), checked at load
  sim::Placement placement = sim::Placement::kPack;
  uint64_t seed = 1;      // the simulation covers the horizon (first..last); no duration key
  double gpu_mtbf_s = 0;  // per GPU; 0: no failures
  double checkpoint_interval_s = 0;  // 0: no checkpoints
  double restart_overhead_s = 0;
  std::string trace{};  // absolute path, or empty: synthesize from [[tenant]] demand
  // The schedulers' settings, as `simulate`'s flags of the same names; defaults are the
  // simulator's (sim::SimConfig says where each comes from).
  double bf_window_s = 24 * kSecondsPerHour;            // bf_window_h
  double decay_half_life_s = 7 * 24 * kSecondsPerHour;  // decay_half_life_h
  double priority_calc_period_s = 300;                  // priority_calc_period_min
  double estimate_factor = 2;                           // estimate_factor
};

struct Scenario {
  std::string path{};
  std::string name{};
  std::string description{};
  std::string currency = "USD";
  double units_per_usd = 1.0;  // exchange rate the money figures were converted with
  Quarter first{};
  Quarter last{};
  CapacityUnit capacity_unit = CapacityUnit::kPeak;
  Budget budget;
  Opex opex;
  std::vector<ExistingFleet> existing{};
  std::vector<Candidate> candidates{};
  std::vector<PowerStep> power{};  // sorted; the first step starts at `first`
  ExportCap export_cap;
  SupplySecurity supply;
  std::vector<Milestone> milestones{};
  Rental rental;
  std::vector<Workload> workloads{};
  std::vector<Service> services{};
  std::vector<Tenant> tenants{};
  std::vector<ServiceLevel> service_levels{};
  PlanObjective objective = PlanObjective::kMaxCapacity;  // [plan] objective
  Simulation simulation;
  std::vector<sim::ClusterQueue> cluster_queues{};  // [[cluster_queue]]: Kueue quotas
  // Accelerators the scenario adds to the catalog (`extra_catalog`), e.g. domestic NPUs.
  std::optional<catalog::Catalog> extra_catalog{};
  // Every file the scenario was read from or names as an input, so that no output replaces one:
  // the file and its extends chain, then extra_catalog, model files and the simulation trace.
  std::vector<std::string> files_read{};

  int num_quarters() const { return last.Index() - first.Index() + 1; }
  // Facility power in quarter `q`, W.
  double FacilityPowerW(Quarter q) const;
  // A tenant's arrival rate in quarter `q` (its step, with growth), jobs per day.
  double JobsPerDay(const Tenant& tenant, Quarter q) const;
  // The quarters a workload's runs start in (`every`, from its `from`, within the horizon).
  std::vector<Quarter> RunsOf(const Workload& workload) const;
};

// Parses and validates a scenario; accelerator ids are checked against `catalog` (and the
// scenario's extra catalog). `path` names the file in errors and anchors relative paths.
// `extends = "base.toml"` reads the base first (relative to the file; chains up to 8 files): the
// file's keys replace the base's, tables merge key by key, arrays are replaced whole.
// `overrides` ("budget.total=2.5e9", "candidate.b200.node_price=4.1e5", "tenant.0.share=0.2") then
// set keys in order: a key path of tables, where a [[list]] is followed by an entry's index or its
// name/accelerator; the value is TOML, or a bare word taken as a string. Every check of the file
// applies to an override's value, and its errors name it ("--set budget.total: ...").
Result<Scenario> ParseScenario(std::string_view toml_text, const std::string& path,
                               const catalog::Catalog& catalog,
                               const std::vector<std::string>& overrides = {});
Result<Scenario> LoadScenario(const std::string& path, const catalog::Catalog& catalog,
                              const std::vector<std::string>& overrides = {});

// The accelerator `id` from the scenario's extra catalog, else from `catalog`.
Result<const catalog::Accelerator*> FindAccelerator(const Scenario& scenario,
                                                    const catalog::Catalog& catalog,
                                                    std::string_view id);

// The built-in default scenario: data/scenarios/korea.toml.
std::string DefaultScenarioPath();

}  // namespace gpuplan::scenario
