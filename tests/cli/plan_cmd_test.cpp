#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "cli/cli.h"
#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

namespace fs = std::filesystem;

CliRun Plan(const std::vector<std::string>& args) { return RunCli({"plan"}, args); }

fs::path TempDir(const char* name) {
  // The pid keeps two checkouts' test runs at once off each other's output lock.
  const fs::path p =
      fs::temp_directory_path() / ("gpuplan_plan_cmd_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  return p;
}

TEST(PlanCommand, DefaultScenarioWritesBothFilesAndSaysWhere) {
  const fs::path dir = TempDir("default");
  const CliRun r = Plan({"--out", dir.string(), "--policies", "fifo", "--csv"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(fs::exists(dir / "report.html"));
  EXPECT_TRUE(fs::exists(dir / "report.json"));
  EXPECT_NE(r.out.find("report: " + dir.string() + "/report.html"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Buy "), std::string::npos) << r.out;  // the summary in words
  // Money in the scenario's currency (KRW), the cost policy stated.
  EXPECT_EQ(r.out.find('$'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Costs: capital written off over"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("power KRW "), std::string::npos) << r.out;
  // --csv: the report's tables beside it, named as report.json names them.
  for (const char* table : {"purchases", "capacity", "by_quarter", "policies", "parts"}) {
    std::ifstream in(dir / (std::string(table) + ".csv"));
    std::string header;
    EXPECT_TRUE(std::getline(in, header)) << table;
    std::string row;
    EXPECT_TRUE(std::getline(in, row)) << table << ": no rows";
  }
  std::ifstream purchases(dir / "purchases.csv");
  std::string header;
  std::getline(purchases, header);
  EXPECT_EQ(header, "quarter,delivered,accelerator,vendor,nodes,gpus,node_price_usd,capex_usd");
  // report.json carries the vocabulary's version.
  std::ifstream report(dir / "report.json");
  const auto j = nlohmann::ordered_json::parse(report);  // in file order
  EXPECT_EQ(j.begin().key(), "schema_version");
  EXPECT_GE(j["schema_version"].get<int>(), 2);
}

TEST(PlanCommand, JsonIsTheWholeReport) {
  const fs::path dir = TempDir("json");
  const CliRun r = Plan({"--out", dir.string(), "--policies", "fifo", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["buy"]["status"], "optimal");
  EXPECT_EQ(j["simulation"]["policies"].size(), 1u);
}

TEST(PlanCommand, BadInputExits2AndWritesNothing) {
  const struct {
    std::vector<std::string> args;
    std::string expect;
  } cases[] = {
      {{"/no/such/scenario.toml"}, "no such file"},
      {{"--policies", "fifo,fastest"}, "unknown policy 'fastest'"},
      {{"--time-limit", "-1"}, "--time-limit must be a finite number of seconds > 0"},
      {{"--time-limit", "nan"}, "--time-limit must be a finite number of seconds > 0"},
      {{"--time-limit", "inf"}, "--time-limit must be a finite number of seconds > 0"},
      {{"--frontier", "-1"}, "--frontier must be in [0, 20], got -1"},
  };
  for (const auto& c : cases) {
    const fs::path dir = TempDir("bad");
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--out", dir.string()});
    const CliRun r = Plan(args);
    EXPECT_EQ(r.code, kExitBadInput) << c.expect;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir)) << c.expect;
  }
}

}  // namespace
}  // namespace gpuplan::cli
