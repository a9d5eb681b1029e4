#include <gtest/gtest.h>

#include "buy/buy.h"
#include "buy/toy_problems.h"

namespace gpuplan::buy {
namespace {

using testing::OneCandidate;

TEST(EvaluatePlan, MatchesHandCalculation) {
  BuyProblem p = OneCandidate();
  p.power_usd_per_kwh = 0.1;
  p.maintenance_share_per_year = 0.08;
  // 2 nodes in 2026Q1, 1 in 2026Q2: capex 3 x 100 = 300 (the whole budget).
  const BuyPlan plan{.nodes = {{2, 1}}};
  const PlanEvaluation ev = EvaluatePlan(p, plan);
  EXPECT_TRUE(ev.violations.empty()) << ev.violations[0];
  EXPECT_DOUBLE_EQ(ev.capex_usd, 300);
  // In service: 2 nodes in Q1, 3 in Q2 -> 5 H100-eq quarters x 2191.5 h.
  EXPECT_DOUBLE_EQ(ev.objective_value, 5 * 2191.5);
  // Energy: 5 node-quarters x 1 kW x 2191.5 h x 0.1 USD/kWh = 1095.75; maintenance:
  // 0.08 / 4 x (200 + 300) USD of installed capex = 10.
  EXPECT_NEAR(ev.total_cost_usd, 300 + 1095.75 + 10, 1e-9);
}

// Each plan breaks exactly one constraint of the one-candidate problem, which must be named.
TEST(EvaluatePlan, EveryViolatedConstraintIsNamed) {
  struct Row {
    const char* what;
    BuyProblem problem;
    BuyPlan plan;
    const char* name;
  };
  std::vector<Row> rows;
  {
    BuyProblem p = OneCandidate();
    rows.push_back({"budget", p, {.nodes = {{3, 1}}}, "the 2026 capital budget (USD 300)"});
  }
  {
    BuyProblem p = OneCandidate();
    p.budget.total_usd = 150;
    rows.push_back({"total budget", p, {.nodes = {{2, 0}}}, "the total capital budget (USD 150)"});
  }
  {
    BuyProblem p = OneCandidate();
    p.budget.capex_usd_per_year = {1000};
    rows.push_back({"supply", p, {.nodes = {{6, 0}}}, "the supply of a (5 nodes per quarter)"});
  }
  {
    BuyProblem p = OneCandidate();
    p.quarters[1].facility_power_w = 2500;
    rows.push_back({"power", p, {.nodes = {{2, 1}}}, "the facility power in 2026Q2 (0.0025 MW)"});
  }
  {
    BuyProblem p = OneCandidate();
    p.has_export_cap = true;
    p.export_cap_tpp = 25;  // 10 TPP per GPU: at most 2 GPUs
    rows.push_back({"export cap", p, {.nodes = {{2, 1}}}, "the export cap (25 TPP)"});
  }
  {
    BuyProblem p = OneCandidate();
    p.max_vendor_share = 0.5;
    p.existing = {{.accelerator = "o", .vendor = "V2", .num_gpus = 1, .h100_eq_per_gpu = 1}};
    rows.push_back(
        {"vendor share", p, {.nodes = {{2, 0}}}, "the 50% vendor share limit for V1 from 2026Q1"});
  }
  {
    BuyProblem p = OneCandidate();
    p.min_domestic_share = 0.5;
    p.existing = {{.accelerator = "o",
                   .vendor = "V1",
                   .is_domestic = true,
                   .num_gpus = 1,
                   .h100_eq_per_gpu = 1}};
    rows.push_back(
        {"domestic share", p, {.nodes = {{2, 0}}}, "the 50% domestic share minimum from 2026Q1"});
  }
  {
    BuyProblem p = OneCandidate();
    p.milestones = {{.quarter_idx = 1, .required = 3, .label = "x"}};
    rows.push_back(
        {"milestone", p, {.nodes = {{1, 1}}}, "the milestone of 3 H100-equivalents by 2026Q2 (x)"});
  }
  {
    BuyProblem p = OneCandidate();
    p.demands = {{.name = "w", .first_quarter_idx = 0, .candidate_gpus = {3}}};
    rows.push_back({"demand", p, {.nodes = {{2, 1}}}, "the workload 'w' from 2026Q1"});
  }
  {
    BuyProblem p = OneCandidate();
    p.rental = {.is_enabled = true, .max_gpus_per_quarter = 4, .h100_eq_per_gpu = 1};
    rows.push_back({"rental",
                    p,
                    {.nodes = {{0, 0}}, .rented_gpus = {5, 0}},
                    "the rental limit (4 GPUs per quarter)"});
  }
  for (const Row& row : rows) {
    // The plan without its violation is fine: the row's constraint is the only one broken.
    const PlanEvaluation ev = EvaluatePlan(row.problem, row.plan);
    ASSERT_EQ(ev.violations.size(), 1u) << row.what;
    EXPECT_EQ(ev.violations[0], row.name) << row.what;
  }
}

}  // namespace
}  // namespace gpuplan::buy
