#include "scenario/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gpuplan::scenario {
namespace {

const catalog::Catalog& Cat() {
  static const catalog::Catalog cat = catalog::Catalog::LoadDefault().value();
  return cat;
}

// A small valid scenario; tests append or replace lines to break one thing at a time.
constexpr const char* kBase = R"(name = "test"
currency = "USD"
[horizon]
first = "2026Q4"
last = "2027Q4"
[budget]
capex_per_year = { "2026" = 1e8, "2027" = "1.2B" }
[[candidate]]
accelerator = "h200-sxm-141gb"
node_price = 320000
node_power_kw = 10.2
max_nodes_per_quarter = 100
lead_time_quarters = 1
[power]
facility_mw = { "2026Q4" = 10, "2027Q2" = 30 }
[[milestone]]
quarter = "2027Q2"
gpus = 800
)";

Result<Scenario> Parse(const std::string& text) { return ParseScenario(text, "s.toml", Cat()); }

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ParseQuarter, RoundTripsThroughIndex) {
  const Quarter q = ParseQuarter("2026Q4", "q").value();
  EXPECT_EQ(q.year, 2026);
  EXPECT_EQ(q.quarter, 4);
  EXPECT_EQ(ToString(q), "2026Q4");
  // 2027Q1 is the quarter after 2026Q4.
  EXPECT_EQ(QuarterFromIndex(q.Index() + 1), (Quarter{2027, 1}));
  EXPECT_FALSE(ParseQuarter("2026Q5", "q"));
  EXPECT_FALSE(ParseQuarter("26Q4", "q"));
}

TEST(ParseScenario, BaseIsValidAndConvertsUnits) {
  auto s = Parse(kBase);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->num_quarters(), 5);  // 2026Q4..2027Q4
  ASSERT_EQ(s->budget.per_year.size(), 2u);
  EXPECT_DOUBLE_EQ(s->budget.per_year[1].capex_usd, 1.2e9);  // "1.2B" quantity string
  ASSERT_EQ(s->candidates.size(), 1u);
  EXPECT_EQ(s->candidates[0].vendor, "NVIDIA");        // catalog default
  EXPECT_TRUE(s->candidates[0].is_export_controlled);  // default: not domestic
  EXPECT_DOUBLE_EQ(s->candidates[0].node_power_w, 10200);
  // Power is a step function: 10 MW until 2027Q1, 30 MW from 2027Q2.
  EXPECT_DOUBLE_EQ(s->FacilityPowerW({2027, 1}), 10e6);
  EXPECT_DOUBLE_EQ(s->FacilityPowerW({2027, 3}), 30e6);
  EXPECT_EQ(s->milestones[0].num_gpus, 800);
  EXPECT_EQ(s->simulation.policy, "fifo");
}

TEST(ParseScenario, CurrencyIsConvertedWithTheExchangeRate) {
  std::string text =
      Replace(kBase, "currency = \"USD\"", "currency = \"KRW\"\nunits_per_usd = 1400");
  text = Replace(text, "node_price = 320000", "node_price = 4.48e8");
  auto s = Parse(text);
  ASSERT_TRUE(s) << s.error().message;
  // 4.48e8 KRW / 1400 KRW per USD = 320,000 USD.
  EXPECT_DOUBLE_EQ(s->candidates[0].node_price_usd, 320000);
  EXPECT_DOUBLE_EQ(s->budget.per_year[0].capex_usd, 1e8 / 1400);
}

TEST(ParseScenario, ShippedScenariosLoad) {
  for (const char* name : {"korea", "india", "tier2-capped"}) {
    auto s = LoadScenario(DefaultDataDir() + "/scenarios/" + name + ".toml", Cat());
    ASSERT_TRUE(s) << name << ": " << s.error().message;
    EXPECT_FALSE(s->candidates.empty()) << name;
    EXPECT_FALSE(s->tenants.empty()) << name;
  }
}

TEST(ParseScenario, DefaultIsKoreaWithItsDomesticNpu) {
  EXPECT_NE(DefaultScenarioPath().find("korea.toml"), std::string::npos);
  auto s = LoadScenario(DefaultScenarioPath(), Cat());
  ASSERT_TRUE(s) << s.error().message;
  // The 10,000 secured GPUs (korea.toml) and the 18,000 milestone in 2027Q2.
  ASSERT_EQ(s->existing.size(), 1u);
  EXPECT_EQ(s->existing[0].num_gpus, 10000);
  EXPECT_EQ(s->milestones.back().num_gpus, 18000);
  EXPECT_EQ(s->milestones.back().quarter, (Quarter{2027, 2}));
  auto npu = FindAccelerator(*s, Cat(), "furiosa-rngd");
  ASSERT_TRUE(npu) << npu.error().message;
  EXPECT_DOUBLE_EQ((*npu)->peak_bf16_flop_per_s, 256e12);  // FuriosaAI RNGD page
  EXPECT_GT(s->supply.min_domestic_share, 0);
  // It asks the planner's question: the cheapest fleet that keeps every class's promised wait.
  EXPECT_EQ(s->objective, PlanObjective::kServiceLevel);
  EXPECT_EQ(s->service_levels.size(), 4u);
  for (const Workload& w : s->workloads) EXPECT_FALSE(w.tenant.empty()) << w.name;
}

