#include "plan/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "report/report.h"

namespace gpuplan::plan {
namespace {

using Json = nlohmann::ordered_json;

const catalog::Catalog& Catalog() {
  static const catalog::Catalog* c = new catalog::Catalog(*catalog::Catalog::LoadDefault());
  return *c;
}

Result<scenario::Scenario> Korea(std::string_view replace = "", std::string_view with = "") {
  const std::string path = scenario::DefaultScenarioPath();
  auto text = ReadFile(path);
  GPUPLAN_TRY(text);
  if (!replace.empty()) {
    const size_t at = text->find(replace);
    if (at == std::string::npos) return Error{"fixture text not found"};
    text->replace(at, replace.size(), with);
  }
  return scenario::ParseScenario(*text, path, Catalog());
}

// tests/fixtures/small.toml (its header says what it holds), shared with the Python tests.
const std::string& SmallText() {
  static const std::string* text = new std::string(*ReadFile(GPUPLAN_SMALL_SCENARIO));
  return *text;
}

// The fields the scenario parser does not read yet are set here, so the pipeline is tested
// independently of the file format.
Result<scenario::Scenario> Small(double industry_wait_h = 12, double startup_wait_h = 4) {
  auto s = scenario::ParseScenario(SmallText(), "small.toml", Catalog());
  GPUPLAN_TRY(s);
  s->workloads[0].tenant = "labs";
  s->service_levels.push_back({.tenant_class = scenario::TenantClass::kIndustry,
                               .wait_s = industry_wait_h * kSecondsPerHour,
                               .percentile = 90,
                               .from = scenario::QuarterFromIndex(s->first.Index() + 2)});
  s->service_levels.push_back({.tenant_class = scenario::TenantClass::kStartup,
                               .wait_s = startup_wait_h * kSecondsPerHour,
                               .percentile = 95,
                               .from = scenario::QuarterFromIndex(s->first.Index() + 2)});
  return s;
}

PlanOptions FastOptions(std::optional<Objective> objective) {
  PlanOptions o;
  o.policies = {"fifo"};
  o.objective = objective;
  o.frontier_points = objective == Objective::kServiceLevel ? 3 : 0;
  o.buy_time_limit_s = 10;
  o.buy_relative_gap = 1e-3;
  return o;
}

// The service-level plan of the small center, computed once per test process.
const PlanResult& SmallServiceLevelPlan() {
  static const PlanResult* plan = [] {
    auto s = Small();
    if (!s) ADD_FAILURE() << s.error().message;
    auto r = RunPlan(*s, Catalog(), FastOptions(Objective::kServiceLevel));
    if (!r) ADD_FAILURE() << r.error().message;
    return new PlanResult(r ? *r : PlanResult{});
  }();
  return *plan;
}

// Percentile as the plan computes it (nearest rank), written out again for the check.
double NearestRank(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

TEST(ServiceLevelPlan, MeetsItsTargetsWhenItsFleetIsSimulatedAgain) {
  const PlanResult& r = SmallServiceLevelPlan();
  ASSERT_TRUE(r.buy.has_plan()) << r.buy.error;
  ASSERT_FALSE(r.iterations.empty());
  EXPECT_TRUE(r.iterations.back().met_all) << ToJson(r, *Small())["buy"].dump(1);
  for (const auto& l : r.service_levels) EXPECT_TRUE(l.met) << l.who << " " << l.achieved_wait_s;

  // Independently: simulate the scenario's fleet as `simulate --scenario` builds it and compute
  // each class's percentile wait per quarter from the job rows.
  auto s = Small();
  ASSERT_TRUE(s);
  s->objective = scenario::PlanObjective::kServiceLevel;
  auto again = SimulationOfScenario(*s, Catalog(), 10);
  ASSERT_TRUE(again) << again.error().message;
  auto sim = sim::Simulate(again->trace, again->config);
  ASSERT_TRUE(sim) << sim.error().message;
  std::map<std::string, std::string> class_of;
  for (const auto& t : again->trace.tenants)
    class_of[t.name] = std::string(trace::ToString(t.tenant_class));
  const double horizon_s = s->num_quarters() * kSecondsPerQuarter;
  for (const auto& level : s->service_levels) {
    const std::string who(trace::ToString(*level.tenant_class));
    std::map<int, std::vector<double>> waits;
    for (const auto& row : sim->job_rows) {
      if (row.start_s < 0 || row.submit_s >= horizon_s || class_of[row.tenant] != who) continue;
      const int q = static_cast<int>(row.submit_s / kSecondsPerQuarter);
      if (q >= level.from.Index() - s->first.Index()) waits[q].push_back(row.wait_s);
    }
    ASSERT_FALSE(waits.empty()) << who;
    for (const auto& [q, w] : waits) {
      EXPECT_LE(NearestRank(w, level.percentile), level.wait_s) << who << " quarter " << q;
    }
  }
}

TEST(ServiceLevelPlan, CostsBetweenTheCheapestAndTheLargestPlan) {
  const PlanResult& r = SmallServiceLevelPlan();
  ASSERT_EQ(r.purchase_options.size(), 3u);
  std::map<Objective, const PurchaseOption*> by;
  for (const auto& o : r.purchase_options) by[o.objective] = &o;
  ASSERT_TRUE(by.count(Objective::kMinCost) && by.count(Objective::kMaxCapacity));
  const double sl = by[Objective::kServiceLevel]->total_cost_usd;
  // Within the solver's gap (1e-3) of each bound.
  EXPECT_GE(sl, by[Objective::kMinCost]->total_cost_usd * (1 - 2e-3));
  EXPECT_LE(sl, by[Objective::kMaxCapacity]->total_cost_usd * (1 + 2e-3));
  // The cheapest plan misses a target here, which is why the loop bought more.
  EXPECT_FALSE(by[Objective::kMinCost]->met_all);
  EXPECT_GT(r.iterations.size(), 1u);
}

TEST(ServiceLevelPlan, EveryRunAndServiceIsPartOfTheSimulatedDemand) {
  const PlanResult& r = SmallServiceLevelPlan();
  std::map<std::string, DemandRow> by_name;
  for (const auto& d : r.simulation.demand) by_name[d.name] = d;
  ASSERT_TRUE(by_name.count("lab-8b"));
  EXPECT_EQ(by_name["lab-8b"].kind, "workload");
  EXPECT_EQ(by_name["lab-8b"].jobs, 1);  // once
  EXPECT_EQ(by_name["lab-8b"].tenant_class, "industry");
  ASSERT_TRUE(by_name.count("assistant"));
  EXPECT_EQ(by_name["assistant"].kind, "service");
  EXPECT_GT(by_name["assistant"].gpu_hours, 0);
  EXPECT_EQ(by_name["startups"].kind, "tenant");
  // The run is a job of its tenant in the simulated queue.
  const sim::SimResult* rec = r.simulation.recommended();
  ASSERT_NE(rec, nullptr);
  bool found = false;
  for (const auto& row : rec->job_rows)
    found |= row.job_id == "run/lab-8b/2026Q4" && row.tenant == "labs";
  EXPECT_TRUE(found);
  // Demand grows (growth_per_year = 1): the last quarter receives more jobs than the first.
  ASSERT_EQ(r.simulation.by_quarter.size(), 4u);
  EXPECT_GT(r.simulation.by_quarter.back().jobs_submitted,
            1.5 * r.simulation.by_quarter.front().jobs_submitted);
}

TEST(ServiceLevelPlan, FrontierSpendsMoreForShorterWaits) {
  const PlanResult& r = SmallServiceLevelPlan();
  ASSERT_EQ(r.frontier.size(), 3u);
  for (size_t i = 1; i < r.frontier.size(); ++i) {
    EXPECT_GT(r.frontier[i].budget_usd, r.frontier[i - 1].budget_usd);
    EXPECT_GE(r.frontier[i].final_gpus, r.frontier[i - 1].final_gpus);
  }
}

TEST(ServiceLevelPlan, SharesAreOfTheCentersGpuTime) {
  const Json j = ToJson(SmallServiceLevelPlan(), *Small());
  for (const Json& p : j["simulation"]["policies"]) {
    double entitled = 0, received = 0;
    for (const auto& [cls, k] : p["per_class"].items()) {
      EXPECT_LE(k["entitled_share"].get<double>(), 1.0) << cls;
      entitled += k["entitled_share"].get<double>();
      received += k["received_share"].get<double>();
    }
    EXPECT_LE(entitled, 1.0 + 1e-9);
    EXPECT_LE(received, 1.0 + 1e-9);
  }
  // The contract's keys (docs/report.md).
  ASSERT_EQ(j["service_levels"].size(), 2u);
  for (const char* key :
       {"class", "percentile", "wait_h", "achieved_wait_h", "worst_quarter", "met"}) {
    EXPECT_TRUE(j["service_levels"][0].contains(key)) << key;
  }
  for (const char* key : {"quarter", "offered_load", "utilization", "per_class"}) {
    EXPECT_TRUE(j["simulation"]["by_quarter"][0].contains(key)) << key;
  }
  EXPECT_TRUE(j["buy"].contains("iterations"));
  EXPECT_TRUE(j["buy"].contains("total_cost"));
  EXPECT_TRUE(j["simulation"].contains("drain_s"));
  EXPECT_EQ(j["frontier"].size(), 3u);
}

TEST(ServiceLevelPlan, ATargetTheBudgetCannotMeetIsReportedMissedWithWhatBinds) {
  auto s = Small(/*industry_wait_h=*/0.01, /*startup_wait_h=*/0.01);
  ASSERT_TRUE(s);
  // Four H200 nodes a year: the minimum order, and the budget binds.
  s->budget.per_year[0].capex_usd = 1.5e6;
  s->budget.per_year[1].capex_usd = 1.5e6;
  PlanOptions options = FastOptions(Objective::kServiceLevel);
  options.frontier_points = 0;
  auto r = RunPlan(*s, Catalog(), options);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->buy.has_plan());
  bool missed = false;
  for (const auto& l : r->service_levels) missed |= !l.met;
  EXPECT_TRUE(missed);
  ASSERT_FALSE(r->iterations.empty());
  EXPECT_FALSE(r->iterations.back().met_all);
  EXPECT_NE(r->iterations.back().action.find("bind"), std::string::npos)
      << r->iterations.back().action;
  // What binds: the quarters that cannot get the capacity are named, and the budget is binding.
  bool short_warned = false;
  for (const auto& w : r->warnings) short_warned |= w.find("leave no more") != std::string::npos;
  EXPECT_TRUE(short_warned);
  bool budget_binds = false;
  for (const auto& b : r->buy.result->binding) budget_binds |= b.kind == "budget";
  EXPECT_TRUE(budget_binds);
}

// [opex] amortization = "horizon": capital per GPU-hour is written off over the horizon (one
// year for the small scenario) instead of the part's life, and says so in the cost policy.
TEST(CostPolicy, HorizonAmortizationRecoversCapitalWithinTheHorizon) {
  auto life = scenario::ParseScenario(SmallText(), "small.toml", Catalog());
  ASSERT_TRUE(life.has_value()) << life.error().message;
  std::string text = SmallText();
  text.replace(text.find("pue = 1.3"), 9, "pue = 1.3\namortization = \"horizon\"");
  auto horizon = scenario::ParseScenario(text, "small.toml", Catalog());
  ASSERT_TRUE(horizon.has_value()) << horizon.error().message;
  const auto a = plan::PartCosts(*life, Catalog());
  const auto b = plan::PartCosts(*horizon, Catalog());
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  const catalog::CostPolicy pl = plan::CostPolicyOf(*life), ph = plan::CostPolicyOf(*horizon);
  EXPECT_DOUBLE_EQ(pl.AmortizationYears(), 5);
  EXPECT_DOUBLE_EQ(ph.AmortizationYears(), 1);  // 2026Q4..2027Q3
  for (size_t i = 0; i < a.size(); ++i) {
    // Capital per hour is 5x; energy and maintenance per hour are the same.
    const double capital_life = a[i].capex_usd_per_gpu / (5 * kHoursPerYear);
    EXPECT_NEAR(b[i].usd_per_gpu_hour - a[i].usd_per_gpu_hour, 4 * capital_life, 1e-9)
        << a[i].accelerator;
  }
  EXPECT_EQ(plan::CostPolicyJson(*horizon, b)["amortization"], "horizon");
  text.replace(text.find("\"horizon\""), 9, "\"never\"");
  auto bad = scenario::ParseScenario(text, "small.toml", Catalog());
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("small.toml:"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("amortization"), std::string::npos) << bad.error().message;
}

TEST(RunPlan, AnOverDemandedFirstQuarterIsWarned) {
  auto s = Small();
  ASSERT_TRUE(s);
  s->tenants[0].demand.jobs_per_day = 400;  // ~1,300 GPUs busy on 64 owned
  s->tenants[0].demand.rate_steps.clear();
  auto r = RunPlan(*s, Catalog(), FastOptions(Objective::kMinCost));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->simulation.by_quarter.empty());
  EXPECT_GT(r->simulation.by_quarter[0].offered_load, kOverloadWarning);
  bool warned = false;
  for (const auto& w : r->warnings) warned |= w.rfind("2026Q4: the demand asks for", 0) == 0;
  EXPECT_TRUE(warned) << ::testing::PrintToString(r->warnings);
}

TEST(RunPlan, SameScenarioSameBytes) {
  auto s = Small();
  ASSERT_TRUE(s);
  auto a = RunPlan(*s, Catalog(), FastOptions(Objective::kMinCost));
  auto b = RunPlan(*s, Catalog(), FastOptions(Objective::kMinCost));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(ToJson(*a, *s).dump(), ToJson(*b, *s).dump());
}

TEST(RunPlan, UnknownPolicyIsAnError) {
  auto s = Small();
  ASSERT_TRUE(s);
  PlanOptions options;
  options.policies = {"fifo", "fastest"};
  auto r = RunPlan(*s, Catalog(), options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown policy 'fastest'"), std::string::npos);
}

// The default scenario end to end, once: milestones, power, the fleet the simulator gets.
TEST(RunPlan, DefaultScenarioBuysWithinPowerAndSimulatesTheGrowingFleet) {
  auto s = Korea();
  ASSERT_TRUE(s) << s.error().message;
  PlanOptions options;
  options.policies = {"fairshare", "fifo"};
  options.objective = Objective::kMaxCapacity;
  options.compare_purchase_options = false;
  auto r = RunPlan(*s, Catalog(), options);
  ASSERT_TRUE(r) << r.error().message;
  const Json j = ToJson(*r, *s);
  const Json& buy = j["buy"];
  ASSERT_EQ(buy.value("status", ""), "optimal") << buy.dump();
  const Json& capacity = buy["capacity"];
  ASSERT_EQ(capacity.size(), j["scenario"]["horizon"].size());
  for (const Json& q : capacity) {
    EXPECT_LE(q["power_mw"].get<double>(), q["power_cap_mw"].get<double>() + 1e-6) << q.dump();
    double by_acc = 0;
    for (const auto& [id, gpus] : q["gpus_by_accelerator"].items()) by_acc += gpus.get<double>();
    EXPECT_NEAR(by_acc, q["gpus"].get<double>(), 0.5) << q.dump();
    if (q["quarter"] == "2027Q2") {
      EXPECT_GE(q["gpus"].get<double>(), 18000);  // the milestone
    }
  }
  double capex = 0;
  for (const Json& sp : buy["spend"]) capex += sp["capex_usd"].get<double>();
  EXPECT_NEAR(capex, buy["capex_usd"].get<double>(), 1.0);
  // Every workload sized on every candidate and existing type (b200 is both).
  std::set<std::string> types;
  for (const auto& c : s->candidates) types.insert(c.accelerator);
  for (const auto& e : s->existing) types.insert(e.accelerator);
  EXPECT_EQ(j["sizing"].size(), s->workloads.size() * types.size());
  const Json& sim = j["simulation"];
  ASSERT_EQ(sim["policies"].size(), 2u);
  EXPECT_EQ(sim["policies"][0]["policy"], "fairshare");
  // Deliveries only: installed GPUs never fall; the services' GPUs are held out of the batch pool.
  int64_t last = 0;
  for (const Json& t : sim["timeline"]) {
    EXPECT_GE(t["gpus_total"].get<int64_t>() + 1000, last);
    last = t["gpus_total"].get<int64_t>();
  }
  EXPECT_GT(last, 10000);
  // Both training runs and the service are in the simulated demand.
  std::set<std::string> names;
  for (const Json& d : sim["demand"]) names.insert(d["name"].get<std::string>());
  for (const auto& w : s->workloads) EXPECT_TRUE(names.count(w.name)) << w.name;
  for (const auto& v : s->services) EXPECT_TRUE(names.count(v.name)) << v.name;
  // The summary leads with the worst class's wait.
  const auto lines = report::Summarize(j);
  ASSERT_FALSE(lines.empty());
}

TEST(RunPlan, InfeasibleScenarioStillReportsWhy) {
  auto s = Korea("gpus = 18000", "gpus = 1000000");
  ASSERT_TRUE(s) << s.error().message;
  PlanOptions options;
  options.policies = {"fifo"};
  options.objective = Objective::kMaxCapacity;
  options.compare_purchase_options = false;
  auto r = RunPlan(*s, Catalog(), options);
  ASSERT_TRUE(r) << r.error().message;
  const Json j = ToJson(*r, *s);
  EXPECT_EQ(j["buy"]["status"], "infeasible");
  EXPECT_FALSE(j["buy"]["conflict"].empty());
  // The existing 10,000 GPUs are still simulated, and the summary says the plan cannot hold.
  EXPECT_FALSE(j["simulation"].contains("error")) << j["simulation"].dump();
  EXPECT_LE(j["simulation"]["timeline"].back()["gpus_total"].get<int64_t>(), 10000);
  bool existing_only = false;
  for (const auto& w : r->warnings)
    existing_only |= w.find("existing fleet only") != std::string::npos;
  EXPECT_TRUE(existing_only);
  bool says_why = false;
  for (const auto& line : report::Summarize(j)) {
    says_why |= line.find("No purchase plan satisfies this scenario") != std::string::npos;
  }
  EXPECT_TRUE(says_why);
}

// --sizing-quantile: the resolver sizes a training workload so that quantile of its duration
// interval meets the deadline, so 0.95 asks buy for more GPUs (and GPU-hours over the deadline)
// than the point estimate (0.5, the default), 0.05 for fewer.
TEST(SizingResolver, SizingQuantileAsksForMoreGpusAtHigherQuantiles) {
  auto h100 = Catalog().Find("h100-sxm5-80gb");
  ASSERT_TRUE(h100);
  scenario::Workload w;
  w.name = "pretrain";
  w.model = "llama3-70b";
  auto shape = model::FindModel(w.model);
  ASSERT_TRUE(shape) << shape.error().message;
  w.shape = *shape;
  w.tokens = 15e12;
  w.deadline_s = 90 * kSecondsPerDay;
  auto gpus_at = [&](double q) {
    auto fit = MakeSizingResolver(Catalog(), q).size_workload(w, **h100);
    EXPECT_TRUE(fit && fit->fits);
    return fit ? fit->num_gpus : 0.0;
  };
  const double mid = gpus_at(0.5);
  EXPECT_EQ(MakeSizingResolver(Catalog()).size_workload(w, **h100)->num_gpus, mid);
  EXPECT_GT(gpus_at(0.95), mid);
  EXPECT_LT(gpus_at(0.05), mid);
}

// A part that cannot run a service (no FP4 rate, no layout within the latency targets) is an
// outcome of sizing, not an error: the resolver answers "does not fit" and buy leaves that part
// out; a part that runs it gives its GPU count.
TEST(SizingResolver, AServiceAPartCannotRunIsNoFitARefusedRequestIsAnError) {
  const buy::DemandResolver resolver = MakeSizingResolver(Catalog());
  auto h100 = Catalog().Find("h100-sxm5-80gb");
  auto b200 = Catalog().Find("b200");
  ASSERT_TRUE(h100 && b200);
  scenario::Service v;
  v.name = "chat";
  v.model = "llama3-70b";
  auto shape = model::FindModel(v.model);
  ASSERT_TRUE(shape) << shape.error().message;
  v.shape = *shape;
  v.requests_per_s = 5;
  v.precision = sizing::ServePrecision::kFp4;
  auto no_fp4 = resolver.size_service(v, **h100);
  ASSERT_TRUE(no_fp4) << no_fp4.error().message;
  EXPECT_FALSE(no_fp4->fits);
  auto fp4 = resolver.size_service(v, **b200);
  ASSERT_TRUE(fp4) << fp4.error().message;
  EXPECT_TRUE(fp4->fits);
  EXPECT_GT(fp4->num_gpus, 0);
  v.precision = sizing::ServePrecision::kBf16;
  v.ttft_s = 1e-6;  // no prefill of 1,000 tokens takes a microsecond
  auto unreachable = resolver.size_service(v, **b200);
  ASSERT_TRUE(unreachable) << unreachable.error().message;
  EXPECT_FALSE(unreachable->fits);
  // A request the sizing model refuses is a bug or the scenario's fault: it stops the plan rather
  // than quietly dropping the part.
  v.ttft_s = 0.5;
  v.prompt_tokens = 0;
  auto refused = resolver.size_service(v, **b200);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("prompt_tokens"), std::string::npos)
      << refused.error().message;
}

}  // namespace
}  // namespace gpuplan::plan
