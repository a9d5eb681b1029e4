// Scenario -> BuyProblem: plain data for the MILP. Sizing enters only through the caller's
// DemandResolver, so this module stays free of the sizing model.
#include <fmt/format.h>

#include <algorithm>

#include "buy/buy.h"
#include "trace/trace.h"

namespace gpuplan::buy {

namespace {

// The H100-equivalent reference (DESIGN): dense BF16 relative to H100 SXM.
constexpr std::string_view kReferenceId = "h100-sxm5-80gb";

Result<double> H100EqPerGpu(const scenario::Scenario& s, const catalog::Accelerator& a,
                            const catalog::Accelerator& h100, const DemandResolver& resolver) {
  if (s.capacity_unit == scenario::CapacityUnit::kPeak) {
    return a.peak_bf16_flop_per_s / h100.peak_bf16_flop_per_s;
  }
  if (!resolver.sizing_h100_eq) {
    return Error{fmt::format(
        "{}: [capacity] unit = \"sizing\" needs the training sizing model, and the caller "
        "supplied none; use unit = \"peak\" (dense BF16 relative to H100 SXM)",
        s.path)};
  }
  auto v = resolver.sizing_h100_eq(a);
  GPUPLAN_TRY(v);
  if (!(*v >= 0)) {
    return Error{fmt::format("sizing gave a negative H100-equivalent for '{}'", a.id)};
  }
  return *v;
}

}  // namespace

Result<std::vector<double>> DemandFloors(const scenario::Scenario& s,
                                         const catalog::Accelerator& reference,
                                         const DemandResolver& resolver) {
  const int nq = s.num_quarters();
  std::vector<double> h100_eq_hours(static_cast<size_t>(nq), 0.0);
  double quarter_days = kHoursPerQuarter / 24;
  for (int t = 0; t < nq; ++t) {
    const scenario::Quarter q = scenario::QuarterFromIndex(s.first.Index() + t);
    for (const scenario::Tenant& tenant : s.tenants) {
      const double gpu_hours_per_job = trace::MeanGpuHoursPerJob(tenant.demand);
      h100_eq_hours[static_cast<size_t>(t)] +=
          s.JobsPerDay(tenant, q) * quarter_days * gpu_hours_per_job;
    }
  }
  // A run is planned as its GPUs on the reference part for its whole deadline, in the quarter
  // it starts; a service holds its GPUs in every quarter from its first.
  for (const scenario::Workload& w : s.workloads) {
    if (!resolver.size_workload) break;
    auto fit = resolver.size_workload(w, reference);
    GPUPLAN_TRY(fit);
    if (!fit->fits) continue;
    for (const scenario::Quarter q : s.RunsOf(w)) {
      h100_eq_hours[static_cast<size_t>(q.Index() - s.first.Index())] +=
          fit->num_gpus * w.deadline_s / kSecondsPerHour;
    }
  }
  for (const scenario::Service& v : s.services) {
    if (!resolver.size_service) break;
    auto fit = resolver.size_service(v, reference);
    GPUPLAN_TRY(fit);
    if (!fit->fits) continue;
    for (int t = std::max(0, v.from.Index() - s.first.Index()); t < nq; ++t) {
      h100_eq_hours[static_cast<size_t>(t)] += fit->num_gpus * kHoursPerQuarter * kPlannedLoad;
    }
  }
  std::vector<double> floors(static_cast<size_t>(nq), 0.0);
  for (int t = 0; t < nq; ++t) {
    floors[static_cast<size_t>(t)] =
        h100_eq_hours[static_cast<size_t>(t)] / kHoursPerQuarter / kPlannedLoad;
  }
  return floors;
}

Result<BuyProblem> BuildBuyProblem(const scenario::Scenario& s, const catalog::Catalog& catalog,
                                   const DemandResolver& resolver) {
  BuyProblem p;
  p.capacity_unit = std::string(scenario::ToString(s.capacity_unit));
  auto h100 = catalog.Find(kReferenceId);
  GPUPLAN_TRY(h100);
  const int first = s.first.Index();
  for (int i = first; i <= s.last.Index(); ++i) {
    const scenario::Quarter q = scenario::QuarterFromIndex(i);
    p.quarters.push_back(
        {.label = scenario::ToString(q), .year = q.year, .facility_power_w = s.FacilityPowerW(q)});
  }
  std::vector<const catalog::Accelerator*> cand_acc, exist_acc;
  for (const scenario::Candidate& c : s.candidates) {
    auto a = scenario::FindAccelerator(s, catalog, c.accelerator);
    GPUPLAN_TRY(a);
    auto eq = H100EqPerGpu(s, **a, **h100, resolver);
    GPUPLAN_TRY(eq);
    cand_acc.push_back(*a);
    p.candidates.push_back(
        {.accelerator = c.accelerator,
         .vendor = c.vendor,
         .is_domestic = c.is_domestic,
         .is_export_controlled = c.is_export_controlled,
         .gpus_per_node = c.gpus_per_node,
         .node_price_usd = c.node_price_usd,
         .node_power_w = c.node_power_w,
         .max_nodes_per_quarter = c.max_nodes_per_quarter,
         .lead_time_quarters = c.lead_time_quarters,
         .min_nodes_per_order = std::min(c.min_nodes_per_order, c.max_nodes_per_quarter),
         .first_order_quarter_idx = c.available_from.Index() - first,
         .h100_eq_per_gpu = *eq,
         .memory_bytes_per_gpu = (*a)->memory_bytes,
         .tpp_per_gpu = (*a)->tpp,
         .price_decline_per_year = c.price_decline_per_year,
         .service_life_years = c.service_life_years});
  }
  for (const scenario::ExistingFleet& e : s.existing) {
    auto a = scenario::FindAccelerator(s, catalog, e.accelerator);
    GPUPLAN_TRY(a);
    auto eq = H100EqPerGpu(s, **a, **h100, resolver);
    GPUPLAN_TRY(eq);
    exist_acc.push_back(*a);
    p.existing.push_back({.accelerator = e.accelerator,
                          .vendor = e.vendor,
                          .is_domestic = e.is_domestic,
                          .num_gpus = e.num_gpus,
                          .power_w_per_gpu = e.power_w_per_gpu,
                          .first_quarter_idx = e.in_service_from.Index() - first,
                          .h100_eq_per_gpu = *eq,
                          .memory_bytes_per_gpu = (*a)->memory_bytes,
                          .tpp_per_gpu = (*a)->tpp});
  }
  for (const scenario::Milestone& m : s.milestones) {
    p.milestones.push_back({.quarter_idx = m.quarter.Index() - first,
                            .required = m.num_gpus > 0 ? m.num_gpus : m.h100_equivalents,
                            .is_gpu_count = m.num_gpus > 0,
                            .label = m.label});
  }
  const catalog::Accelerator* rental_acc = nullptr;
  if (s.rental.is_enabled) {
    auto a = scenario::FindAccelerator(s, catalog, s.rental.accelerator);
    GPUPLAN_TRY(a);
    rental_acc = *a;
    auto eq = H100EqPerGpu(s, **a, **h100, resolver);
    GPUPLAN_TRY(eq);
    p.rental = {.is_enabled = true,
                .accelerator = s.rental.accelerator,
                .usd_per_gpu_hour = s.rental.usd_per_gpu_hour,
                .max_gpus_per_quarter = s.rental.max_gpus_per_quarter,
                .h100_eq_per_gpu = *eq,
                .is_paid_from_budget = s.rental.is_paid_from_budget,
                .first_quarter_idx = s.rental.from.Index() - first};
  }
  // Each workload and each service becomes a demand: GPUs of each type that host it alone.
  auto add_demand =
      [&](const std::string& what, const std::string& name, int line, scenario::Quarter from,
          const std::function<Result<WorkloadFit>(const catalog::Accelerator&)>& fit_on)
      -> Result<void> {
    DemandSpec d{.name = name, .first_quarter_idx = from.Index() - first};
    bool fits_somewhere = false;
    auto need = [&](const catalog::Accelerator& a) -> Result<double> {
      auto fit = fit_on(a);
      if (!fit) {
        return Error{fmt::format("{}:{}: {} '{}' on {}: {}", s.path, line, what, name, a.id,
                                 fit.error().message)};
      }
      if (!fit->fits || !(fit->num_gpus > 0)) return 0.0;
      fits_somewhere = true;
      return fit->num_gpus;
    };
    for (const catalog::Accelerator* a : cand_acc) {
      auto n = need(*a);
      GPUPLAN_TRY(n);
      d.candidate_gpus.push_back(*n);
    }
    for (const catalog::Accelerator* a : exist_acc) {
      auto n = need(*a);
      GPUPLAN_TRY(n);
      d.existing_gpus.push_back(*n);
    }
    if (rental_acc) {
      auto n = need(*rental_acc);
      GPUPLAN_TRY(n);
      d.rental_gpus = *n;
    }
    if (!fits_somewhere) {
      return Error{
          fmt::format("{}:{}: {} '{}' fits none of the candidate, existing or rented "
                      "accelerators",
                      s.path, line, what, name)};
    }
    p.demands.push_back(std::move(d));
    return Ok{};
  };
  for (const scenario::Workload& w : s.workloads) {
    if (!resolver.size_workload) {
      return Error{fmt::format(
          "{}:{}: workload '{}' needs the training sizing model, and the caller supplied "
          "none; remove [[workload]] or express it as a [[milestone]]",
          s.path, w.line, w.name)};
    }
    GPUPLAN_TRY(add_demand("workload", w.name, w.line, w.from, [&](const catalog::Accelerator& a) {
      return resolver.size_workload(w, a);
    }));
  }
  for (const scenario::Service& v : s.services) {
    if (!resolver.size_service) {
      return Error{fmt::format(
          "{}:{}: service '{}' needs the serving sizing model, and the caller supplied none; "
          "remove [[service]] or express it as a [[milestone]]",
          s.path, v.line, v.name)};
    }
    GPUPLAN_TRY(add_demand("service", v.name, v.line, v.from, [&](const catalog::Accelerator& a) {
      return resolver.size_service(v, a);
    }));
  }
  auto floors = DemandFloors(s, **h100, resolver);
  GPUPLAN_TRY(floors);
  p.capacity_floor_h100_eq = std::move(*floors);
  if (s.budget.has_budget) {
    p.budget.has_budget = true;
    p.budget.first_year = s.first.year;
    p.budget.capex_usd_per_year.assign(static_cast<size_t>(s.last.year - s.first.year + 1), 0);
    for (const scenario::YearBudget& y : s.budget.per_year) {
      p.budget.capex_usd_per_year[static_cast<size_t>(y.year - s.first.year)] = y.capex_usd;
    }
    p.budget.is_carry_over = s.budget.is_carry_over;
    p.budget.total_usd = s.budget.total_usd;
  }
  p.power_usd_per_kwh = s.opex.power_usd_per_kwh;
  p.pue = s.opex.pue;
  p.discount_rate = s.budget.discount_rate;
  p.maintenance_share_per_year = s.opex.maintenance_share_per_year;
  p.has_export_cap = s.export_cap.has_cap;
  p.export_cap_tpp = s.export_cap.cumulative_tpp;
  p.max_vendor_share = s.supply.max_vendor_share;
  p.min_domestic_share = s.supply.min_domestic_share;
  p.share_from_quarter_idx = s.supply.from.Index() - first;
  p.currency = s.currency;
  p.units_per_usd = s.units_per_usd;
  return p;
}

}  // namespace gpuplan::buy
