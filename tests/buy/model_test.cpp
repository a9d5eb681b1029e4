#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "buy/buy.h"
#include "buy/toy_problems.h"

namespace gpuplan::buy {
namespace {

using testing::OneCandidate;
using testing::RandomSmall;

constexpr double kH = kHoursPerQuarter;

SolveOptions Exact() { return {.time_limit_s = 30, .relative_gap = 0, .explain = false}; }

// Brute force over every plan inside the order windows, judged by EvaluatePlan alone (no MILP):
// the best feasible objective, or NaN when no plan is feasible.
double BruteForceOptimum(const BuyProblem& p) {
  const size_t na = p.candidates.size(), nq = p.quarters.size();
  BuyPlan plan{.nodes = std::vector<std::vector<int>>(na, std::vector<int>(nq, 0))};
  std::vector<std::pair<size_t, size_t>> slots;
  for (size_t a = 0; a < na; ++a) {
    for (size_t t = 0; t < nq; ++t) {
      const int last = static_cast<int>(nq) - 1 - p.candidates[a].lead_time_quarters;
      if (static_cast<int>(t) >= p.candidates[a].first_order_quarter_idx &&
          static_cast<int>(t) <= last) {
        slots.emplace_back(a, t);
      }
    }
  }
  double best = std::nan("");
  const bool is_max = p.objective == Objective::kMaxCapacity;
  std::function<void(size_t)> rec = [&](size_t k) {
    if (k == slots.size()) {
      const PlanEvaluation ev = EvaluatePlan(p, plan);
      if (ev.violations.empty() &&
          (std::isnan(best) || (is_max ? ev.objective_value > best : ev.objective_value < best))) {
        best = ev.objective_value;
      }
      return;
    }
    const auto [a, t] = slots[k];
    for (int n = 0; n <= p.candidates[a].max_nodes_per_quarter; ++n) {
      plan.nodes[a][t] = n;
      rec(k + 1);
    }
    plan.nodes[a][t] = 0;
  };
  rec(0);
  return best;
}

TEST(SolveBuy, MaxCapacityMatchesHandCalculation) {
  // USD 300 buys 3 nodes of USD 100; bought in 2026Q1 each gives 2 quarters x 1 H100-eq.
  auto r = SolveBuy(OneCandidate(), Exact());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, BuyStatus::kOptimal);
  EXPECT_TRUE(r->is_proven_optimal);
  EXPECT_NEAR(r->objective_value, 3 * 2 * kH, 1e-6);
  ASSERT_EQ(r->purchases.size(), 1u);
  EXPECT_EQ(r->purchases[0].quarter, "2026Q1");
  EXPECT_EQ(r->purchases[0].nodes, 3);
  EXPECT_DOUBLE_EQ(r->capex_usd, 300);
  ASSERT_EQ(r->capacity.size(), 2u);
  EXPECT_DOUBLE_EQ(r->capacity[1].h100_equivalents, 3);
  EXPECT_DOUBLE_EQ(r->capacity[1].power_w, 3000);  // PUE 1
}

TEST(SolveBuy, MinCostBuysLateAndMatchesHandCalculation) {
  BuyProblem p = OneCandidate();
  p.objective = Objective::kMinCost;
  p.power_usd_per_kwh = 0.1;
  p.milestones = {{.quarter_idx = 1, .required = 2, .label = "m"}};
  auto r = SolveBuy(p, Exact());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, BuyStatus::kOptimal);
  // 2 nodes bought in 2026Q2 run one quarter: 2 x 100 + 2 x 1 kW x 2191.5 h x 0.1 USD/kWh.
  EXPECT_NEAR(r->objective_value, 200 + 2 * 2191.5 * 0.1, 1e-6);
  ASSERT_EQ(r->purchases.size(), 1u);
  EXPECT_EQ(r->purchases[0].quarter, "2026Q2");
}

