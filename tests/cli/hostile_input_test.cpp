// Issue 12's hostile-user cases, one test each: the case, its exit code and its message.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/cli_test_util.h"
#include "param_name.h"

namespace gpuplan::cli {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string name;
  std::vector<std::string> args;
  int code;
  std::string message;  // a fragment of stderr
};

// The files of one process (each ctest entry, and ctest's listing run, is one), removed at exit.
class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("gpuplan_hostile_" + std::to_string(getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const fs::path& Dir() {
  static const TempDir d;
  return d.path();
}

std::string File(const std::string& name, const std::string& content) {
  const std::string p = (Dir() / name).string();
  std::ofstream(p) << content;
  return p;
}

const std::string kHead = "job_id,tenant,submit_s,gpus,duration_s\n";
std::string Jobs() { return File("jobs.csv", kHead + "a,t,0,8,3600\nb,t,10,8,60\n"); }
const std::string kCluster = "h100-sxm5-80gb:2x8";

class Hostile : public ::testing::TestWithParam<Case> {};

TEST_P(Hostile, ExitCodeAndMessage) {
  const Case& c = GetParam();
  const CliRun r = RunCli({}, c.args);
  EXPECT_EQ(r.code, c.code) << r.err << r.out;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), 4000u) << "messages stay short";
}

