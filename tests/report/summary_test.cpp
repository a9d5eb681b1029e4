#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "report/report.h"
#include "report/test_util.h"

namespace gpuplan::report {
namespace {

using Json = nlohmann::ordered_json;

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Table-driven: each row is a report document, phrases the summary must contain, and phrases
// it must not. Expected figures are the row's own inputs formatted by hand.
struct Row {
  const char* name;
  Json report;
  std::vector<std::string> must;
  std::vector<std::string> must_not;
};

std::vector<Row> Rows() {
  return {
      {"optimal plan: what to buy, cost, capacity, binding",
       Json::parse(R"({
         "scenario": {"name": "Testland", "horizon": ["2026Q1", "2026Q2"]},
         "buy": {"status": "optimal", "proven_optimal": true, "total_cost_usd": 1.5e9,
                 "capex_usd": 1.2e9, "opex_usd": 3e8,
                 "purchases": [
                   {"quarter": "2026Q2", "accelerator": "b200", "vendor": "NVIDIA", "gpus": 2000},
                   {"quarter": "2026Q1", "accelerator": "h200-sxm-141gb", "vendor": "NVIDIA",
                    "gpus": 4000},
                   {"quarter": "2026Q2", "accelerator": "mi300x", "vendor": "AMD", "gpus": 1000}],
                 "capacity": [{"quarter": "2026Q2", "gpus": 7000, "h100_equivalents": 9868,
                               "power_mw": 9.3, "power_cap_mw": 12, "tpp": 3e8, "tpp_cap": 6e8}],
                 "binding": [{"constraint": "power_2026Q2", "description": "12 MW envelope"},
                             {"constraint": "tpp_cap"}]}})"),
       {"Plan for Testland from 2026Q1 to 2026Q2 (2 quarters).",
        // 4000 + 2000 + 1000 GPUs; largest first, each with the quarters it is ordered in.
        "Buy 7,000 GPUs: 4,000 h200-sxm-141gb (NVIDIA) in 2026Q1, 2,000 b200 (NVIDIA) in "
        "2026Q2 and 1,000 mi300x (AMD) in 2026Q2.",
        "It costs $1.5 B over the horizon: $1.2 B to buy and $300 M to run.",
        "By 2026Q2 the center has 7,000 GPUs (9,868 H100-equivalents), drawing 9.3 MW of its "
        "12 MW power cap, and using 50.0% of the export-control (TPP) cap.",
        "What binds: the power envelope (12 MW envelope) and the export-control cap."},
       {"Procurement: not available", "No purchase plan"}},

      {"many binding constraints: the most valuable first, the rest counted",
       Json::parse(R"({
         "buy": {"status": "optimal", "proven_optimal": true,
                 "binding": [{"constraint": "availability: b200", "objective_gain": 1},
                             {"constraint": "budget_2027", "objective_gain": 50},
                             {"constraint": "power_2027Q4", "objective_gain": 90},
                             {"constraint": "availability: mi355x", "objective_gain": 2},
                             {"constraint": "milestone: 2027Q2", "objective_gain": 3},
                             {"constraint": "rental: max GPUs", "objective_gain": 0}]}})"),
       // Gains 90, 50, 3, 2 are named in that order; the gains 1 and 0 are counted.
       {"What binds: the power envelope, the budget, a capacity milestone, vendor delivery "
        "limits and 2 more (see the engineering section)."},
       {"rental limit"}},

      {"the other purchase option in one sentence",
       Json::parse(R"({
         "purchase_options": [
           {"objective": "max-capacity", "is_plan": true, "total_cost_usd": 1.85e9,
            "avg_wait_s": 6480, "p99_wait_s": 1140},
           {"objective": "min-cost", "is_plan": false, "total_cost_usd": 3.43e8,
            "avg_wait_s": 21960, "p99_wait_s": 699600}]})"),
       {"The cheapest fleet that meets the milestones and demand would cost $343 M instead of "
        "$1.85 B, with a mean wait of 6.1 h instead of 1.8 h (99th percentile 8.1 days instead "
        "of 19 min)."},
       {}},