TEST(SolveBuy, MixedPoolsAddUpForDemand) {
  // Workload w: 4 GPUs of a alone, or 2 GPUs of b alone. Supply: 2 a and 1 b in the single
  // quarter, so only 2/4 + 1/2 = 1 runs it: buy both, at 2 x 100 + 1 x 150 = 350.
  BuyProblem p = OneCandidate();
  p.quarters.resize(1);
  p.objective = Objective::kMinCost;
  p.candidates[0].max_nodes_per_quarter = 2;
  CandidateSpec b = p.candidates[0];
  b.accelerator = "b";
  b.node_price_usd = 150;
  b.max_nodes_per_quarter = 1;
  p.candidates.push_back(b);
  p.budget.capex_usd_per_year = {1000};
  p.demands = {{.name = "w", .first_quarter_idx = 0, .candidate_gpus = {4, 2}}};
  auto r = SolveBuy(p, Exact());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, BuyStatus::kOptimal);
  EXPECT_NEAR(r->objective_value, 350, 1e-6);
  p.candidates[1].max_nodes_per_quarter = 0;  // no b: 2/4 < 1
  r = SolveBuy(p, Exact());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, BuyStatus::kInfeasible);
}

TEST(SolveBuy, RentsWhenRentingIsCheaper) {
  // Milestone 10 H100-eq from 2026Q1: renting 10 GPUs for 2 quarters at 0.001 USD/GPU-h costs
  // 2 x 10 x 2191.5 x 0.001 = 43.83 USD, far below 10 nodes at 100 USD.
  BuyProblem p = OneCandidate();
  p.objective = Objective::kMinCost;
  p.rental = {.is_enabled = true,
              .accelerator = "r",
              .usd_per_gpu_hour = 0.001,
              .max_gpus_per_quarter = 20,
              .h100_eq_per_gpu = 1};
  p.milestones = {{.quarter_idx = 0, .required = 10, .label = "m"}};
  auto r = SolveBuy(p, Exact());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, BuyStatus::kOptimal);
  EXPECT_NEAR(r->objective_value, 43.83, 1e-6);
  EXPECT_TRUE(r->purchases.empty());
  EXPECT_NEAR(r->capacity[0].rented_gpus, 10, 1e-6);
}

// CBC stops once its incumbent is within the requested gap of its bound and calls that optimal;
// the gap left must still reach the result, not read as 0. This backend answers as such a stop
// does: CBC's plan, a bound loosened by half the requested gap, status optimal.
class StopsAtTheGapBackend final : public MilpBackend {
 public:
  std::string_view name() const override { return "stops-at-gap"; }
  Result<MilpSolution> Solve(const MilpModel& m, double time_limit_s,
                             double relative_gap) override {
    auto s = MakeCbcBackend()->Solve(m, time_limit_s, 0);
    if (s && s->status == MilpStatus::kOptimal) {
      const double slack = 0.5 * relative_gap * std::fabs(s->objective);
      s->best_bound = m.is_maximize ? s->objective + slack : s->objective - slack;
    }
    return s;
  }
};

TEST(SolveBuy, ReportsTheGapLeftWhenOptimalWithinTheRequestedGap) {
  StopsAtTheGapBackend backend;
  auto r = SolveBuy(OneCandidate(), {.time_limit_s = 30, .relative_gap = 0.01, .explain = false},
                    backend);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, BuyStatus::kOptimal);
  EXPECT_TRUE(r->is_proven_optimal);
  EXPECT_NEAR(r->mip_gap, 0.005, 1e-9);
  // Solved to the end, the gap is 0.
  auto exact = SolveBuy(OneCandidate(), Exact());
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->mip_gap, 0);
}