std::vector<Case> Cases() {
  const std::string jobs = Jobs();
  const std::string sim = "simulate";
  std::vector<Case> v = {
      // (1) an output that is an input, or a device.
      {"JobsOverTrace",
       {sim, "--cluster", kCluster, "--trace", jobs, "--jobs", jobs},
       kExitBadInput,
       "is also the input --trace"},
      {"TimelineOverTrace",
       {sim, "--cluster", kCluster, "--trace", jobs, "--timeline", jobs},
       kExitBadInput,
       "--timeline '" + jobs + "' is also the input"},
      {"JobsToDevice",
       {sim, "--cluster", kCluster, "--trace", jobs, "--jobs", "/dev/null"},
       kExitIo,
       "is a character device; gpuplan writes only regular files"},
      {"TraceGenToDevice", {"trace", "gen", "--out", "/dev/null"}, kExitIo, "regular files"},
      {"SameOutputTwice",
       {sim, "--cluster", kCluster, "--trace", jobs, "--jobs", (Dir() / "o.csv").string(),
        "--timeline", (Dir() / "o.csv").string()},
       kExitBadInput,
       "name the same file"},
      // (2) clock overflow.
      {"Submit1e15",
       {sim, "--cluster", kCluster, "--trace", File("s.csv", kHead + "a,t,1e15,1,5\n")},
       kExitBadInput,
       "s.csv:2: field 'submit_s' must be at most 1e+10 s"},
      {"Duration1e308",
       {sim, "--cluster", kCluster, "--trace", File("d.csv", kHead + "a,t,0,1,1e308\n")},
       kExitBadInput,
       "d.csv:2: field 'duration_s' must be at most"},
      {"NodeRepair1e15",
       {sim, "--cluster", kCluster, "--trace", jobs, "--node-repair", "1e15"},
       kExitBadInput,
       "--node-repair: '1e15' is longer than the limit"},
      {"RestartOverhead1e15",
       {sim, "--cluster", kCluster, "--trace", jobs, "--restart-overhead", "1e15"},
       kExitBadInput,
       "--restart-overhead: '1e15' is longer than the limit"},
      {"Mtbf1e308y",
       {sim, "--cluster", kCluster, "--trace", jobs, "--gpu-mtbf", "1e308y"},
       kExitBadInput,
       "--gpu-mtbf: '1e308y' is longer than the limit"},
      {"MtbfTiny",
       {sim, "--cluster", kCluster, "--trace", jobs, "--gpu-mtbf", "1e-30"},
       kExitBadInput,
       "the per-GPU MTBF (s; 0 for no failures) must be in [3600"},
      // (3) unbounded work.
      {"TimelineIntervalTiny",
       {sim, "--cluster", kCluster, "--trace", jobs, "--timeline", (Dir() / "t.csv").string(),
        "--timeline-interval", "1e-9"},
       kExitBadInput,
       "the timeline interval (s) must be in [1"},
      {"HugeCluster",
       {sim, "--cluster", "h100-sxm5-80gb:999999999x1024", "--trace", jobs},
       kExitBadInput,
       "the limits are 1000000 nodes and 16000000 GPUs"},
      {"JobsPerDay1e30",
       {"trace", "gen", "--jobs-per-day", "1e30"},
       kExitBadInput,
       "--jobs-per-day must be in [0, 5e+07]"},
      // (4) silent acceptance.
      {"BudgetMadeInfiniteByTheRate",
       {"buy", "--scenario",
        File("rate.toml",
             "currency = \"XYZ\"\nunits_per_usd = 1e-300\n" + std::string(kSmallBuyScenario))},
       kExitBadInput,
       "rate.toml:2: 'units_per_usd' must be >= 0.001 and <= 100000000, got 1e-300"},
      {"PlanWithAMissingTrace",
       {"plan", "--out", (Dir() / "report").string(), "--scenario",
        File("notrace.toml",
             std::string(kSmallBuyScenario) + "[simulation]\ntrace = \"/nonexistent/jobs.csv\"\n")},
       kExitBadInput,
       "notrace.toml:19: simulation: 'trace' names '/nonexistent/jobs.csv', which does not "
       "exist"},
      {"SeedMinus1",
       {sim, "--cluster", kCluster, "--trace", jobs, "--seed", "-1"},
       kExitBadInput,
       "must be a whole number >= 0"},
      {"TtftInf",
       {"size", "serve", "--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "1",
        "--ttft-ms", "inf"},
       kExitBadInput,
       "'--ttft-ms' must be in"},
      {"DuplicateJobIds",
       {sim, "--cluster", kCluster, "--trace", File("dup.csv", kHead + "a,t,0,1,5\na,t,1,1,5\n")},
       kExitBadInput,
       "dup.csv:3: job id 'a' repeats the job of line 2"},
      {"ColumnTwice",
       {"trace", "stats", File("twice.csv", "job_id,tenant,submit_s,gpus,duration_s,gpus\n")},
       kExitBadInput,
       "twice.csv:1: column 'gpus' appears twice"},
      // (5) unclear messages.
      {"TraceIsADirectory", {"trace", "stats", Dir().string()}, kExitIo, "is a directory"},
      {"TraceIsADevice", {"trace", "stats", "/dev/zero"}, kExitIo, "is a character device"},
      {"UnknownCommand",
       {"simulte"},
       kExitBadInput,
       "unknown command 'simulte' (did you mean 'simulate'?)"},
      {"UnknownSubcommand",
       {"trace", "frob"},
       kExitBadInput,
       "unknown trace command 'frob'; valid: gen, stats"},
      {"MisspeltSubcommand",
       {"size", "trian"},
       kExitBadInput,
       "unknown size command 'trian' (did you mean 'train'?)"},
      {"MissingSubcommand",
       {"trace"},
       kExitBadInput,
       "'gpuplan trace' needs a command: gen, stats"},
      {"HugeUnknownCommand",
       {std::string(1 << 20, 'q')},
       kExitBadInput,
       "error: unknown command 'qqqqqqqqqq"},
      {"JobsPerDayNegative",
       {"trace", "gen", "--jobs-per-day", "-5"},
       kExitBadInput,
       "--jobs-per-day must be in [0"},
      {"NoJobsSaysWhy",
       {"trace", "stats",
        File("pods.csv",
             "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,"
             "pod_phase,creation_time,deletion_time,scheduled_time\n"
             "p,1,1,0,0,,LS,Running,0,10,0\n"),
        "--format", "openb"},
       kExitBadInput,
       "the trace has no jobs (1 CPU-only pods"},
      // The 2026-12-03 re-run of the campaign (bench/hostile_campaign.sh).
      {"BuyMilpFileOverTheScenario",
       {"buy", "--scenario", File("lp.toml", kSmallBuyScenario), "--write-lp",
        (Dir() / "lp.toml").string()},
       kExitBadInput,
       "--write-lp '" + (Dir() / "lp.toml").string() + "' is also the input --scenario"},
      {"SlurmConfigOverTheScenario",
       {"slurm-config", "--scenario", File("slurm.conf", kSmallBuyScenario), "--out",
        Dir().string()},
       kExitBadInput,
       "slurm.conf' is also the input --scenario"},
      {"SweepCsvOverTheScenario",
       {"sweep", File("sw.toml", kSmallBuyScenario), "--grid", "budget.total=1e7,2e7", "--csv",
        (Dir() / "sw.toml").string()},
       kExitBadInput,
       "sw.toml' is also the input scenario"},
      {"Seed2Pow64",
       {sim, "--cluster", kCluster, "--trace", jobs, "--seed", "18446744073709551616"},
       kExitBadInput,
       "--seed: must be a whole number in [0, 18446744073709551615]"},
      {"EstimateFactor1e308",
       {sim, "--cluster", kCluster, "--trace", jobs, "--estimate-factor", "1e308"},
       kExitBadInput,
       "--estimate-factor must be in [0, 1000], got 1e+308"},
      {"TraceGenUnknownAccelerator",
       {"trace", "gen", "--accelerator", "h100-sxm"},
       kExitBadInput,
       "--accelerator: unknown accelerator 'h100-sxm'"},
      {"Rps1e300",
       {"size", "serve", "--model", "llama3-8b", "--accelerator", "h100-sxm5-80gb", "--rps",
        "1e300"},
       kExitBadInput,
       "'rps' must be at most 1e+08 requests/s"},
      {"BuyTimeLimitInf",
       {"buy", "--scenario", File("tl.toml", kSmallBuyScenario), "--time-limit", "inf"},
       kExitBadInput,
       "--time-limit must be a finite number of seconds > 0, got inf"},
      {"SetUnknownTableNamesTheOverride",
       {"buy", "--scenario", File("set.toml", kSmallBuyScenario), "--set", "budgett.total=1"},
       kExitBadInput,
       "--set budgett.total: unknown key 'budgett' (did you mean 'budget'?)"},
      // Files the scenario names, known only once it has loaded: its extends chain, a model
      // file, the [simulation] trace (an output over any of them replaced it and exited 0).
      {"BuyMilpFileOverTheExtendedBase",
       {"buy", "--scenario",
        File("child.toml", "extends = \"" + File("base.toml", kSmallBuyScenario) + "\"\n"),
        "--write-lp", (Dir() / "base.toml").string()},
       kExitBadInput,
       "--write-lp '" + (Dir() / "base.toml").string() + "' is also the input the scenario reads"},
      {"BuyMpsFileOverAModelFile",
       {"buy", "--scenario",
        File("model.toml", std::string(kSmallBuyScenario) +
                               "[[workload]]\nname = \"w\"\nmodel = \"./m.json\"\n"
                               "tokens = \"1T\"\ndeadline_days = 30\n"),
        "--write-mps",
        File("m.json", R"({"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, )"
                       R"("num_attention_heads": 32, "intermediate_size": 14336, )"
                       R"("vocab_size": 128256})")},
       kExitBadInput,
       "m.json' is also the input the scenario reads"},
      {"SimulateJobsOverTheScenarioTrace",
       {sim, "--scenario", DefaultDataDir() + "/../tests/fixtures/small.toml", "--set",
        "simulation.trace=\"" + jobs + "\"", "--jobs", jobs},
       kExitBadInput,
       "--jobs '" + jobs + "' is also the input the scenario reads"},
      {"SweepCsvOverTheExtendedBase",
       {"sweep",
        File("swchild.toml", "extends = \"" + File("swbase.toml", kSmallBuyScenario) + "\"\n"),
        "--grid", "budget.total=1e7,2e7", "--csv", (Dir() / "swbase.toml").string()},
       kExitBadInput,
       "swbase.toml' is also the input the scenario reads"},
      {"SweepSampleCheckedAtEveryDraw",
       {"sweep", File("draw.toml", kSmallBuyScenario), "--sample",
        "candidate.h200-sxm-141gb.max_nodes_per_quarter=uniform:1:100", "--samples", "4"},
       kExitBadInput,
       "sweep axis 'candidate.h200-sxm-141gb.max_nodes_per_quarter' at '"},
      {"QuotedFieldIsNotTruncated",
       {"trace", "stats", File("q.csv", kHead + "\"a,b\",t,0,1,5\n")},
       kExitOk,
       ""},
  };
  return v;
}

