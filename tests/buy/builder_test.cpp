#include <gtest/gtest.h>

#include "buy/buy.h"
#include "scenario/scenario.h"

namespace gpuplan::buy {
namespace {

const catalog::Catalog& Cat() {
  static const catalog::Catalog cat = catalog::Catalog::LoadDefault().value();
  return cat;
}

// The buy module is free of sizing, so these tests drop the shipped workloads (which need it);
// tests/plan sizes them end to end.
scenario::Scenario Korea() {
  scenario::Scenario s = scenario::LoadScenario(scenario::DefaultScenarioPath(), Cat()).value();
  s.workloads.clear();
  s.services.clear();
  return s;
}

TEST(BuildBuyProblem, KoreaHasPeakUnitsAndUsdFigures) {
  auto p = BuildBuyProblem(Korea(), Cat(), DemandResolver{});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->quarters.size(), 9u);  // 2026Q4..2028Q4
  EXPECT_EQ(p->quarters.front().label, "2026Q4");
  const CandidateSpec& b200 = p->candidates[0];
  EXPECT_EQ(b200.accelerator, "b200");
  // Peak unit: dense BF16 2,250 / 989.5 TFLOP/s (catalog).
  EXPECT_NEAR(b200.h100_eq_per_gpu, 2250 / 989.5, 1e-12);
  // TPP 36,000 = 2,250 TFLOP/s x 16 bits (BF16 row; B200's FP4 9,000 x 4 is the same).
  EXPECT_NEAR(b200.tpp_per_gpu, 36000, 1e-6);
  EXPECT_NEAR(b200.node_price_usd, 6.3e8 / 1400, 1e-6);  // KRW at 1,400 per USD
  const CandidateSpec& npu = p->candidates.back();
  EXPECT_EQ(npu.accelerator, "furiosa-rngd");
  EXPECT_TRUE(npu.is_domestic);
  EXPECT_FALSE(npu.is_export_controlled);
  ASSERT_EQ(p->existing.size(), 1u);
  EXPECT_EQ(p->existing[0].num_gpus, 10000);
  ASSERT_EQ(p->milestones.size(), 2u);
  EXPECT_TRUE(p->milestones[1].is_gpu_count);
  EXPECT_EQ(p->milestones[1].quarter_idx, 2);  // 2027Q2 is the third quarter
  EXPECT_EQ(p->share_from_quarter_idx, 8);
  ASSERT_EQ(p->budget.capex_usd_per_year.size(), 3u);
  EXPECT_TRUE(p->budget.is_carry_over);
}

TEST(BuildBuyProblem, SizingUnitsNeedAResolver) {
  scenario::Scenario s = Korea();
  s.capacity_unit = scenario::CapacityUnit::kSizing;
  auto p = BuildBuyProblem(s, Cat(), DemandResolver{});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("unit = \"sizing\""), std::string::npos) << p.error().message;
  // With a resolver, its factor is used as is.
  DemandResolver r{.sizing_h100_eq = [](const catalog::Accelerator& a) -> Result<double> {
    return a.id == "b200" ? 2.0 : 1.0;
  }};
  p = BuildBuyProblem(s, Cat(), r);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_DOUBLE_EQ(p->candidates[0].h100_eq_per_gpu, 2.0);
}

