#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "cli/cli.h"
#include "cli/cli_test_util.h"
#include "param_name.h"

namespace gpuplan::cli {
namespace {

CliRun Simulate(const std::vector<std::string>& args) { return RunCli({"simulate"}, args); }

std::string Sample() { return DefaultDataDir() + "/traces/sample.csv"; }

std::string Temp(const std::string& name, const std::string& content = "") {
  // Per process: ctest runs cases in parallel, and each writes its own bad.csv.
  const std::string path =
      ::testing::TempDir() + "/gpuplan_sim_" + std::to_string(getpid()) + "_" + name;
  if (!content.empty()) std::ofstream(path) << content;
  return path;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SimulateCommand, JsonHasTheDesignContract) {
  const CliRun r = Simulate(
      {"--cluster", "h100-sxm5-80gb:48x8", "--trace", Sample(), "--policy", "easy", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // exactly one object
  for (const char* key : {"jobs", "completed", "makespan_s", "utilization", "avg_wait_s",
                          "p50_wait_s", "p99_wait_s", "avg_jct_s", "p99_jct_s", "per_tenant",
                          "events", "wall_s", "per_class", "jain_index", "goodput"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["jobs"], j["completed"].get<int>() + j["unschedulable"].get<int>());
  EXPECT_TRUE(j["per_tenant"].contains("academia-1"));
  EXPECT_GT(j["utilization"].get<double>(), 0.2);
}

TEST(SimulateCommand, ScenarioBringsFleetJobsAndSettings) {
  const std::string korea = DefaultDataDir() + "/scenarios/korea.toml";
  const CliRun r = Simulate({"--scenario", korea, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["policy"], "fairshare");  // korea.toml's [simulation] policy
  // The tenants of korea.toml, classified.
  for (const char* t : {"startups", "universities", "foundation-models", "public-sector"}) {
    EXPECT_TRUE(j["per_tenant"].contains(t)) << t;
  }
  EXPECT_GT(j["failures"].get<int>(), 0);  // gpu_mtbf_h = 50000 over two years of a large fleet
  // A flag given on the command line overrides the scenario.
  const CliRun easy = Simulate({"--scenario", korea, "--policy", "easy", "--json"});
  ASSERT_EQ(easy.code, 0) << easy.err;
  EXPECT_EQ(nlohmann::json::parse(easy.out)["policy"], "easy");
  // Its cluster comes from the purchase plan, so --cluster is refused.
  const CliRun both = Simulate({"--scenario", korea, "--cluster", "h100-sxm5-80gb:8x8"});
  EXPECT_EQ(both.code, kExitBadInput);
  EXPECT_NE(both.err.find("--scenario brings its own cluster"), std::string::npos) << both.err;
  const CliRun neither = Simulate({"--cluster", "h100-sxm5-80gb:8x8"});
  EXPECT_EQ(neither.code, kExitBadInput);
  EXPECT_NE(neither.err.find("give --trace"), std::string::npos) << neither.err;
}

TEST(SimulateCommand, EveryPolicyRunsWithBackfillSettings) {
  for (const std::string policy : {"firstfit", "fairshare", "las"}) {
    const CliRun r =
        Simulate({"--cluster", "h100-sxm5-80gb:16x8", "--trace", Sample(), "--policy", policy,
                  "--bf-window", "2h", "--estimate-factor", "0", "--decay-half-life", "1d",
                  "--priority-calc-period", "1m", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["policy"], policy);
    EXPECT_GE(j["preemption_lost_gpu_hours"].get<double>(), 0);
  }
  const CliRun negative = Simulate({"--cluster", "h100-sxm5-80gb:16x8", "--trace", Sample(),
                                    "--policy", "fairshare", "--priority-calc-period", "-5m"});
  EXPECT_EQ(negative.code, kExitBadInput);
  EXPECT_NE(negative.err.find("--priority-calc-period must be >= 0"), std::string::npos)
      << negative.err;
}

// The scenario's [simulation] scheduler keys reach the simulator as the flags do: each --set
// gives the run its flag gives, and a schedule of its own (so a key that was dropped would
// show as the default's schedule).
TEST(SimulateCommand, ScenarioSchedulerKeysAreTheFlags) {
  const std::string small = DefaultDataDir() + "/../tests/fixtures/small.toml";
  const auto without_wall = [](const CliRun& r) {
    auto j = nlohmann::json::parse(r.out);
    j.erase("wall_s");
    return j;
  };
  const CliRun plain = Simulate({"--scenario", small, "--policy", "fairshare", "--json"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"simulation.priority_calc_period_min=60"}, {"--priority-calc-period", "1h"}},
      {{"simulation.decay_half_life_h=2"}, {"--decay-half-life", "2h"}},
      {{"simulation.estimate_factor=0"}, {"--estimate-factor", "0"}},
      {{"simulation.bf_window_h=1"}, {"--bf-window", "1h"}},
  };
  for (const auto& [keys, flags] : cases) {
    SCOPED_TRACE(keys[0]);
    std::vector<std::string> by_key = {"--scenario", small, "--policy", "fairshare", "--json"};
    for (const std::string& k : keys) by_key.insert(by_key.end(), {"--set", k});
    std::vector<std::string> by_flag = {"--scenario", small, "--policy", "fairshare", "--json"};
    by_flag.insert(by_flag.end(), flags.begin(), flags.end());
    const CliRun a = Simulate(by_key);
    const CliRun b = Simulate(by_flag);
    ASSERT_EQ(a.code, 0) << a.err;
    ASSERT_EQ(b.code, 0) << b.err;
    EXPECT_EQ(without_wall(a), without_wall(b));
    EXPECT_NE(without_wall(a), without_wall(plain));
  }
  const CliRun bad = Simulate({"--scenario", small, "--set", "simulation.bf_window_h=0", "--json"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_NE(bad.out.find("bf_window_h"), std::string::npos) << bad.out;
}

TEST(SimulateCommand, SameSeedSameBytes) {
  auto once = [](const std::string& tag) {
    const std::string jobs = Temp("jobs_" + tag + ".csv"), tl = Temp("tl_" + tag + ".csv");
    const CliRun r = Simulate({"--cluster", "h100-sxm5-80gb:32x8,mi300x:16x8", "--trace", Sample(),
                               "--policy", "fairshare", "--gpu-mtbf", "20000h", "--seed", "3",
                               "--timeline", tl, "--jobs", jobs, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    j.erase("wall_s");  // the only wall-clock figure
    return std::vector<std::string>{j.dump(), Slurp(jobs), Slurp(tl)};
  };
  const auto a = once("a"), b = once("b");
  EXPECT_EQ(a, b);
  EXPECT_GT(a[1].size(), 1000u);
  EXPECT_GT(a[2].size(), 100u);
}

// simulate streams a sorted trace into the simulator and reads any other whole (issue 12): an
// unsorted file gives what the same jobs sorted give, and a bad row late in a file that had
// started to stream is still exit 2 naming its line, with no output written.
TEST(SimulateCommand, StreamedAndWholeReadTracesAgree) {
  std::string sorted = "job_id,tenant,submit_s,gpus,duration_s\n", unsorted = sorted;
  std::vector<std::string> rows;
  for (int i = 0; i < 400; ++i) {
    rows.push_back(fmt::format("j{},t{},{},{},{}\n", i, i % 7, i * 37, 1 + i % 16, 600 + i * 11));
  }
  for (const std::string& row : rows) sorted += row;
  // The first row of each tenant stays first: tenants are numbered in order of appearance.
  for (size_t i = 0; i < 7; ++i) unsorted += rows[i];
  for (size_t i = rows.size(); i-- > 7;) unsorted += rows[i];
  auto run = [](const std::string& trace) {
    const std::string jobs = Temp("agree_jobs.csv");
    const CliRun r = Simulate({"--cluster", "h100-sxm5-80gb:4x8", "--trace", trace, "--policy",
                               "easy", "--jobs", jobs, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    j.erase("wall_s");
    return std::vector<std::string>{j.dump(), Slurp(jobs)};
  };
  const auto a = run(Temp("agree_sorted.csv", sorted));
  const auto b = run(Temp("agree_unsorted.csv", unsorted));
  EXPECT_EQ(a, b);
  EXPECT_GT(a[1].size(), 4000u);
  const std::string out = Temp("agree_never.csv");
  std::filesystem::remove(out);
  const CliRun bad =
      Simulate({"--cluster", "h100-sxm5-80gb:4x8", "--trace",
                Temp("agree_bad.csv", sorted + "late,t1,99999,x,60\n"), "--jobs", out});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("agree_bad.csv:402: field 'gpus'"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(SimulateCommand, HumanOutputListsTenantsAndUnschedulable) {
  const std::string trace = Temp("oversize.csv",
                                 "job_id,tenant,submit_s,gpus,duration_s\n"
                                 "a,startup-1,0,8,60\n"
                                 "b,academia-1,5,4096,60\n");
  const CliRun r = Simulate({"--cluster", "h100-sxm5-80gb:2x8", "--trace", trace});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("unschedulable: job b (line 3): needs 4096 GPUs"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("startup-1"), std::string::npos);
}

// Issue 11: a run under Kueue-style quotas tables its cluster queues (quota, waits, borrowing).
TEST(SimulateCommand, HumanOutputTablesClusterQueues) {
  const std::string scenario =
      Temp("queues.toml", Slurp(DefaultDataDir() + "/../tests/fixtures/small.toml") + R"(
[[cluster_queue]]
name = "research-q"
classes = ["startup"]
cohort = "all"
nominal_quota_gpus = 32
[[cluster_queue]]
name = "business-q"
tenants = ["labs"]
cohort = "all"
nominal_quota_gpus = 32
)");
  const CliRun r = Simulate({"--scenario", scenario});
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t head = r.out.find("queue  ");
  ASSERT_NE(head, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("research-q", head), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("business-q", head), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("jobs preempted to reclaim quota"), std::string::npos) << r.out;
  // Without queues, no queue table.
  const CliRun plain = Simulate({"--cluster", "h100-sxm5-80gb:2x8", "--trace", Sample()});
  EXPECT_EQ(plain.out.find("reclaim quota"), std::string::npos);
}

TEST(SimulateCommand, RealOpenbTraceOnItsOwnNodes) {
  const std::string dir = DefaultSharedDir() + "/traces/alibaba-openb-2023";
  const CliRun r = Simulate({"--trace", dir + "/openb_pod_list_gpuspec33.csv", "--trace-format",
                             "openb", "--policy", "las", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["completed"].get<int>() + j["unschedulable"].get<int>(), j["jobs"].get<int>());
  EXPECT_GT(j["completed"].get<int>(), 7000);
}

struct BadCase {
  std::vector<std::string> args;
  std::string trace_text;  // written to a temp file and passed as --trace when not empty
  std::string expected;
};

class SimulateBadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(SimulateBadInput, Exits2WithAClearMessage) {
  std::vector<std::string> args = GetParam().args;
  if (!GetParam().trace_text.empty()) {
    args.push_back("--trace");
    args.push_back(Temp("bad.csv", GetParam().trace_text));
  }
  const CliRun r = Simulate(args);
  EXPECT_EQ(r.code, kExitBadInput) << r.out;
  EXPECT_NE(r.err.find(GetParam().expected), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

const char kOk[] = "job_id,tenant,submit_s,gpus,duration_s\na,x,0,1,5\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, SimulateBadInput,
    ::testing::Values(
        BadCase{{"--cluster", "h100:4x8"}, kOk, "did you mean"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4y8"}, kOk, "--cluster: 'h100-sxm5-80gb:4y8'"},
        BadCase{{"--cluster", "h100-sxm5-80gb:0x8"}, kOk, "must be a positive integer"},
        BadCase{
            {"--cluster", "h100-sxm5-80gb:4x8", "--policy", "fifa"}, kOk, "did you mean 'fifo'"},
        BadCase{
            {"--cluster", "h100-sxm5-80gb:4x8", "--placement", "packed"}, kOk, "unknown placement"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8", "--gpu-mtbf", "soon"}, kOk, "--gpu-mtbf"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8", "--bf-window", "0"},
                kOk,
                "--bf-window must be > 0"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8", "--estimate-factor", "-1"},
                kOk,
                "--estimate-factor must be in [0, 1000]"},
        BadCase{{}, kOk, "give the cluster"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8"},
                "job_id,tenant,submit_s,gpus,duration_s\na,x,0,1,5\nb,x,1,1\n",
                "bad.csv:3: expected 5 fields"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8"},
                "job_id,tenant,submit_s,gpus,duration_s\na,x,0,1,0\n",
                "bad.csv:2: field 'duration_s' must be > 0"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8"},
                "job_id,tenant,submit_s,gpus,duration_s\n",
                "the trace has no jobs"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8"},
                "job_id,tenant,submit_s,gpus,duration_s,accelerator\na,x,0,1,5,h100-sxm\n",
                "bad.csv:2: field 'accelerator': unknown accelerator 'h100-sxm'"},
        BadCase{{"--cluster", "h100-sxm5-80gb:4x8", "--trace", "/nonexistent.csv"},
                "",
                "/nonexistent.csv"}),
    [](const auto& i) { return gpuplan::testing::ParamName(i.param.expected); });

TEST(SimulateCommand, SacctSampleReplays) {
  // The sample's 13 GPU jobs (largest 32 GPUs) all fit on 32x8 GPUs: none is unschedulable.
  const CliRun r = Simulate({"--cluster", "h100-sxm5-80gb:32x8", "--trace",
                             DefaultDataDir() + "/traces/sample_sacct.txt", "--trace-format",
                             "sacct", "--policy", "easy", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["jobs"], 13);
  EXPECT_EQ(j["completed"], 13);
  EXPECT_TRUE(j["per_tenant"].contains("industry-naver"));
}

TEST(SimulateCommand, HelpTeachesByExample) {
  const CliRun r = Simulate({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--trace-format sacct"), std::string::npos);
  EXPECT_NE(r.out.find("fairshare"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::cli