      {"infeasible plan says why, in words, with the relaxation",
       Json::parse(R"({
         "buy": {"status": "infeasible", "conflict": ["budget_2026", "tpp_cap", "demand_2026Q4"],
                 "binding": [{"constraint": "budget_2026", "description": "1.2e12 KRW",
                              "relaxation_value": 1.45e12}]}})"),
       {"No purchase plan satisfies this scenario: the budget, the export-control cap and the "
        "compute demand cannot all hold at once.",
        "Relaxing the budget (1.2e12 KRW) to 1.45T would make a plan possible."},
       {"Buy ", "It costs"}},

      {"infeasible with no conflict list still says so",
       Json::parse(R"({"buy": {"status": "infeasible", "error": "cbc: proven infeasible"}})"),
       {"No purchase plan satisfies this scenario: the optimizer found no fleet",
        "The optimizer said: cbc: proven infeasible."},
       {}},

      {"feasible but not proven optimal gives the gap",
       Json::parse(R"({"buy": {"status": "feasible", "proven_optimal": false, "gap": 0.021,
                               "purchases": [], "binding": []}})"),
       {"Buy nothing", "feasible but not proven to be the best (within 2.1%)",
        "No budget, power, export or supply constraint binds"},
       {}},

      {"failed stages are not available, with their error",
       Json::parse(R"({"buy": {"status": "no_solution", "error": "scenario.toml:3: bad budget"},
                       "simulation": {"error": "trace.csv:9: 'gpus' must be > 0, got -1"},
                       "sizing": "oops"})"),
       {"Procurement: not available (scenario.toml:3: bad budget).",
        "Simulation of the tenants' jobs: not available (trace.csv:9: 'gpus' must be > 0, got "
        "-1).",
        "Workload sizing: not available."},
       {"Buy "}},

      {"waits per tenant class and the best policy",
       Json::parse(R"({"simulation": {"policy": "fairshare", "policies": [
           {"policy": "fifo", "utilization": 0.8, "p95_wait_s": 36000},
           {"policy": "fairshare", "utilization": 0.84, "useful_utilization": 0.78,
            "jain_index": 0.95, "p95_wait_s": 7200,
            "per_class": {"startup": {"avg_wait_s": 720, "p95_wait_s": 12240,
                                      "received_share": 0.27, "entitled_share": 0.3},
                          "research": {"avg_wait_s": 45}}}]}})"),
       {"Under the fairshare scheduling policy the GPUs are busy 84.0% of the time (78.0% on "
        "work that is kept); fairness between tenants (Jain index, 1 = equal) is 0.95.",
        "Startup tenants wait 12 min on average; 95 in 100 of their jobs start within 3.4 h; "
        "they get 27.0% of the GPU time against 30.0% entitled.",
        "Research tenants wait 45 s on average.",
        "Of 2 policies compared, fairshare serves the longest-waiting tenants best: its startup "
        "jobs start within 3.4 h (95th percentile), against 10 h under fifo."},
       {"fifo scheduling policy"}},

      // The all-jobs 95th percentile favours fairshare (0 s: most jobs are small tenants'), but
      // its industry jobs wait longest: the comparison is by each policy's worst class.
      {"policies compared by their worst-served class",
       Json::parse(R"({"simulation": {"policy": "fairshare", "policies": [
           {"policy": "fairshare", "p95_wait_s": 0,
            "per_class": {"startup": {"avg_wait_s": 80, "p95_wait_s": 0},
                          "industry": {"avg_wait_s": 198000, "p95_wait_s": 1772000}}},
           {"policy": "easy", "p95_wait_s": 3342,
            "per_class": {"startup": {"avg_wait_s": 1904, "p95_wait_s": 5796},
                          "industry": {"avg_wait_s": 188100, "p95_wait_s": 1390000}}},
           {"policy": "fifo", "p95_wait_s": 1705000}]}})"),
       {"Of 3 policies compared, easy serves the longest-waiting tenants best: its industry jobs "
        "start within 16.1 days (95th percentile), against 19.7 days under fifo and 20.5 days "
        "under fairshare."},
       {"shortest 95th-percentile"}},

      {"sizing lines, failures and folding",
       Json::parse(R"({"sizing": [
           {"workload": "w1", "model": "llama3-70b", "accelerator": "h200-sxm-141gb",
            "gpus": 4096, "days": 50.4, "gpu_hours": 4954803, "cost_usd": 12387008},
           {"workload": "w2", "error": "unknown model 'gpt-1t'"},
           {"workload": "w3", "gpus": 8, "days": 1, "accelerator": "b200"},
           {"workload": "w4", "gpus": 8, "days": 1, "accelerator": "b200"}],
         "serving": [{"workload": "chat", "requests_per_s": 50, "gpus": 32,
                      "accelerator": "h200-sxm-141gb", "usd_per_million_output_tokens": 0.42}],
         "warnings": ["one"]})"),
       {"Training w1 (llama3-70b) takes 4,096 h200-sxm-141gb GPUs for 50.4 days (4,954,803 "
        "GPU-hours and $12.4 M).",
        "Sizing w2 failed: unknown model 'gpt-1t'.", "Training w3 takes 8 b200 GPUs for 1 day.",
        "... and 1 more workloads (see the sizing table).",
        "Serving chat at 50 requests/s needs 32 h200-sxm-141gb GPUs ($0.42 per million tokens).",
        "Warning: one."},
       {"Training w4"}},

      {"the headline leads, in the scenario's currency",
       Json::parse(R"({
         "scenario": {"name": "Testland", "currency": "KRW", "units_per_usd": 1400},
         "headline": {"worst_class": "industry", "worst_percentile": 95, "worst_wait_h": 61.5,
                      "utilization": 0.674, "usd_per_useful_h100_hour": 2.29,
                      "unspent_budget_usd": 7.8e7, "total_cost_usd": 4.22e8},
         "service_levels": [
           {"class": "industry", "percentile": 95, "wait_h": 48, "achieved_wait_h": 61.5,
            "worst_quarter": "2026Q4", "met": false},
           {"class": "startup", "percentile": 95, "wait_h": 24, "achieved_wait_h": 30,
            "worst_quarter": "2027Q1", "met": false},
           {"tenant": "kisti", "percentile": 90, "wait_h": 12, "achieved_wait_h": 3.1,
            "met": true}],
         "buy": {"status": "optimal", "total_cost_usd": 4.22e8, "budget_usd": 5e8,
                 "capex_usd": 3.6e8, "opex_usd": 6.2e7, "purchases": [], "binding": []},
         "simulation": {"drain_s": 276480}})"),
       // 1400 KRW per USD: 2.29 -> 3,206; 7.8e7 -> 109.2e9; 4.22e8 -> 590.8e9; 5e8 -> 700e9.
       {"Plan for Testland; money in KRW at 1,400 KRW per US dollar.",
        "Worst service: industry jobs wait up to 61.5 h (95th percentile) against a target of 48 "
        "h: missed (worst in 2026Q4).",
        "The GPUs are busy 67.4% of the installed GPU-hours within the horizon and each useful "
        "H100-equivalent GPU-hour costs KRW 3,206.",
        "KRW 109 B of the budget is left unspent.",
        "Service levels: 1 of 3 met; missed: industry (above) and startup (95th percentile 30 h "
        "against 24 h, worst in 2027Q1).",
        "It costs KRW 591 B over the horizon of a KRW 700 B budget: KRW 504 B to buy and KRW "
        "86.8 B to run.",
        "they all finish 3.2 days after its end."},
       {"$"}},

      {"an older document's amounts stay in dollars",
       Json::parse(R"({"scenario": {"name": "Old", "currency": "KRW"},
                       "buy": {"status": "optimal", "total_cost_usd": 1.5e9,
                               "purchases": [], "binding": []}})"),
       {"It costs $1.5 B over the horizon."},
       {"KRW 2", "money in"}},

      {"spent and present value under a discount rate",
       Json::parse(R"({"buy": {"status": "optimal", "total_cost_usd": 1.5e9,
                               "discount_rate": 0.05, "total_cost_pv_usd": 1.3e9,
                               "residual_value_pv_usd": 2e8, "purchases": [], "binding": []}})"),
       {"It costs $1.5 B over the horizon.",
        "At a 5% discount rate that is $1.3 B in today's money, $1.1 B net of the $200 M the "
        "hardware is still worth at the end."},
       {}},

      {"no discount rate: no present-value sentence",
       Json::parse(R"({"buy": {"status": "optimal", "total_cost_usd": 1.5e9, "discount_rate": 0,
                               "total_cost_pv_usd": 1.5e9, "residual_value_pv_usd": 2e8,
                               "purchases": [], "binding": []}})"),
       {"It costs $1.5 B over the horizon."},
       {"today's money"}},

      {"the service-level search and the frontier",
       Json::parse(R"({
         "headline": {"worst_class": "industry"},
         "buy": {"status": "optimal", "purchases": [], "binding": [],
                 "iterations": [{"iteration": 1, "action": "Raised 2026Q4."},
                                {"iteration": 2, "action": "Stopped: the budget binds"}]},
         "frontier": [
           {"total_cost_usd": 4e8, "per_class": {"industry": {"percentile": 95, "wait_h": 140}}},
           {"total_cost_usd": 3e8, "per_class": {"industry": {"percentile": 95, "wait_h": 190}}},
           {"total_cost_usd": 5e8, "per_class": {"industry": {"percentile": 95, "wait_h": 61.5}}}]})"),
       {"The service-level search solved and simulated 2 times; last: Stopped: the budget binds.",
        "From the cheapest plan ($300 M) to the dearest ($500 M), the 95th percentile wait of "
        "industry goes from 7.92 days to 61.5 h"},
       {}},
  };
}

