#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "model/model.h"
#include "sim/sim.h"
#include "sizing/sizing.h"
#include "trace/trace.h"

namespace gpuplan::plan {

namespace {

using Json = nlohmann::ordered_json;

constexpr double kReferenceTokens = 1e12;  // any value: throughput does not depend on it
// Bins of the wait histogram (report contract: shared by all classes, last bin open-ended).
constexpr double kWaitEdgesS[] = {0, 60, 600, 3600, 4 * 3600, 86400};
// Timeline sample interval of the simulation: one point a day.
constexpr double kTimelineIntervalS = kSecondsPerDay;
// The cost of a GPU-hour on a scenario's candidate: its node price written off over this many
// years (a common depreciation period for servers), plus power and maintenance as the scenario
// prices them.
constexpr double kAmortizationYears = 5;

// USD per GPU-hour of accelerator `id` as the scenario prices it; 0 when it is not a candidate
// (sizing then uses its own documented default).
double ScenarioUsdPerGpuHour(const scenario::Scenario& s, const std::string& id) {
  for (const auto& c : s.candidates) {
    if (c.accelerator != id || c.gpus_per_node <= 0 || c.node_price_usd <= 0) continue;
    const double gpu_price_usd = c.node_price_usd / c.gpus_per_node;
    const double capital = gpu_price_usd / (kAmortizationYears * kHoursPerYear);
    const double maintenance = gpu_price_usd * s.opex.maintenance_share_per_year / kHoursPerYear;
    const double energy = c.node_power_w / c.gpus_per_node / 1e3 * s.opex.pue *
                          s.opex.power_usd_per_kwh;
    return capital + maintenance + energy;
  }
  return 0;
}

Result<sizing::TrainPlan> SizeWorkload(const scenario::Workload& w,
                                       const catalog::Accelerator& a,
                                       double usd_per_gpu_hour = 0) {
  auto shape = model::FindModel(w.model);
  GPUPLAN_TRY(shape);
  auto precision = catalog::ParsePrecision(w.precision);
  GPUPLAN_TRY(precision);
  if (*precision == catalog::Precision::kFp8 && !a.has_fp8()) {
    return Error{fmt::format("{} has no FP8", a.id)};
  }
  sizing::TrainRequest req;
  req.model = *shape;
  req.tokens = w.tokens;
  req.precision = *precision;
  req.deadline_days = w.deadline_s / kSecondsPerDay;
  req.usd_per_gpu_hour = usd_per_gpu_hour;
  return sizing::SizeTraining(req, a);
}

Result<sizing::ServePlan> SizeService(const scenario::Service& v, const catalog::Accelerator& a,
                                      double usd_per_gpu_hour = 0) {
  auto shape = model::FindModel(v.model);
  GPUPLAN_TRY(shape);
  auto precision = sizing::ParseServePrecision(v.precision);
  GPUPLAN_TRY(precision);
  sizing::ServeRequest req;
  req.model = *shape;
  req.prompt_tokens = v.prompt_tokens;
  req.output_tokens = v.output_tokens;
  req.requests_per_s = v.requests_per_s;
  req.ttft_target_s = v.ttft_s;
  req.tpot_target_s = v.tpot_s;
  req.precision = *precision;
  req.price_usd_per_gpu_hour = usd_per_gpu_hour;
  return sizing::SizeServing(req, a);
}

}  // namespace

buy::DemandResolver MakeSizingResolver(const catalog::Catalog& catalog) {
  buy::DemandResolver r;
  r.size_workload = [](const scenario::Workload& w,
                       const catalog::Accelerator& a) -> Result<buy::WorkloadFit> {
    // An unknown model is the scenario's error; a part the model does not fit (or cannot meet
    // the deadline with) is an answer: that part does not count for this workload.
    GPUPLAN_TRY(model::FindModel(w.model));
    auto plan = SizeWorkload(w, a);
    if (!plan) return buy::WorkloadFit{};
    return buy::WorkloadFit{.fits = true, .num_gpus = static_cast<double>(plan->gpus)};
  };
  r.size_service = [](const scenario::Service& v,
                      const catalog::Accelerator& a) -> Result<buy::WorkloadFit> {
    GPUPLAN_TRY(model::FindModel(v.model));
    auto plan = SizeService(v, a);
    if (!plan) return buy::WorkloadFit{};  // no TP fits, or the latency targets are out of reach
    return buy::WorkloadFit{.fits = true, .num_gpus = static_cast<double>(plan->gpus)};
  };
  r.sizing_h100_eq = [&catalog](const catalog::Accelerator& a) -> Result<double> {
    auto shape = model::FindModel(kReferenceModel);
    GPUPLAN_TRY(shape);
    auto ref = catalog.Find(kReferenceAccelerator);
    GPUPLAN_TRY(ref);
    sizing::TrainRequest req;
    req.model = *shape;
    req.tokens = kReferenceTokens;
    req.num_gpus = kReferenceGpus;
    auto mine = sizing::SizeTraining(req, a);
    if (!mine) return 0.0;  // cannot train the reference model: no training capacity
    auto base = sizing::SizeTraining(req, **ref);
    GPUPLAN_TRY(base);
    return mine->tokens_per_s / base->tokens_per_s;
  };
  return r;
}

namespace {

// Accelerators a workload may be sized on: the candidates, then the existing fleet's types.
std::vector<std::string> SizingAccelerators(const scenario::Scenario& s) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& c : s.candidates) {
    if (seen.insert(c.accelerator).second) ids.push_back(c.accelerator);
  }
  for (const auto& e : s.existing) {
    if (seen.insert(e.accelerator).second) ids.push_back(e.accelerator);
  }
  return ids;
}

