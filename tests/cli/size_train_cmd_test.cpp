#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

CliRun SizeTrain(const std::vector<const char*>& args) {
  return RunCli({"size", "train"}, {args.begin(), args.end()});
}

TEST(SizeTrainCommand, JsonHasTheDesignContract) {
  const CliRun r = SizeTrain({"--model", "llama3-8b", "--tokens", "15T", "--accelerator",
                              "h100-sxm5-80gb", "--gpus", "512", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"model", "params", "active_params", "tokens", "accelerator", "gpus",
                          "days", "gpu_hours", "tflops_per_gpu", "mfu", "tokens_per_s",
                          "parallelism", "memory_per_gpu_gib", "energy_mwh", "cost_usd"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  for (const char* key : {"tp", "pp", "dp", "ep", "cp", "microbatch", "recompute", "zero"}) {
    EXPECT_TRUE(j["parallelism"].contains(key)) << key;
  }
  EXPECT_EQ(j["gpus"], 512);
  // days = tokens / tokens_per_s / goodput (modelled from interruptions: below 1 on 512 GPUs).
  EXPECT_NEAR(j["days"].get<double>(),
              15e12 / j["tokens_per_s"].get<double>() / j["goodput"].get<double>() / 86400, 1e-6);
  EXPECT_LT(j["goodput"].get<double>(), 1);
  EXPECT_GT(j["interruptions"].get<double>(), 0);
  for (const char* key : {"gpu_hours", "days", "tokens_per_s", "mfu", "tflops_per_gpu"}) {
    ASSERT_TRUE(j["interval_90"].contains(key)) << key;
    EXPECT_LE(j["interval_90"][key][0].get<double>(), j[key].get<double>()) << key;
    EXPECT_GE(j["interval_90"][key][1].get<double>(), j[key].get<double>()) << key;
  }
}

TEST(SizeTrainCommand, ParamsAloneInfersAShapeAndSaysSo) {
  const CliRun r = SizeTrain({"--params", "70B", "--tokens", "2T", "--accelerator",
                              "h100-sxm5-80gb", "--gpus", "1024", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_FALSE(j["notes"].empty());
  EXPECT_NE(j["notes"][0].get<std::string>().find("inferred"), std::string::npos);
  EXPECT_NEAR(j["params"].get<double>() / 70e9, 1.0, 0.03);
}

// The review's 540B case: its published layers and hidden were rejected ("'heads' (136) must
// divide 'hidden'"); now they are kept and the rest solved to the size.
TEST(SizeTrainCommand, GivenDimensionsAreKeptAndTheRestSolved) {
  const CliRun r =
      SizeTrain({"--params", "540B", "--layers", "118", "--hidden", "18432", "--tokens", "780B",
                 "--accelerator", "h100-sxm5-80gb", "--gpus", "6144", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["params"].get<double>() / 540e9, 1.0, 0.01);
  EXPECT_NE(j["notes"][0].get<std::string>().find("layers 118, hidden 18432"), std::string::npos)
      << j["notes"][0];
}

TEST(SizeTrainCommand, ReadsAHuggingFaceConfig) {
  const auto dir = std::filesystem::temp_directory_path() / "gpuplan_size_train_hf";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "config.json").string();
  {
    std::ofstream f(path);
    f << R"({"model_type": "qwen2", "num_hidden_layers": 28, "hidden_size": 3584,
             "num_attention_heads": 28, "num_key_value_heads": 4, "intermediate_size": 18944,
             "vocab_size": 152064})";
  }
  const CliRun r = SizeTrain({"--model", path.c_str(), "--tokens", "1T", "--accelerator",
                              "h100-sxm5-80gb", "--gpus", "64", "--batch-tokens", "4M", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["params"].get<double>() / 7.61e9, 1.0, 0.01);  // Qwen2.5 7B card: 7.61B
  std::filesystem::remove_all(dir);
}

TEST(SizeTrainCommand, DaysGivesWholeNodes) {
  const CliRun r = SizeTrain({"--model", "llama3-8b", "--tokens", "15T", "--accelerator",
                              "h100-sxm5-80gb", "--days", "30d", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["gpus"].get<int>() % 8, 0);
  EXPECT_LE(j["days"].get<double>(), 30.0);
}

TEST(SizeTrainCommand, HelpAndExplainTeach) {
  const CliRun help = SizeTrain({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  const CliRun r = SizeTrain({"--model", "mixtral-8x7b", "--tokens", "1T", "--accelerator",
                              "h100-sxm5-80gb", "--gpus", "64", "--explain", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("pipeline bubble"), std::string::npos);
  EXPECT_NE(r.out.find("top 3 layouts"), std::string::npos);
}

TEST(SizeTrainCommand, AllAcceleratorsIsOneTableAndOneJsonArray) {
  const auto cat = *catalog::Catalog::LoadDefault();
  const CliRun t =
      SizeTrain({"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "all", "--gpus", "64"});
  ASSERT_EQ(t.code, 0) << t.err;
  for (const auto& a : cat.accelerators()) {
    EXPECT_NE(t.out.find("\n" + a.id + " "), std::string::npos) << a.id;
  }
  const CliRun j = SizeTrain({"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "all",
                              "--gpus", "64", "--precision", "fp8", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["accelerators"].size(), cat.accelerators().size());
  int ok = 0, unavailable = 0;
  for (const auto& row : doc["accelerators"]) {
    if (row["status"] == "ok") {
      ++ok;
      EXPECT_TRUE(row.contains("interval_90"));
    } else {
      ++unavailable;  // no FP8 (A100, V100, ...): said, not an error
      EXPECT_NE(row["status_message"].get<std::string>().find("FP8"), std::string::npos);
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(unavailable, 0);
  // The request's own errors still exit 2.
  EXPECT_EQ(
      SizeTrain({"--model", "llama3-8b", "--tokens", "0", "--accelerator", "all", "--gpus", "64"})
          .code,
      2);
}

TEST(SizeTrainCommand, StackSelectsTheSoftwareGeneration) {
  const CliRun old =
      SizeTrain({"--model", "gpt3-175b", "--tokens", "300B", "--accelerator", "a100-sxm4-80gb",
                 "--gpus", "1024", "--stack", "megatron-2021", "--json"});
  const CliRun now = SizeTrain({"--model", "gpt3-175b", "--tokens", "300B", "--accelerator",
                                "a100-sxm4-80gb", "--gpus", "1024", "--json"});
  ASSERT_EQ(old.code, 0) << old.err;
  ASSERT_EQ(now.code, 0) << now.err;
  const auto a = nlohmann::json::parse(old.out), b = nlohmann::json::parse(now.out);
  EXPECT_EQ(a["stack"], "megatron-2021");
  EXPECT_LT(a["mfu"].get<double>(), b["mfu"].get<double>());
  const CliRun bad = SizeTrain({"--model", "gpt3-175b", "--tokens", "300B", "--accelerator",
                                "a100-sxm4-80gb", "--gpus", "1024", "--stack", "nope"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("megatron-2021"), std::string::npos) << bad.err;
}

TEST(SizeTrainCommand, BadInputExits2WithAClearMessage) {
  const struct {
    std::vector<const char*> args;
    const char* expect;
  } rows[] = {
      {{"--model", "llama3-7b", "--tokens", "1T", "--accelerator", "h100-sxm5-80gb", "--gpus", "8"},
       "did you mean"},
      {{"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "h10", "--gpus", "8"},
       "unknown accelerator"},
      {{"--model", "llama3-8b", "--tokens", "0", "--accelerator", "h100-sxm5-80gb", "--gpus", "8"},
       "--tokens"},
      {{"--model", "llama3-8b", "--tokens", "-1T", "--accelerator", "h100-sxm5-80gb", "--gpus",
        "8"},
       "--tokens"},
      {{"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "h100-sxm5-80gb", "--gpus", "0"},
       "--gpus"},
      {{"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "h100-sxm5-80gb", "--gpus",
        "1e12"},
       "--gpus"},
      {{"--model", "llama3-8b", "--tokens", "1e30", "--accelerator", "h100-sxm5-80gb", "--gpus",
        "8"},
       "--tokens"},
      {{"--params", "1e20", "--tokens", "1T", "--accelerator", "h100-sxm5-80gb", "--gpus", "8"},
       "--params"},
      {{"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "h100-sxm5-80gb"},
       "exactly one of --gpus"},
      {{"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "h100-sxm5-80gb", "--days",
        "-3"},
       "--days"},
      {{"--model", "llama3-8b", "--tokens", "1T", "--accelerator", "a100-sxm4-80gb", "--gpus", "8",
        "--precision", "fp8"},
       "no FP8"},
      {{"--model", "llama3-405b", "--tokens", "1T", "--accelerator", "a100-sxm4-40gb", "--gpus",
        "8"},
       "GiB per GPU"},
  };
  for (const auto& row : rows) {
    const CliRun r = SizeTrain(row.args);
    EXPECT_EQ(r.code, kExitBadInput) << row.expect << ": " << r.out;
    EXPECT_NE(r.err.find(row.expect), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(SizeTrainCommand, MalformedModelTomlNamesFileLineAndField) {
  const auto dir = std::filesystem::temp_directory_path() / "gpuplan_size_train_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "bad.toml").string();
  {
    std::ofstream f(path);
    f << "layers = 32\nhidden = 4096\nheads = 32\nvocab = -5\n";
  }
  const CliRun r = SizeTrain({"--model", path.c_str(), "--tokens", "1T", "--accelerator",
                              "h100-sxm5-80gb", "--gpus", "8"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("bad.toml:4: 'vocab'"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpuplan::cli