TEST(ParseScenario, TenantsAndSimulationAreTyped) {
  std::string text = std::string(kBase) + R"(
[[tenant]]
name = "lab"
class = "academia"
share = 2
quota_gpus = 64
[tenant.demand]
jobs_per_day = 10
gpu_mix = { "8" = 1, "1" = 3 }
median_duration_h = 2
[simulation]
policy = "easy"
seed = 42
gpu_mtbf_h = 1000
checkpoint_interval_min = 30
)";
  auto s = Parse(text);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->tenants.size(), 1u);
  const Tenant& t = s->tenants[0];
  EXPECT_EQ(t.tenant_class, TenantClass::kAcademia);
  EXPECT_EQ(t.quota_gpus, 64);
  ASSERT_EQ(t.demand.gpu_mix.size(), 2u);
  EXPECT_EQ(t.demand.gpu_mix[0].gpus, 1);  // sorted by GPU count
  EXPECT_DOUBLE_EQ(t.demand.duration_median_s, 7200);
  // The generator's demand is the tenant's own, identity included.
  EXPECT_EQ(t.demand.tenant.name, t.name);
  EXPECT_EQ(t.demand.tenant.quota_gpus, 64);
  EXPECT_EQ(s->simulation.policy, "easy");
  EXPECT_EQ(s->simulation.placement, sim::Placement::kPack);
  EXPECT_EQ(s->simulation.seed, 42u);
  EXPECT_DOUBLE_EQ(s->simulation.gpu_mtbf_s, 3.6e6);
  EXPECT_DOUBLE_EQ(s->simulation.checkpoint_interval_s, 1800);
}

TEST(ParseScenario, SchedulerSettingsDefaultToTheSimulatorsAndAreRead) {
  // Absent, each is the simulator's own default, so a scenario without them plans as before.
  auto plain = Parse(std::string(kBase));
  ASSERT_TRUE(plain) << plain.error().message;
  const sim::SimConfig sim_defaults;
  EXPECT_EQ(plain->simulation.bf_window_s, sim_defaults.bf_window_s);
  EXPECT_EQ(plain->simulation.decay_half_life_s, sim_defaults.fairshare_half_life_s);
  EXPECT_EQ(plain->simulation.priority_calc_period_s, sim_defaults.priority_calc_period_s);
  EXPECT_EQ(plain->simulation.estimate_factor, sim_defaults.estimate_factor);
  auto s = Parse(std::string(kBase) + R"(
[simulation]
policy = "fairshare"
bf_window_h = 12
decay_half_life_h = 48
priority_calc_period_min = 0
estimate_factor = 1.5
)");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_DOUBLE_EQ(s->simulation.bf_window_s, 12 * 3600);
  EXPECT_DOUBLE_EQ(s->simulation.decay_half_life_s, 48 * 3600);
  EXPECT_DOUBLE_EQ(s->simulation.priority_calc_period_s, 0);
  EXPECT_DOUBLE_EQ(s->simulation.estimate_factor, 1.5);
}

TEST(ParseScenario, ServicesAreTypedWithDefaults) {
  auto s = Parse(std::string(kBase) + R"(
[[service]]
name = "assistant"
model = "llama3-70b"
requests_per_s = 50
tpot_ms = 40
precision = "fp8"
from = "2027Q2"
)");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->services.size(), 1u);
  const Service& v = s->services[0];
  EXPECT_DOUBLE_EQ(v.requests_per_s, 50);
  EXPECT_EQ(v.prompt_tokens, 1000);  // defaults, as `gpuplan size serve`
  EXPECT_EQ(v.output_tokens, 200);
  EXPECT_DOUBLE_EQ(v.ttft_s, 0.5);
  EXPECT_DOUBLE_EQ(v.tpot_s, 0.04);
  EXPECT_EQ(v.precision, sizing::ServePrecision::kFp8);
  EXPECT_EQ(v.shape.num_layers, 80);  // the model, resolved at load
  EXPECT_EQ(v.from, (Quarter{2027, 2}));
  EXPECT_EQ(v.line, 20);
}

// A tenant block for appending to kBase; `demand` replaces the jobs_per_day line.
std::string TenantBlock(const std::string& name, const std::string& cls,
                        const std::string& demand = "jobs_per_day = 10") {
  return "[[tenant]]\nname = \"" + name + "\"\nclass = \"" + cls + "\"\n[tenant.demand]\n" +
         demand + "\ngpu_mix = { \"8\" = 1 }\nmedian_duration_h = 2\n";
}

constexpr const char* kTwoTenants = R"(
[[tenant]]
name = "lab"
class = "academia"
[tenant.demand]
jobs_per_day = 10
gpu_mix = { "8" = 1 }
median_duration_h = 2
[[tenant]]
name = "corp"
class = "industry"
[tenant.demand]
jobs_per_day = 10
gpu_mix = { "8" = 1 }
median_duration_h = 2
)";