Json SizingSection(const scenario::Scenario& s, const catalog::Catalog& catalog) {
  Json rows = Json::array();
  for (const auto& w : s.workloads) {
    for (const auto& id : SizingAccelerators(s)) {
      Json row;
      row["workload"] = w.name;
      row["model"] = w.model;
      row["accelerator"] = id;
      auto acc = scenario::FindAccelerator(s, catalog, id);
      if (!acc) {
        row["error"] = acc.error().message;
        rows.push_back(row);
        continue;
      }
      auto plan = SizeWorkload(w, **acc, ScenarioUsdPerGpuHour(s, id));
      if (!plan) {
        row["error"] = plan.error().message;
        rows.push_back(row);
        continue;
      }
      Json j = sizing::TrainPlanJson(*plan);
      row["params"] = plan->params;
      row["tokens"] = plan->tokens;
      for (const char* key : {"gpus", "days", "gpu_hours", "mfu", "tflops_per_gpu",
                              "memory_per_gpu_gib", "parallelism", "energy_mwh", "cost_usd"}) {
        if (j.contains(key)) row[key] = j[key];
      }
      row["deadline_days"] = w.deadline_s / kSecondsPerDay;
      rows.push_back(row);
    }
  }
  return rows;
}

Json ServingSection(const scenario::Scenario& s, const catalog::Catalog& catalog) {
  Json rows = Json::array();
  for (const auto& v : s.services) {
    for (const auto& id : SizingAccelerators(s)) {
      Json row;
      row["workload"] = v.name;
      row["model"] = v.model;
      row["accelerator"] = id;
      row["rps"] = v.requests_per_s;
      auto acc = scenario::FindAccelerator(s, catalog, id);
      auto plan = acc ? SizeService(v, **acc, ScenarioUsdPerGpuHour(s, id))
                      : Result<sizing::ServePlan>(acc.error());
      if (!plan) {
        row["error"] = plan.error().message;
        rows.push_back(row);
        continue;
      }
      row["gpus"] = plan->gpus;
      row["tp"] = plan->point.tp;
      row["replicas"] = plan->replicas;
      row["tokens_per_s_per_gpu"] = plan->output_tokens_per_s_per_gpu;
      row["ttft_ms"] = plan->point.ttft_s * 1000;
      row["tpot_ms"] = plan->point.tpot_s * 1000;
      if (plan->usd_per_million_output_tokens > 0) {
        row["usd_per_million_tokens"] = plan->usd_per_million_output_tokens;
      }
      row["kwh_per_million_tokens"] = plan->energy_kwh_per_million_output_tokens;
      rows.push_back(row);
    }
  }
  return rows;
}

std::string ObjectiveKind(buy::Objective o) {
  return o == buy::Objective::kMaxCapacity ? "max_h100_eq_gpu_hours" : "min_total_cost_usd";
}