INSTANTIATE_TEST_SUITE_P(Issue12, Hostile, ::testing::ValuesIn(Cases()),
                         [](const auto& i) { return gpuplan::testing::ParamName(i.param.name); });

TEST(Hostile, FifoInputIsNamed) {
  const std::string fifo = (Dir() / "fifo.csv").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const CliRun r = RunCli({"trace", "stats"}, {fifo});
  EXPECT_EQ(r.code, kExitIo);
  EXPECT_NE(r.err.find("is a FIFO (named pipe)"), std::string::npos) << r.err;
}

// (1) an output refused as an input leaves the input as it was (buy --write-lp over the
// scenario replaced it with the MILP and exited 0).
TEST(Hostile, RefusedOutputsLeaveTheInput) {
  const std::string scenario = File("keep.toml", kSmallBuyScenario);
  for (const char* flag : {"--write-lp", "--write-mps"}) {
    const CliRun r = RunCli({"buy"}, {"--scenario", scenario, flag, scenario});
    EXPECT_EQ(r.code, kExitBadInput) << r.err;
    std::ifstream in(scenario);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, kSmallBuyScenario) << flag;
  }
}

// (1) a second run writing the same output fails at once instead of corrupting it.
TEST(Hostile, SecondWriterOfAnOutputIsRefused) {
  const std::string out = (Dir() / "locked.csv").string();
  auto held = OutputLock::Acquire(out);
  ASSERT_TRUE(held);
  const CliRun r = RunCli({"simulate"}, {"--cluster", kCluster, "--trace", Jobs(), "--jobs", out});
  EXPECT_EQ(r.code, kExitIo);
  EXPECT_NE(r.err.find("another gpuplan run is writing this output"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// (3) a job that cannot finish between failures (no checkpoints) no longer livelocks: it stops
// as unschedulable after kMaxRestartsPerJob restarts and the run ends.
TEST(Hostile, JobLongerThanTheTimeBetweenFailuresEnds) {
  const std::string trace = File("long.csv", kHead + "long,t,0,8,360000\nshort,t,0,8,60\n");
  const CliRun r = RunCli({"simulate"}, {"--cluster", "h100-sxm5-80gb:1x8", "--trace", trace,
                                         "--gpu-mtbf", "8h", "--checkpoint", "0", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["completed"].get<int>(), 1);
  EXPECT_NE(r.out.find("stopped 10000 times without finishing"), std::string::npos);
}

// Exit codes are documented where users look.
TEST(Hostile, HelpDocumentsExitCodes) {
  const CliRun r = RunCli({}, {"--help"});
  EXPECT_NE(r.out.find("3 a file that cannot be read or written"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gpuplan::cli