TEST(SolveBuy, BruteForceEqualsMilpOnSmallInstances) {
  Rng rng(2026);
  int feasible = 0, infeasible = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const Objective obj = trial % 2 ? Objective::kMinCost : Objective::kMaxCapacity;
    const BuyProblem p = RandomSmall(rng, obj);
    const double brute = BruteForceOptimum(p);
    auto cbc = SolveBuy(p, Exact());
    ASSERT_TRUE(cbc) << cbc.error().message;
    auto enumeration_backend = MakeEnumerationBackend();
    auto enumerated = SolveBuy(p, Exact(), *enumeration_backend);
    ASSERT_TRUE(enumerated) << enumerated.error().message;
    if (std::isnan(brute)) {
      ++infeasible;
      EXPECT_EQ(cbc->status, BuyStatus::kInfeasible) << trial;
      EXPECT_EQ(enumerated->status, BuyStatus::kInfeasible) << trial;
      continue;
    }
    ++feasible;
    ASSERT_EQ(cbc->status, BuyStatus::kOptimal) << trial;
    EXPECT_NEAR(cbc->objective_value, brute, 1e-6 * std::max(1.0, brute)) << trial;
    EXPECT_NEAR(enumerated->objective_value, brute, 1e-6 * std::max(1.0, brute)) << trial;
    // The plan CBC returns passes the independent check.
    EXPECT_TRUE(cbc->capacity.size() == p.quarters.size());
  }
  // The generator must exercise both outcomes, or the comparison proves little.
  EXPECT_GT(feasible, 5);
  EXPECT_GT(infeasible, 0);
}

TEST(SolveBuy, FallingPricesAndDiscountingMatchBruteForce) {
  // The quarter's price in the budget rows and the objective, present values in min-cost:
  // CBC's optimum equals the best plan EvaluatePlan finds by enumeration.
  Rng rng(2027);
  int feasible = 0;
  for (int trial = 0; trial < 16; ++trial) {
    const Objective obj = trial % 2 ? Objective::kMinCost : Objective::kMaxCapacity;
    BuyProblem p = RandomSmall(rng, obj);
    for (CandidateSpec& c : p.candidates) c.price_decline_per_year = rng.Uniform(0.2, 0.8);
    p.discount_rate = rng.Uniform(0.0, 0.3);
    const double brute = BruteForceOptimum(p);
    auto cbc = SolveBuy(p, Exact());
    ASSERT_TRUE(cbc) << cbc.error().message;
    if (std::isnan(brute)) {
      EXPECT_EQ(cbc->status, BuyStatus::kInfeasible) << trial;
      continue;
    }
    ++feasible;
    ASSERT_EQ(cbc->status, BuyStatus::kOptimal) << trial;
    EXPECT_NEAR(cbc->objective_value, brute, 1e-6 * std::max(1.0, brute)) << trial;
  }
  EXPECT_GT(feasible, 4);
}