TEST(ParseScenario, ClusterQueuesAreKueuesClusterQueues) {
  const std::string text = std::string(kBase) + kTwoTenants + R"(
[[cluster_queue]]
name = "research"
tenants = ["lab"]
classes = ["public"]
cohort = "all"
nominal_quota_gpus = 64
lending_limit_gpus = 16
[[cluster_queue]]
name = "business"
classes = ["industry"]
cohort = "all"
nominal_quota_gpus = 128
borrowing_limit_gpus = 32
)";
  auto s = Parse(text);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->cluster_queues.size(), 2u);
  const sim::ClusterQueue& q = s->cluster_queues[0];
  EXPECT_EQ(q.name, "research");
  EXPECT_EQ(q.tenants, std::vector<std::string>{"lab"});
  EXPECT_EQ(q.tenant_classes, std::vector<TenantClass>{TenantClass::kPublic});
  EXPECT_EQ(q.cohort, "all");
  EXPECT_EQ(q.nominal_quota_gpus, 64);
  EXPECT_EQ(q.lending_limit_gpus, 16);
  EXPECT_FALSE(q.borrowing_limit_gpus);
  EXPECT_EQ(s->cluster_queues[1].borrowing_limit_gpus, 32);
  EXPECT_FALSE(s->cluster_queues[1].lending_limit_gpus);
  // Overrides name an entry by its name.
  auto o = ParseScenario(text, "s.toml", Cat(), {"cluster_queue.business.nominal_quota_gpus=8"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->cluster_queues[1].nominal_quota_gpus, 8);
  // Absent: none.
  auto none = Parse(std::string(kBase) + kTwoTenants);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->cluster_queues.empty());
}

TEST(ParseScenario, BadClusterQueuesNameFileLineAndKey) {
  const std::string base = std::string(kBase) + kTwoTenants;  // 33 lines
  const auto queue = [&](const std::string& body) {
    return base + "[[cluster_queue]]\nname = \"q\"\n" + body;
  };
  const struct {
    std::string text, message, where;
  } rows[] = {
      {queue("tenants = [\"lab\"]\n"), "missing 'nominal_quota_gpus'", "s.toml:34"},
      {queue("nominal_quota_gpus = 8\n"), "covers no one", "s.toml:34"},
      {queue("tenants = [\"labb\"]\nnominal_quota_gpus = 8\n"), "did you mean 'lab'", "s.toml:36"},
      {queue("classes = [\"academy\"]\nnominal_quota_gpus = 8\n"), "is not a class", "s.toml:36"},
      {queue("tenants = [\"lab\"]\nnominal_quota_gpus = -1\n"), "nominal_quota_gpus", "s.toml:37"},
      {queue("tenants = [\"lab\"]\nnominal_quota_gpus = 8\nborrowing_limit_gpus = 2\n"),
       "needs a 'cohort'", "s.toml:38"},
      {queue("tenants = [\"lab\"]\ncohort = \"c\"\nnominal_quota_gpus = 8\n"
             "lending_limit_gpus = 9\n"),
       "must not exceed 'nominal_quota_gpus'", "s.toml:39"},
      {queue("tenants = [\"lab\"]\nnominal_quota_gpus = 8\nnominal_quota = 8\n"),
       "did you mean 'nominal_quota_gpus'", "s.toml:38"},
      {queue("tenants = [\"lab\"]\nnominal_quota_gpus = 8\n") +
           "[[cluster_queue]]\nname = \"r\"\ntenants = [\"lab\"]\nnominal_quota_gpus = 8\n",
       "tenant 'lab' is already in cluster queue 'q'", "s.toml:40"},
      {queue("tenants = [\"lab\"]\nnominal_quota_gpus = 8\n") +
           "[[cluster_queue]]\nname = \"q\"\ntenants = [\"corp\"]\nnominal_quota_gpus = 8\n",
       "duplicate cluster queue name", "s.toml:39"},
  };
  for (const auto& row : rows) {
    auto s = Parse(row.text);
    ASSERT_FALSE(s) << row.message;
    EXPECT_NE(s.error().message.find(row.message), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find(row.where), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().kind, ErrorKind::kBadInput) << s.error().message;
  }
}

TEST(ParseScenario, JobsPerDayIsAStepFunctionWithGrowth) {
  auto s =
      Parse(std::string(kBase) + TenantBlock("lab", "academia",
                                             "jobs_per_day = { \"2027Q3\" = 80, \"2026Q4\" = 40 }\n"
                                             "growth_per_year = 0.21"));
  ASSERT_TRUE(s) << s.error().message;
  const Tenant& t = s->tenants[0];
  EXPECT_DOUBLE_EQ(t.demand.jobs_per_day, 40);
  // One rate step per quarter of the horizon, on the simulator's clock (0 = 2026Q4's start).
  const int quarters = s->last.Index() - s->first.Index() + 1;
  ASSERT_EQ(t.demand.rate_steps.size(), static_cast<size_t>(quarters));
  EXPECT_DOUBLE_EQ(t.demand.rate_steps[0].from_s, 0);
  EXPECT_DOUBLE_EQ(t.demand.rate_steps[2].from_s, 2 * kSecondsPerQuarter);
  EXPECT_NEAR(t.demand.rate_steps[2].jobs_per_day, 44, 1e-9);
  // 2026Q4: 40, no growth yet. 2027Q2 (2 quarters on): 40 * 1.21^(2/4) = 40 * 1.1 = 44.
  EXPECT_DOUBLE_EQ(s->JobsPerDay(t, {2026, 4}), 40);
  EXPECT_NEAR(s->JobsPerDay(t, {2027, 2}), 44, 1e-9);
  // 2027Q4 (4 quarters on, second step): 80 * 1.21 = 96.8.
  EXPECT_NEAR(s->JobsPerDay(t, {2027, 4}), 96.8, 1e-9);
}

