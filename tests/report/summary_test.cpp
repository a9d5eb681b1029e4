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
            "per_class": {"startup": {"mean_wait_s": 720, "p95_wait_s": 12240,
                                      "received_share": 0.27, "entitled_share": 0.3},
                          "research": {"mean_wait_s": 45}}}]}})"),
       {"Under the fairshare scheduling policy the GPUs are busy 84.0% of the time (78.0% on "
        "work that is kept); fairness between tenants (Jain index, 1 = equal) is 0.95.",
        "Startup tenants wait 12 min on average; 95 in 100 of their jobs start within 3.4 h; "
        "they get 27.0% of the GPU time against 30.0% entitled.",
        "Research tenants wait 45 s on average.",
        "Of 2 policies compared, fairshare gives the shortest 95th-percentile wait (2 h)."},
       {"fifo scheduling policy"}},

      {"sizing lines, failures and folding",
       Json::parse(R"({"sizing": [
           {"workload": "w1", "model": "llama3-70b", "accelerator": "h200-sxm-141gb",
            "gpus": 4096, "days": 50.4, "gpu_hours": 4954803, "cost_usd": 12387008},
           {"workload": "w2", "error": "unknown model 'gpt-1t'"},
           {"workload": "w3", "gpus": 8, "days": 1, "accelerator": "b200"},
           {"workload": "w4", "gpus": 8, "days": 1, "accelerator": "b200"}],
         "serving": [{"workload": "chat", "requests_per_s": 50, "gpus": 32,
                      "accelerator": "h200-sxm-141gb", "usd_per_million_tokens": 0.42}],
         "warnings": ["one"]})"),
       {"Training w1 (llama3-70b) takes 4,096 h200-sxm-141gb GPUs for 50.4 days (4,954,803 "
        "GPU-hours and $12.4 M).",
        "Sizing w2 failed: unknown model 'gpt-1t'.", "Training w3 takes 8 b200 GPUs for 1 day.",
        "... and 1 more workloads (see the sizing table).",
        "Serving chat at 50 requests/s needs 32 h200-sxm-141gb GPUs ($0.42 per million tokens).",
        "1 warning: see the engineer's section."},
       {"Training w4"}},
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

TEST(Summarize, SampleNamesEveryClassAndWhatBinds) {
  const Json sample = testing::LoadSample();
  const std::string text = Joined(Summarize(sample));
  for (const auto& [name, cls] : sample["simulation"]["policies"][2]["per_class"].items()) {
    std::string cap = name;
    cap[0] = static_cast<char>(std::toupper(cap[0]));
    EXPECT_NE(text.find(cap + " tenants wait"), std::string::npos) << name;
  }
  EXPECT_NE(text.find("the power envelope"), std::string::npos);
  EXPECT_NE(text.find("the budget"), std::string::npos);
  EXPECT_NE(text.find("the supply-security policy"), std::string::npos);
  EXPECT_NE(text.find("Buy 18,000 GPUs"), std::string::npos);  // the fixture's 2027Q2 fleet
}

}  // namespace
}  // namespace gpuplan::report
