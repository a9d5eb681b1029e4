// One cost policy: the same part priced by size train, size serve and buy under the same policy
// costs the same per GPU-hour, and that cost is the policy's formula on the catalog's figures.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

constexpr char kPart[] = "h200-sxm-141gb";
constexpr double kHoursPerYear = 365.25 * 24;

nlohmann::json Json(const CliRun& r) {
  EXPECT_EQ(r.code, 0) << r.err << r.out;
  return nlohmann::json::parse(r.out, nullptr, false);
}

// A one-candidate scenario: the part at its catalog (default) node price and power, under
// `opex` (a TOML [opex] body; empty: the scenario's defaults).
std::string Scenario(const std::string& name, const std::string& opex) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("gpuplan_cost_policy_" + name + ".toml")).string();
  std::ofstream(path) << "name = \"cost policy\"\n"
                         "[horizon]\nfirst = \"2026Q4\"\nlast = \"2029Q3\"\n"
                         "[budget]\ncapex_per_year = { \"2026\" = 1e8, \"2027\" = 1e8, \"2028\" = "
                         "1e8, \"2029\" = 1e8 }\n"
                         "[[candidate]]\naccelerator = \""
                      << kPart
                      << "\"\nmax_nodes_per_quarter = 10\nlead_time_quarters = 1\n"
                         "[power]\nfacility_mw = { \"2026Q4\" = 5 }\n"
                      << (opex.empty() ? "" : "[opex]\n" + opex + "\n");
  return path;
}

double TrainUsdPerGpuHour(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--model", "llama3-8b", "--tokens", "1T",    "--accelerator",
                                   kPart,     "--gpus",    "64",       "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Json(RunCli({"size", "train"}, args))["usd_per_gpu_hour"].get<double>();
}

double ServeUsdPerGpuHour() {
  return Json(RunCli({"size", "serve"}, {"--model", "llama3-70b", "--accelerator", kPart, "--rps",
                                         "20", "--json"}))["usd_per_gpu_hour"]
      .get<double>();
}

nlohmann::json BuyCostPolicy(const std::string& scenario) {
  const auto j = Json(RunCli(
      {"buy"}, {"--scenario", scenario, "--objective", "min-cost", "--no-explain", "--json"}));
  return j["cost_policy"];
}

TEST(CostPolicy, TrainServeAndBuyPriceAPartAlikeUnderTheDefaultPolicy) {
  const auto catalog = Json(RunCli({"catalog", "show"}, {kPart, "--json"}));
  const double price = catalog["price_usd"].get<double>(), tdp = catalog["tdp_w"].get<double>();
  // The policy written out: the server's price over 5 years, its power at PUE 1.2, $0.10/kWh.
  const double expected = price * 1.3 / (5 * kHoursPerYear) + tdp * 1.8 / 1000 * 1.2 * 0.10;
  const double train = TrainUsdPerGpuHour();
  const double serve = ServeUsdPerGpuHour();
  // A scenario without [opex] is priced by the same default policy.
  const auto policy = BuyCostPolicy(Scenario("default", ""));
  ASSERT_EQ(policy["parts"].size(), 1u) << policy.dump(2);
  const double buy = policy["parts"][0]["usd_per_gpu_hour"].get<double>();
  EXPECT_NEAR(train, expected, 1e-9 * expected);
  EXPECT_NEAR(serve, expected, 1e-9 * expected);
  EXPECT_NEAR(buy, expected, 1e-9 * expected);
  EXPECT_EQ(policy["pue"], 1.2);
  EXPECT_EQ(policy["amortization"], "part-life");
  EXPECT_EQ(policy["amortization_years"], 5);
  EXPECT_NE(policy["parts"][0]["price_source"].get<std::string>().find("catalog"),
            std::string::npos);
}

TEST(CostPolicy, APueGivenToTrainAndToAScenarioPricesAlike) {
  const double train = TrainUsdPerGpuHour({"--pue", "1.5"});
  const auto policy = BuyCostPolicy(Scenario("pue", "pue = 1.5\npower_price_per_kwh = 0.10"));
  const double buy = policy["parts"][0]["usd_per_gpu_hour"].get<double>();
  EXPECT_NEAR(train, buy, 1e-9 * buy);
  EXPECT_GT(train, TrainUsdPerGpuHour());  // and PUE reaches the price at all
  const auto j =
      Json(RunCli({"size", "train"}, {"--model", "llama3-8b", "--tokens", "1T", "--accelerator",
                                      kPart, "--gpus", "64", "--pue", "1.5", "--json"}));
  EXPECT_EQ(j["cost_policy"]["pue"], 1.5);
}

TEST(CostPolicy, EveryCostPrintedSaysItsPolicy) {
  const auto train = RunCli({"size", "train"}, {"--model", "llama3-8b", "--tokens", "1T",
                                                "--accelerator", kPart, "--gpus", "64"});
  const auto serve =
      RunCli({"size", "serve"}, {"--model", "llama3-70b", "--accelerator", kPart, "--rps", "20"});
  const auto buy = RunCli(
      {"buy"}, {"--scenario", Scenario("text", ""), "--objective", "min-cost", "--no-explain"});
  for (const CliRun* r : {&train, &serve, &buy}) {
    EXPECT_EQ(r->code, 0) << r->err;
    EXPECT_NE(r->out.find("cost policy: capital over 5 years (the part's life)"), std::string::npos)
        << r->out;
    EXPECT_NE(r->out.find("PUE 1.2"), std::string::npos) << r->out;
  }
}

}  // namespace
}  // namespace gpuplan::cli