TEST(ParseScenario, ScalarJobsPerDayIsOneStep) {
  auto s = Parse(std::string(kBase) + TenantBlock("lab", "academia", "jobs_per_day = 12"));
  ASSERT_TRUE(s) << s.error().message;
  const Tenant& t = s->tenants[0];
  EXPECT_TRUE(t.demand.rate_steps.empty());  // one rate throughout
  EXPECT_DOUBLE_EQ(t.demand.jobs_per_day, 12);
  EXPECT_DOUBLE_EQ(s->JobsPerDay(t, {2027, 4}), 12);  // no growth
}

TEST(ParseScenario, ScalarFacilityPowerHoldsEveryQuarter) {
  auto s = Parse(
      Replace(kBase, "facility_mw = { \"2026Q4\" = 10, \"2027Q2\" = 30 }", "facility_mw = 30"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_DOUBLE_EQ(s->FacilityPowerW({2026, 4}), 30e6);
  EXPECT_DOUBLE_EQ(s->FacilityPowerW({2027, 4}), 30e6);
}

TEST(ParseScenario, WorkloadsNameTheirTenant) {
  auto s = Parse(std::string(kBase) + TenantBlock("lab", "industry") + R"(
[[workload]]
name = "run"
model = "llama3-8b"
tokens = "1T"
deadline_days = 30
tenant = "lab"
)");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->workloads[0].tenant, "lab");
}

TEST(ParseScenario, ServiceLevelsAndObjective) {
  auto s =
      Parse(std::string(kBase) + TenantBlock("lab", "industry") + TenantBlock("uni", "academia") +
            R"(
[[service_level]]
class = "industry"
wait_h = 48
[[service_level]]
tenant = "uni"
wait_h = 72
percentile = 99
from = "2027Q2"
[plan]
objective = "service-level"
)");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->service_levels.size(), 2u);
  const ServiceLevel& a = s->service_levels[0];
  EXPECT_EQ(a.tenant_class, TenantClass::kIndustry);
  EXPECT_TRUE(a.tenant.empty());
  EXPECT_DOUBLE_EQ(a.wait_s, 48 * 3600.0);
  EXPECT_DOUBLE_EQ(a.percentile, 95);  // default
  EXPECT_EQ(a.from, s->first);         // default
  EXPECT_EQ(a.line, 34);
  const ServiceLevel& b = s->service_levels[1];
  EXPECT_FALSE(b.tenant_class.has_value());
  EXPECT_EQ(b.tenant, "uni");
  EXPECT_DOUBLE_EQ(b.percentile, 99);
  EXPECT_EQ(b.from, (Quarter{2027, 2}));
  EXPECT_EQ(s->objective, PlanObjective::kServiceLevel);
  EXPECT_EQ(ToString(s->objective), "service-level");
}

TEST(ParseScenario, DefaultsForObjectiveAndMinimumOrder) {
  auto s = Parse(kBase);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->objective, PlanObjective::kMaxCapacity);
  EXPECT_EQ(s->candidates[0].min_nodes_per_order, Candidate::kDefaultMinNodesPerOrder);
  auto zero = Parse(
      Replace(kBase, "lead_time_quarters = 1", "lead_time_quarters = 1\nmin_nodes_per_order = 0"));
  ASSERT_TRUE(zero) << zero.error().message;
  EXPECT_EQ(zero->candidates[0].min_nodes_per_order, 0);  // no minimum
  // A vendor allocation below the default minimum caps the default, so the type stays buyable.
  auto small = Parse(Replace(kBase, "max_nodes_per_quarter = 100", "max_nodes_per_quarter = 2"));
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(small->candidates[0].min_nodes_per_order, 2);
}

TEST(ParseScenario, FallingPricesAndADiscountRate) {
  auto s = Parse(kBase);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->candidates[0].price_decline_per_year, 0);
  EXPECT_EQ(s->candidates[0].service_life_years, Candidate::kDefaultServiceLifeYears);
  EXPECT_EQ(s->budget.discount_rate, 0);
  auto set = Parse(Replace(Replace(kBase, "lead_time_quarters = 1",
                                   "lead_time_quarters = 1\nprice_decline_per_year = 0.3\n"
                                   "service_life_years = 4"),
                           "[budget]\n", "[budget]\ndiscount_rate = 0.07\n"));
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_DOUBLE_EQ(set->candidates[0].price_decline_per_year, 0.3);
  EXPECT_DOUBLE_EQ(set->candidates[0].service_life_years, 4);
  EXPECT_DOUBLE_EQ(set->budget.discount_rate, 0.07);
  EXPECT_TRUE(set->budget.has_budget);
  // One part life: without its own service_life_years a candidate depreciates over [opex]
  // part_life_years (7 here, not the built-in 5), and its own value still wins.
  auto life = Parse(std::string(kBase) + "[opex]\npart_life_years = 7\n");
  ASSERT_TRUE(life) << life.error().message;
  EXPECT_DOUBLE_EQ(life->opex.part_life_years, 7);
  EXPECT_DOUBLE_EQ(life->candidates[0].service_life_years, 7);
  auto own =
      Parse(Replace(std::string(kBase) + "[opex]\npart_life_years = 7\n", "lead_time_quarters = 1",
                    "lead_time_quarters = 1\nservice_life_years = 4"));
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_DOUBLE_EQ(own->candidates[0].service_life_years, 4);
  // A discount rate alone is no capital limit.
  auto alone = Parse(Replace(kBase, "capex_per_year = { \"2026\" = 1e8, \"2027\" = \"1.2B\" }",
                             "discount_rate = 0.05"));
  ASSERT_TRUE(alone) << alone.error().message;
  EXPECT_FALSE(alone->budget.has_budget);
  EXPECT_DOUBLE_EQ(alone->budget.discount_rate, 0.05);
}

