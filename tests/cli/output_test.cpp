// Under --json: schema_version in every object, and errors as one JSON object on stdout.
#include "cli/output.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

TEST(JsonOutput, ErrorJsonNamesFileLineAndField) {
  auto j = ErrorJson("s.toml:14: 'hbm_gib' must be > 0, got -8", kExitBadInput);
  EXPECT_EQ(j["schema_version"], kJsonSchemaVersion);
  EXPECT_EQ(j["file"], "s.toml");
  EXPECT_EQ(j["line"], 14);
  EXPECT_EQ(j["field"], "hbm_gib");
  EXPECT_EQ(j["kind"], "bad_input");
  j = ErrorJson("/nonexistent.csv: cannot open", kExitFailure);
  EXPECT_EQ(j["file"], "/nonexistent.csv");
  EXPECT_TRUE(j["line"].is_null());
  EXPECT_TRUE(j["field"].is_null());
  EXPECT_EQ(j["kind"], "failure");
  EXPECT_EQ(ErrorJson("out/report.json: cannot write: No space left on device", kExitIo)["kind"],
            "io");
  j = ErrorJson("--time-limit must be > 0, got -1", kExitBadInput);
  EXPECT_TRUE(j["file"].is_null());
  EXPECT_EQ(j["field"], "--time-limit");
  j = ErrorJson("no plan meets every constraint: the 2027 budget", kExitFailure);
  EXPECT_TRUE(j["file"].is_null()) << j.dump();
}

TEST(JsonOutput, TheFieldIsTheNameThatFailedNotALabelOrAValue) {
  // An entry's label before the field: the field is node_price, not the candidate.
  auto j = ErrorJson("s.toml:56: candidate 'b200': 'node_price' must be > 0, got -5", 2);
  EXPECT_EQ(j["file"], "s.toml");
  EXPECT_EQ(j["line"], 56);
  EXPECT_EQ(j["field"], "node_price");
  // A flag's value quoted after it: the flag.
  j = ErrorJson("--tokens: expected a number such as 70B, got 'lots'", 2);
  EXPECT_EQ(j["field"], "--tokens");
  // An override: its whole key path.
  j = ErrorJson("--set budget.total: budget: 'total' must be >= 0, got -1", 2);
  EXPECT_TRUE(j["file"].is_null());
  EXPECT_EQ(j["field"], "budget.total");
  // A value's name without a path is no file.
  j = ErrorJson("tokens: expected a number such as 70B, got 'lots'", 2);
  EXPECT_TRUE(j["file"].is_null());
  EXPECT_EQ(j["field"], "tokens");
  j = ErrorJson("s.toml:3: budget: unknown key 'nokey'", 2);
  EXPECT_EQ(j["field"], "nokey");
}

TEST(JsonOutput, BadInputUnderJsonIsOneObjectOnStdoutAndExit2) {
  const CliRun r = RunCli({"trace", "stats"}, {"/nonexistent.csv", "--json"});
  EXPECT_EQ(r.code, kExitBadInput);
  const auto j = nlohmann::json::parse(r.out);  // throws unless stdout is one JSON document
  EXPECT_NE(j["error"].get<std::string>().find("/nonexistent.csv"), std::string::npos);
  EXPECT_EQ(j["file"], "/nonexistent.csv");
  EXPECT_EQ(j["kind"], "bad_input");
  EXPECT_EQ(r.err.find("error:"), std::string::npos) << r.err;
  // A command-line error too.
  const CliRun flag = RunCli({"buy"}, {"--time-limit", "x", "--json"});
  EXPECT_EQ(flag.code, kExitBadInput);
  EXPECT_TRUE(nlohmann::json::parse(flag.out).contains("error"));
}

TEST(JsonOutput, EveryObjectStartsWithSchemaVersion) {
  const CliRun r = RunCli({"catalog", "list"}, {"--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(j.begin().key(), "schema_version");
  EXPECT_EQ(j["schema_version"], kJsonSchemaVersion);
  // Without --json nothing changes.
  EXPECT_EQ(RunCli({"catalog", "list"}, {}).out.find("schema_version"), std::string::npos);
}

// The text path (schema_version inserted into a dump(2)) writes the same bytes as re-parsing
// and dumping, for every shape a command prints, and leaves other text to the parsing path.
TEST(JsonOutput, InsertedSchemaVersionIsTheSameAsReparsing) {
  using OJson = nlohmann::ordered_json;
  const std::vector<std::string> docs = {
      OJson::parse(R"({"z": 1, "a": [1, 2.5, -3e-300, {"k": null}], "s": "\u00e9\"x",
                       "o": {"b": true, "a": {}}, "e": []})")
              .dump(2) +
          "\n",
      OJson::parse(R"({"schema_version": 7, "x": 1})").dump(2) + "\n",  // replaced, moved
      OJson::parse(R"({"x": 0.1, "schema_version": 7})").dump(2) + "\n",
      "{}\n",
      "{\"x\": 1}\n",  // not dump(2)
      "[1, 2]\n",
      "not json\n",
  };
  for (const std::string& doc : docs) {
    SCOPED_TRACE(doc);
    std::ostringstream out, err;
    EXPECT_EQ(FinishJsonOutput(0, doc, "", out, err), 0);
    const OJson parsed = OJson::parse(doc, nullptr, false);
    const std::string expected =
        parsed.is_object() ? WithSchemaVersion(parsed).dump(2) + "\n" : doc;
    EXPECT_EQ(out.str(), expected);
  }
}

}  // namespace
}  // namespace gpuplan::cli