TEST(SolveBuy, APriceFallingHalfAYearBuysTwiceTheNodesAYearLater) {
  // USD 100 nodes falling 50% a year: in 2027Q1 (4 quarters on) one costs USD 50, so a USD 300
  // budget for 2027 buys 6 (the supply limit), against 3 in 2026.
  BuyProblem p = OneCandidate();
  p.quarters = {};
  for (int t = 0; t < 5; ++t) {
    const int year = 2026 + t / 4;
    p.quarters.push_back(
        {.label = fmt::format("{}Q{}", year, t % 4 + 1), .year = year, .facility_power_w = 1e5});
  }
  p.candidates[0].max_nodes_per_quarter = 6;
  p.candidates[0].price_decline_per_year = 0.5;
  p.budget.capex_usd_per_year = {0, 300};
  auto r = SolveBuy(p, Exact());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, BuyStatus::kOptimal);
  ASSERT_EQ(r->purchases.size(), 1u);
  EXPECT_EQ(r->purchases[0].quarter, "2027Q1");
  EXPECT_EQ(r->purchases[0].nodes, 6);
  EXPECT_NEAR(r->purchases[0].node_price_usd, 50, 1e-9);
  EXPECT_NEAR(r->capex_usd, 300, 1e-9);
  // Min-cost at a 10% discount rate: a milestone of 2 nodes by 2027Q1 is met by buying then,
  // at 2 x 50 paid a year on, worth 100 / 1.1 today; no energy or upkeep priced here.
  p.objective = Objective::kMinCost;
  p.discount_rate = 0.1;
  p.milestones = {{.quarter_idx = 4, .required = 2, .label = "m"}};
  r = SolveBuy(p, Exact());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, BuyStatus::kOptimal);
  EXPECT_NEAR(r->total_cost_usd, 100, 1e-9);
  EXPECT_NEAR(r->total_cost_pv_usd, 100 / 1.1, 1e-9);
  EXPECT_NEAR(r->objective_value, 100 / 1.1, 1e-9);
  // Delivered in 2027Q1 and held one quarter of a 5-year life: 95% of USD 100 remains, valued
  // at the horizon's end (5 quarters on).
  EXPECT_NEAR(r->residual_value_usd, 100 * (1 - 0.25 / 5), 1e-9);
  EXPECT_NEAR(r->residual_value_pv_usd, r->residual_value_usd / std::pow(1.1, 5.0 / 4), 1e-9);
}

TEST(SolveBuy, AtNoDeclineAndNoDiscountPresentValuesAreFaceValues) {
  BuyProblem p = OneCandidate();
  p.objective = Objective::kMinCost;
  p.power_usd_per_kwh = 0.1;
  p.maintenance_share_per_year = 0.08;
  p.milestones = {{.quarter_idx = 1, .required = 2, .label = "m"}};
  auto r = SolveBuy(p, Exact());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->total_cost_pv_usd, r->total_cost_usd);
  EXPECT_DOUBLE_EQ(r->capex_pv_usd, r->capex_usd);
  EXPECT_DOUBLE_EQ(r->residual_value_pv_usd, r->residual_value_usd);
}