TEST(ParseScenario, ExistingFleetIsWholeNodes) {
  const std::string fleet = "[[existing]]\naccelerator = \"b200\"\ngpus = 12\n";
  auto bad = Parse(std::string(kBase) + fleet);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("s.toml:21:", 0), 0u) << bad.error().message;
  EXPECT_NE(bad.error().message.find("not a whole number of 8-GPU nodes"), std::string::npos)
      << bad.error().message;
  EXPECT_NE(bad.error().message.find("gpus_per_node"), std::string::npos) << bad.error().message;
  // A partial node is a node of the size given.
  auto ok = Parse(std::string(kBase) + fleet + "gpus_per_node = 4\n");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->existing[0].gpus_per_node, 4);
  // Without the key, the node size is the candidate's of the same type, else the catalog's.
  auto h200 =
      Parse(std::string(kBase) + "[[existing]]\naccelerator = \"h200-sxm-141gb\"\ngpus = 16\n");
  ASSERT_TRUE(h200) << h200.error().message;
  EXPECT_EQ(h200->existing[0].gpus_per_node, 8);
}

TEST(ParseScenario, TenantAcceleratorsAreCheckedAgainstTheCatalog) {
  auto ok = Parse(std::string(kBase) +
                  TenantBlock("lab", "academia", "jobs_per_day = 1\naccelerators = [\"b200\"]"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->tenants[0].demand.allowed, std::vector<std::string>{"b200"});
  auto bad = Parse(std::string(kBase) +
                   TenantBlock("lab", "academia", "jobs_per_day = 1\naccelerators = [\"b20\"]"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("s.toml:24:", 0), 0u) << bad.error().message;
  EXPECT_NE(bad.error().message.find("did you mean 'b200'"), std::string::npos)
      << bad.error().message;
}

// Each row breaks the base scenario in one way; the error must name the file, the line and the
// key, and say what is expected.
struct BadRow {
  const char* what;
  std::string text;
  const char* expect;    // a substring of the message
  const char* location;  // "s.toml:<line>"
};

TEST(ParseScenario, BadInputIsNamedWithFileLineAndKey) {
  const std::vector<BadRow> rows = {
      {"malformed TOML", std::string(kBase) + "[horizon\n", "malformed TOML", "s.toml:19"},
      {"unknown key with suggestion",
       Replace(kBase, "max_nodes_per_quarter = 100", "max_node_per_quarter = 100"),
       "did you mean 'max_nodes_per_quarter'", "s.toml:12"},
      {"negative budget", Replace(kBase, "\"2026\" = 1e8", "\"2026\" = -5"), "must be >= 0",
       "s.toml:7"},
      {"unknown accelerator id", Replace(kBase, "\"h200-sxm-141gb\"", "\"h200\""),
       "did you mean 'h200-sxm-141gb'", "s.toml:9"},
      {"milestone beyond the horizon",
       Replace(kBase, "quarter = \"2027Q2\"", "quarter = \"2029Q1\""), "outside the horizon",
       "s.toml:17"},
      {"domestic minimum above 100%",
       std::string(kBase) + "[supply_security]\nmin_domestic_share = 1.2\n", "<= 1, got 1.2",
       "s.toml:20"},
      {"domestic minimum with nothing domestic",
       std::string(kBase) + "[supply_security]\nmin_domestic_share = 0.2\n", "no [[candidate]]",
       "s.toml:20"},
      {"budget missing a year", Replace(kBase, ", \"2027\" = \"1.2B\"", ""), "no budget for 2027",
       "s.toml:7"},
      {"bad quarter", Replace(kBase, "first = \"2026Q4\"", "first = \"2026-10\""),
       "expected a quarter such as 2026Q4", "s.toml:4"},
      {"power not from the first quarter", Replace(kBase, "\"2026Q4\" = 10, ", ""), "first quarter",
       "s.toml:15"},
      {"milestone with both units",
       Replace(kBase, "gpus = 800", "gpus = 800\nh100_equivalents = 5"), "exactly one of",
       "s.toml:16"},
      {"unknown policy", std::string(kBase) + "[simulation]\npolicy = \"fifoo\"\n",
       "did you mean 'fifo'", "s.toml:20"},
      {"unknown tenant class",
       std::string(kBase) + "[[tenant]]\nname = \"x\"\nclass = \"startups\"\n[tenant.demand]\n"
                            "jobs_per_day = 1\ngpu_mix = { \"8\" = 1 }\nmedian_duration_h = 1\n",
       "did you mean 'startup'", "s.toml:21"},
      {"negative lead time", Replace(kBase, "lead_time_quarters = 1", "lead_time_quarters = -1"),
       "between 0 and", "s.toml:13"},
      {"string where a number goes",
       Replace(kBase, "node_power_kw = 10.2", "node_power_kw = \"hot\""), "node_power_kw",
       "s.toml:11"},
      {"service without a rate",
       std::string(kBase) + "[[service]]\nname = \"a\"\nmodel = \"llama3-70b\"\n", "requests_per_s",
       "s.toml:19"},
      {"service with an unknown precision",
       std::string(kBase) + "[[service]]\nname = \"a\"\nmodel = \"llama3-70b\"\n"
                            "requests_per_s = 5\nprecision = \"fp2\"\n",
       "precision", "s.toml:23"},
      {"service with an unknown model",
       std::string(kBase) + "[[service]]\nname = \"a\"\nmodel = \"llama9-70b\"\n"
                            "requests_per_s = 5\n",
       "model", "s.toml:21"},
      {"price decline of 30 meaning 30%",
       Replace(kBase, "lead_time_quarters = 1",
               "lead_time_quarters = 1\nprice_decline_per_year = 30"),
       "'price_decline_per_year' must be >= 0 and <= 0.95, got 30", "s.toml:14"},
      {"service life of zero",
       Replace(kBase, "lead_time_quarters = 1", "lead_time_quarters = 1\nservice_life_years = 0"),
       "'service_life_years' must be > 0", "s.toml:14"},
      {"negative discount rate", Replace(kBase, "[budget]\n", "[budget]\ndiscount_rate = -0.05\n"),
       "'discount_rate' must be >= 0 and <= 1, got -0.05", "s.toml:7"},
      {"unknown placement", std::string(kBase) + "[simulation]\nplacement = \"scatter\"\n",
       "spread", "s.toml:20"},
      {"backfill window of zero", std::string(kBase) + "[simulation]\nbf_window_h = 0\n",
       "'bf_window_h' must be > 0", "s.toml:20"},
      {"half-life past ten years", std::string(kBase) + "[simulation]\ndecay_half_life_h = 1e9\n",
       "decay_half_life_h", "s.toml:20"},
      {"negative priority period",
       std::string(kBase) + "[simulation]\npriority_calc_period_min = -5\n",
       "'priority_calc_period_min' must be >= 0", "s.toml:20"},
      {"negative estimate factor", std::string(kBase) + "[simulation]\nestimate_factor = -1\n",
       "'estimate_factor' must be >= 0", "s.toml:20"},
      {"unknown top-level section", std::string(kBase) + "[budgett]\n", "did you mean 'budget'",
       "s.toml:19"},
      {"jobs per day table not from the first quarter",
       std::string(kBase) + TenantBlock("x", "public", "jobs_per_day = { \"2027Q1\" = 5 }"),
       "first quarter", "s.toml:23"},
      {"jobs per day quarter outside the horizon",
       std::string(kBase) +
           TenantBlock("x", "public", "jobs_per_day = { \"2026Q4\" = 5, \"2030Q1\" = 6 }"),
       "outside the horizon", "s.toml:23"},
      {"jobs per day all zero", std::string(kBase) + TenantBlock("x", "public", "jobs_per_day = 0"),
       "must be > 0 in some quarter", "s.toml:23"},
      {"growth below -90%",
       std::string(kBase) + TenantBlock("x", "public", "jobs_per_day = 1\ngrowth_per_year = -0.95"),
       "'growth_per_year' must be >= -0.9 and <= 10", "s.toml:24"},
      {"workload naming no tenant",
       std::string(kBase) + TenantBlock("lab", "public") +
           "[[workload]]\nname = \"w\"\nmodel = \"llama3-8b\"\ntokens = 1e12\ndeadline_days = 9\n"
           "tenant = \"labb\"\n",
       "did you mean 'lab'", "s.toml:31"},
      {"service level with class and tenant",
       std::string(kBase) + TenantBlock("lab", "public") +
           "[[service_level]]\nclass = \"public\"\ntenant = \"lab\"\nwait_h = 1\n",
       "exactly one of 'class'", "s.toml:26"},
      {"service level for a class no tenant has",
       std::string(kBase) + TenantBlock("lab", "public") +
           "[[service_level]]\nclass = \"industry\"\nwait_h = 1\n",
       "no [[tenant]] has class 'industry'", "s.toml:27"},
      {"service level naming no tenant",
       std::string(kBase) + TenantBlock("lab", "public") +
           "[[service_level]]\ntenant = \"x\"\nwait_h = 1\n",
       "unknown [[tenant]] 'x'", "s.toml:27"},
      {"service level with zero wait",
       std::string(kBase) + TenantBlock("lab", "public") +
           "[[service_level]]\nclass = \"public\"\nwait_h = 0\n",
       "'wait_h' must be > 0", "s.toml:28"},
      {"service level percentile above 100",
       std::string(kBase) + TenantBlock("lab", "public") +
           "[[service_level]]\nclass = \"public\"\nwait_h = 1\npercentile = 101\n",
       "'percentile' must be > 0 and <= 100", "s.toml:29"},
      {"service level from outside the horizon",
       std::string(kBase) + TenantBlock("lab", "public") +
           "[[service_level]]\nclass = \"public\"\nwait_h = 1\nfrom = \"2030Q1\"\n",
       "outside the horizon", "s.toml:29"},
      {"unknown objective", std::string(kBase) + "[plan]\nobjective = \"min-costs\"\n",
       "did you mean 'min-cost'", "s.toml:20"},
      {"service-level objective without targets",
       std::string(kBase) + "[plan]\nobjective = \"service-level\"\n",
       "needs at least one [[service_level]]", "s.toml:20"},
      {"negative minimum order",
       Replace(kBase, "lead_time_quarters = 1", "lead_time_quarters = 1\nmin_nodes_per_order = -1"),
       "between 0 and", "s.toml:14"},
      {"minimum order above the allocation",
       Replace(kBase, "lead_time_quarters = 1",
               "lead_time_quarters = 1\nmin_nodes_per_order = 101"),
       "could never be ordered", "s.toml:14"},
      {"fractional minimum order",
       Replace(kBase, "lead_time_quarters = 1",
               "lead_time_quarters = 1\nmin_nodes_per_order = 2.5"),
       "whole number", "s.toml:14"},
      {"simulation duration is gone", std::string(kBase) + "[simulation]\nduration_days = 30\n",
       "the simulation covers the whole horizon", "s.toml:20"},
      // Issue 12: a rate that made the budget infinite (buy then said "infeasible", exit 1), an
      // amount past the sanity bound once converted, and a trace that does not exist (plan exited
      // 0).
      {"exchange rate that makes the budget infinite",
       Replace(kBase, "currency = \"USD\"", "currency = \"XYZ\"\nunits_per_usd = 1e-300"),
       "'units_per_usd' must be >= 0.001 and <= 100000000, got 1e-300", "s.toml:3"},
      {"amount past the bound once converted",
       Replace(Replace(kBase, "currency = \"USD\"", "currency = \"XYZ\"\nunits_per_usd = 0.001"),
               "\"2026\" = 1e8", "\"2026\" = 1e29"),
       "'2026' = 1e+29 XYZ is 1e+32 USD at units_per_usd = 0.001, past the sanity bound",
       "s.toml:8"},
      {"missing simulation trace",
       std::string(kBase) + "[simulation]\ntrace = \"/nonexistent/jobs.csv\"\n",
       "'trace' names '/nonexistent/jobs.csv', which does not exist", "s.toml:20"},
  };
  for (const BadRow& row : rows) {
    auto s = Parse(row.text);
    ASSERT_FALSE(s) << row.what;
    EXPECT_NE(s.error().message.find(row.expect), std::string::npos)
        << row.what << ": " << s.error().message;
    EXPECT_EQ(s.error().message.rfind(row.location, 0), 0u)
        << row.what << ": " << s.error().message;
  }
}

TEST(LoadScenario, MissingFileIsAnError) {
  auto s = LoadScenario("/nonexistent/s.toml", Cat());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("no such file"), std::string::npos);
}

Result<Scenario> ParseWith(const std::string& text, const std::vector<std::string>& overrides) {
  return ParseScenario(text, "s.toml", Cat(), overrides);
}

TEST(Overrides, SetAValueAnEntryOfAListAndANewSection) {
  auto s = ParseWith(
      kBase, {"budget.capex_per_year.2027=2e9", "candidate.h200-sxm-141gb.max_nodes_per_quarter=40",
              "candidate.0.lead_time_quarters=2", "rental.price_per_gpu_hour=2.5",
              "rental.max_gpus_per_quarter=64", "name=other"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "other");  // a bare word is a string
  ASSERT_EQ(s->budget.per_year.size(), 2u);
  EXPECT_DOUBLE_EQ(s->budget.per_year[1].capex_usd, 2e9);
  EXPECT_EQ(s->candidates[0].max_nodes_per_quarter, 40);
  EXPECT_EQ(s->candidates[0].lead_time_quarters, 2);
  EXPECT_TRUE(s->rental.is_enabled);  // a section the file does not have
  EXPECT_EQ(s->rental.max_gpus_per_quarter, 64);
  // Without overrides the file's own values stand.
  auto base = Parse(kBase);
  ASSERT_TRUE(base);
  EXPECT_EQ(base->candidates[0].max_nodes_per_quarter, 100);
}

TEST(Overrides, ValuesGetTheFilesChecksAndErrorsNameTheOverride) {
  auto s = ParseWith(kBase, {"candidate.0.max_nodes_per_quarter=-3"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message.rfind("--set candidate.0.max_nodes_per_quarter: ", 0), 0u)
      << s.error().message;
  EXPECT_NE(s.error().message.find("max_nodes_per_quarter"), std::string::npos);

  auto typo = ParseWith(kBase, {"budget.capex_per_yaer=1"});
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("--set budget.capex_per_yaer"), std::string::npos)
      << typo.error().message;
  EXPECT_NE(typo.error().message.find("did you mean 'capex_per_year'"), std::string::npos);
}

TEST(Overrides, MalformedOverridesAreBadInput) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"budget", "expected key.path=value"},
      {"budget..total=1", "empty part"},
      {"candidate.b300.node_price=1",
       "no [[candidate]] is named 'b300' (there are: "
       "h200-sxm-141gb)"},
      {"candidate.7.node_price=1", "no index 7"},
      {"candidate.node_price=1", "is a list"},
      {"name.x=1", "is a value, not a table"},
      {"budget.carry_over=[1, ", "is not a TOML value"},
  };
  for (const auto& [text, expected] : cases) {
    auto s = ParseWith(kBase, {text});
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.error().kind, ErrorKind::kBadInput);
    EXPECT_NE(s.error().message.find(expected), std::string::npos)
        << text << " -> " << s.error().message;
  }
}