TEST(Summarize, Table) {
  for (const Row& row : Rows()) {
    const std::string text = Joined(Summarize(row.report));
    for (const auto& phrase : row.must) {
      EXPECT_NE(text.find(phrase), std::string::npos)
          << row.name << "\nmissing: " << phrase << "\nin:\n"
          << text;
    }
    for (const auto& phrase : row.must_not) {
      EXPECT_EQ(text.find(phrase), std::string::npos)
          << row.name << "\nunexpected: " << phrase << "\nin:\n"
          << text;
    }
  }
}

TEST(Summarize, EmptyOrNonObjectReportSaysSo) {
  for (const Json& j : {Json(), Json::object(), Json::array({1, 2}), Json("x")}) {
    const auto lines = Summarize(j);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("empty"), std::string::npos);
  }
}

TEST(Summarize, WrongTypesNeverThrow) {
  const Json odd = Json::parse(R"({"scenario": 5, "buy": {"status": 3, "purchases": {}},
      "simulation": {"policies": [1, "x", {"per_class": []}]}, "sizing": [1, null],
      "serving": {"a": 1}, "warnings": "w"})");
  EXPECT_NO_THROW((void)Summarize(odd));
}

// The golden report: every class of the chosen policy is named, what binds is said, and every
// amount is in the scenario's currency (the default scenario's is KRW).
TEST(Summarize, GoldenNamesEveryClassInItsCurrency) {
  const Json sample = testing::LoadSample();
  const std::string text = Joined(Summarize(sample));
  const Json* chosen = nullptr;
  for (const Json& p : sample["simulation"]["policies"]) {
    if (p["policy"] == sample["simulation"]["policy"]) chosen = &p;
  }
  ASSERT_NE(chosen, nullptr);
  for (const auto& [name, cls] : (*chosen)["per_class"].items()) {
    std::string cap = name;
    cap[0] = static_cast<char>(std::toupper(cap[0]));
    EXPECT_NE(text.find(cap + " tenants wait"), std::string::npos) << name;
  }
  EXPECT_TRUE(text.find("What binds: ") != std::string::npos ||
              text.find("No budget, power, export or supply constraint binds") !=
                  std::string::npos);
  const std::string currency = sample["scenario"]["currency"];
  ASSERT_NE(currency, "USD");
  EXPECT_NE(text.find("It costs " + currency + " "), std::string::npos) << text;
  EXPECT_EQ(text.find('$'), std::string::npos) << text;
}

