#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace gpuplan::cli {
namespace {

TEST(SweepCommand, RefusesMalformedFlagsWithExit2) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"--grid", "budget.total"}, "--grid takes key=value"},
      {{"--sample", "budget.total=uniform:1"}, "give uniform:LO:HI"},
      {{"--sample", "budget.total=uniform:1:2"}, "'samples' must be"},
      {{"--grid", "budget.total=1,2", "--shard", "3/2", "--out", "x.json"}, "--shard takes I/N"},
      {{"--grid", "budget.total=1,2", "--stage", "simulate"}, "'stage' must be"},
      {{"--grid", "budget.total=1", "--spec", "s.json"}, "--spec holds the whole sweep"},
  };
  for (const auto& [args, expected] : cases) {
    const CliRun r = RunCli({"sweep"}, args);
    EXPECT_EQ(r.code, kExitBadInput) << args.front();
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }
}

TEST(SweepCommand, MergeRefusesFilesThatAreNotShards) {
  const auto path = std::filesystem::temp_directory_path() / "gpuplan_sweep_not_a_shard.json";
  std::ofstream(path) << R"({"points": []})";
  const CliRun r = RunCli({"sweep"}, {"--merge", path.string()});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("not a sweep shard"), std::string::npos) << r.err;
  std::filesystem::remove(path);
}

TEST(SweepCommand, EveryPointFailingIsBadInput) {
  // An override key no scenario has fails at every point: the sweep says so, naming the axis,
  // before any point runs, instead of writing a table of errors.
  const CliRun r = RunCli({"sweep"}, {"--grid", "no_such_table.key=1,2", "--no-tornado", "--json"});
  EXPECT_EQ(r.code, kExitBadInput);
  // Under --json the error is the one JSON object on stdout.
  EXPECT_NE(r.out.find("sweep axis 'no_such_table.key' at '1': --set no_such_table.key: unknown "
                       "key 'no_such_table'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"kind\": \"bad_input\""), std::string::npos) << r.out;
}

// Issue 12 (4): one bad value on an axis failed its points alone and the sweep exited 0 with
// "3 failed"; a typo in a grid value is bad input, refused before any point runs.
TEST(SweepCommand, OneBadGridValueIsBadInput) {
  const CliRun r = RunCli({"sweep"}, {"--grid", "budget.total=1.2e12,abc", "--no-tornado"});
  EXPECT_EQ(r.code, kExitBadInput) << r.err;
  EXPECT_NE(r.err.find("sweep axis 'budget.total' at 'abc': --set budget.total"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("points in"), std::string::npos) << "no point ran: " << r.err;
}

TEST(SweepCommand, ReportWritesTheSweepPageAndItsDocument) {
  // Two buy-stage points of the one-year small scenario: the page has the capacity band.
  const auto dir = std::filesystem::temp_directory_path() / "gpuplan_sweep_report";
  std::filesystem::remove_all(dir);
  const auto quarters = std::filesystem::temp_directory_path() / "gpuplan_sweep_quarters.csv";
  const std::string small = std::string(GPUPLAN_DATA_DIR) + "/../tests/fixtures/small.toml";
  const CliRun r =
      RunCli({"sweep"}, {small, "--grid", "budget.total=3e7,6e7", "--no-tornado", "--report",
                         dir.string(), "--quarters-csv", quarters.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::ifstream html(dir / "sweep.html");
  const std::string page((std::istreambuf_iterator<char>(html)), {});
  EXPECT_NE(page.find("<canvas id=\"chart-band-capacity\""), std::string::npos);
  EXPECT_NE(page.find("Waits: not simulated in stage buy"), std::string::npos);
  std::ifstream json(dir / "sweep.json");
  const auto doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["points"].size(), 2u);
  EXPECT_EQ(doc["bands"]["quarters"].size(), 4u);  // 2026Q4..2027Q3
  // The long table: a header and a line per point and quarter.
  std::ifstream csv(quarters);
  const std::string lines((std::istreambuf_iterator<char>(csv)), {});
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1 + 2 * 4) << lines;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(quarters);
  // A shard is not the whole sweep: no page from it.
  const CliRun shard = RunCli({"sweep"}, {small, "--grid", "budget.total=3e7,6e7", "--shard", "0/2",
                                          "--out", "s.json", "--report", dir.string()});
  EXPECT_EQ(shard.code, kExitBadInput);
  EXPECT_NE(shard.err.find("--report needs the whole sweep"), std::string::npos) << shard.err;
}

TEST(SweepCommand, GridOverBudgetWithAPriceSetForEveryPoint) {
  // The default scenario's budget (KRW 2.5e12 over its three years) cut to a fifth and left
  // whole, with b200 nodes 30% cheaper at both points: the scenario parser's overrides.
  const CliRun r =
      RunCli({"sweep"}, {"--grid", "budget.total=5e11,2.5e12", "--set",
                         "candidate.b200.node_price=4.41e8", "--no-tornado", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["points"].size(), 2u);
  EXPECT_EQ(doc["spec"]["set"]["candidate.b200.node_price"], "4.41e8");
  const auto& small = doc["points"][0];
  const auto& whole = doc["points"][1];
  EXPECT_EQ(small["inputs"]["budget.total"], "5e11");
  ASSERT_EQ(small["status"], "optimal") << small.dump();
  ASSERT_EQ(whole["status"], "optimal") << whole.dump();
  // A fifth of the money buys less, and spends no more than it has (USD at the scenario's rate).
  EXPECT_LT(small["h100_eq_gpu_hours"].get<double>(), whole["h100_eq_gpu_hours"].get<double>());
  EXPECT_LT(small["capex_usd"].get<double>(), whole["capex_usd"].get<double>());

  // A bad value fails every point with the parser's message naming the override.
  const CliRun bad = RunCli({"sweep"}, {"--grid", "budget.total=-1,-2", "--no-tornado"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_NE(bad.err.find("--set budget.total: "), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace gpuplan::cli
