// Internals of the buy module shared by model.cpp and plan_check.cpp. Not a public header.
#pragma once

#include <string>
#include <vector>

#include "buy/buy.h"

namespace gpuplan::buy::detail {

// A named family of constraints: the unit that is reported as binding, relaxed, or dropped
// when looking for the smallest conflicting set.
enum class GroupKind {
  kBudget,         // (1) one calendar year
  kBudgetTotal,    // (1b)
  kSupply,         // (2) one candidate, every quarter
  kPower,          // (3) one quarter
  kExportCap,      // (4)
  kVendorShare,    // (5) one vendor, every quarter from the share start
  kDomesticShare,  // (6)
  kMilestone,      // (7) one milestone, its quarter and after
  kDemand,         // (8) one workload
  kRental,         // (10)
};
std::string KindName(GroupKind k);

struct Group {
  GroupKind kind = GroupKind::kBudget;
  int index = 0;         // year, candidate, quarter, milestone or workload index
  std::string vendor{};  // kVendorShare
  std::vector<int> rows{};
  std::vector<int> bounded_columns{};  // columns whose upper bound is the constraint (2), (10)
};

// `usd` in the scenario's money, for words ("KRW 1.38T"); figures stay USD.
std::string MoneyWords(const BuyProblem& p, double usd);

// The constraint in words, as reports and EvaluatePlan name it.
std::string GroupName(const BuyProblem& p, GroupKind kind, int index, const std::string& vendor);

// Sorted distinct vendors of candidates and existing fleet.
std::vector<std::string> Vendors(const BuyProblem& p);

// Quarter index at which a node ordered in `order_idx` is in service.
inline int DeliveredIdx(const CandidateSpec& c, int order_idx) {
  return order_idx + c.lead_time_quarters;
}
// Last quarter a candidate may be ordered so that it arrives within the horizon; -1: never.
int LastOrderIdx(const BuyProblem& p, const CandidateSpec& c);

// Per-quarter figures of a plan, computed straight from the problem.
struct Timeline {
  std::vector<std::vector<double>> nodes_in_service{};  // [candidate][quarter]
  std::vector<double> owned_h100_eq, capacity_h100_eq, owned_gpus, rented_gpus;
  std::vector<double> it_power_w, installed_tpp, export_tpp_cumulative, spend_usd;
  std::vector<double> capex_usd{};  // [quarter]
  double capex_total_usd = 0, energy_usd = 0, maintenance_usd = 0, rental_usd = 0;
  double h100_eq_gpu_hours = 0;
  // Present values (BuyProblem::discount_rate) and the residual value at the horizon's end.
  double capex_pv_usd = 0, energy_pv_usd = 0, maintenance_pv_usd = 0, rental_pv_usd = 0;
  double residual_value_usd = 0, residual_value_pv_usd = 0;
  double total_cost_usd() const {
    return capex_total_usd + energy_usd + maintenance_usd + rental_usd;
  }
  double total_cost_pv_usd() const {
    return capex_pv_usd + energy_pv_usd + maintenance_pv_usd + rental_pv_usd;
  }
};
Timeline ComputeTimeline(const BuyProblem& p, const BuyPlan& plan);

}  // namespace gpuplan::buy::detail
