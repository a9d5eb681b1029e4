#include "plan/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "model/model.h"
#include "sim/sim.h"
#include "sizing/sizing.h"
#include "trace/trace.h"

namespace gpuplan::plan {

namespace {

using Json = nlohmann::ordered_json;

constexpr double kReferenceTokens = 1e12;  // any value: throughput does not depend on it
constexpr double kHoursPerQuarter = kSecondsPerQuarter / kSecondsPerHour;
// Bins of the wait histogram (report contract: shared by all classes, last bin open-ended).
constexpr double kWaitEdgesS[] = {0, 60, 600, kSecondsPerHour, 4 * kSecondsPerHour, kSecondsPerDay};
// Timeline sample interval of the simulation: one point a day.
constexpr double kTimelineIntervalS = kSecondsPerDay;
// USD per GPU-hour of accelerator `a` under the scenario's cost policy: a candidate at its node
// price and power, any other part at its catalog price in a server the policy prices (0 when
// the catalog has no price: sizing then says so).
double ScenarioUsdPerGpuHour(const scenario::Scenario& s, const catalog::Accelerator& a) {
  const catalog::CostPolicy policy = CostPolicyOf(s);
  for (const auto& c : s.candidates) {
    if (c.accelerator != a.id || c.gpus_per_node <= 0 || c.node_price_usd <= 0) continue;
    return catalog::CostPerGpuHour(policy, c.node_price_usd / c.gpus_per_node,
                                   c.node_power_w / c.gpus_per_node)
        .total_usd();
  }
  return catalog::CostPerGpuHour(policy, a).total_usd();
}

// On `num_gpus` GPUs when > 0, else the fewest that meet the workload's deadline.
Result<sizing::TrainPlan> SizeWorkload(const scenario::Workload& w, const catalog::Accelerator& a,
                                       double usd_per_gpu_hour = 0, int num_gpus = 0,
                                       double pue = sizing::kDefaultPue,
                                       double sizing_quantile = sizing::kDefaultSizingQuantile) {
  if (w.precision == catalog::Precision::kFp8 && !a.has_fp8()) {
    return Error{fmt::format("{} has no FP8", a.id)};
  }
  sizing::TrainRequest req;
  req.model = w.shape;
  req.tokens = w.tokens;
  req.precision = w.precision;
  if (num_gpus > 0) {
    req.num_gpus = num_gpus;
  } else {
    req.deadline_s = w.deadline_s;
  }
  req.usd_per_gpu_hour = usd_per_gpu_hour;
  req.pue = pue;
  req.sizing_quantile = sizing_quantile;
  auto plan = sizing::SizeTraining(req, a);
  if (plan && plan->status != sizing::TrainStatus::kOk) return Error{plan->status_message};
  return plan;
}

// The serving plan of `v` on `a`, whose status says whether a layout fits and meets the targets.
// An error is a request the sizing model refuses: the scenario's fault or a bug, never the part's.
Result<sizing::ServePlan> PlanService(const scenario::Service& v, const catalog::Accelerator& a,
                                      double usd_per_gpu_hour = 0) {
  sizing::ServeRequest req;
  req.model = v.shape;
  req.prompt_tokens = v.prompt_tokens;
  req.output_tokens = v.output_tokens;
  req.requests_per_s = v.requests_per_s;
  req.ttft_target_s = v.ttft_s;
  req.tpot_target_s = v.tpot_s;
  req.precision = v.precision;
  req.price_usd_per_gpu_hour = usd_per_gpu_hour;
  return sizing::PlanServing(req, a);
}

// PlanService with a status other than kOk as an error (status_message), for the report's cells.
Result<sizing::ServePlan> SizeService(const scenario::Service& v, const catalog::Accelerator& a,
                                      double usd_per_gpu_hour = 0) {
  if (!sizing::RunsPrecision(v.precision, a)) {
    return Error{fmt::format("{} has no {} support", a.id, sizing::ToString(v.precision))};
  }
  auto plan = PlanService(v, a, usd_per_gpu_hour);
  if (plan && plan->status != sizing::ServeStatus::kOk) return Error{plan->status_message};
  return plan;
}

}  // namespace

catalog::CostPolicy CostPolicyOf(const scenario::Scenario& s) {
  catalog::CostPolicy p = catalog::kDefaultCostPolicy;
  p.pue = s.opex.pue;
  p.power_usd_per_kwh = s.opex.power_usd_per_kwh;
  p.maintenance_share_per_year = s.opex.maintenance_share_per_year;
  p.amortization = s.opex.amortization;
  p.part_life_years = s.opex.part_life_years;
  p.horizon_years = s.num_quarters() / 4.0;
  return p;
}

std::vector<PartCost> PartCosts(const scenario::Scenario& s, const catalog::Catalog& catalog) {
  const catalog::CostPolicy policy = CostPolicyOf(s);
  std::vector<PartCost> parts;
  for (const auto& c : s.candidates) {
    if (c.gpus_per_node <= 0) continue;
    PartCost p{.accelerator = c.accelerator,
               .capex_usd_per_gpu = c.node_price_usd / c.gpus_per_node,
               .power_w_per_gpu = c.node_power_w / c.gpus_per_node};
    p.usd_per_gpu_hour =
        catalog::CostPerGpuHour(policy, p.capex_usd_per_gpu, p.power_w_per_gpu).total_usd();
    // A node price equal to the policy's default for the part came from the catalog.
    auto a = scenario::FindAccelerator(s, catalog, c.accelerator);
    const double list_usd = a ? (*a)->price_usd * policy.server_price_over_gpus : 0;
    p.price_source = list_usd > 0 && std::fabs(p.capex_usd_per_gpu - list_usd) <= 1e-9 * list_usd
                         ? fmt::format("{}, x {:g} for the server", catalog::PriceSource(**a),
                                       policy.server_price_over_gpus)
                         : fmt::format("scenario: node_price of candidate '{}'", c.accelerator);
    parts.push_back(std::move(p));
  }
  return parts;
}

Json CostPolicyJson(const scenario::Scenario& s, const std::vector<PartCost>& parts) {
  Json j = catalog::CostPolicyJson(CostPolicyOf(s));
  j["currency"] = s.currency;
  j["units_per_usd"] = s.units_per_usd;
  j["parts"] = Json::array();
  for (const PartCost& p : parts) {
    j["parts"].push_back({{"accelerator", p.accelerator},
                          {"capex_usd_per_gpu", p.capex_usd_per_gpu},
                          {"power_w_per_gpu", p.power_w_per_gpu},
                          {"usd_per_gpu_hour", p.usd_per_gpu_hour},
                          {"price_source", p.price_source}});
  }
  return j;
}

buy::DemandResolver MakeSizingResolver(const catalog::Catalog& catalog, double sizing_quantile) {
  buy::DemandResolver r;
  r.size_workload = [sizing_quantile](const scenario::Workload& w,
                                      const catalog::Accelerator& a) -> Result<buy::WorkloadFit> {
    // A part the model does not fit (or cannot meet the deadline with) is an answer: that part
    // does not count for this workload. (An unknown model was the scenario's error at load.)
    auto plan = SizeWorkload(w, a, 0, 0, sizing::kDefaultPue, sizing_quantile);
    if (!plan) return buy::WorkloadFit{};
    return buy::WorkloadFit{.fits = true, .num_gpus = static_cast<double>(plan->gpus)};
  };
  r.size_service = [](const scenario::Service& v,
                      const catalog::Accelerator& a) -> Result<buy::WorkloadFit> {
    // A part without the service's precision, that no layout fits, or whose layouts all miss the
    // latency targets does not count for it; an error the sizing model raises stops the plan.
    if (!sizing::RunsPrecision(v.precision, a)) return buy::WorkloadFit{};
    auto plan = PlanService(v, a);
    GPUPLAN_TRY(plan);
    if (plan->status != sizing::ServeStatus::kOk) return buy::WorkloadFit{};
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
    if (!mine || mine->status != sizing::TrainStatus::kOk) return 0.0;  // no training capacity
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

// One cell per (item, accelerator the scenario buys or owns): `size`'s plan, or why there is
// none. `Cell` is SizingCell or ServingCell, whose first field names the item.
template <typename Cell, typename Item, typename Size>
std::vector<Cell> SizeEach(const scenario::Scenario& s, const catalog::Catalog& catalog,
                           const std::vector<Item>& items, Size size) {
  std::vector<Cell> cells;
  for (const Item& item : items) {
    for (const auto& id : SizingAccelerators(s)) {
      Cell cell{item.name, id};
      auto acc = scenario::FindAccelerator(s, catalog, id);
      auto plan = acc ? size(item, **acc, ScenarioUsdPerGpuHour(s, **acc))
                      : decltype(size(item, **acc, 0.0))(acc.error());
      if (plan) {
        cell.plan = std::move(*plan);
      } else {
        cell.error = plan.error().message;
      }
      cells.push_back(std::move(cell));
    }
  }
  return cells;
}

std::vector<SizingCell> SizeWorkloads(const scenario::Scenario& s,
                                      const catalog::Catalog& catalog) {
  return SizeEach<SizingCell>(s, catalog, s.workloads,
                              [&s](const auto& w, const auto& a, double p) {
                                return SizeWorkload(w, a, p, 0, s.opex.pue);
                              });
}

std::vector<ServingCell> SizeServices(const scenario::Scenario& s,
                                      const catalog::Catalog& catalog) {
  return SizeEach<ServingCell>(s, catalog, s.services, [](const auto& v, const auto& a, double p) {
    return SizeService(v, a, p);
  });
}

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
    if (e.gpus_per_node > 0) g.gpus_per_node = e.gpus_per_node;
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
    FleetGroup g{
        .accelerator = p.accelerator, .gpus = p.gpus, .first_quarter_idx = q->Index() - first};
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

int GpusInService(const std::vector<FleetGroup>& fleet, const std::string& type, int q) {
  int gpus = 0;
  for (const auto& g : fleet) {
    if (g.accelerator == type && g.first_quarter_idx <= q && q <= g.last_quarter_idx)
      gpus += g.gpus;
  }
  return gpus;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(p / 100 * static_cast<double>(v.size()));
  const size_t i = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(v.size()))) - 1;
  return v[i];
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// Everything the fleet-independent stages produced, shared by every fleet that is evaluated.
struct Context {
  const scenario::Scenario& s;
  const catalog::Catalog& catalog;
  const PlanOptions& options;
  std::vector<SizingCell> sizing = {};
  std::vector<ServingCell> serving = {};
  std::optional<trace::Trace> tenant_jobs = {};  // the tenants' jobs (or the scenario's trace)
  std::string tenant_jobs_error = {};
  double horizon_s = 0;
  int num_quarters = 0;
};

// A fleet turned into what the simulator runs: its cluster (services' GPUs held back) and the
// whole demand (tenants' jobs plus each workload run shaped for the type it runs on).
struct Assembly {
  sim::ClusterSpec cluster;
  trace::Trace trace;
  std::vector<DemandRow> demand;
  std::vector<double> held_gpu_hours;           // [quarter]: services, speed-weighted
  std::vector<double> held_gpus;                // [quarter]: services, raw GPUs
  std::vector<double> installed_ref_gpu_hours;  // [quarter]: speed-weighted
  std::vector<std::string> warnings;
  std::map<std::string, double> speed;  // type -> relative speed
};

std::string ClassOfTenant(const scenario::Scenario& s, const std::string& tenant) {
  for (const auto& t : s.tenants) {
    if (t.name == tenant) return std::string(trace::ToString(t.tenant_class));
  }
  return std::string(trace::ToString(trace::TenantClass::kUnclassified));
}

Result<Assembly> Assemble(const Context& ctx, const std::vector<FleetGroup>& fleet) {
  const scenario::Scenario& s = ctx.s;
  Assembly out;
  const int nq = ctx.num_quarters;
  out.held_gpu_hours.assign(static_cast<size_t>(nq), 0);
  out.held_gpus.assign(static_cast<size_t>(nq), 0);
  out.installed_ref_gpu_hours.assign(static_cast<size_t>(nq), 0);
  auto ref = ctx.catalog.Find(kReferenceAccelerator);
  GPUPLAN_TRY(ref);
  for (const auto& g : fleet) {
    if (out.speed.count(g.accelerator)) continue;
    auto acc = scenario::FindAccelerator(s, ctx.catalog, g.accelerator);
    GPUPLAN_TRY(acc);
    out.speed[g.accelerator] = sim::RelativeSpeed(**acc, **ref);
  }
  std::vector<std::string> types;
  for (const auto& g : fleet) {
    if (std::find(types.begin(), types.end(), g.accelerator) == types.end())
      types.push_back(g.accelerator);
  }

  // Services hold GPUs of the type with the most GPUs in service when they start, among those
  // they fit on.
  struct Hold {
    std::string type;
    int gpus = 0;
    int from_idx = 0;
  };
  std::vector<Hold> holds;
  for (const auto& v : s.services) {
    const int from_idx = std::max(0, v.from.Index() - s.first.Index());
    const ServingCell* best = nullptr;
    int best_installed = 0;
    for (const auto& cell : ctx.serving) {
      if (cell.service != v.name || !cell.plan) continue;
      const int installed = GpusInService(fleet, cell.accelerator, from_idx);
      if (installed >= cell.plan->gpus && installed > best_installed) {
        best = &cell;
        best_installed = installed;
      }
    }
    DemandRow row{.name = v.name, .kind = "service", .tenant_class = "public"};
    if (best == nullptr) {
      out.warnings.push_back(fmt::format(
          "service '{}' fits no accelerator type with enough GPUs in service from {}; it is left "
          "out of the simulation",
          v.name, scenario::ToString(v.from.year == 0 ? s.first : v.from)));
    } else {
      holds.push_back({best->accelerator, best->plan->gpus, from_idx});
      for (int q = from_idx; q < nq; ++q) {
        out.held_gpus[static_cast<size_t>(q)] += best->plan->gpus;
        out.held_gpu_hours[static_cast<size_t>(q)] +=
            best->plan->gpus * kHoursPerQuarter * out.speed[best->accelerator];
      }
      row.gpu_hours = best->plan->gpus * kHoursPerQuarter * (nq - from_idx);
    }
    out.demand.push_back(row);
  }

  // The cluster: one node group per fleet group (a partial node is a node of that size),
  // delivered at its quarter's start; held GPUs leave the batch pool when their service starts.
  sim::ClusterSpec& spec = out.cluster;
  spec.reference_accelerator = kReferenceAccelerator;
  std::vector<Hold> to_hold = holds;
  for (const auto& g : fleet) {
    const int gpn = std::max(1, g.gpus_per_node);
    const double from_s = std::max(0, g.first_quarter_idx) * kSecondsPerQuarter;
    const double retire_s = g.last_quarter_idx < (1 << 20)
                                ? (g.last_quarter_idx + 1) * kSecondsPerQuarter
                                : sim::kNever;
    for (int q = std::max(0, g.first_quarter_idx); q < nq && q <= g.last_quarter_idx; ++q) {
      out.installed_ref_gpu_hours[static_cast<size_t>(q)] +=
          g.gpus * kHoursPerQuarter * out.speed[g.accelerator];
    }
    int full_nodes = g.gpus / gpn;
    const int remainder = g.gpus % gpn;
    auto add = [&](int nodes, int per_node, double retired_at_s) {
      if (nodes <= 0) return;
      spec.groups.push_back({.accelerator = g.accelerator,
                             .num_nodes = nodes,
                             .gpus_per_node = per_node,
                             .relative_speed = out.speed[g.accelerator],
                             .available_from_s = from_s,
                             .retired_at_s = retired_at_s});
    };
    for (Hold& h : to_hold) {
      if (h.type != g.accelerator || h.gpus <= 0 || g.first_quarter_idx > h.from_idx ||
          g.last_quarter_idx < h.from_idx) {
        continue;
      }
      const int nodes = std::min(full_nodes, (h.gpus + gpn - 1) / gpn);
      const double held_from_s = h.from_idx * kSecondsPerQuarter;
      if (held_from_s > from_s) add(nodes, gpn, std::min(held_from_s, retire_s));
      full_nodes -= nodes;
      h.gpus -= nodes * gpn;
    }
    add(full_nodes, gpn, retire_s);
    if (remainder > 0) add(1, remainder, retire_s);
  }
  for (const auto& [type, speed] : out.speed) spec.known_speeds.push_back({type, speed});
  spec.known_speeds.push_back({kReferenceAccelerator, 1.0});

  // The jobs: the tenants', then one gang job per workload run.
  if (!ctx.tenant_jobs) return Error{ctx.tenant_jobs_error};
  out.trace = *ctx.tenant_jobs;
  trace::Trace& tr = out.trace;
  {
    std::map<std::string, std::pair<int64_t, double>> by_tenant;
    for (const auto& j : tr.jobs) {
      auto& [jobs, hours] = by_tenant[tr.tenants[static_cast<size_t>(j.tenant_idx)].name];
      ++jobs;
      hours += j.gpus * (j.gpu_milli / 1000.0) * j.duration_s / kSecondsPerHour;
    }
    for (const auto& t : tr.tenants) {
      const auto& [jobs, hours] = by_tenant[t.name];
      out.demand.insert(
          out.demand.begin() + static_cast<long>(out.demand.size() - s.services.size()),
          DemandRow{.name = t.name,
                    .kind = "tenant",
                    .tenant_class = std::string(trace::ToString(t.tenant_class)),
                    .jobs = jobs,
                    .gpu_hours = hours});
    }
  }
  for (const auto& w : s.workloads) {
    DemandRow row{.name = w.name,
                  .kind = "workload",
                  .tenant_class = w.tenant.empty() ? "public" : ClassOfTenant(s, w.tenant)};
    for (const scenario::Quarter q : s.RunsOf(w)) {
      const int qi = q.Index() - s.first.Index();
      const SizingCell* best = nullptr;
      int best_installed = 0;
      for (const auto& cell : ctx.sizing) {
        if (cell.workload != w.name || !cell.plan) continue;
        const int installed = GpusInService(fleet, cell.accelerator, qi);
        if (installed > best_installed) {
          best = &cell;
          best_installed = installed;
        }
      }
      if (best == nullptr) {
        out.warnings.push_back(
            fmt::format("workload '{}' ({}): no accelerator it fits is in service "
                        "then; the run is left out",
                        w.name, scenario::ToString(q)));
        continue;
      }
      sizing::TrainPlan plan = *best->plan;
      if (plan.gpus > best_installed) {
        // Fewer GPUs than the deadline needs: it runs longer on what is there.
        auto acc = scenario::FindAccelerator(s, ctx.catalog, best->accelerator);
        GPUPLAN_TRY(acc);
        auto slower = SizeWorkload(w, **acc, 0, best_installed);
        if (!slower) {
          out.warnings.push_back(fmt::format(
              "workload '{}' ({}): needs {} GPUs of {} by its deadline and {} are in service; "
              "it does not fit them ({}), so the run is left out",
              w.name, scenario::ToString(q), plan.gpus, best->accelerator, best_installed,
              slower.error().message));
          continue;
        }
        out.warnings.push_back(fmt::format(
            "workload '{}' ({}): needs {} GPUs of {} by its deadline, {} are in service; it runs "
            "on them in {:.0f} days",
            w.name, scenario::ToString(q), plan.gpus, best->accelerator, slower->gpus,
            slower->duration_s / kSecondsPerDay));
        plan = std::move(*slower);
      }
      trace::Job job;
      job.id = fmt::format("run/{}/{}", w.name, scenario::ToString(q));
      job.tenant_idx = tr.TenantIndex(w.tenant.empty() ? "center" : w.tenant);
      job.submit_s = qi * kSecondsPerQuarter;
      job.gpus = plan.gpus;
      job.duration_s = plan.duration_s;
      auto type = tr.TypeIndex(best->accelerator);
      GPUPLAN_TRY(type);
      job.measured_on_idx = *type;
      job.allowed_mask = uint64_t{1} << *type;
      tr.jobs.push_back(job);
      ++row.jobs;
      row.gpu_hours += plan.gpus * plan.duration_s / kSecondsPerHour * out.speed[best->accelerator];
    }
    out.demand.insert(out.demand.begin() + static_cast<long>(out.demand.size() - s.services.size()),
                      row);
  }
  std::stable_sort(tr.jobs.begin(), tr.jobs.end(), [](const trace::Job& a, const trace::Job& b) {
    return a.submit_s < b.submit_s;
  });
  return out;
}

// The simulator's settings from the scenario's [simulation] table.
sim::SimConfig ConfigOf(const scenario::Scenario& s, const sim::ClusterSpec& cluster,
                        const trace::Trace& workload, const std::string& policy) {
  sim::SimConfig config;
  config.cluster = cluster;
  config.tenants = workload.tenants;
  config.cluster_queues = s.cluster_queues;
  config.policy = policy;
  config.placement = s.simulation.placement;
  config.failures.gpu_mtbf_s = s.simulation.gpu_mtbf_s;
  if (s.simulation.checkpoint_interval_s > 0) {
    config.failures.checkpoint_interval_s = s.simulation.checkpoint_interval_s;
  }
  if (s.simulation.restart_overhead_s > 0) {
    config.failures.restart_overhead_s = s.simulation.restart_overhead_s;
  }
  config.seed = s.simulation.seed;
  config.bf_window_s = s.simulation.bf_window_s;
  config.fairshare_half_life_s = s.simulation.decay_half_life_s;
  config.priority_calc_period_s = s.simulation.priority_calc_period_s;
  config.estimate_factor = s.simulation.estimate_factor;
  config.timeline_interval_s = kTimelineIntervalS;
  return config;
}

class StageProgress : public sim::SimObserver {
 public:
  explicit StageProgress(PlanObserver* observer) : observer_(observer) {}
  void OnProgress(const sim::SimProgress& p) override {
    if (observer_ && p.num_jobs > 0) {
      observer_->OnStageProgress(static_cast<double>(p.completed) /
                                 static_cast<double>(p.num_jobs));
    }
  }

 private:
  PlanObserver* observer_;
};

int QuarterOf(double t_s, int nq) {
  return std::clamp(static_cast<int>(t_s / kSecondsPerQuarter), 0, nq - 1);
}

std::map<std::string, std::string> ClassOfTenants(const trace::Trace& t) {
  std::map<std::string, std::string> class_of;
  for (const auto& tenant : t.tenants) {
    class_of[tenant.name] = std::string(trace::ToString(tenant.tenant_class));
  }
  return class_of;
}

// Per-quarter load, utilization and waits of the jobs submitted in each quarter.
std::vector<QuarterStats> ByQuarter(const Context& ctx, const Assembly& a,
                                    const sim::SimResult& r) {
  const scenario::Scenario& s = ctx.s;
  const int nq = ctx.num_quarters;
  std::vector<QuarterStats> out(static_cast<size_t>(nq));
  std::map<std::string, std::string> class_of = ClassOfTenants(a.trace);
  std::vector<double> type_speed(a.trace.type_names.size(), 1.0);
  for (size_t i = 0; i < a.trace.type_names.size(); ++i) {
    auto it = a.speed.find(a.trace.type_names[i]);
    if (it != a.speed.end()) type_speed[i] = it->second;
  }
  for (int q = 0; q < nq; ++q) {
    QuarterStats& st = out[static_cast<size_t>(q)];
    st.quarter = scenario::ToString(scenario::QuarterFromIndex(s.first.Index() + q));
    st.installed_gpu_hours = a.installed_ref_gpu_hours[static_cast<size_t>(q)];
    st.demanded_gpu_hours = a.held_gpu_hours[static_cast<size_t>(q)];
  }
  for (const auto& j : a.trace.jobs) {
    if (j.submit_s >= ctx.horizon_s) continue;
    const double speed =
        j.measured_on_idx >= 0 ? type_speed[static_cast<size_t>(j.measured_on_idx)] : 1.0;
    QuarterStats& st = out[static_cast<size_t>(QuarterOf(j.submit_s, nq))];
    st.demanded_gpu_hours +=
        j.gpus * (j.gpu_milli / 1000.0) * j.duration_s / kSecondsPerHour * speed;
    ++st.jobs_submitted;
  }
  std::vector<std::vector<double>> waits(static_cast<size_t>(nq));
  std::vector<std::map<std::string, std::vector<double>>> class_waits(static_cast<size_t>(nq));
  for (const auto& row : r.job_rows) {
    if (row.start_s < 0 || row.submit_s >= ctx.horizon_s) continue;
    const size_t q = static_cast<size_t>(QuarterOf(row.submit_s, nq));
    waits[q].push_back(row.wait_s);
    class_waits[q][class_of[row.tenant]].push_back(row.wait_s);
  }
  // Utilization from the daily timeline; held GPUs count as busy installed GPUs.
  std::vector<double> busy(static_cast<size_t>(nq), 0), installed(static_cast<size_t>(nq), 0);
  for (const auto& row : r.timeline) {
    if (row.time_s >= ctx.horizon_s) continue;
    const size_t q = static_cast<size_t>(QuarterOf(row.time_s, nq));
    busy[q] += row.allocated_gpus + a.held_gpus[q];
    installed[q] += static_cast<double>(row.capacity_gpus) + a.held_gpus[q];
  }
  for (int q = 0; q < nq; ++q) {
    const size_t i = static_cast<size_t>(q);
    QuarterStats& st = out[i];
    st.offered_load =
        st.installed_gpu_hours > 0 ? st.demanded_gpu_hours / st.installed_gpu_hours : 0;
    st.utilization = installed[i] > 0 ? busy[i] / installed[i] : 0;
    st.jobs_started = static_cast<int64_t>(waits[i].size());
    st.mean_wait_s = Mean(waits[i]);
    st.p50_wait_s = Percentile(waits[i], 50);
    st.p95_wait_s = Percentile(waits[i], 95);
    st.p99_wait_s = Percentile(waits[i], 99);
    for (const auto& [cls, w] : class_waits[i]) {
      st.per_class.push_back({.tenant_class = cls,
                              .jobs = static_cast<int64_t>(w.size()),
                              .mean_wait_s = Mean(w),
                              .p50_wait_s = Percentile(w, 50),
                              .p95_wait_s = Percentile(w, 95),
                              .p99_wait_s = Percentile(w, 99)});
    }
  }
  return out;
}

std::string WhoOf(const scenario::ServiceLevel& level) {
  return level.tenant_class ? std::string(trace::ToString(*level.tenant_class)) : level.tenant;
}

// Each service level in its worst quarter (the target percentile of the waits of the jobs its
// class or tenant submitted in each quarter from `from` on), and every quarter it misses.
std::vector<LevelOutcome> Levels(const Context& ctx, const Assembly& a, const sim::SimResult& r,
                                 std::vector<Miss>& misses) {
  const scenario::Scenario& s = ctx.s;
  const int nq = ctx.num_quarters;
  std::map<std::string, std::string> class_of = ClassOfTenants(a.trace);
  std::vector<LevelOutcome> out;
  for (const auto& level : s.service_levels) {
    LevelOutcome o{.target = level, .who = WhoOf(level)};
    const int from = std::max(0, level.from.Index() - s.first.Index());
    std::vector<std::vector<double>> waits(static_cast<size_t>(nq));
    for (const auto& row : r.job_rows) {
      if (row.start_s < 0 || row.submit_s >= ctx.horizon_s) continue;
      const bool mine = level.tenant_class ? class_of[row.tenant] == o.who : row.tenant == o.who;
      if (!mine) continue;
      const int q = QuarterOf(row.submit_s, nq);
      if (q >= from) waits[static_cast<size_t>(q)].push_back(row.wait_s);
    }
    for (int q = from; q < nq; ++q) {
      const auto& w = waits[static_cast<size_t>(q)];
      if (w.empty()) continue;
      const double achieved = Percentile(w, level.percentile);
      const std::string quarter =
          scenario::ToString(scenario::QuarterFromIndex(s.first.Index() + q));
      if (!o.has_jobs || achieved > o.achieved_wait_s) {
        o.achieved_wait_s = achieved;
        o.worst_quarter = quarter;
      }
      o.has_jobs = true;
      if (achieved > level.wait_s) {
        misses.push_back({.who = o.who,
                          .quarter = quarter,
                          .achieved_wait_s = achieved,
                          .wait_s = level.wait_s});
      }
    }
    o.met = o.achieved_wait_s <= level.wait_s;
    out.push_back(o);
  }
  return out;
}

// One fleet, solved and simulated under one policy.
struct Evaluated {
  BuyStage buy;
  std::optional<Assembly> assembly;
  PolicyRun run;
  std::vector<QuarterStats> quarters;
  std::vector<LevelOutcome> levels;
  std::vector<Miss> misses;
  bool met_all() const {
    for (const auto& l : levels) {
      if (!l.met) return false;
    }
    return run.result.has_value();
  }
};

BuyStage Solve(const Context& ctx, const buy::BuyProblem& problem, double time_limit_s, double gap,
               bool explain) {
  BuyStage stage;
  stage.problem = problem;
  stage.fleet = ExistingFleet(ctx.s, ctx.catalog);
  buy::SolveOptions solve;
  solve.time_limit_s = time_limit_s;
  solve.relative_gap = gap;
  solve.explain = explain;
  auto result = buy::SolveBuy(problem, solve);
  if (!result) {
    stage.error = result.error().message;
    return stage;
  }
  stage.result = std::move(*result);
  if (stage.has_plan()) stage.fleet = FleetOf(ctx.s, ctx.catalog, problem, *stage.result);
  return stage;
}

Evaluated Simulate(const Context& ctx, BuyStage stage, const std::string& policy,
                   PlanObserver* observer = nullptr) {
  Evaluated e;
  e.buy = std::move(stage);
  e.run.policy = policy;
  auto assembly = Assemble(ctx, e.buy.fleet);
  if (!assembly) {
    e.run.error = assembly.error().message;
    return e;
  }
  if (assembly->cluster.groups.empty()) {
    e.run.error = "the plan has no GPUs to simulate";
    e.assembly = std::move(*assembly);
    return e;
  }
  StageProgress progress(observer);
  sim::SimConfig config = ConfigOf(ctx.s, assembly->cluster, assembly->trace, policy);
  if (observer) config.observer = &progress;
  auto r = sim::Simulate(assembly->trace, config);
  if (!r) {
    e.run.error = r.error().message;
  } else {
    e.quarters = ByQuarter(ctx, *assembly, *r);
    e.levels = Levels(ctx, *assembly, *r, e.misses);
    e.run.result = std::move(*r);
  }
  e.assembly = std::move(*assembly);
  return e;
}

// The service-level objective: the cheapest plan (min-cost with the demand's floors), then, while
// a quarter misses a target, that quarter's capacity floor raised and the plan solved again.
Evaluated ServiceLevelLoop(const Context& ctx, buy::BuyProblem problem, const std::string& policy,
                           std::vector<Iteration>& iterations) {
  problem.objective = buy::Objective::kMinCost;
  const int nq = ctx.num_quarters;
  if (problem.capacity_floor_h100_eq.size() != static_cast<size_t>(nq)) {
    problem.capacity_floor_h100_eq.assign(static_cast<size_t>(nq), 0);
  }
  std::vector<bool> stuck(static_cast<size_t>(nq), false);
  std::optional<Evaluated> best;
  const int max_iterations = std::max(1, ctx.options.max_iterations);
  for (int it = 1; it <= max_iterations; ++it) {
    if (ctx.options.observer) {
      ctx.options.observer->OnStageProgress(static_cast<double>(it - 1) / max_iterations);
    }
    Evaluated e = Simulate(ctx,
                           Solve(ctx, problem, ctx.options.buy_time_limit_s,
                                 std::max(ctx.options.buy_relative_gap, 1e-3), false),
                           policy);
    Iteration row{.iteration = it, .met_all = e.met_all(), .missed = e.misses};
    if (e.buy.result) row.total_cost_usd = e.buy.result->total_cost_usd;
    if (!e.buy.has_plan()) {
      row.action = "no purchase plan meets the constraints; stopped";
      iterations.push_back(row);
      if (!best) best = std::move(e);
      break;
    }
    const bool done = e.met_all();
    // Raise each missed quarter's floor in proportion to how far its waits miss, unless the
    // last raise there already fell short (a constraint binds).
    std::set<int> raised;
    std::vector<std::string> words;
    if (!done) {
      std::map<int, double> worst_ratio;
      for (const auto& m : e.misses) {
        auto q = scenario::ParseQuarter(m.quarter, "quarter");
        if (!q) continue;
        const int qi = q->Index() - ctx.s.first.Index();
        const double ratio = m.wait_s > 0 ? m.achieved_wait_s / m.wait_s : 10;
        worst_ratio[qi] = std::max(worst_ratio[qi], ratio);
      }
      for (const auto& [qi, ratio] : worst_ratio) {
        const buy::QuarterCapacity& cap = e.buy.result->capacity[static_cast<size_t>(qi)];
        if (cap.shortfall_h100_eq > 0.5) stuck[static_cast<size_t>(qi)] = true;
        if (stuck[static_cast<size_t>(qi)]) continue;
        const double step = std::clamp(0.08 * (1 + std::log2(std::max(1.0, ratio))), 0.08, 0.5);
        double& floor = problem.capacity_floor_h100_eq[static_cast<size_t>(qi)];
        floor = std::max(floor, cap.h100_equivalents) * (1 + step);
        raised.insert(qi);
        words.push_back(fmt::format("{} to {:.0f}", cap.quarter, floor));
      }
    }
    if (done) {
      row.action = "every service level holds";
    } else if (raised.empty()) {
      row.action =
          "the missed quarters cannot get more capacity (budget, power, supply or lead "
          "times bind); stopped";
    } else {
      row.action =
          fmt::format("raise the capacity floor (H100-equivalents) of {}", fmt::join(words, ", "));
    }
    iterations.push_back(row);
    best = std::move(e);
    if (done || raised.empty()) break;
  }
  // The last iteration's plan is the recommendation; re-solve it with explanations.
  if (best->buy.problem && best->buy.has_plan()) {
    BuyStage explained = Solve(ctx, *best->buy.problem, ctx.options.buy_time_limit_s,
                               std::max(ctx.options.buy_relative_gap, 1e-3), true);
    if (explained.has_plan()) best->buy.result->binding = explained.result->binding;
  }
  return std::move(*best);
}

Headline HeadlineOf(const Context& ctx, const Evaluated& e) {
  Headline h;
  const sim::SimResult* r = e.run.result ? &*e.run.result : nullptr;
  if (r == nullptr || !e.assembly) return h;
  const Assembly& a = *e.assembly;
  std::map<std::string, double> percentile_of;
  for (const auto& l : ctx.s.service_levels) {
    if (l.tenant_class) percentile_of[std::string(trace::ToString(*l.tenant_class))] = l.percentile;
  }
  std::map<std::string, std::string> class_of = ClassOfTenants(a.trace);
  std::map<std::string, std::vector<double>> waits;
  for (const auto& row : r->job_rows) {
    if (row.start_s >= 0 && row.submit_s < ctx.horizon_s)
      waits[class_of[row.tenant]].push_back(row.wait_s);
  }
  bool first = true;
  for (const auto& [cls, w] : waits) {
    const double p = percentile_of.count(cls) ? percentile_of[cls] : 95;
    const double v = Percentile(w, p);
    if (first || v > h.worst_wait_s) {
      h.worst_class = cls;
      h.worst_percentile = p;
      h.worst_wait_s = v;
      first = false;
    }
  }
  double busy = 0, installed = 0;
  for (const auto& q : e.quarters) {
    busy += q.utilization * q.installed_gpu_hours;
    installed += q.installed_gpu_hours;
  }
  h.utilization = installed > 0 ? busy / installed : 0;
  // Useful work: completed jobs submitted within the horizon, in reference-type hours, plus the
  // services' held GPUs.
  std::vector<double> type_speed(a.trace.type_names.size(), 1.0);
  for (size_t i = 0; i < a.trace.type_names.size(); ++i) {
    auto it = a.speed.find(a.trace.type_names[i]);
    if (it != a.speed.end()) type_speed[i] = it->second;
  }
  double useful_h = 0;
  for (size_t i = 0; i < a.trace.jobs.size() && i < r->job_rows.size(); ++i) {
    const auto& j = a.trace.jobs[i];
    if (r->job_rows[i].end_s < 0 || j.submit_s >= ctx.horizon_s) continue;
    const double speed =
        j.measured_on_idx >= 0 ? type_speed[static_cast<size_t>(j.measured_on_idx)] : 1.0;
    useful_h += j.gpus * (j.gpu_milli / 1000.0) * j.duration_s / kSecondsPerHour * speed;
  }
  for (double held : a.held_gpu_hours) useful_h += held;
  if (e.buy.result) {
    const buy::BuyResult& b = *e.buy.result;
    h.total_cost_usd = b.total_cost_usd;
    h.usd_per_useful_h100_hour = useful_h > 0 ? b.total_cost_usd / useful_h : 0;
    const scenario::Budget& budget = ctx.s.budget;
    if (budget.has_budget) {
      double cap = 0;
      for (const auto& y : budget.per_year) cap += y.capex_usd;
      if (budget.total_usd > 0) cap = std::min(cap, budget.total_usd);
      const double spent = b.capex_usd + (ctx.s.rental.is_paid_from_budget ? b.rental_usd : 0);
      h.unspent_budget_usd = std::max(0.0, cap - spent);
    }
  }
  return h;
}

PurchaseOption OptionOf(Objective objective, bool is_plan, const Evaluated& e) {
  PurchaseOption o{.objective = objective, .is_plan = is_plan};
  if (!e.buy.result) {
    o.error = e.buy.error;
    return o;
  }
  const buy::BuyResult& b = *e.buy.result;
  o.status = std::string(buy::ToString(b.status));
  o.total_cost_usd = b.total_cost_usd;
  o.capex_usd = b.capex_usd;
  o.h100_eq_gpu_hours = b.h100_eq_gpu_hours;
  if (!b.capacity.empty()) {
    o.final_gpus = b.capacity.back().num_gpus;
    o.final_h100_equivalents = b.capacity.back().h100_equivalents;
  }
  if (e.run.result) {
    const sim::SimResult& r = *e.run.result;
    o.policy = r.policy;
    o.utilization = r.utilization;
    o.mean_wait_s = r.waits.avg_wait_s;
    o.p95_wait_s = r.waits.p95_wait_s;
    o.p99_wait_s = r.waits.p99_wait_s;
    o.met_all = e.met_all();
  }
  return o;
}

Result<trace::Trace> TenantJobs(const scenario::Scenario& s, double horizon_s) {
  if (!s.simulation.trace.empty()) {
    return trace::ReadTrace(s.simulation.trace, trace::TraceFormat::kGpuplan);
  }
  trace::GeneratorSpec gen;
  gen.horizon_s = horizon_s;
  gen.seed = s.simulation.seed;
  for (const auto& t : s.tenants) gen.tenants.push_back(t.demand);
  if (gen.tenants.empty()) {
    return Error{
        fmt::format("{}: no [[tenant]] with demand and no [simulation] trace: nothing "
                    "to simulate",
                    s.path)};
  }
  return trace::Generate(gen);
}

Context MakeContext(const scenario::Scenario& s, const catalog::Catalog& catalog,
                    const PlanOptions& options) {
  Context ctx{.s = s, .catalog = catalog, .options = options};
  ctx.num_quarters = s.num_quarters();
  ctx.horizon_s = ctx.num_quarters * kSecondsPerQuarter;
  auto jobs = TenantJobs(s, ctx.horizon_s);
  if (jobs) {
    ctx.tenant_jobs = std::move(*jobs);
  } else {
    ctx.tenant_jobs_error = jobs.error().message;
  }
  return ctx;
}

// The recommended fleet under `objective`, simulated under `policy`.
Evaluated Recommend(const Context& ctx, const Result<buy::BuyProblem>& problem, Objective objective,
                    const std::string& policy, std::vector<Iteration>& iterations) {
  if (!problem) {
    BuyStage stage;
    stage.fleet = ExistingFleet(ctx.s, ctx.catalog);
    stage.error = problem.error().message;
    return Simulate(ctx, std::move(stage), policy, ctx.options.observer);
  }
  if (objective == Objective::kServiceLevel) {
    return ServiceLevelLoop(ctx, *problem, policy, iterations);
  }
  buy::BuyProblem p = *problem;
  p.objective =
      objective == Objective::kMinCost ? buy::Objective::kMinCost : buy::Objective::kMaxCapacity;
  return Simulate(ctx,
                  Solve(ctx, p, ctx.options.buy_time_limit_s, ctx.options.buy_relative_gap, true),
                  policy, ctx.options.observer);
}

}  // namespace

bool BuyStage::has_plan() const {
  return result && (result->status == buy::BuyStatus::kOptimal ||
                    result->status == buy::BuyStatus::kFeasible);
}

const sim::SimResult* SimulationStage::recommended() const {
  for (const auto& r : runs) {
    if (r.policy == policy && r.result) return &*r.result;
  }
  return nullptr;
}

std::string_view ToString(Objective o) {
  switch (o) {
    case Objective::kMinCost:
      return "min-cost";
    case Objective::kServiceLevel:
      return "service-level";
    case Objective::kMaxCapacity:
      break;
  }
  return "max-capacity";
}

Result<Objective> ParseObjective(std::string_view text) {
  if (text == "max-capacity") return Objective::kMaxCapacity;
  if (text == "min-cost") return Objective::kMinCost;
  if (text == "service-level") return Objective::kServiceLevel;
  return Error{
      fmt::format("--objective: expected max-capacity, min-cost or service-level, got '{}'", text)};
}

Objective FromScenario(scenario::PlanObjective o) {
  switch (o) {
    case scenario::PlanObjective::kMinCost:
      return Objective::kMinCost;
    case scenario::PlanObjective::kServiceLevel:
      return Objective::kServiceLevel;
    case scenario::PlanObjective::kMaxCapacity:
      break;
  }
  return Objective::kMaxCapacity;
}

Result<PlanResult> RunPlan(const scenario::Scenario& s, const catalog::Catalog& catalog,
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
  PlanResult out;
  out.objective = options.objective ? *options.objective : FromScenario(s.objective);
  out.part_costs = PartCosts(s, catalog);
  const bool is_sl = out.objective == Objective::kServiceLevel;
  const int frontier_points =
      options.frontier_points >= 0 ? options.frontier_points : (is_sl ? 5 : 0);
  const int num_stages = 3 + static_cast<int>(policies.size()) + (frontier_points > 0 ? 1 : 0);
  int stage = 0;
  auto begin_stage = [&](const std::string& name) {
    if (options.observer) options.observer->OnStage(name, ++stage, num_stages);
  };
  // The recommended policy: the scenario's when it is compared, else the first compared.
  const std::string chosen =
      std::find(policies.begin(), policies.end(), s.simulation.policy) != policies.end()
          ? s.simulation.policy
          : policies.front();

  begin_stage("sizing training and serving workloads");
  Context ctx = MakeContext(s, catalog, options);
  ctx.sizing = SizeWorkloads(s, catalog);
  ctx.serving = SizeServices(s, catalog);
  out.sizing = ctx.sizing;
  out.serving = ctx.serving;

  begin_stage(is_sl ? "buying the cheapest fleet that meets the service levels (CBC + simulation)"
                    : "buying the fleet (CBC)");
  const auto problem =
      buy::BuildBuyProblem(s, catalog, MakeSizingResolver(catalog, options.sizing_quantile));
  Evaluated rec = Recommend(ctx, problem, out.objective, chosen, out.iterations);
  if (!rec.buy.has_plan()) {
    out.warnings.push_back(
        "no purchase plan: the center is simulated with its existing fleet only");
  }

  // Every compared policy on the recommended fleet and the same jobs.
  SimulationStage& sim = out.simulation;
  sim.policy = chosen;
  sim.horizon_s = ctx.horizon_s;
  if (rec.assembly) {
    sim.source = rec.assembly->trace.source;
    sim.jobs = static_cast<int64_t>(rec.assembly->trace.jobs.size());
    sim.demand = rec.assembly->demand;
    for (const auto& w : rec.assembly->warnings) out.warnings.push_back(w);
  }
  if (!rec.run.result) sim.error = rec.run.error;
  sim.runs.push_back(rec.run);
  sim.by_quarter = rec.quarters;
  out.service_levels = rec.levels;
  for (const auto& policy : policies) {
    if (policy == chosen) continue;
    begin_stage("simulating " + policy);
    if (!rec.assembly || rec.assembly->cluster.groups.empty()) {
      sim.runs.push_back({.policy = policy, .error = rec.run.error});
      continue;
    }
    StageProgress progress(options.observer);
    sim::SimConfig config = ConfigOf(s, rec.assembly->cluster, rec.assembly->trace, policy);
    config.observer = &progress;
    auto r = sim::Simulate(rec.assembly->trace, config);
    PolicyRun run{.policy = policy};
    if (r) {
      run.result = std::move(*r);
    } else {
      run.error = r.error().message;
    }
    sim.runs.push_back(std::move(run));
  }
  if (const sim::SimResult* r = sim.recommended()) {
    sim.drain_s = std::max(0.0, r->makespan_s - ctx.horizon_s);
    if (r->unschedulable_count > 0) {
      out.warnings.push_back(fmt::format(
          "{} of {} jobs could never run on this fleet under {} (e.g. more GPUs of one type "
          "than the fleet will ever have)",
          r->unschedulable_count, r->jobs, chosen));
    }
    if (sim.drain_s > 0.1 * ctx.horizon_s) {
      out.warnings.push_back(fmt::format(
          "jobs submitted within the horizon finish {:.0f} days after it: the fleet cannot keep "
          "up with the demand",
          sim.drain_s / kSecondsPerDay));
    }
  }
  for (const auto& q : sim.by_quarter) {
    if (q.offered_load > kOverloadWarning) {
      out.warnings.push_back(fmt::format(
          "{}: the demand asks for {:.0f}% of the installed GPU-hours (above {:.0f}%): jobs "
          "submitted then queue until later quarters' capacity frees",
          q.quarter, 100 * q.offered_load, 100 * kOverloadWarning));
    }
  }
  if (rec.buy.result) {
    for (const auto& c : rec.buy.result->capacity) {
      if (c.shortfall_h100_eq > 0.5) {
        out.warnings.push_back(fmt::format(
            "{}: the plan installs {:.0f} H100-equivalents where demand needs {:.0f} at {:.0f}% "
            "busy; the constraints (budget, power, supply, lead times) leave no more",
            c.quarter, c.h100_equivalents, c.floor_h100_eq, 100 * buy::kPlannedLoad));
      }
    }
  }
  // A tenant whose average demand exceeds its quota, or the largest fleet.
  int64_t max_fleet = 0;
  for (int q = 0; q < ctx.num_quarters; ++q) {
    int64_t gpus = 0;
    for (const auto& g : rec.buy.fleet) {
      if (g.first_quarter_idx <= q && q <= g.last_quarter_idx) gpus += g.gpus;
    }
    max_fleet = std::max(max_fleet, gpus);
  }
  if (s.simulation.trace.empty()) {
    for (const auto& t : s.tenants) {
      const double per_job = trace::MeanGpuHoursPerJob(t.demand);
      const double busy_gpus = s.JobsPerDay(t, s.last) * per_job / 24;
      if (t.quota_gpus > 0 && busy_gpus > t.quota_gpus) {
        out.warnings.push_back(fmt::format(
            "tenant '{}' asks for {:.0f} GPUs busy on average by {} but its quota is {}: its "
            "queue grows without bound",
            t.name, busy_gpus, scenario::ToString(s.last), t.quota_gpus));
      } else if (busy_gpus > static_cast<double>(max_fleet)) {
        out.warnings.push_back(fmt::format(
            "tenant '{}' asks for {:.0f} GPUs busy on average by {}, more than the fleet ever "
            "holds ({})",
            t.name, busy_gpus, scenario::ToString(s.last), max_fleet));
      }
    }
  }
  for (const auto& l : out.service_levels) {
    if (!l.has_jobs) {
      out.warnings.push_back(
          fmt::format("service level for '{}': no job of theirs was submitted "
                      "from its start; nothing to check",
                      l.who));
    }
  }

  // The frontier: what more money buys in waits.
  std::optional<Evaluated> cheapest, largest;
  if (frontier_points > 0 && problem && s.budget.has_budget && rec.buy.has_plan()) {
    begin_stage("drawing the budget frontier");
    double full = 0;
    for (const auto& y : s.budget.per_year) full += y.capex_usd;
    if (s.budget.total_usd > 0) full = std::min(full, s.budget.total_usd);
    const double low = rec.buy.result->capex_usd;
    for (int i = 1; i <= frontier_points && full > low; ++i) {
      const double budget = low + (full - low) * i / frontier_points;
      buy::BuyProblem p = *problem;
      p.objective = buy::Objective::kMaxCapacity;
      p.budget.total_usd = budget;
      Evaluated e = Simulate(
          ctx, Solve(ctx, p, std::min(10.0, options.buy_time_limit_s), 1e-3, false), chosen);
      FrontierPoint f{.budget_usd = budget};
      if (e.buy.result) {
        f.status = std::string(buy::ToString(e.buy.result->status));
        f.total_cost_usd = e.buy.result->total_cost_usd;
        if (!e.buy.result->capacity.empty()) f.final_gpus = e.buy.result->capacity.back().num_gpus;
      } else {
        f.status = "error";
      }
      if (e.run.result) {
        Headline h = HeadlineOf(ctx, e);
        f.utilization = h.utilization;
        f.met_all = e.met_all();
        std::map<std::string, std::vector<double>> waits;
        std::map<std::string, std::string> class_of = ClassOfTenants(e.assembly->trace);
        for (const auto& row : e.run.result->job_rows) {
          if (row.start_s >= 0 && row.submit_s < ctx.horizon_s)
            waits[class_of[row.tenant]].push_back(row.wait_s);
        }
        double pct = 95;
        if (!s.service_levels.empty()) pct = s.service_levels.front().percentile;
        f.percentile = pct;
        for (const auto& [cls, w] : waits) f.class_wait_s.emplace_back(cls, Percentile(w, pct));
      }
      out.frontier.push_back(std::move(f));
      if (i == frontier_points) largest = std::move(e);
    }
  }

  // The purchase options beside the recommendation, on the same jobs and policy.
  if (options.compare_purchase_options && problem && rec.buy.has_plan()) {
    out.purchase_options.push_back(OptionOf(out.objective, true, rec));
    if (is_sl && !out.iterations.empty()) {
      // The loop's first plan is the min-cost one; re-solve it to report it on its own terms.
      buy::BuyProblem p = *problem;
      p.objective = buy::Objective::kMinCost;
      Evaluated e = Simulate(
          ctx, Solve(ctx, p, options.buy_time_limit_s, options.buy_relative_gap, false), chosen);
      out.purchase_options.push_back(OptionOf(Objective::kMinCost, false, e));
      if (!largest) {
        buy::BuyProblem q = *problem;
        q.objective = buy::Objective::kMaxCapacity;
        largest = Simulate(
            ctx, Solve(ctx, q, options.buy_time_limit_s, options.buy_relative_gap, false), chosen);
      }
      out.purchase_options.push_back(OptionOf(Objective::kMaxCapacity, false, *largest));
    } else {
      buy::BuyProblem p = *problem;
      const Objective other =
          out.objective == Objective::kMaxCapacity ? Objective::kMinCost : Objective::kMaxCapacity;
      p.objective =
          other == Objective::kMinCost ? buy::Objective::kMinCost : buy::Objective::kMaxCapacity;
      Evaluated e = Simulate(
          ctx, Solve(ctx, p, options.buy_time_limit_s, options.buy_relative_gap, false), chosen);
      out.purchase_options.push_back(OptionOf(other, false, e));
    }
  }
  out.headline = HeadlineOf(ctx, rec);
  out.buy = std::move(rec.buy);
  return out;
}

Result<ScenarioSimulation> SimulationOfScenario(const scenario::Scenario& s,
                                                const catalog::Catalog& catalog,
                                                double buy_time_limit_s) {
  PlanOptions options;
  options.buy_time_limit_s = buy_time_limit_s;
  Context ctx = MakeContext(s, catalog, options);
  if (!ctx.tenant_jobs) return Error{ctx.tenant_jobs_error};
  ctx.sizing = SizeWorkloads(s, catalog);
  ctx.serving = SizeServices(s, catalog);
  ScenarioSimulation out;
  const auto problem = buy::BuildBuyProblem(s, catalog, MakeSizingResolver(catalog));
  BuyStage stage;
  if (!problem) {
    stage.fleet = ExistingFleet(s, catalog);
    out.buy_status = problem.error().message;
  } else {
    std::vector<Iteration> iterations;
    const Objective objective = FromScenario(s.objective);
    if (objective == Objective::kServiceLevel) {
      stage = ServiceLevelLoop(ctx, *problem, s.simulation.policy, iterations).buy;
    } else {
      buy::BuyProblem p = *problem;
      p.objective = objective == Objective::kMinCost ? buy::Objective::kMinCost
                                                     : buy::Objective::kMaxCapacity;
      stage = Solve(ctx, p, buy_time_limit_s, options.buy_relative_gap, false);
    }
    if (!stage.error.empty()) return Error{stage.error};
    out.buy_status = std::string(buy::ToString(stage.result->status));
  }
  auto assembly = Assemble(ctx, stage.fleet);
  GPUPLAN_TRY(assembly);
  if (assembly->cluster.groups.empty()) {
    return Error{fmt::format("{}: the scenario's fleet has no GPUs to simulate ({})", s.path,
                             out.buy_status)};
  }
  out.config = ConfigOf(s, assembly->cluster, assembly->trace, s.simulation.policy);
  out.trace = std::move(assembly->trace);
  return out;
}

// ---- report.json ---------------------------------------------------------------------------

namespace {

Json SizingJson(const scenario::Scenario& s, const std::vector<SizingCell>& cells) {
  Json rows = Json::array();
  for (const auto& cell : cells) {
    const scenario::Workload* w = nullptr;
    for (const auto& x : s.workloads) {
      if (x.name == cell.workload) w = &x;
    }
    Json row;
    row["workload"] = cell.workload;
    row["model"] = w ? w->model : "";
    row["accelerator"] = cell.accelerator;
    if (!cell.plan) {
      row["error"] = cell.error;
      rows.push_back(row);
      continue;
    }
    Json j = sizing::TrainPlanJson(*cell.plan);
    row["params"] = cell.plan->params;
    row["tokens"] = cell.plan->tokens;
    for (const char* key :
         {"gpus", "days", "gpu_hours", "mfu", "tflops_per_gpu", "memory_per_gpu_gib", "parallelism",
          "energy_mwh", "cost_usd", "interval_90"}) {
      if (j.contains(key)) row[key] = j[key];
    }
    if (w) row["deadline_days"] = w->deadline_s / kSecondsPerDay;
    rows.push_back(row);
  }
  return rows;
}

Json ServingJson(const scenario::Scenario& s, const std::vector<ServingCell>& cells) {
  Json rows = Json::array();
  for (const auto& cell : cells) {
    const scenario::Service* v = nullptr;
    for (const auto& x : s.services) {
      if (x.name == cell.service) v = &x;
    }
    Json row;
    row["workload"] = cell.service;
    row["model"] = v ? v->model : "";
    row["accelerator"] = cell.accelerator;
    row["requests_per_s"] = v ? v->requests_per_s : 0;
    if (!cell.plan) {
      row["error"] = cell.error;
      rows.push_back(row);
      continue;
    }
    const sizing::ServePlan& plan = *cell.plan;
    row["gpus"] = plan.gpus;
    row["tp"] = plan.point.tp;
    row["replicas"] = plan.replicas;
    row["tokens_per_s_per_gpu"] = plan.output_tokens_per_s_per_gpu;
    row["ttft_ms"] = plan.point.ttft_s * 1000;
    row["tpot_ms"] = plan.point.tpot_s * 1000;
    if (plan.usd_per_million_output_tokens > 0) {
      row["usd_per_million_output_tokens"] = plan.usd_per_million_output_tokens;
    }
    row["energy_kwh_per_million_output_tokens"] = plan.energy_kwh_per_million_output_tokens;
    rows.push_back(row);
  }
  return rows;
}

Json BuyJson(const scenario::Scenario& s, Objective objective, const BuyStage& stage,
             const Headline& headline, const std::vector<Iteration>& iterations) {
  if (!stage.result) return {{"error", stage.error}};
  const buy::BuyProblem& problem = *stage.problem;
  const buy::BuyResult& r = *stage.result;
  Json j;
  j["status"] = std::string(buy::ToString(r.status));
  // As buy --json names them.
  j["objective_kind"] = objective == Objective::kServiceLevel
                            ? std::string(ToString(objective))
                            : std::string(buy::ToString(r.objective));
  j["objective_unit"] = r.objective == buy::Objective::kMaxCapacity ? "h100_eq_gpu_hours" : "usd";
  j["objective"] = r.objective_value;
  j["proven_optimal"] = r.is_proven_optimal;
  j["gap"] = r.mip_gap;
  j["capacity_unit"] = problem.capacity_unit;
  j["currency"] = s.currency;
  j["total_cost"] = r.total_cost_usd * s.units_per_usd;
  j["total_cost_usd"] = r.total_cost_usd;
  j["capex_usd"] = r.capex_usd;
  j["opex_usd"] = r.energy_usd + r.maintenance_usd;
  j["rental_usd"] = r.rental_usd;
  buy::PresentValueJson(problem, r, j);
  j["h100_eq_gpu_hours"] = r.h100_eq_gpu_hours;
  if (s.budget.has_budget) {
    double cap = 0;
    for (const auto& y : s.budget.per_year) cap += y.capex_usd;
    if (s.budget.total_usd > 0) cap = std::min(cap, s.budget.total_usd);
    j["budget_usd"] = cap;
    j["unspent_budget_usd"] = headline.unspent_budget_usd;
  }
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
                              {"node_price_usd", p.node_price_usd},
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
    for (const auto& g : stage.fleet) {
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
    if (c.floor_h100_eq > 0) {
      row["floor_h100_equivalents"] = c.floor_h100_eq;
      row["shortfall_h100_equivalents"] = c.shortfall_h100_eq;
    }
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
  // A constraint is listed as binding only when relaxing it is worth more than the solver's gap
  // (a smaller gain is noise of the branch and bound, not a property of the plan).
  j["binding"] = Json::array();
  const double noise = std::max(r.mip_gap, 1e-3) * std::fabs(r.objective_value);
  for (const auto& b : r.binding) {
    if (b.is_evaluated && !(b.objective_gain > noise)) continue;
    std::string words = b.constraint;
    if (b.is_evaluated && !b.relaxation.empty()) {
      words += r.objective == buy::Objective::kMaxCapacity
                   ? fmt::format(": {} would add {} H100-equivalent GPU-hours", b.relaxation,
                                 FormatQuantity(b.objective_gain))
                   : fmt::format(": {} would save {} {}", b.relaxation, s.currency,
                                 FormatQuantity(b.objective_gain * s.units_per_usd));
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
  if (!iterations.empty()) {
    Json its = Json::array();
    for (const auto& it : iterations) {
      Json missed = Json::array();
      for (const auto& m : it.missed) {
        missed.push_back({{"who", m.who},
                          {"quarter", m.quarter},
                          {"achieved_wait_h", m.achieved_wait_s / kSecondsPerHour},
                          {"wait_h", m.wait_s / kSecondsPerHour}});
      }
      its.push_back({{"iteration", it.iteration},
                     {"total_cost_usd", it.total_cost_usd},
                     {"met_all", it.met_all},
                     {"missed", missed},
                     {"action", it.action}});
    }
    j["iterations"] = its;
  }
  return j;
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

Json PolicyJson(const sim::SimResult& r) {
  // The simulator's own JSON, less what the report reshapes (classes) or samples (jobs).
  Json j = sim::ToJson(r);
  for (const char* key : {"per_tenant", "per_class", "unschedulable_jobs", "notes", "wall_s"}) {
    j.erase(key);
  }
  std::map<std::string, std::vector<double>> waits_by_tenant;
  for (const auto& row : r.job_rows) {
    if (row.start_s >= 0) waits_by_tenant[row.tenant].push_back(row.wait_s);
  }
  // Shares of the center's GPU time (installed GPU-hours over the run): at most 1, summing to
  // at most 1.
  const double center_gpu_hours = r.capacity_gpu_hours;
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
    k["avg_wait_s"] = c.waits.avg_wait_s;
    k["p50_wait_s"] = c.waits.p50_wait_s;
    k["p95_wait_s"] = c.waits.p95_wait_s;
    k["p99_wait_s"] = c.waits.p99_wait_s;
    k["avg_bounded_slowdown"] = c.waits.avg_bounded_slowdown;
    k["gpu_hours"] = c.gpu_hours;
    k["entitled_share"] = center_gpu_hours > 0 ? c.entitled_gpu_hours / center_gpu_hours : 0;
    k["received_share"] = center_gpu_hours > 0 ? c.gpu_hours / center_gpu_hours : 0;
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

Json TimelineJson(const scenario::Scenario& s, const sim::SimResult& r) {
  Json out = Json::array();
  for (const auto& row : r.timeline) {
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

Json QuarterJson(const QuarterStats& q) {
  Json per_class = Json::object();
  for (const auto& c : q.per_class) {
    per_class[c.tenant_class] = {{"jobs", c.jobs},
                                 {"avg_wait_s", c.mean_wait_s},
                                 {"p50_wait_s", c.p50_wait_s},
                                 {"p95_wait_s", c.p95_wait_s},
                                 {"p99_wait_s", c.p99_wait_s}};
  }
  return {{"quarter", q.quarter},
          {"offered_load", q.offered_load},
          {"utilization", q.utilization},
          {"demanded_gpu_hours", q.demanded_gpu_hours},
          {"installed_gpu_hours", q.installed_gpu_hours},
          {"jobs_submitted", q.jobs_submitted},
          {"jobs_started", q.jobs_started},
          {"avg_wait_s", q.mean_wait_s},
          {"p50_wait_s", q.p50_wait_s},
          {"p95_wait_s", q.p95_wait_s},
          {"p99_wait_s", q.p99_wait_s},
          {"per_class", per_class}};
}

Json LevelJson(const LevelOutcome& l) {
  Json j;
  if (l.target.tenant_class) {
    j["class"] = l.who;
  } else {
    j["tenant"] = l.who;
  }
  j["percentile"] = l.target.percentile;
  j["wait_h"] = l.target.wait_s / kSecondsPerHour;
  j["achieved_wait_h"] = l.achieved_wait_s / kSecondsPerHour;
  j["worst_quarter"] = l.worst_quarter;
  j["from"] = scenario::ToString(l.target.from);
  j["met"] = l.met;
  j["has_jobs"] = l.has_jobs;
  return j;
}

Json OptionJson(const PurchaseOption& o) {
  Json row;
  row["objective"] = std::string(ToString(o.objective));
  row["is_plan"] = o.is_plan;
  if (!o.error.empty()) {
    row["error"] = o.error;
    return row;
  }
  row["status"] = o.status;
  row["total_cost_usd"] = o.total_cost_usd;
  row["capex_usd"] = o.capex_usd;
  row["h100_eq_gpu_hours"] = o.h100_eq_gpu_hours;
  row["final_gpus"] = o.final_gpus;
  row["final_h100_equivalents"] = o.final_h100_equivalents;
  if (!o.policy.empty()) {
    row["policy"] = o.policy;
    row["utilization"] = o.utilization;
    row["avg_wait_s"] = o.mean_wait_s;
    row["p95_wait_s"] = o.p95_wait_s;
    row["p99_wait_s"] = o.p99_wait_s;
    row["met_all"] = o.met_all;
  }
  return row;
}

}  // namespace

Json ToJson(const PlanResult& r, const scenario::Scenario& s) {
  Json report;
  report["gpuplan_version"] = "0.1.0";
  Json horizon = Json::array();
  for (int q = 0; q < s.num_quarters(); ++q) {
    horizon.push_back(scenario::ToString(scenario::QuarterFromIndex(s.first.Index() + q)));
  }
  report["scenario"] = {
      {"name", s.name},     {"path", s.path},         {"description", s.description},
      {"horizon", horizon}, {"currency", s.currency}, {"units_per_usd", s.units_per_usd}};
  report["objective"] = std::string(ToString(r.objective));
  report["cost_policy"] = CostPolicyJson(s, r.part_costs);
  const Headline& h = r.headline;
  report["headline"] = {{"worst_class", h.worst_class},
                        {"worst_percentile", h.worst_percentile},
                        {"worst_wait_h", h.worst_wait_s / kSecondsPerHour},
                        {"utilization", h.utilization},
                        {"usd_per_useful_h100_hour", h.usd_per_useful_h100_hour},
                        {"total_cost_usd", h.total_cost_usd},
                        {"unspent_budget_usd", h.unspent_budget_usd},
                        {"objective", std::string(ToString(r.objective))}};
  report["sizing"] = SizingJson(s, r.sizing);
  report["serving"] = ServingJson(s, r.serving);
  report["buy"] = BuyJson(s, r.objective, r.buy, r.headline, r.iterations);
  report["service_levels"] = Json::array();
  for (const auto& l : r.service_levels) report["service_levels"].push_back(LevelJson(l));

  const SimulationStage& st = r.simulation;
  Json sim;
  sim["policy"] = st.policy;
  sim["horizon_s"] = st.horizon_s;
  sim["drain_s"] = st.drain_s;
  if (!st.error.empty()) sim["error"] = st.error;
  sim["jobs"] = st.jobs;
  sim["source"] = st.source;
  sim["demand"] = Json::array();
  for (const auto& d : st.demand) {
    sim["demand"].push_back({{"name", d.name},
                             {"kind", d.kind},
                             {"tenant_class", d.tenant_class},
                             {"jobs", d.jobs},
                             {"gpu_hours", d.gpu_hours}});
  }
  sim["policies"] = Json::array();
  // Policies in the order they were asked, the recommended one where it was asked.
  for (const auto& run : st.runs) {
    if (run.result) {
      sim["policies"].push_back(PolicyJson(*run.result));
    } else {
      sim["policies"].push_back({{"policy", run.policy}, {"error", run.error}});
    }
  }
  if (const sim::SimResult* rec = st.recommended()) sim["timeline"] = TimelineJson(s, *rec);
  sim["by_quarter"] = Json::array();
  for (const auto& q : st.by_quarter) sim["by_quarter"].push_back(QuarterJson(q));
  report["simulation"] = sim;

  if (!r.frontier.empty()) {
    Json frontier = Json::array();
    for (const auto& f : r.frontier) {
      Json per_class = Json::object();
      for (const auto& [cls, w] : f.class_wait_s) {
        per_class[cls] = {{"percentile", f.percentile}, {"wait_h", w / kSecondsPerHour}};
      }
      frontier.push_back({{"budget_usd", f.budget_usd},
                          {"total_cost_usd", f.total_cost_usd},
                          {"status", f.status},
                          {"final_gpus", f.final_gpus},
                          {"utilization", f.utilization},
                          {"met_all", f.met_all},
                          {"per_class", per_class}});
    }
    report["frontier"] = frontier;
  }
  if (!r.purchase_options.empty()) {
    report["purchase_options"] = Json::array();
    for (const auto& o : r.purchase_options) report["purchase_options"].push_back(OptionJson(o));
  }
  report["warnings"] = r.warnings;
  return report;
}

}  // namespace gpuplan::plan
