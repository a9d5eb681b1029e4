#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
  // An override key no scenario has fails at every point: the sweep says so instead of
  // writing a table of errors.
  const CliRun r = RunCli({"sweep"}, {"--grid", "no_such_table.key=1,2", "--no-tornado", "--json"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("every sweep point failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace gpuplan::cli