// Relaxing any constraint never makes the optimum worse.
TEST(SolveBuy, MonotoneInBudgetPowerCapAndShares) {
  Rng rng(7);
  const std::vector<std::pair<const char*, std::function<void(BuyProblem&)>>> relaxations = {
      {"budget", [](BuyProblem& p) { p.budget.capex_usd_per_year[0] *= 1.5; }},
      {"power",
       [](BuyProblem& p) {
         for (auto& q : p.quarters) q.facility_power_w *= 1.5;
       }},
      {"export cap", [](BuyProblem& p) { p.export_cap_tpp *= 1.5; }},
      {"vendor share",
       [](BuyProblem& p) { p.max_vendor_share = std::min(1.0, p.max_vendor_share + 0.1); }},
      {"domestic share",
       [](BuyProblem& p) { p.min_domestic_share = std::max(0.0, p.min_domestic_share - 0.1); }},
  };
  int compared = 0;
  for (int trial = 0; trial < 12; ++trial) {
    const Objective obj = trial % 2 ? Objective::kMinCost : Objective::kMaxCapacity;
    const BuyProblem base = RandomSmall(rng, obj);
    auto r0 = SolveBuy(base, Exact());
    ASSERT_TRUE(r0);
    if (r0->status != BuyStatus::kOptimal) continue;
    for (const auto& [what, relax] : relaxations) {
      BuyProblem p = base;
      relax(p);
      auto r1 = SolveBuy(p, Exact());
      ASSERT_TRUE(r1);
      ASSERT_EQ(r1->status, BuyStatus::kOptimal) << what;
      const double tol = 1e-7 * std::max(1.0, std::fabs(r0->objective_value));
      if (obj == Objective::kMaxCapacity) {
        EXPECT_GE(r1->objective_value, r0->objective_value - tol) << what << " " << trial;
      } else {
        EXPECT_LE(r1->objective_value, r0->objective_value + tol) << what << " " << trial;
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 20);
}

TEST(SolveBuy, BindingBudgetIsNamedInTheScenariosMoney) {
  // A KRW scenario: the words say KRW, the figures stay USD (as every *_usd field).
  BuyProblem p = OneCandidate();
  p.currency = "KRW";
  p.units_per_usd = 1400;
  SolveOptions o = Exact();
  o.explain = true;
  o.relax_fraction = 0.5;
  auto r = SolveBuy(p, o);
  ASSERT_TRUE(r);
  const Binding* budget = nullptr;
  for (const Binding& b : r->binding) {
    if (b.kind == "budget") budget = &b;
  }
  ASSERT_NE(budget, nullptr);
  EXPECT_EQ(budget->constraint, "the 2026 capital budget (KRW 420K)");
  EXPECT_EQ(budget->relaxation, "+KRW 210K in 2026");
  EXPECT_NEAR(budget->objective_gain, 2 * kH, 1e-6);
}

TEST(SolveBuy, BindingBudgetIsValued) {
  // Budget 300 binds (3 nodes); +50% = +150 USD buys one more node in 2026Q1: +2 x 2191.5.
  SolveOptions o = Exact();
  o.explain = true;
  o.relax_fraction = 0.5;
  auto r = SolveBuy(OneCandidate(), o);
  ASSERT_TRUE(r);
  const Binding* budget = nullptr;
  for (const Binding& b : r->binding) {
    if (b.kind == "budget") budget = &b;
  }
  ASSERT_NE(budget, nullptr);
  EXPECT_EQ(budget->constraint, "the 2026 capital budget (USD 300)");
  EXPECT_EQ(budget->relaxation, "+USD 150 in 2026");
  EXPECT_TRUE(budget->is_evaluated);
  EXPECT_NEAR(budget->objective_gain, 2 * kH, 1e-6);
  // Power (100 kW for at most 10 nodes) does not bind and is not listed.
  for (const Binding& b : r->binding) EXPECT_NE(b.kind, "power");
}

// Each constraint in conflict with a milestone of 5 H100-eq in 2026Q1 is found and named.
TEST(SolveBuy, EveryConflictingConstraintIsNamed) {
  struct Row {
    const char* what;
    std::function<void(BuyProblem&)> edit;
    std::vector<std::string> expect;
  };
  const std::string milestone = "the milestone of 5 H100-equivalents by 2026Q1 (m)";
  const std::vector<Row> rows = {
      {"budget", [](BuyProblem&) {}, {"the 2026 capital budget (USD 300)", milestone}},
      {"total budget",
       [](BuyProblem& p) {
         p.budget.capex_usd_per_year = {1000};
         p.budget.total_usd = 200;
       },
       {"the total capital budget (USD 200)", milestone}},
      {"supply",
       [](BuyProblem& p) {
         p.budget.capex_usd_per_year = {1000};
         p.candidates[0].max_nodes_per_quarter = 4;
       },
       {"the supply of a (4 nodes per quarter)", milestone}},
      {"power",
       [](BuyProblem& p) {
         p.budget.capex_usd_per_year = {1000};
         p.quarters[0].facility_power_w = 4000;
       },
       {"the facility power in 2026Q1 (0.004 MW)", milestone}},
      {"export cap",
       [](BuyProblem& p) {
         p.budget.capex_usd_per_year = {1000};
         p.has_export_cap = true;
         p.export_cap_tpp = 40;
       },
       {"the export cap (40 TPP)", milestone}},
      {"vendor share",
       [](BuyProblem& p) {
         p.budget.capex_usd_per_year = {1000};
         p.max_vendor_share = 0.5;
         p.existing = {{.accelerator = "o", .vendor = "V2", .num_gpus = 1, .h100_eq_per_gpu = 1}};
       },
       {"the 50% vendor share limit for V1 from 2026Q1", milestone}},
      {"domestic share",
       [](BuyProblem& p) {
         p.budget.capex_usd_per_year = {1000};
         p.min_domestic_share = 0.5;
         p.existing = {{.accelerator = "o",
                        .vendor = "V2",
                        .is_domestic = true,
                        .num_gpus = 1,
                        .h100_eq_per_gpu = 1}};
       },
       {"the 50% domestic share minimum from 2026Q1", milestone}},
      {"rental",
       [](BuyProblem& p) {
         p.budget.capex_usd_per_year = {1000};
         p.candidates[0].first_order_quarter_idx = 1;  // nothing can be bought for 2026Q1
         p.rental = {.is_enabled = true, .max_gpus_per_quarter = 3, .h100_eq_per_gpu = 1};
       },
       {"the rental limit (3 GPUs per quarter)", milestone}},
  };
  for (const Row& row : rows) {
    BuyProblem p = OneCandidate();
    p.milestones = {{.quarter_idx = 0, .required = 5, .label = "m"}};
    row.edit(p);
    SolveOptions o = Exact();
    o.explain = true;
    auto r = SolveBuy(p, o);
    ASSERT_TRUE(r) << row.what;
    ASSERT_EQ(r->status, BuyStatus::kInfeasible) << row.what;
    EXPECT_EQ(r->conflicting, row.expect) << row.what << ": " << r->conflict_sentence;
    EXPECT_NE(r->conflict_sentence.find("cannot both hold"), std::string::npos)
        << r->conflict_sentence;
  }
}

TEST(SolveBuy, DemandConflictIsNamed) {
  BuyProblem p = OneCandidate();
  p.budget.capex_usd_per_year = {1000};
  p.demands = {{.name = "w", .first_quarter_idx = 0, .candidate_gpus = {8}}};
  SolveOptions o = Exact();
  o.explain = true;
  auto r = SolveBuy(p, o);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, BuyStatus::kInfeasible);
  // 8 GPUs of a are needed in 2026Q1, at most 5 can be ordered in a quarter.
  EXPECT_EQ(r->conflicting, (std::vector<std::string>{"the supply of a (5 nodes per quarter)",
                                                      "the workload 'w' from 2026Q1"}));
}

TEST(SolveBuy, LeadTimeAloneMakesAMilestoneImpossible) {
  BuyProblem p = OneCandidate();
  p.candidates[0].lead_time_quarters = 1;
  p.milestones = {{.quarter_idx = 0, .required = 1, .label = "m"}};
  SolveOptions o = Exact();
  o.explain = true;
  auto r = SolveBuy(p, o);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, BuyStatus::kInfeasible);
  ASSERT_EQ(r->conflicting.size(), 1u);
  EXPECT_NE(r->conflict_sentence.find("cannot hold, even with every other constraint dropped"),
            std::string::npos);
}

TEST(SolveBuy, SameInputSameOutput) {
  Rng rng(5);
  const BuyProblem p = RandomSmall(rng, Objective::kMaxCapacity);
  auto a = SolveBuy(p, Exact());
  auto b = SolveBuy(p, Exact());
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->purchases.size(), b->purchases.size());
  for (size_t i = 0; i < a->purchases.size(); ++i) {
    EXPECT_EQ(a->purchases[i].nodes, b->purchases[i].nodes);
    EXPECT_EQ(a->purchases[i].accelerator, b->purchases[i].accelerator);
  }
  EXPECT_EQ(a->objective_value, b->objective_value);
}

TEST(SolveBuy, MalformedProblemIsAnError) {
  BuyProblem p = OneCandidate();
  p.candidates[0].node_price_usd = -1;
  EXPECT_FALSE(SolveBuy(p, Exact()));
  p = OneCandidate();
  p.milestones = {{.quarter_idx = 7, .required = 1}};
  EXPECT_FALSE(SolveBuy(p, Exact()));
}

}  // namespace
}  // namespace gpuplan::buy