struct FleetGroup {
  std::string accelerator;
  int gpus = 0;
  int gpus_per_node = 8;
  int first_quarter_idx = 0;  // in service from, index into the horizon
  int last_quarter_idx = 1 << 20;  // in service through (rentals: one quarter)
};

// The GPUs the scenario owns before buying anything, in nodes of the size it buys them in (else
// the catalog's).
std::vector<FleetGroup> ExistingFleet(const scenario::Scenario& s,
                                      const catalog::Catalog& catalog) {
  std::vector<FleetGroup> fleet;
  for (const auto& e : s.existing) {
    FleetGroup g{.accelerator = e.accelerator,
                 .gpus = e.num_gpus,
                 .first_quarter_idx = e.in_service_from.Index() - s.first.Index()};
    if (auto acc = scenario::FindAccelerator(s, catalog, e.accelerator)) {
      g.gpus_per_node = (*acc)->gpus_per_node;
    }
    for (const auto& c : s.candidates) {
      if (c.accelerator == e.accelerator && c.gpus_per_node > 0) g.gpus_per_node = c.gpus_per_node;
    }
    fleet.push_back(g);
  }
  return fleet;
}

// The fleet a purchase plan builds: existing GPUs, then deliveries, then rentals.
std::vector<FleetGroup> FleetOf(const scenario::Scenario& s, const catalog::Catalog& catalog,
                                const buy::BuyProblem& problem, const buy::BuyResult& result) {
  std::vector<FleetGroup> fleet = ExistingFleet(s, catalog);
  const int first = s.first.Index();
  for (const auto& p : result.purchases) {
    auto q = scenario::ParseQuarter(p.delivered, "delivered");
    if (!q) continue;
    FleetGroup g{.accelerator = p.accelerator, .gpus = p.gpus, .first_quarter_idx = q->Index() - first};
    if (p.nodes > 0) g.gpus_per_node = p.gpus / p.nodes;
    fleet.push_back(g);
  }
  for (size_t i = 0; i < result.capacity.size(); ++i) {
    const int rented = static_cast<int>(std::lround(result.capacity[i].rented_gpus));
    if (rented <= 0) continue;
    fleet.push_back({.accelerator = problem.rental.accelerator,
                     .gpus = rented,
                     .gpus_per_node = 8,
                     .first_quarter_idx = static_cast<int>(i),
                     .last_quarter_idx = static_cast<int>(i)});
  }
  return fleet;
}