TEST(BuildBuyProblem, WorkloadsGoThroughTheResolver) {
  scenario::Scenario s = Korea();
  s.workloads = {{.name = "w",
                  .model = "llama3-70b",
                  .tokens = 15e12,
                  .deadline_s = 90 * 86400.0,
                  .from = {2027, 3},
                  .line = 99}};
  auto refused = BuildBuyProblem(s, Cat(), DemandResolver{});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("workload 'w'"), std::string::npos);
  // A fake sizing: 1,000 GPUs on parts with >= 100 GB, does not fit below.
  DemandResolver r{.size_workload = [](const scenario::Workload&,
                                       const catalog::Accelerator& a) -> Result<WorkloadFit> {
    return WorkloadFit{.fits = a.memory_bytes >= 100e9, .num_gpus = 1000};
  }};
  auto p = BuildBuyProblem(s, Cat(), r);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->demands.size(), 1u);
  const DemandSpec& d = p->demands[0];
  EXPECT_EQ(d.first_quarter_idx, 3);
  EXPECT_DOUBLE_EQ(d.candidate_gpus[0], 1000);  // b200, 180 GB
  EXPECT_DOUBLE_EQ(d.candidate_gpus[4], 0);     // furiosa-rngd, 48 GB: does not fit
  EXPECT_DOUBLE_EQ(d.existing_gpus[0], 1000);
  // Fits nowhere: a clear error naming the workload.
  r.size_workload = [](const scenario::Workload&,
                       const catalog::Accelerator&) -> Result<WorkloadFit> {
    return WorkloadFit{};
  };
  auto none = BuildBuyProblem(s, Cat(), r);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("fits none"), std::string::npos);
}

TEST(BuildBuyProblem, ServicesGoThroughTheResolver) {
  scenario::Scenario s = Korea();
  s.services = {
      {.name = "chat", .model = "llama3-70b", .requests_per_s = 10, .from = {2027, 2}, .line = 7}};
  auto refused = BuildBuyProblem(s, Cat(), DemandResolver{});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("service 'chat' needs the serving sizing model"),
            std::string::npos)
      << refused.error().message;
  DemandResolver r{.size_service = [](const scenario::Service& v,
                                      const catalog::Accelerator& a) -> Result<WorkloadFit> {
    return WorkloadFit{.fits = a.id == "b200", .num_gpus = v.requests_per_s};
  }};
  auto p = BuildBuyProblem(s, Cat(), r);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->demands.size(), 1u);
  EXPECT_EQ(p->demands[0].name, "chat");
  EXPECT_EQ(p->demands[0].first_quarter_idx, 2);          // 2027Q2
  EXPECT_DOUBLE_EQ(p->demands[0].candidate_gpus[0], 10);  // b200
  EXPECT_DOUBLE_EQ(p->demands[0].candidate_gpus[1], 0);   // h200: the fake says it cannot
}

TEST(BuildBuyProblem, ShippedScenariosSolve) {
  for (const char* name : {"korea", "india", "tier2-capped"}) {
    auto s = scenario::LoadScenario(DefaultDataDir() + "/scenarios/" + name + ".toml", Cat());
    ASSERT_TRUE(s) << s.error().message;
    s->workloads.clear();  // sized in tests/plan
    s->services.clear();
    auto p = BuildBuyProblem(*s, Cat(), DemandResolver{});
    ASSERT_TRUE(p) << p.error().message;
    auto r = SolveBuy(*p, {.time_limit_s = 20, .relative_gap = 1e-3, .explain = false});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, BuyStatus::kOptimal) << name;
    // The plan meets every constraint by the independent check.
    BuyPlan plan{.nodes = std::vector<std::vector<int>>(p->candidates.size(),
                                                        std::vector<int>(p->quarters.size(), 0))};
    for (const Purchase& b : r->purchases) {
      size_t a = 0, t = 0;
      while (p->candidates[a].accelerator != b.accelerator) ++a;
      while (p->quarters[t].label != b.quarter) ++t;
      plan.nodes[a][t] = b.nodes;
    }
    for (const QuarterCapacity& c : r->capacity) plan.rented_gpus.push_back(c.rented_gpus);
    const PlanEvaluation ev = EvaluatePlan(*p, plan);
    EXPECT_TRUE(ev.violations.empty()) << name << ": " << ev.violations[0];
    EXPECT_NEAR(ev.objective_value, r->objective_value, 1e-6 * r->objective_value) << name;
  }
}

}  // namespace
}  // namespace gpuplan::buy
