#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

CliRun Serve(const std::vector<const char*>& args) {
  return RunCli({"size", "serve"}, {args.begin(), args.end()});
}

bool Mentions(const CliRun& r, const std::string& text) {
  return r.err.find(text) != std::string::npos;
}

TEST(SizeServeCommand, JsonIsOneObjectWithThePlan) {
  const CliRun r = Serve({"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb",
                          "--prompt-tokens", "1000", "--output-tokens", "200", "--rps", "50",
                          "--ttft-ms", "500", "--tpot-ms", "50", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // throws (fails) unless exactly one object
  for (const char* key :
       {"model", "accelerator", "precision", "requests_per_s", "gpus", "replicas", "tp", "batch",
        "ttft_ms", "tpot_ms", "tokens_per_s", "tokens_per_s_per_gpu",
        "usd_per_million_output_tokens", "energy_kwh_per_million_output_tokens", "notes"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["model"], "llama3-70b");
  EXPECT_EQ(j["gpus"].get<int>(), j["replicas"].get<int>() * j["tp"].get<int>());
  EXPECT_LE(j["ttft_ms"].get<double>(), 500);
  EXPECT_LE(j["tpot_ms"].get<double>(), 50);
  EXPECT_GE(j["capacity_requests_per_s"].get<double>(), 50);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(SizeServeCommand, GpusModeAndHumanOutput) {
  const CliRun r = Serve({"--model", "llama3-8b", "--accelerator", "h200-sxm-141gb", "--gpus", "8",
                          "--precision", "fp8", "--price-per-gpu-hour", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("replicas x tp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("per million output tokens"), std::string::npos) << r.out;
}

TEST(SizeServeCommand, OfflineHasNoTargets) {
  const CliRun r = Serve({"--model", "llama3-70b", "--accelerator", "h200-sxm-141gb", "--gpus", "1",
                          "--precision", "fp8", "--offline", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ttft_target_ms"].is_null());
  EXPECT_EQ(j["batch"], j["max_batch"]);  // without targets the KV cache is the limit
}

TEST(SizeServeCommand, ComparesAcceleratorsInOneTable) {
  const CliRun r = Serve(
      {"--params", "70B", "--accelerator", "all", "--precision", "fp8", "--rps", "20", "--csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::string header;
  std::getline(in, header);
  EXPECT_NE(header.find("output_tokens_per_usd"), std::string::npos) << header;
  EXPECT_NE(header.find("output_tokens_per_mwh"), std::string::npos) << header;
  int lines = 0, failed = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
    failed += line.find("no FP8") != std::string::npos;  // e.g. A100: a row saying why
  }
  EXPECT_GE(lines, 30);  // every catalog accelerator
  EXPECT_GE(failed, 1);
  const CliRun json = Serve({"--model", "llama2-70b", "--accelerator", "h100-sxm5-80gb,mi300x",
                             "--precision", "fp8", "--gpus", "8", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j["comparison"].size(), 2u);
  EXPECT_TRUE(j["comparison"][0].contains("tokens_per_s_per_gpu"));
}

TEST(SizeServeCommand, RowsThatDoNotFitSayWhatTheyWouldNeed) {
  // Llama 3 405B in BF16 within 8 accelerators: 48 GB cards cannot hold 811 GB / 8 = 101 GB,
  // 141 GB ones can; the rows that do not fit say so, with the memory, and sort last.
  const CliRun r = Serve(
      {"--model", "llama3-405b", "--accelerator", "h200-sxm-141gb,l40s", "--gpus", "8", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["comparison"].size(), 2u);
  EXPECT_EQ(j["comparison"][0]["status"], "ok");
  const auto& row = j["comparison"][1];
  EXPECT_EQ(row["accelerator"], "l40s");
  EXPECT_EQ(row["status"], "does_not_fit");
  EXPECT_GT(row["required_gib_per_gpu"].get<double>(), row["usable_gib_per_gpu"].get<double>());
  EXPECT_NE(row["status_message"].get<std::string>().find("within 8 accelerators"),
            std::string::npos);
  const CliRun table = Serve(
      {"--model", "llama3-405b", "--accelerator", "h200-sxm-141gb,l40s", "--gpus", "8", "--csv"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("l40s,,,,,,,,,,,,,,,does_not_fit,"), std::string::npos) << table.out;
}

TEST(SizeServeCommand, LayoutFlagsReachThePlan) {
  // DeepSeek-V3 FP8 on two H200 servers as one replica: attention DP and EP over 16 ranks, its
  // all-to-alls crossing the servers' network; the plan says so.
  const CliRun r =
      Serve({"--model", "deepseek-v3", "--accelerator", "h200-sxm-141gb", "--precision", "fp8",
             "--gpus", "16", "--tp", "16", "--ep", "16", "--attention-dp", "on", "--ttft-ms",
             "2000", "--tpot-ms", "100", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tp"], 16);
  EXPECT_EQ(j["ep"], 16);
  EXPECT_EQ(j["pp"], 1);
  EXPECT_EQ(j["attention_dp"], true);
  EXPECT_EQ(j["nodes_per_replica"], 2);
  EXPECT_GT(j["expert_imbalance"].get<double>(), 1);
  bool says_network = false;
  for (const auto& n : j["notes"]) {
    says_network |= n.get<std::string>().find("scale-out") != std::string::npos;
  }
  EXPECT_TRUE(says_network) << j["notes"];
  const CliRun pp = Serve({"--model", "llama3-405b", "--accelerator", "h100-sxm5-80gb", "--gpus",
                           "16", "--tp", "8", "--pp", "2", "--offline"});
  ASSERT_EQ(pp.code, 0) << pp.err;
  EXPECT_NE(pp.out.find("tp 8 x pp 2"), std::string::npos) << pp.out;
}

TEST(SizeServeCommand, LengthsFromCsvAndRateFromUsers) {
  const std::string path = ::testing::TempDir() + "/serve_lengths.csv";
  {
    std::ofstream f(path);
    f << "prompt_tokens,output_tokens\n100,50\n300,150\n";
  }
  const CliRun r = Serve({"--model", "llama3-8b", "--accelerator", "h100-sxm5-80gb",
                          "--lengths-csv", path.c_str(), "--daily-users", "1M",
                          "--requests-per-user", "10", "--peak-factor", "2", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["prompt_tokens"], 200);
  EXPECT_EQ(j["output_tokens"], 100);
  EXPECT_NEAR(j["requests_per_s"].get<double>(), 1e7 / 86400 * 2, 1e-6);
  EXPECT_EQ(j["latency_percentile"].get<double>(), 99);
}

TEST(SizeServeCommand, HelpTeachesByExample) {
  const CliRun r = Serve({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
}

TEST(SizeServeCommand, BadInputExits2WithAClearMessage) {
  const struct {
    std::vector<const char*> args;
    const char* message;  // part of the expected error
  } rows[] = {
      {{"--model", "llama9-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5"}, "llama"},
      {{"--model", "llama3-70b", "--accelerator", "h10", "--rps", "5"}, "unknown accelerator"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "0"},
       "'--rps' must be > 0"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps=-3"},
       "'--rps' must be > 0"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--gpus", "0"},
       "'--gpus' must be a whole number > 0"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb"}, "exactly one of --rps"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--gpus", "8"},
       "excludes"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--prompt-tokens",
        "0"},
       "'--prompt-tokens' must be a whole number > 0"},
      {{"--model", "llama3-70b", "--accelerator", "a100-sxm4-80gb", "--rps", "5", "--precision",
        "fp8"},
       "no FP8"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--precision",
        "fp3"},
       "unknown precision"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--precision",
        "fp4"},
       "no FP4"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--percentile",
        "120"},
       "percentile"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--daily-users", "1M",
        "--peak-factor", "0.5"},
       "'peak factor' must be >= 1"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--lengths-csv",
        "/nonexistent/lengths.csv"},
       "lengths.csv"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb,h1", "--rps", "5"},
       "unknown accelerator"},
      {{"--model", "llama3-70b", "--params", "70B", "--accelerator", "h100-sxm5-80gb", "--rps",
        "5"},
       "excludes"},
      // 811 GB of BF16 weights; eight A100 40GB hold 288 GB, and --pp 1 forbids more stages.
      {{"--model", "llama3-405b", "--accelerator", "a100-sxm4-40gb", "--gpus", "8", "--pp", "1"},
       "fits no layout"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--ep", "2"},
       "needs a MoE model"},
      {{"--model", "mixtral-8x7b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--tp", "2",
        "--ep", "4"},
       "must divide 'tp'"},
      {{"--model", "mixtral-8x7b", "--accelerator", "h100-sxm5-80gb", "--rps", "5",
        "--attention-dp", "maybe"},
       "'--attention-dp' must be auto, on or off"},
      {{"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb", "--rps", "5", "--attention-dp",
        "on"},
       "needs a MoE model"},
      // Reading 16 GB of weights per token takes > 6 ms on an H100.
      {{"--model", "llama3-8b", "--accelerator", "h100-sxm5-80gb", "--rps", "1", "--tpot-ms", "1"},
       "latency targets unreachable"},
  };
  for (const auto& row : rows) {
    const CliRun r = Serve(row.args);
    EXPECT_EQ(r.code, kExitBadInput) << row.message << "\n" << r.err;
    EXPECT_TRUE(Mentions(r, row.message)) << "want '" << row.message << "', got: " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace gpuplan::cli
