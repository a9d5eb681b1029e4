#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

const std::string kScenario = std::string(GPUPLAN_DATA_DIR) + "/../tests/slurm/scenario.toml";

std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SlurmConfigCommand, WritesPartitionsGresAndAccountsOfThePlannedFleet) {
  const auto dir = std::filesystem::temp_directory_path() / "gpuplan_slurm_config";
  std::filesystem::remove_all(dir);
  const CliRun r =
      RunCli({"slurm-config"}, {"--scenario", kScenario, "--out", dir.string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["buy_status"], "optimal");
  // The milestone asks for 100 GPUs by 2027Q1: the fleet has at least 13 nodes of 8.
  int64_t gpus = 0;
  for (const auto& p : j["partitions"]) gpus += p["gpus"].get<int64_t>();
  EXPECT_GE(gpus, 100);
  ASSERT_EQ(j["accounts"].size(), 3u);
  EXPECT_EQ(j["accounts"][0]["name"], "universities");
  EXPECT_EQ(j["accounts"][0]["fairshare"], 50);
  EXPECT_EQ(j["accounts"][1]["quota_gpus"], 6);
  const std::string conf = Read(dir / "slurm.conf");
  for (const auto& p : j["partitions"]) {
    EXPECT_NE(conf.find("PartitionName=" + p["name"].get<std::string>() +
                        " Nodes=" + p["node_list"].get<std::string>()),
              std::string::npos)
        << conf;
  }
  EXPECT_NE(Read(dir / "gres.conf").find("Name=gpu Type="), std::string::npos);
  EXPECT_NE(Read(dir / "sacctmgr.sh").find("GrpTRES=gres/gpu=6"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SlurmConfigCommand, PrintsTheFilesWithoutOutAndRefusesABadQuarter) {
  const CliRun r = RunCli({"slurm-config"}, {"--scenario", kScenario});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("==> slurm.conf <=="), std::string::npos);
  EXPECT_NE(r.out.find("==> sacctmgr.sh <=="), std::string::npos);
  // Before the first delivery (one quarter of lead time) there are no GPUs.
  const CliRun early = RunCli({"slurm-config"}, {"--scenario", kScenario, "--quarter", "2026Q4"});
  EXPECT_EQ(early.code, kExitBadInput);
  EXPECT_NE(early.err.find("no GPUs"), std::string::npos) << early.err;
  const CliRun outside = RunCli({"slurm-config"}, {"--scenario", kScenario, "--quarter", "2031Q1"});
  EXPECT_EQ(outside.code, kExitBadInput);
  EXPECT_NE(outside.err.find("outside the scenario's horizon"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::cli