Json BuySection(const scenario::Scenario& s, const buy::BuyProblem& problem,
                const buy::BuyResult& r, const std::vector<FleetGroup>& fleet) {
  Json j;
  j["status"] = std::string(buy::ToString(r.status));
  j["objective_kind"] = ObjectiveKind(r.objective);
  j["objective"] = r.objective_value;
  j["proven_optimal"] = r.is_proven_optimal;
  j["gap"] = r.mip_gap;
  j["capacity_unit"] = problem.capacity_unit;
  j["total_cost_usd"] = r.total_cost_usd;
  j["capex_usd"] = r.capex_usd;
  j["opex_usd"] = r.energy_usd + r.maintenance_usd;
  j["rental_usd"] = r.rental_usd;
  j["h100_eq_gpu_hours"] = r.h100_eq_gpu_hours;
  std::map<std::string, std::string> vendor_of;
  for (const auto& c : problem.candidates) vendor_of[c.accelerator] = c.vendor;
  j["purchases"] = Json::array();
  std::map<std::string, double> capex_by_quarter;
  for (const auto& p : r.purchases) {
    j["purchases"].push_back({{"quarter", p.quarter},
                              {"delivered", p.delivered},
                              {"accelerator", p.accelerator},
                              {"vendor", vendor_of[p.accelerator]},
                              {"nodes", p.nodes},
                              {"gpus", p.gpus},
                              {"capex_usd", p.capex_usd}});
    capex_by_quarter[p.quarter] += p.capex_usd;
  }
  j["capacity"] = Json::array();
  j["spend"] = Json::array();
  double cumulative_capex = 0;
  for (size_t i = 0; i < r.capacity.size(); ++i) {
    const auto& c = r.capacity[i];
    const auto q = scenario::QuarterFromIndex(s.first.Index() + static_cast<int>(i));
    Json by_acc = Json::object();
    for (const auto& g : fleet) {
      if (static_cast<int>(i) < g.first_quarter_idx || static_cast<int>(i) > g.last_quarter_idx) {
        continue;
      }
      by_acc[g.accelerator] = by_acc.value(g.accelerator, 0) + g.gpus;
    }
    Json row;
    row["quarter"] = c.quarter;
    row["gpus"] = c.num_gpus;
    row["gpus_by_accelerator"] = by_acc;
    row["h100_equivalents"] = c.h100_equivalents;
    row["power_mw"] = c.power_w / 1e6;
    row["power_cap_mw"] = s.FacilityPowerW(q) / 1e6;
    // Against the cap the chart shows what the cap limits: cumulative export-controlled TPP.
    row["tpp"] = problem.has_export_cap ? c.export_tpp_cumulative : c.tpp;
    row["installed_tpp"] = c.tpp;
    if (problem.has_export_cap) row["tpp_cap"] = problem.export_cap_tpp;
    row["rented_gpus"] = c.rented_gpus;
    j["capacity"].push_back(row);
    // Operating cost per quarter, as the MILP counts it: energy of the IT load x PUE (power_w is
    // already facility power) and a yearly maintenance share of the capital spent so far.
    cumulative_capex += capex_by_quarter[c.quarter];
    const double energy_usd = c.power_w / 1e3 * buy::kHoursPerQuarter * problem.power_usd_per_kwh;
    const double maintenance_usd = cumulative_capex * problem.maintenance_share_per_year / 4;
    const double rental_usd =
        c.rented_gpus * buy::kHoursPerQuarter * problem.rental.usd_per_gpu_hour;
    j["spend"].push_back({{"quarter", c.quarter},
                          {"capex_usd", capex_by_quarter[c.quarter]},
                          {"opex_usd", energy_usd + maintenance_usd},
                          {"rental_usd", rental_usd}});
  }
  j["binding"] = Json::array();
  for (const auto& b : r.binding) {
    std::string words = b.constraint;
    if (b.is_evaluated && !b.relaxation.empty()) {
      words += r.objective == buy::Objective::kMaxCapacity
                   ? fmt::format(": {} would add {} H100-equivalent GPU-hours", b.relaxation,
                                 FormatQuantity(b.objective_gain))
                   : fmt::format(": {} would save USD {}", b.relaxation,
                                 FormatQuantity(b.objective_gain));
    }
    // The constraint name carries the keyword the report reads into words (docs/report.md);
    // a vendor's delivery limit is "availability", not the supply-security policy.
    const std::string kind = b.kind == "supply" ? "availability" : b.kind;
    j["binding"].push_back({{"constraint", kind + ": " + b.constraint},
                            {"kind", b.kind},
                            {"description", words},
                            {"relaxation", b.relaxation},
                            {"objective_gain", b.objective_gain}});
  }
  j["conflict"] = r.conflicting;
  if (!r.conflict_sentence.empty()) j["conflict_sentence"] = r.conflict_sentence;
  return j;
}

// The simulator's cluster: one node group per fleet group, delivered at its quarter's start.
Result<sim::ClusterSpec> ClusterOf(const scenario::Scenario& s, const catalog::Catalog& catalog,
                                   const std::vector<FleetGroup>& fleet) {
  sim::ClusterSpec spec;
  auto ref = catalog.Find(kReferenceAccelerator);
  GPUPLAN_TRY(ref);
  spec.reference_accelerator = kReferenceAccelerator;
  for (const auto& g : fleet) {
    auto acc = scenario::FindAccelerator(s, catalog, g.accelerator);
    GPUPLAN_TRY(acc);
    sim::NodeGroup n;
    n.accelerator = g.accelerator;
    n.gpus_per_node = std::max(1, g.gpus_per_node);
    n.num_nodes = g.gpus / n.gpus_per_node;
    n.relative_speed = sim::RelativeSpeed(**acc, **ref);
    n.available_from_s = std::max(0, g.first_quarter_idx) * kSecondsPerQuarter;
    if (g.last_quarter_idx < (1 << 20)) n.retired_at_s = (g.last_quarter_idx + 1) * kSecondsPerQuarter;
    if (n.num_nodes > 0) spec.groups.push_back(n);
  }
  spec.known_speeds.push_back({kReferenceAccelerator, 1.0});
  return spec;
}

