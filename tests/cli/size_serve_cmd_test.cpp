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
      // 811 GB of BF16 weights; eight A100 40GB hold 288 GB.
      {{"--model", "llama3-405b", "--accelerator", "a100-sxm4-40gb", "--rps", "1"},
       "fits no tensor-parallel degree"},
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
