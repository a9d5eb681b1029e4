// One vocabulary: every key of every command's --json and of report.json is in docs/glossary.md,
// once, and none is a retired name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

const std::string kRoot = std::string(GPUPLAN_DATA_DIR) + "/..";

struct Glossary {
  std::map<std::string, std::string> unit;  // key -> its unit cell ("map": keys are data)
  std::map<std::string, std::string> retired;
  std::vector<std::string> duplicates;
};

Glossary ReadGlossary() {
  Glossary g;
  std::ifstream in(kRoot + "/docs/glossary.md");
  EXPECT_TRUE(in) << "docs/glossary.md is missing";
  const std::regex row(R"(^\| `([A-Za-z0-9_]+)` \| ([^|]*) \|)");
  bool in_retired = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_retired = line.find("Retired") != std::string::npos;
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    const std::string key = m[1], cell = m[2];
    if (in_retired) {
      g.retired[key] = cell;
    } else if (!g.unit.emplace(key, cell.substr(0, cell.find_last_not_of(' ') + 1)).second) {
      g.duplicates.push_back(key);
    }
  }
  return g;
}

// Every key of `j` as "doc: path"; the children of a `map` key are data and only their values
// are walked.
void Walk(const nlohmann::json& j, const std::string& path, const Glossary& g,
          std::map<std::string, std::string>& keys) {
  if (j.is_array()) {
    for (const auto& e : j) Walk(e, path + "[]", g, keys);
    return;
  }
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    keys.emplace(k, path + "." + k);
    const auto it = g.unit.find(k);
    if (it != g.unit.end() && it->second == "map" && v.is_object()) {
      for (const auto& [name, child] : v.items())
        Walk(child, path + "." + k + ".<" + name + ">", g, keys);
    } else {
      Walk(v, path + "." + k, g, keys);
    }
  }
}

std::string Temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("gpuplan_glossary_" + name)).string();
}

nlohmann::json Parse(const CliRun& r, const std::string& what) {
  EXPECT_FALSE(r.out.empty()) << what << ": " << r.err;
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << " printed no JSON: " << e.what() << "\n" << r.out;
    return {};
  }
}

// Each document gpuplan writes, by the command that writes it.
std::map<std::string, nlohmann::json> Documents() {
  std::map<std::string, nlohmann::json> docs;
  auto scenario = [](const std::string& name, const std::string& gpus) {
    std::string text = kSmallBuyScenario;
    text.replace(text.find("gpus = 100"), 10, "gpus = " + gpus);
    const std::string path = Temp(name + ".toml");
    std::ofstream(path) << text;
    return path;
  };
  docs["buy"] = Parse(
      RunCli({"buy"}, {"--scenario", scenario("ok", "100"), "--objective", "min-cost", "--json"}),
      "buy");
  docs["buy (infeasible)"] = Parse(
      RunCli({"buy"}, {"--scenario", scenario("no", "1000"), "--objective", "min-cost", "--json"}),
      "buy (infeasible)");
  docs["error"] = Parse(RunCli({"buy"}, {"--scenario", Temp("missing.toml"), "--json"}), "error");
  docs["size train"] =
      Parse(RunCli({"size", "train"}, {"--model", "llama3-8b", "--tokens", "1T", "--accelerator",
                                       "h100-sxm5-80gb", "--gpus", "64", "--json"}),
            "size train");
  docs["size serve"] = Parse(RunCli({"size", "serve"}, {"--model", "llama3-70b", "--accelerator",
                                                        "h200-sxm-141gb", "--rps", "20", "--json"}),
                             "size serve");
  const std::string trace = Temp("trace.csv");
  docs["trace gen"] = Parse(RunCli({"trace", "gen"}, {"--horizon", "1d", "--jobs-per-day", "200",
                                                      "--out", trace, "--json"}),
                            "trace gen");
  docs["trace stats"] = Parse(RunCli({"trace", "stats"}, {trace, "--json"}), "trace stats");
  docs["simulate"] = Parse(RunCli({"simulate"}, {"--cluster", "h100-sxm5-80gb:2x8", "--trace",
                                                 trace, "--policy", "fairshare", "--json"}),
                           "simulate");
  docs["catalog list"] = Parse(RunCli({"catalog", "list"}, {"--json"}), "catalog list");
  docs["slurm-config"] =
      Parse(RunCli({"slurm-config"}, {"--scenario", kRoot + "/tests/slurm/scenario.toml", "--out",
                                      Temp("slurm"), "--json"}),
            "slurm-config");
  docs["sweep"] =
      Parse(RunCli({"sweep"}, {scenario("sweep", "100"), "--grid",
                               "candidate.0.node_price=300000,340000", "--workers", "1", "--json"}),
            "sweep");
  // plan's report.json as the golden file has it (checked current by report_golden_current).
  std::ifstream report(kRoot + "/tests/golden/korea/report.json");
  EXPECT_TRUE(report);
  docs["report.json"] = nlohmann::json::parse(report, nullptr, false);
  return docs;
}

