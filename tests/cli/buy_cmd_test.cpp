#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "buy/buy.h"
#include "cli/cli.h"
#include "cli/cli_test_util.h"
#include "units/units.h"

namespace gpuplan::cli {
namespace {

CliRun Buy(const std::vector<std::string>& args) { return RunCli({"buy"}, args); }

// A scenario file in the temp folder, named after the test so tests never share one.
std::string WriteScenario(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("gpuplan_buy_" + name + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

constexpr const char* kSmall = kSmallBuyScenario;

TEST(BuyCommand, DefaultScenarioJsonFollowsTheContract) {
  const CliRun r = Buy({"--json", "--no-explain"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "optimal");
  EXPECT_EQ(j["scenario"], "korea");
  EXPECT_GT(j["objective"].get<double>(), 0);
  ASSERT_FALSE(j["purchases"].empty());
  for (const char* key : {"quarter", "accelerator", "nodes", "gpus", "capex_usd"}) {
    EXPECT_TRUE(j["purchases"][0].contains(key)) << key;
  }
  // One capacity row per quarter of 2026Q4..2028Q4 with the contract's fields.
  ASSERT_EQ(j["capacity"].size(), 9u);
  for (const char* key : {"quarter", "h100_equivalents", "power_mw", "tpp"}) {
    EXPECT_TRUE(j["capacity"][0].contains(key)) << key;
  }
  EXPECT_TRUE(j["binding"].is_array());
  EXPECT_TRUE(j["proven_optimal"].get<bool>());
  // Optimal means within the requested gap (1e-4 by default), which the document states.
  EXPECT_GE(j["gap"].get<double>(), 0);
  EXPECT_LE(j["gap"].get<double>(), 1e-4);
  EXPECT_GT(j["total_cost_usd"].get<double>(), j["capex_usd"].get<double>());
  // The 18,000-GPU milestone of 2027Q2 holds in the plan.
  EXPECT_GE(j["capacity"][2]["gpus"].get<double>(), 18000);
}

TEST(BuyCommand, HumanOutputIsAPurchaseTable) {
  const CliRun r = Buy({"--scenario", WriteScenario("human", kSmall), "--objective", "min-cost"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("purchases"), std::string::npos);
  // 100 GPUs by 2027Q1 with one quarter of lead time: 13 nodes of 8 ordered in 2026Q4.
  EXPECT_NE(r.out.find("2026Q4  2027Q1  h200-sxm-141gb     13   104"), std::string::npos) << r.out;
}

TEST(BuyCommand, MoneyIsInTheScenarioCurrency) {
  // The default scenario is in KRW: no figure is shown as dollars.
  const CliRun r = Buy({"--no-explain"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find('$'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("USD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total KRW "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cost policy: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("KRW/kWh"), std::string::npos) << r.out;
}

TEST(BuyCommand, CsvPrintsTheTableItIsAskedFor) {
  const std::string path = WriteScenario("csv", kSmall);
  const CliRun purchases = Buy({"--scenario", path, "--objective", "min-cost", "--csv"});
  ASSERT_EQ(purchases.code, 0) << purchases.err;
  EXPECT_EQ(purchases.out,
            "quarter,delivered,accelerator,nodes,gpus,capex_usd\n"
            "2026Q4,2027Q1,h200-sxm-141gb,13,104,4160000\n");  // 13 x 320,000
  const CliRun capacity =
      Buy({"--scenario", path, "--objective", "min-cost", "--csv", "--table", "capacity"});
  ASSERT_EQ(capacity.code, 0) << capacity.err;
  EXPECT_EQ(capacity.out.substr(0, capacity.out.find('\n')),
            "quarter,h100_equivalents,gpus,rented_gpus,power_mw,installed_tpp,spend_usd");
  EXPECT_EQ(std::count(capacity.out.begin(), capacity.out.end(), '\n'), 4);  // 3 quarters
  const CliRun bad = Buy({"--scenario", path, "--csv", "--table", "nope"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_NE(bad.err.find("purchases, capacity, parts"), std::string::npos) << bad.err;
}

TEST(BuyCommand, InfeasibleNamesTheConflictAndExits1) {
  std::string text = kSmall;
  text.replace(text.find("gpus = 100"), 10, "gpus = 1000");  // 125 nodes > 100 per quarter
  const CliRun r = Buy({"--scenario", WriteScenario("infeasible", text), "--json"});
  EXPECT_EQ(r.code, kExitFailure);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "infeasible");
  ASSERT_FALSE(j["conflict"].empty());
  EXPECT_NE(j["conflict_sentence"].get<std::string>().find("the milestone of 1000 GPUs by 2027Q1"),
            std::string::npos)
      << j["conflict_sentence"];
}

TEST(BuyCommand, SetChangesTheScenarioAsItsFileWould) {
  const std::string path = WriteScenario("set", kSmall);
  // 100 GPUs by 2027Q1 need 13 nodes; a 10-node quarterly cap makes it infeasible (exit 1).
  const CliRun capped = Buy({"--scenario", path, "--objective", "min-cost", "--json",
                             "--no-explain", "--set", "candidate.0.max_nodes_per_quarter=10"});
  EXPECT_EQ(capped.code, kExitFailure) << capped.err;
  const CliRun bad = Buy({"--scenario", path, "--set", "candidate.0.max_nodes_per_quarter=-1"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_EQ(bad.err.rfind("error: --set candidate.0.max_nodes_per_quarter: ", 0), 0u) << bad.err;
}

TEST(BuyCommand, WriteMpsAndLpGiveTheMilpAnAuditorReSolvesToTheSameObjective) {
  const auto dir = std::filesystem::temp_directory_path() / "gpuplan_buy_files";
  std::filesystem::create_directories(dir);
  const std::string lp = (dir / "small.lp").string(), mps = (dir / "small.mps").string();
  const CliRun r = Buy({"--scenario", WriteScenario("files", kSmall), "--objective", "min-cost",
                        "--no-explain", "--json", "--write-lp", lp, "--write-mps", mps});
  ASSERT_EQ(r.code, 0) << r.err;
  const double objective = nlohmann::json::parse(r.out)["objective"].get<double>();
  ASSERT_GT(objective, 0);
  for (const auto& [file, format] :
       {std::pair{mps, buy::MilpFileFormat::kMps}, std::pair{lp, buy::MilpFileFormat::kLp}}) {
    auto model = buy::ReadMilpFile(file, format);
    ASSERT_TRUE(model) << model.error().message;
    EXPECT_FALSE(model->is_maximize);  // min-cost
    auto solved = buy::MakeCbcBackend()->Solve(*model, 30, 0);
    ASSERT_TRUE(solved);
    ASSERT_EQ(solved->status, buy::MilpStatus::kOptimal) << file;
    EXPECT_NEAR(solved->objective, objective, 1e-6 * objective) << file;
  }
  std::filesystem::remove_all(dir);
}

TEST(BuyCommand, AnUnwritableMilpFileIsAnIoError) {
  const CliRun r = Buy({"--scenario", WriteScenario("unwritable", kSmall), "--objective",
                        "min-cost", "--no-explain", "--write-mps", "/nonexistent-dir/x.mps"});
  EXPECT_EQ(r.code, kExitIo);  // a file that cannot be written (README: exit codes)
  EXPECT_NE(r.err.find("/nonexistent-dir/x.mps"), std::string::npos) << r.err;
}

TEST(BuyCommand, BadInputExits2WithAClearMessage) {
  struct Row {
    const char* what;
    std::vector<std::string> args;
    const char* expect;
  };
  std::string negative = kSmall;
  negative.replace(negative.find("\"2026\" = 1e7"), 12, "\"2026\" = -1e7");
  std::string unknown = kSmall;
  unknown.replace(unknown.find("h200-sxm-141gb"), 14, "h200-sxm");
  std::string beyond = kSmall;
  beyond.replace(beyond.find("quarter = \"2027Q1\""), 18, "quarter = \"2030Q1\"");
  std::string domestic = std::string(kSmall) + "[supply_security]\nmin_domestic_share = 1.5\n";
  const std::vector<Row> rows = {
      {"negative budget", {"--scenario", WriteScenario("neg", negative)}, "must be >= 0"},
      {"unknown accelerator", {"--scenario", WriteScenario("unk", unknown)}, "did you mean"},
      {"milestone beyond horizon",
       {"--scenario", WriteScenario("beyond", beyond)},
       "outside the horizon"},
      {"domestic above 100%", {"--scenario", WriteScenario("dom", domestic)}, "<= 1"},
      {"malformed TOML", {"--scenario", WriteScenario("bad", "[horizon\n")}, "malformed TOML"},
      {"missing file", {"--scenario", "/nonexistent/s.toml"}, "no such file"},
      {"unknown objective",
       {"--objective", "max-profit"},
       "max-capacity, min-cost or service-level"},
      {"negative gap", {"--gap", "-0.1"}, "--gap"},
  };
  for (const Row& row : rows) {
    const CliRun r = Buy(row.args);
    EXPECT_EQ(r.code, kExitBadInput) << row.what;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << row.what << ": " << r.err;
    EXPECT_NE(r.err.find(row.expect), std::string::npos) << row.what << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << row.what;
  }
}

TEST(BuyCommand, HelpTeachesByExample) {
  const CliRun r = Buy({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--objective"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::cli
