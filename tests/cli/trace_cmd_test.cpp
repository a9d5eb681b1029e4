#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "cli/cli.h"
#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

CliRun Trace(const std::vector<std::string>& args) { return RunCli({"trace"}, args); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TraceCommand, GenWritesTheSameBytesForTheSameSeed) {
  const std::string a = ::testing::TempDir() + "/gpuplan_gen_a.csv";
  const std::string b = ::testing::TempDir() + "/gpuplan_gen_b.csv";
  for (const std::string& path : {a, b}) {
    const CliRun r =
        Trace({"gen", "--tenants", "startup:2,public:1", "--jobs-per-day", "300", "--horizon", "2d",
               "--arrivals", "diurnal", "--seed", "4", "--out", path});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("jobs from 3 tenants"), std::string::npos) << r.out;
  }
  EXPECT_EQ(Slurp(a), Slurp(b));
  EXPECT_EQ(Slurp(a).rfind("job_id,tenant,submit_s,gpus,duration_s\n", 0), 0u);
  const CliRun stats = Trace({"stats", a, "--json"});
  ASSERT_EQ(stats.code, 0) << stats.err;
  const auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["tenants"], 3);
  EXPECT_NEAR(j["jobs"].get<double>(), 600, 75);  // Poisson mean 600, sd about 25
}

TEST(TraceCommand, GenToStdoutIsCsv) {
  const CliRun r = Trace({"gen", "--jobs-per-day", "50", "--horizon", "1d", "--gpu-mix", "8:1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("job_id,", 0), 0u);
  EXPECT_EQ(r.out.find(",1,"), std::string::npos);  // every job asks for 8 GPUs
}

TEST(TraceCommand, StatsOnTheRealOpenbTrace) {
  const CliRun r =
      Trace({"stats", DefaultSharedDir() + "/traces/alibaba-openb-2023/openb_pod_list_default.csv",
             "--trace-format", "openb"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("7063 jobs"), std::string::npos) << r.out;  // 8152 pods - 1088 CPU - 1 empty
  EXPECT_NE(r.out.find("note: 1088 CPU-only pods"), std::string::npos);
}

TEST(TraceCommand, StatsOnTheSacctSample) {
  // data/traces/sample_sacct.txt: 16 rows, 13 GPU jobs that ran (see tests/trace/sacct_test.cpp).
  const CliRun r = Trace({"stats", DefaultDataDir() + "/traces/sample_sacct.txt", "--trace-format",
                          "sacct", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["jobs"], 13);
  EXPECT_EQ(j["tenants"], 7);  // 6 accounts with GPU jobs that ran, and grace (no account)
  const CliRun bad =
      Trace({"stats", DefaultDataDir() + "/traces/sample.csv", "--trace-format", "sacct"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_NE(bad.err.find("header lacks the column 'JobID'"), std::string::npos) << bad.err;
}

TEST(TraceCommand, HelpListsEveryFormat) {
  const CliRun r = Trace({"stats", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("gpuplan|pai2020|openb|swf|sacct"), std::string::npos) << r.out;
  // One name per concept: --trace-format, as on simulate; the old --format is not advertised.
  EXPECT_NE(r.out.find("--trace-format"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("--format "), std::string::npos) << r.out;
}

TEST(TraceCommand, FormatIsADeprecatedAliasOfTraceFormat) {
  const std::string sample = DefaultDataDir() + "/traces/sample_sacct.txt";
  const CliRun old_name = Trace({"stats", sample, "--format", "sacct", "--json"});
  const CliRun new_name = Trace({"stats", sample, "--trace-format", "sacct", "--json"});
  ASSERT_EQ(old_name.code, 0) << old_name.err;
  EXPECT_EQ(old_name.out, new_name.out);
}

TEST(TraceCommand, BadInputExits2) {
  EXPECT_EQ(Trace({"gen", "--tenants", "startups:1"}).code, kExitBadInput);
  EXPECT_EQ(Trace({"gen", "--gpu-mix", "8"}).code, kExitBadInput);
  EXPECT_EQ(Trace({"gen", "--horizon", "0"}).code, kExitBadInput);
  EXPECT_EQ(Trace({"gen", "--days", "0"}).code, kExitBadInput);  // the deprecated name
  const CliRun r = Trace({"stats", "/nonexistent.csv"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("error: /nonexistent.csv"), std::string::npos);
  EXPECT_EQ(Trace({"stats", "x.csv", "--format", "slurm"}).code, kExitBadInput);
}

}  // namespace
}  // namespace gpuplan::cli