TEST(Summarize, ExtendedLeadsWithTheWorstWaitUtilizationCostAndUnspent) {
  const auto lines = Summarize(testing::LoadExtended());
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[1].rfind("Worst service: industry jobs wait up to 61.5 h", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("The GPUs are busy 67.4%", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3], "KRW 109 B of the budget is left unspent.");
  EXPECT_EQ(lines[4].rfind("Service levels: 2 of 3 met; missed: industry (above)", 0), 0u)
      << lines[4];
  EXPECT_EQ(Joined(lines).find('$'), std::string::npos);
}

// A target that applies from a later quarter is judged on its own window: the horizon's worst
// wait (which includes the quarters before it) is not set against it as if it were.
TEST(Summarize, WorstServiceSaysTheTargetWindowsOwnWait) {
  const Json doc = Json::parse(R"({
      "headline": {"worst_class": "industry", "worst_percentile": 95, "worst_wait_h": 492},
      "service_levels": [{"class": "industry", "percentile": 95, "wait_h": 48,
                          "achieved_wait_h": 9.26, "worst_quarter": "2027Q4", "from": "2027Q3",
                          "met": true}]})");
  const auto lines = Summarize(doc);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(Joined(lines).find("against a target of 48 h from 2027Q3: met"), std::string::npos);
  EXPECT_NE(Joined(lines).find("over the horizon; from 2027Q3, when its target of 48 h applies, "
                               "up to 9.26 h: met"),
            std::string::npos)
      << Joined(lines);
}

TEST(Summarize, MissingOrOddNewKeysNeverThrow) {
  const Json older = testing::OlderDocument();
  EXPECT_NO_THROW((void)Summarize(older));
  EXPECT_EQ(Joined(Summarize(older)).find("Worst service"), std::string::npos);
  const Json odd = Json::parse(R"({"headline": {"worst_wait_h": "x", "utilization": null},
      "service_levels": [1, {"met": "yes"}, {"met": false}], "frontier": [1, {"per_class": 2}],
      "buy": {"status": "optimal", "iterations": [3]}, "simulation": {"drain_s": "soon"},
      "scenario": {"currency": 7, "units_per_usd": "many"}})");
  std::vector<std::string> lines;
  EXPECT_NO_THROW(lines = Summarize(odd));
  // One service level says met or missed: "0 of 1 met".
  EXPECT_NE(Joined(lines).find("Service levels: 0 of 1 met; missed: tenant ?."), std::string::npos)
      << Joined(lines);
}

}  // namespace
}  // namespace gpuplan::report