Result<trace::Trace> WorkloadOf(const scenario::Scenario& s, double horizon_s) {
  if (!s.simulation.trace.empty()) {
    return trace::ReadTrace(s.simulation.trace, trace::TraceFormat::kGpuplan);
  }
  trace::GeneratorSpec gen;
  gen.horizon_s = horizon_s;
  gen.seed = s.simulation.seed;
  for (const auto& t : s.tenants) {
    auto cls = trace::ParseTenantClass(scenario::ToString(t.tenant_class));
    GPUPLAN_TRY(cls);
    trace::TenantDemand d = trace::DefaultDemand(*cls, t.name, t.demand.jobs_per_day);
    d.tenant.share_weight = t.share_weight;
    d.tenant.quota_gpus = t.quota_gpus;
    if (t.demand.median_duration_s > 0) d.duration_median_s = t.demand.median_duration_s;
    if (t.demand.duration_sigma > 0) d.duration_sigma = t.demand.duration_sigma;
    if (!t.demand.gpu_mix.empty()) {
      d.gpu_mix.clear();
      for (const auto& m : t.demand.gpu_mix) d.gpu_mix.push_back({m.num_gpus, m.weight});
    }
    gen.tenants.push_back(d);
  }
  if (gen.tenants.empty()) {
    return Error{fmt::format("{}: no [[tenant]] with demand and no [simulation] trace: nothing "
                             "to simulate", s.path)};
  }
  return trace::Generate(gen);
}

Json WaitHistogram(const std::vector<double>& waits) {
  Json edges = Json::array();
  std::vector<int64_t> counts(std::size(kWaitEdgesS), 0);
  for (double e : kWaitEdgesS) edges.push_back(e);
  for (double w : waits) {
    size_t i = std::size(kWaitEdgesS) - 1;
    while (i > 0 && w < kWaitEdgesS[i]) --i;
    ++counts[i];
  }
  return {{"edges_s", edges}, {"counts", counts}};
}

Json PolicyRow(const sim::SimResult& r) {
  // The simulator's own JSON, less what the report reshapes (classes) or samples (jobs).
  Json j = sim::ToJson(r);
  for (const char* key : {"per_tenant", "per_class", "unschedulable_jobs", "notes", "wall_s"}) {
    j.erase(key);
  }
  // Waits per class from the job rows (the histogram needs the samples).
  std::map<std::string, std::vector<double>> waits_by_tenant;
  for (const auto& row : r.job_rows) {
    if (row.start_s >= 0) waits_by_tenant[row.tenant].push_back(row.wait_s);
  }
  double total_gpu_hours = 0;
  for (const auto& c : r.per_class) total_gpu_hours += c.gpu_hours;
  Json per_class = Json::object();
  for (const auto& c : r.per_class) {
    std::vector<double> waits;
    for (const auto& t : r.per_tenant) {
      if (t.tenant_class != c.tenant_class) continue;
      const auto& w = waits_by_tenant[t.name];
      waits.insert(waits.end(), w.begin(), w.end());
    }
    Json k;
    k["jobs"] = c.jobs;
    k["completed"] = c.completed;
    k["mean_wait_s"] = c.waits.avg_wait_s;
    k["p50_wait_s"] = c.waits.p50_wait_s;
    k["p95_wait_s"] = c.waits.p95_wait_s;
    k["p99_wait_s"] = c.waits.p99_wait_s;
    k["avg_bounded_slowdown"] = c.waits.avg_bounded_slowdown;
    k["gpu_hours"] = c.gpu_hours;
    k["entitled_share"] = total_gpu_hours > 0 ? c.entitled_gpu_hours / total_gpu_hours : 0;
    k["received_share"] = total_gpu_hours > 0 ? c.gpu_hours / total_gpu_hours : 0;
    k["wait_histogram"] = WaitHistogram(waits);
    per_class[std::string(trace::ToString(c.tenant_class))] = k;
  }
  j["per_class"] = per_class;
  Json unsched = Json::array();
  for (const auto& u : r.unschedulable) {
    if (unsched.size() >= 20) break;  // the count is in `unschedulable`; a sample says why
    unsched.push_back({{"job_id", u.job_id}, {"reason", u.reason}});
  }
  j["unschedulable_sample"] = unsched;
  return j;
}