class Extends : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gpuplan-extends-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub");
    Write("base.toml", kBase);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(Extends, ChildKeysReplaceTablesMergeListsAreReplacedWhole) {
  const std::string child = Write("sub/child.toml", R"(extends = "../base.toml"
name = "child"
[budget]
capex_per_year = { "2026" = 5e7 }
[[candidate]]
accelerator = "b200"
node_price = 450000
max_nodes_per_quarter = 20
lead_time_quarters = 1
)");
  auto s = LoadScenario(child, Cat());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "child");
  ASSERT_EQ(s->candidates.size(), 1u);  // the child's list, not base + child
  EXPECT_EQ(s->candidates[0].accelerator, "b200");
  EXPECT_EQ(s->milestones.size(), 1u);  // from the base
  ASSERT_FALSE(s->budget.per_year.empty());
  EXPECT_DOUBLE_EQ(s->budget.per_year[0].capex_usd, 5e7);

  // An error in a key the base wrote names the base file and its line.
  Write("base.toml", Replace(kBase, "gpus = 800", "gpus = -1"));
  auto bad = LoadScenario(child, Cat());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find((dir_ / "base.toml").lexically_normal().string() + ":18:"),
            std::string::npos)
      << bad.error().message;
}

// Every file read is listed, so that the commands refuse an output over any of them (issue 12:
// only the file on the command line was checked).
TEST_F(Extends, FilesReadListTheChainAndTheFilesItNames) {
  const std::string trace = Write("jobs.csv", "job_id,tenant,submit_s,gpus,duration_s\n");
  const std::string model = Write("sub/m.json", R"({"model_type": "llama", "hidden_size": 4096,
    "num_hidden_layers": 32, "num_attention_heads": 32, "intermediate_size": 14336,
    "vocab_size": 128256})");
  const std::string child = Write("sub/child.toml", R"(extends = "../base.toml"
[[workload]]
name = "w"
model = "m.json"
tokens = "1T"
deadline_days = 30
[simulation]
trace = "../jobs.csv"
)");
  auto s = LoadScenario(child, Cat());
  ASSERT_TRUE(s) << s.error().message;
  auto normal = [](const std::string& p) {
    return std::filesystem::path(p).lexically_normal().string();
  };
  std::vector<std::string> read;
  for (const std::string& f : s->files_read) read.push_back(normal(f));
  EXPECT_EQ(read, (std::vector<std::string>{normal(child), normal((dir_ / "base.toml").string()),
                                            normal(model), normal(trace)}));
}

