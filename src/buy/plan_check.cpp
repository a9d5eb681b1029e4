// An independent evaluation of a purchase plan: every figure is recomputed from the problem by
// direct simulation of the quarters, never from the MILP, so tests can check the MILP with it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "buy/buy.h"
#include "buy/model_internal.h"

namespace gpuplan::buy {

namespace detail {

namespace {
constexpr double kWPerMw = 1e6;
constexpr double kWPerKw = 1e3;
constexpr double kQuartersPerYear = 4;
// Tolerance of the checks: relative, so that rounding in the solver's output is not a violation.
constexpr double kRelTol = 1e-7;

bool Exceeds(double value, double limit) {
  return value > limit + kRelTol * std::max(1.0, std::fabs(limit));
}
}  // namespace

std::string KindName(GroupKind k) {
  switch (k) {
    case GroupKind::kBudget:
      return "budget";
    case GroupKind::kBudgetTotal:
      return "budget";
    case GroupKind::kSupply:
      return "supply";
    case GroupKind::kPower:
      return "power";
    case GroupKind::kExportCap:
      return "export_cap";
    case GroupKind::kVendorShare:
      return "vendor_share";
    case GroupKind::kDomesticShare:
      return "domestic_share";
    case GroupKind::kMilestone:
      return "milestone";
    case GroupKind::kDemand:
      return "demand";
    case GroupKind::kRental:
      return "rental";
  }
  return "constraint";
}

std::string MoneyWords(const BuyProblem& p, double usd) {
  return fmt::format("{} {}", p.currency, FormatQuantity(usd * p.units_per_usd));
}

std::string GroupName(const BuyProblem& p, GroupKind kind, int index, const std::string& vendor) {
  switch (kind) {
    case GroupKind::kBudget:
      return fmt::format("the {} capital budget ({})", p.budget.first_year + index,
                         MoneyWords(p, p.budget.capex_usd_per_year[static_cast<size_t>(index)]));
    case GroupKind::kBudgetTotal:
      return fmt::format("the total capital budget ({})", MoneyWords(p, p.budget.total_usd));
    case GroupKind::kSupply: {
      const CandidateSpec& c = p.candidates[static_cast<size_t>(index)];
      return fmt::format("the supply of {} ({} nodes per quarter)", c.accelerator,
                         c.max_nodes_per_quarter);
    }
    case GroupKind::kPower: {
      const QuarterSpec& q = p.quarters[static_cast<size_t>(index)];
      return fmt::format("the facility power in {} ({:.4g} MW)", q.label,
                         q.facility_power_w / kWPerMw);
    }
    case GroupKind::kExportCap:
      return fmt::format("the export cap ({} TPP)", FormatQuantity(p.export_cap_tpp));
    case GroupKind::kVendorShare:
      return fmt::format("the {:.0f}% vendor share limit for {} from {}", 100 * p.max_vendor_share,
                         vendor, p.quarters[static_cast<size_t>(p.share_from_quarter_idx)].label);
    case GroupKind::kDomesticShare:
      return fmt::format("the {:.0f}% domestic share minimum from {}", 100 * p.min_domestic_share,
                         p.quarters[static_cast<size_t>(p.share_from_quarter_idx)].label);
    case GroupKind::kMilestone: {
      const MilestoneSpec& m = p.milestones[static_cast<size_t>(index)];
      return fmt::format("the milestone of {:.0f} {} by {}{}", m.required,
                         m.is_gpu_count ? "GPUs" : "H100-equivalents",
                         p.quarters[static_cast<size_t>(m.quarter_idx)].label,
                         m.label.empty() ? "" : fmt::format(" ({})", m.label));
    }
    case GroupKind::kDemand: {
      const DemandSpec& d = p.demands[static_cast<size_t>(index)];
      return fmt::format("the workload '{}' from {}", d.name,
                         p.quarters[static_cast<size_t>(d.first_quarter_idx)].label);
    }
    case GroupKind::kRental:
      return fmt::format("the rental limit ({} GPUs per quarter)", p.rental.max_gpus_per_quarter);
  }
  return "a constraint";
}

std::vector<std::string> Vendors(const BuyProblem& p) {
  std::set<std::string> v;
  for (const auto& c : p.candidates) v.insert(c.vendor);
  for (const auto& e : p.existing) v.insert(e.vendor);
  return {v.begin(), v.end()};
}

int LastOrderIdx(const BuyProblem& p, const CandidateSpec& c) {
  return static_cast<int>(p.quarters.size()) - 1 - c.lead_time_quarters;
}

Timeline ComputeTimeline(const BuyProblem& p, const BuyPlan& plan) {
  const size_t nq = p.quarters.size();
  const size_t na = p.candidates.size();
  Timeline tl;
  tl.nodes_in_service.assign(na, std::vector<double>(nq, 0));
  for (auto* v :
       {&tl.owned_h100_eq, &tl.capacity_h100_eq, &tl.owned_gpus, &tl.rented_gpus, &tl.it_power_w,
        &tl.installed_tpp, &tl.export_tpp_cumulative, &tl.spend_usd, &tl.capex_usd}) {
    v->assign(nq, 0);
  }
  double export_tpp = 0;
  std::vector<double> installed_capex(nq, 0);  // capex of nodes in service, for maintenance
  for (size_t t = 0; t < nq; ++t) {
    for (size_t a = 0; a < na; ++a) {
      const CandidateSpec& c = p.candidates[a];
      const double ordered =
          a < plan.nodes.size() && t < plan.nodes[a].size() ? plan.nodes[a][t] : 0;
      tl.capex_usd[t] += ordered * NodePriceUsd(c, static_cast<int>(t));
      if (c.is_export_controlled) export_tpp += ordered * c.gpus_per_node * c.tpp_per_gpu;
      // In service in t: everything ordered in quarters <= t - lead time, at its price.
      double n = 0;
      for (size_t s = 0; s + static_cast<size_t>(c.lead_time_quarters) <= t; ++s) {
        const double k = a < plan.nodes.size() && s < plan.nodes[a].size() ? plan.nodes[a][s] : 0;
        n += k;
        installed_capex[t] += k * NodePriceUsd(c, static_cast<int>(s));
        if (t + 1 == nq) tl.residual_value_usd += k * ResidualValueUsd(p, c, static_cast<int>(s));
      }
      tl.nodes_in_service[a][t] = n;
      const double gpus = n * c.gpus_per_node;
      tl.owned_gpus[t] += gpus;
      tl.owned_h100_eq[t] += gpus * c.h100_eq_per_gpu;
      tl.it_power_w[t] += n * c.node_power_w;
      tl.installed_tpp[t] += gpus * c.tpp_per_gpu;
    }
    for (const ExistingSpec& e : p.existing) {
      if (static_cast<int>(t) < e.first_quarter_idx) continue;
      tl.owned_gpus[t] += e.num_gpus;
      tl.owned_h100_eq[t] += e.num_gpus * e.h100_eq_per_gpu;
      tl.it_power_w[t] += e.num_gpus * e.power_w_per_gpu;
      tl.installed_tpp[t] += e.num_gpus * e.tpp_per_gpu;
    }
    const double rented = t < plan.rented_gpus.size() ? plan.rented_gpus[t] : 0;
    tl.rented_gpus[t] = rented;
    tl.capacity_h100_eq[t] = tl.owned_h100_eq[t] + rented * p.rental.h100_eq_per_gpu;
    tl.export_tpp_cumulative[t] = export_tpp;
    const double rental_usd = rented * kHoursPerQuarter * p.rental.usd_per_gpu_hour;
    tl.rental_usd += rental_usd;
    tl.spend_usd[t] = tl.capex_usd[t] + (p.rental.is_paid_from_budget ? rental_usd : 0);
    const double energy_usd =
        kHoursPerQuarter * p.pue * tl.it_power_w[t] / kWPerKw * p.power_usd_per_kwh;
    const double maintenance_usd =
        p.maintenance_share_per_year / kQuartersPerYear * installed_capex[t];
    tl.capex_total_usd += tl.capex_usd[t];
    tl.energy_usd += energy_usd;
    tl.maintenance_usd += maintenance_usd;
    const double df = DiscountFactor(p, static_cast<int>(t));
    tl.capex_pv_usd += df * tl.capex_usd[t];
    tl.energy_pv_usd += df * energy_usd;
    tl.maintenance_pv_usd += df * maintenance_usd;
    tl.rental_pv_usd += df * rental_usd;
    tl.h100_eq_gpu_hours += kHoursPerQuarter * tl.capacity_h100_eq[t];
  }
  tl.residual_value_pv_usd = DiscountFactor(p, static_cast<int>(nq)) * tl.residual_value_usd;
  return tl;
}

}  // namespace detail

double NodePriceUsd(const CandidateSpec& c, int quarter_idx) {
  if (c.price_decline_per_year == 0) return c.node_price_usd;
  return c.node_price_usd *
         std::pow(1 - c.price_decline_per_year, quarter_idx / detail::kQuartersPerYear);
}

double DiscountFactor(const BuyProblem& p, int quarter_idx) {
  if (p.discount_rate == 0) return 1;
  return std::pow(1 + p.discount_rate, -quarter_idx / detail::kQuartersPerYear);
}

double ResidualValueUsd(const BuyProblem& p, const CandidateSpec& c, int order_idx) {
  const double age_years =
      (static_cast<double>(p.quarters.size()) - detail::DeliveredIdx(c, order_idx)) /
      detail::kQuartersPerYear;
  const double life = c.service_life_years > 0 ? c.service_life_years : 1;
  return NodePriceUsd(c, order_idx) * std::max(0.0, 1 - age_years / life);
}

PlanEvaluation EvaluatePlan(const BuyProblem& p, const BuyPlan& plan) {
  using detail::GroupKind;
  using detail::GroupName;
  const detail::Timeline tl = detail::ComputeTimeline(p, plan);
  const int nq = static_cast<int>(p.quarters.size());
  PlanEvaluation ev;
  auto violated = [&](GroupKind k, int index, const std::string& vendor = "") {
    const std::string name = GroupName(p, k, index, vendor);
    if (std::find(ev.violations.begin(), ev.violations.end(), name) == ev.violations.end()) {
      ev.violations.push_back(name);
    }
  };
  // (1) budget by year (cumulative with carry-over), (1b) total.
  if (p.budget.has_budget) {
    double spent_cum = 0, budget_cum = 0;
    for (size_t y = 0; y < p.budget.capex_usd_per_year.size(); ++y) {
      double spent = 0;
      for (int t = 0; t < nq; ++t) {
        if (p.quarters[static_cast<size_t>(t)].year == p.budget.first_year + static_cast<int>(y)) {
          spent += tl.spend_usd[static_cast<size_t>(t)];
        }
      }
      spent_cum += spent;
      budget_cum += p.budget.capex_usd_per_year[y];
      const bool over = p.budget.is_carry_over
                            ? detail::Exceeds(spent_cum, budget_cum)
                            : detail::Exceeds(spent, p.budget.capex_usd_per_year[y]);
      if (over) violated(GroupKind::kBudget, static_cast<int>(y));
    }
    if (p.budget.total_usd > 0 && detail::Exceeds(spent_cum, p.budget.total_usd)) {
      violated(GroupKind::kBudgetTotal, 0);
    }
  }
  // (2) supply per quarter and order windows.
  for (size_t a = 0; a < p.candidates.size() && a < plan.nodes.size(); ++a) {
    const CandidateSpec& c = p.candidates[a];
    for (int t = 0; t < nq && t < static_cast<int>(plan.nodes[a].size()); ++t) {
      const int n = plan.nodes[a][static_cast<size_t>(t)];
      if (n > c.max_nodes_per_quarter || n < 0) violated(GroupKind::kSupply, static_cast<int>(a));
      if (n > 0 && (t < c.first_order_quarter_idx || t > detail::LastOrderIdx(p, c))) {
        ev.violations.push_back(fmt::format("the order window of {} (ordered in {})", c.accelerator,
                                            p.quarters[static_cast<size_t>(t)].label));
      }
      if (n > 0 && c.min_nodes_per_order > 1 && n < c.min_nodes_per_order) {
        ev.violations.push_back(fmt::format("the minimum order of {} ({} nodes, ordered {} in {})",
                                            c.accelerator, c.min_nodes_per_order, n,
                                            p.quarters[static_cast<size_t>(t)].label));
      }
    }
  }
  for (int t = 0; t < nq; ++t) {
    const size_t ti = static_cast<size_t>(t);
    // (3) facility power.
    if (detail::Exceeds(p.pue * tl.it_power_w[ti], p.quarters[ti].facility_power_w)) {
      violated(GroupKind::kPower, t);
    }
    // (5), (6) shares of owned H100-equivalents.
    if (t >= p.share_from_quarter_idx) {
      for (const std::string& v : detail::Vendors(p)) {
        double own = 0;
        for (size_t a = 0; a < p.candidates.size(); ++a) {
          const CandidateSpec& c = p.candidates[a];
          if (c.vendor == v)
            own += tl.nodes_in_service[a][ti] * c.gpus_per_node * c.h100_eq_per_gpu;
        }
        for (const ExistingSpec& e : p.existing) {
          if (e.vendor == v && t >= e.first_quarter_idx) own += e.num_gpus * e.h100_eq_per_gpu;
        }
        if (detail::Exceeds(own, p.max_vendor_share * tl.owned_h100_eq[ti])) {
          violated(GroupKind::kVendorShare, 0, v);
        }
      }
      double dom = 0;
      for (size_t a = 0; a < p.candidates.size(); ++a) {
        const CandidateSpec& c = p.candidates[a];
        if (c.is_domestic) dom += tl.nodes_in_service[a][ti] * c.gpus_per_node * c.h100_eq_per_gpu;
      }
      for (const ExistingSpec& e : p.existing) {
        if (e.is_domestic && t >= e.first_quarter_idx) dom += e.num_gpus * e.h100_eq_per_gpu;
      }
      if (detail::Exceeds(p.min_domestic_share * tl.owned_h100_eq[ti], dom)) {
        violated(GroupKind::kDomesticShare, 0);
      }
    }
    // (10) rental.
    if (tl.rented_gpus[ti] > 0 &&
        (!p.rental.is_enabled || t < p.rental.first_quarter_idx ||
         detail::Exceeds(tl.rented_gpus[ti], p.rental.max_gpus_per_quarter))) {
      violated(GroupKind::kRental, 0);
    }
  }
  // (4) export cap on cumulative imported TPP.
  if (p.has_export_cap && nq > 0 &&
      detail::Exceeds(tl.export_tpp_cumulative[static_cast<size_t>(nq - 1)], p.export_cap_tpp)) {
    violated(GroupKind::kExportCap, 0);
  }
  // (7) milestones, reached and kept.
  for (size_t k = 0; k < p.milestones.size(); ++k) {
    const MilestoneSpec& m = p.milestones[k];
    for (int t = m.quarter_idx; t < nq; ++t) {
      const size_t ti = static_cast<size_t>(t);
      const double have =
          m.is_gpu_count ? tl.owned_gpus[ti] + tl.rented_gpus[ti] : tl.capacity_h100_eq[ti];
      if (detail::Exceeds(m.required, have)) violated(GroupKind::kMilestone, static_cast<int>(k));
    }
  }
  // (8) demand: each workload alone must fit on the fleet (pools add up as rates).
  for (size_t w = 0; w < p.demands.size(); ++w) {
    const DemandSpec& d = p.demands[w];
    for (int t = d.first_quarter_idx; t < nq; ++t) {
      const size_t ti = static_cast<size_t>(t);
      double rate = 0;
      for (size_t a = 0; a < p.candidates.size(); ++a) {
        const double need = a < d.candidate_gpus.size() ? d.candidate_gpus[a] : 0;
        if (need > 0) rate += tl.nodes_in_service[a][ti] * p.candidates[a].gpus_per_node / need;
      }
      for (size_t e = 0; e < p.existing.size(); ++e) {
        const double need = e < d.existing_gpus.size() ? d.existing_gpus[e] : 0;
        if (need > 0 && t >= p.existing[e].first_quarter_idx) rate += p.existing[e].num_gpus / need;
      }
      if (d.rental_gpus > 0) rate += tl.rented_gpus[ti] / d.rental_gpus;
      if (detail::Exceeds(1.0, rate)) violated(GroupKind::kDemand, static_cast<int>(w));
    }
  }
  ev.capex_usd = tl.capex_total_usd;
  ev.total_cost_usd = tl.total_cost_usd();
  ev.total_cost_pv_usd = tl.total_cost_pv_usd();
  ev.residual_value_usd = tl.residual_value_usd;
  // Min-cost minimizes the present value of spending (the face value at a zero discount rate).
  ev.objective_value =
      p.objective == Objective::kMaxCapacity ? tl.h100_eq_gpu_hours : ev.total_cost_pv_usd;
  return ev;
}

}  // namespace gpuplan::buy