TEST(Glossary, EveryKeyOfEveryDocumentIsInTheGlossaryOnce) {
  const Glossary g = ReadGlossary();
  ASSERT_GT(g.unit.size(), 200u);
  EXPECT_TRUE(g.duplicates.empty()) << "listed twice: " << ::testing::PrintToString(g.duplicates);
  std::set<std::string> seen;
  for (const auto& [doc, j] : Documents()) {
    ASSERT_TRUE(j.is_object()) << doc;
    EXPECT_TRUE(j.contains("schema_version")) << doc;
    std::map<std::string, std::string> keys;
    Walk(j, "", g, keys);
    EXPECT_GT(keys.size(), 3u) << doc;
    for (const auto& [key, path] : keys) {
      seen.insert(key);
      EXPECT_TRUE(g.unit.count(key)) << doc << ": " << path << " is not in docs/glossary.md";
      EXPECT_FALSE(g.retired.count(key))
          << doc << ": " << path << " is retired; use " << g.retired.at(key);
    }
  }
  // The documents above reach nearly every key: one listed but never written is stale.
  std::vector<std::string> unseen;
  for (const auto& [key, unit] : g.unit) {
    if (!seen.count(key)) unseen.push_back(key);
  }
  EXPECT_LE(unseen.size(), 12u) << "in the glossary, in no document: "
                                << ::testing::PrintToString(unseen);
}

TEST(Glossary, TheSameQuantityHasTheSameNameInBuyAndReportJson) {
  const auto docs = Documents();
  const auto& buy = docs.at("buy");
  const auto& report = docs.at("report.json").at("buy");
  // Operating cost, TPP against the cap and installed TPP, the conflict set: one name each.
  for (const char* key : {"opex_usd", "capex_usd", "rental_usd", "total_cost_usd", "conflict"}) {
    EXPECT_TRUE(buy.contains(key)) << key;
    EXPECT_TRUE(report.contains(key)) << key;
  }
  EXPECT_NEAR(buy["opex_usd"].get<double>(),
              buy["energy_usd"].get<double>() + buy["maintenance_usd"].get<double>(), 1e-6);
  EXPECT_EQ(buy["conflict"].type(), report["conflict"].type());
  for (const char* key : {"tpp", "installed_tpp", "power_mw", "h100_equivalents"}) {
    EXPECT_TRUE(buy["capacity"][0].contains(key)) << key;
    EXPECT_TRUE(report["capacity"][0].contains(key)) << key;
  }
  const auto& infeasible = docs.at("buy (infeasible)");
  ASSERT_TRUE(infeasible["conflict"].is_array());
  EXPECT_FALSE(infeasible["conflict"].empty());
  EXPECT_NE(infeasible["conflict_sentence"].get<std::string>().find("milestone"),
            std::string::npos);
  // One objective vocabulary: buy's flags' names in both documents.
  EXPECT_EQ(buy["objective_kind"], "min-cost");
  const std::set<std::string> kinds = {"max-capacity", "min-cost", "service-level"};
  EXPECT_TRUE(kinds.count(report["objective_kind"].get<std::string>())) << report["objective_kind"];
  EXPECT_EQ(report["objective_unit"],
            report["objective_kind"] == "max-capacity" ? "h100_eq_gpu_hours" : "usd");
  // Every document that prices something says under which policy.
  for (const char* doc : {"buy", "size train", "size serve", "report.json"}) {
    ASSERT_TRUE(docs.at(doc).contains("cost_policy")) << doc;
    EXPECT_TRUE(docs.at(doc)["cost_policy"].contains("amortization_years")) << doc;
  }
  // Training and serving price an accelerator-hour under one name.
  EXPECT_TRUE(docs.at("size train").contains("usd_per_gpu_hour"));
  EXPECT_TRUE(docs.at("size serve").contains("usd_per_gpu_hour"));
}

TEST(Glossary, HelpShowsDefaultsOneWay) {
  // CLI11's "TYPE=default" beside the flag, never "(default N)" in the text as well.
  const std::regex in_text(R"(\(default [0-9])");
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"buy"}, {"slurm-config"}, {"size", "serve"}}) {
    const CliRun help = RunCli(command, {"--help"});
    EXPECT_FALSE(std::regex_search(help.out, in_text)) << command.back() << ":\n" << help.out;
  }
  EXPECT_NE(RunCli({"buy"}, {"--help"}).out.find("FLOAT=30"), std::string::npos);
  EXPECT_NE(RunCli({"size", "serve"}, {"--help"}).out.find("=500"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::cli