TEST_F(Extends, CyclesAndMissingBasesAreRefused) {
  const std::string a = Write("a.toml", "extends = \"b.toml\"\n");
  Write("b.toml", "extends = \"a.toml\"\n");
  auto cycle = LoadScenario(a, Cat());
  ASSERT_FALSE(cycle);
  EXPECT_NE(cycle.error().message.find("makes a cycle"), std::string::npos)
      << cycle.error().message;

  const std::string orphan = Write("orphan.toml", "extends = \"nope.toml\"\n");
  auto missing = LoadScenario(orphan, Cat());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(orphan + ":1: 'extends'"), std::string::npos)
      << missing.error().message;
}

// Issue 12 (3): 1e30 jobs a day generated until the trace limit (minutes) instead of failing;
// (2) MTBF and restart limits were checked only by the simulator, without file, line or key.
TEST(ParseScenario, DemandAndFailureLimitsNameTheLine) {
  const std::string tenant =
      "[[tenant]]\nname = \"a\"\nclass = \"startup\"\n[tenant.demand]\njobs_per_day = 1e30\n"
      "gpu_mix = { \"1\" = 1 }\nmedian_duration_h = 3\n";
  auto jobs = Parse(std::string(kBase) + tenant);
  ASSERT_FALSE(jobs);
  EXPECT_NE(jobs.error().message.find("s.toml:23: tenant 'a' demand: 'jobs_per_day' comes to "
                                      "4.57e+32 jobs over the horizon, more than the limit of "
                                      "50000000"),
            std::string::npos)
      << jobs.error().message;
  auto sim = [&](const std::string& line) {
    return Parse(std::string(kBase) + Replace(tenant, "1e30", "10") + "[simulation]\n" + line);
  };
  auto mtbf = sim("gpu_mtbf_h = 1e-30\n");
  ASSERT_FALSE(mtbf);
  EXPECT_NE(mtbf.error().message.find("s.toml:27: simulation: 'gpu_mtbf_h' must be 0 (no "
                                      "failures) or at least 1 hour"),
            std::string::npos)
      << mtbf.error().message;
  auto restart = sim("restart_overhead_min = 1e30\n");
  ASSERT_FALSE(restart);
  EXPECT_NE(restart.error().message.find("s.toml:27: simulation: 'restart_overhead_min'"),
            std::string::npos)
      << restart.error().message;
  EXPECT_TRUE(sim("gpu_mtbf_h = 50000\nrestart_overhead_min = 5\n"));
}

// Issue 12 (5): a missing extra catalog named the file but not the key that names it.
TEST(ParseScenario, MissingExtraCatalogNamesTheKey) {
  auto s = Parse("extra_catalog = \"/nonexistent/npus.toml\"\n" + std::string(kBase));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("s.toml:1: extra_catalog: /nonexistent/npus.toml: no such file"),
            std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace gpuplan::scenario