// Waits of the jobs submitted in each quarter: how service improves as the fleet grows.
Json ByQuarter(const scenario::Scenario& s, const sim::SimResult& r) {
  const int n = s.num_quarters();
  std::vector<std::vector<double>> waits(n);
  for (const auto& row : r.job_rows) {
    const int q = std::clamp(static_cast<int>(row.submit_s / kSecondsPerQuarter), 0, n - 1);
    if (row.start_s >= 0) waits[q].push_back(row.wait_s);
  }
  Json out = Json::array();
  for (int q = 0; q < n; ++q) {
    const auto d = trace::Summarize(waits[q]);
    out.push_back({{"quarter", scenario::ToString(scenario::QuarterFromIndex(s.first.Index() + q))},
                   {"jobs_started", waits[q].size()},
                   {"mean_wait_s", d.mean},
                   {"p50_wait_s", d.p50},
                   {"p99_wait_s", d.p99}});
  }
  return out;
}

Json Timeline(const scenario::Scenario& s, const sim::SimResult& r) {
  Json out = Json::array();
  for (size_t i = 0; i < r.timeline.size(); ++i) {
    const auto& row = r.timeline[i];
    // Utilization over the interval ending at this sample (allocated is an instant reading).
    const double util = row.capacity_gpus > 0 ? row.allocated_gpus / row.capacity_gpus : 0;
    const int q = static_cast<int>(row.time_s / kSecondsPerQuarter);
    out.push_back({{"t_s", row.time_s},
                   {"quarter", scenario::ToString(scenario::QuarterFromIndex(s.first.Index() + q))},
                   {"gpus_total", row.capacity_gpus},
                   {"gpus_up", row.up_gpus},
                   {"utilization", util},
                   {"queue_length", row.queued_jobs},
                   {"running_jobs", row.running_jobs}});
  }
  return out;
}

// The simulator's settings from the scenario's [simulation] table.
sim::SimConfig ConfigOf(const scenario::Scenario& s, const sim::ClusterSpec& cluster,
                        const trace::Trace& workload, const std::string& policy) {
  sim::SimConfig config;
  config.cluster = cluster;
  config.tenants = workload.tenants;
  config.policy = policy;
  auto placement = sim::ParsePlacement(s.simulation.placement);
  if (placement) config.placement = *placement;
  config.failures.gpu_mtbf_s = s.simulation.gpu_mtbf_s;
  if (s.simulation.checkpoint_interval_s > 0) {
    config.failures.checkpoint_interval_s = s.simulation.checkpoint_interval_s;
  }
  if (s.simulation.restart_overhead_s > 0) {
    config.failures.restart_overhead_s = s.simulation.restart_overhead_s;
  }
  config.seed = s.simulation.seed;
  config.timeline_interval_s = kTimelineIntervalS;
  return config;
}

class StageProgress : public sim::SimObserver {
 public:
  explicit StageProgress(PlanObserver* observer) : observer_(observer) {}
  void OnProgress(const sim::SimProgress& p) override {
    if (observer_ && p.num_jobs > 0) {
      observer_->OnStageProgress(static_cast<double>(p.completed) / static_cast<double>(p.num_jobs));
    }
  }

 private:
  PlanObserver* observer_;
};

// A purchase option: its plan's cost and size, and the waits of the same jobs on its fleet.
Json OptionRow(buy::Objective objective, bool is_plan, const Json& buy, const Json* policy_row) {
  Json row;
  row["objective"] = std::string(buy::ToString(objective));
  row["is_plan"] = is_plan;
  for (const char* key : {"status", "total_cost_usd", "capex_usd", "h100_eq_gpu_hours"}) {
    if (buy.contains(key)) row[key] = buy[key];
  }
  if (buy.contains("capacity") && !buy["capacity"].empty()) {
    row["final_gpus"] = buy["capacity"].back()["gpus"];
    row["final_h100_equivalents"] = buy["capacity"].back()["h100_equivalents"];
  }
  if (policy_row != nullptr) {
    for (const char* key : {"policy", "utilization", "avg_wait_s", "p95_wait_s", "p99_wait_s"}) {
      if (policy_row->contains(key)) row[key] = (*policy_row)[key];
    }
  }
  return row;
}

// The report's purchase plan beside the plan of the other objective (most capacity within the
// budget, or the cheapest fleet that meets the milestones and demand), the latter solved here
// and simulated on the same jobs under the recommended policy.
Json PurchaseOptions(const scenario::Scenario& s, const catalog::Catalog& catalog,
                     const buy::BuyProblem& problem, const PlanOptions& options,
                     const trace::Trace& workload, const std::string& policy, const Json& report) {
  Json rows = Json::array();
  const Json* chosen_row = nullptr;
  const Json& sim = report.at("simulation");
  if (sim.contains("policies")) {
    for (const Json& row : sim.at("policies")) {
      if (row.value("policy", "") == policy) chosen_row = &row;
    }
  }
  rows.push_back(OptionRow(options.objective, true, report.at("buy"), chosen_row));

  buy::BuyProblem other = problem;
  other.objective = options.objective == buy::Objective::kMaxCapacity
                        ? buy::Objective::kMinCost
                        : buy::Objective::kMaxCapacity;
  buy::SolveOptions solve;
  solve.time_limit_s = options.buy_time_limit_s;
  solve.relative_gap = options.buy_relative_gap;
  solve.explain = false;
  auto result = buy::SolveBuy(other, solve);
  if (!result) {
    rows.push_back({{"objective", std::string(buy::ToString(other.objective))},
                    {"is_plan", false},
                    {"error", result.error().message}});
    return rows;
  }
  const std::vector<FleetGroup> fleet = FleetOf(s, catalog, other, *result);
  const Json buy_json = BuySection(s, other, *result, fleet);
  std::optional<Json> policy_row;
  if (result->status == buy::BuyStatus::kOptimal || result->status == buy::BuyStatus::kFeasible) {
    auto cluster = ClusterOf(s, catalog, fleet);
    if (cluster && !cluster->groups.empty()) {
      auto r = sim::Simulate(workload, ConfigOf(s, *cluster, workload, policy));
      if (r) policy_row = PolicyRow(*r);
    }
  }
  rows.push_back(OptionRow(other.objective, false, buy_json, policy_row ? &*policy_row : nullptr));
  return rows;
}

}  // namespace

Result<Json> RunPlan(const scenario::Scenario& s, const catalog::Catalog& catalog,
                     const PlanOptions& options) {
  std::vector<std::string> policies = options.policies;
  if (policies.empty()) {
    policies.push_back(s.simulation.policy);
    for (const char* p : {"fifo", "easy", "fairshare"}) {
      if (std::find(policies.begin(), policies.end(), p) == policies.end()) policies.push_back(p);
    }
  }
  const std::vector<std::string> known = sim::PolicyNames();
  for (const auto& p : policies) {
    if (std::find(known.begin(), known.end(), p) == known.end()) {
      return Error{UnknownNameMessage("policy", p, known)};
    }
  }
  const int num_stages = 2 + static_cast<int>(policies.size());
  int stage = 0;
  auto begin_stage = [&](const std::string& name) {
    if (options.observer) options.observer->OnStage(name, ++stage, num_stages);
  };

  Json report;
  report["gpuplan_version"] = "0.1.0";
  Json horizon = Json::array();
  for (int q = 0; q < s.num_quarters(); ++q) {
    horizon.push_back(scenario::ToString(scenario::QuarterFromIndex(s.first.Index() + q)));
  }
  report["scenario"] = {{"name", s.name},
                        {"path", s.path},
                        {"description", s.description},
                        {"horizon", horizon},
                        {"currency", s.currency}};
  Json warnings = Json::array();

  begin_stage("sizing training and serving workloads");
  report["sizing"] = SizingSection(s, catalog);
  report["serving"] = ServingSection(s, catalog);

  begin_stage("buying the fleet (CBC)");
  // Without a purchase plan (an error, or no plan meets every constraint) the existing fleet
  // alone is simulated.
  std::vector<FleetGroup> fleet = ExistingFleet(s, catalog);
  bool has_plan = false;
  auto problem = buy::BuildBuyProblem(s, catalog, MakeSizingResolver(catalog));
  if (problem) problem->objective = options.objective;
  if (!problem) {
    report["buy"] = {{"error", problem.error().message}};
  } else {
    buy::SolveOptions solve;
    solve.time_limit_s = options.buy_time_limit_s;
    solve.relative_gap = options.buy_relative_gap;
    auto result = buy::SolveBuy(*problem, solve);
    if (!result) {
      report["buy"] = {{"error", result.error().message}};
    } else {
      const std::vector<FleetGroup> planned = FleetOf(s, catalog, *problem, *result);
      report["buy"] = BuySection(s, *problem, *result, planned);
      has_plan = result->status == buy::BuyStatus::kOptimal ||
                 result->status == buy::BuyStatus::kFeasible;
      if (has_plan) fleet = planned;
    }
  }
  if (!has_plan) {
    warnings.push_back("no purchase plan: the center is simulated with its existing fleet only");
  }

  // The simulation covers the whole horizon, arrivals included, as the fleet grows.
  const double horizon_s = s.num_quarters() * kSecondsPerQuarter;
  // The recommended policy: the scenario's when it is compared, else the first compared.
  const std::string chosen =
      std::find(policies.begin(), policies.end(), s.simulation.policy) != policies.end()
          ? s.simulation.policy
          : policies.front();
  Json simulation;
  simulation["policy"] = chosen;
  simulation["horizon_s"] = horizon_s;
  auto cluster = ClusterOf(s, catalog, fleet);
  auto workload = cluster ? WorkloadOf(s, horizon_s) : Result<trace::Trace>(cluster.error());
  if (!workload) {
    simulation["error"] = workload.error().message;
  } else if (cluster->groups.empty()) {
    simulation["error"] = "the plan has no GPUs to simulate";
  } else {
    simulation["jobs"] = workload->jobs.size();
    simulation["source"] = workload->source;
    simulation["policies"] = Json::array();
    for (const auto& policy : policies) {
      begin_stage("simulating " + policy);
      StageProgress progress(options.observer);
      sim::SimConfig config = ConfigOf(s, *cluster, *workload, policy);
      config.observer = &progress;
      auto result = sim::Simulate(*workload, config);
      if (!result) {
        simulation["policies"].push_back({{"policy", policy}, {"error", result.error().message}});
        continue;
      }
      simulation["policies"].push_back(PolicyRow(*result));
      if (policy == chosen) {
        simulation["timeline"] = Timeline(s, *result);
        simulation["by_quarter"] = ByQuarter(s, *result);
        if (result->unschedulable_count > 0) {
          warnings.push_back(fmt::format(
              "{} of {} jobs could never run on this fleet under {} (e.g. more GPUs of one type "
              "than the fleet will ever have)",
              result->unschedulable_count, result->jobs, policy));
        }
      }
    }
  }
  report["simulation"] = simulation;
  if (options.compare_purchase_options && problem && workload && has_plan) {
    report["purchase_options"] =
        PurchaseOptions(s, catalog, *problem, options, *workload, chosen, report);
  }
  report["warnings"] = warnings;
  return report;
}

Result<ScenarioSimulation> SimulationOfScenario(const scenario::Scenario& s,
                                                const catalog::Catalog& catalog,
                                                double buy_time_limit_s) {
  ScenarioSimulation out;
  std::vector<FleetGroup> fleet = ExistingFleet(s, catalog);  // unless a plan exists
  auto problem = buy::BuildBuyProblem(s, catalog, MakeSizingResolver(catalog));
  if (!problem) {
    out.buy_status = problem.error().message;
  } else {
    buy::SolveOptions solve;
    solve.time_limit_s = buy_time_limit_s;
    solve.explain = false;  // the fleet is all the simulator needs
    auto result = buy::SolveBuy(*problem, solve);
    GPUPLAN_TRY(result);
    out.buy_status = std::string(buy::ToString(result->status));
    if (result->status == buy::BuyStatus::kOptimal ||
        result->status == buy::BuyStatus::kFeasible) {
      fleet = FleetOf(s, catalog, *problem, *result);
    }
  }
  auto cluster = ClusterOf(s, catalog, fleet);
  GPUPLAN_TRY(cluster);
  if (cluster->groups.empty()) {
    return Error{fmt::format("{}: the scenario's fleet has no GPUs to simulate ({})", s.path,
                             out.buy_status)};
  }
  auto workload = WorkloadOf(s, s.num_quarters() * kSecondsPerQuarter);
  GPUPLAN_TRY(workload);
  out.config = ConfigOf(s, *cluster, *workload, s.simulation.policy);
  out.trace = std::move(*workload);
  return out;
}

}  // namespace gpuplan::plan
