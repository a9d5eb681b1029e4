#include "cli/cli.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

CliRun Cli(const std::vector<const char*>& args) { return RunCli({}, {args.begin(), args.end()}); }

TEST(Cli, HelpTeachesByExample) {
  const CliRun r = Cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
}

TEST(Cli, UnknownCommandIsBadInput) { EXPECT_EQ(Cli({"frobnicate"}).code, kExitBadInput); }

TEST(CatalogCommand, ListJsonIsOneObject) {
  const CliRun r = Cli({"catalog", "list", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GE(j["accelerators"].size(), 18u);
}

TEST(CatalogCommand, ListShowsPricesTheirSourceAndTheDefaultNodePrice) {
  const CliRun j = Cli({"catalog", "list", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  bool found = false;
  const auto doc = nlohmann::json::parse(j.out);
  for (const auto& a : doc["accelerators"]) {
    if (a["id"] != "h100-sxm5-80gb") continue;
    found = true;
    EXPECT_EQ(a["price_usd"], 27500);
    // 8 GPUs x USD 27,500 x 1.3 for the rest of the server.
    EXPECT_NEAR(a["default_node_price_usd"].get<double>(), 286000, 1e-6);
    EXPECT_NE(a["price_source"].get<std::string>().find("Raymond James"), std::string::npos);
  }
  EXPECT_TRUE(found);
  const CliRun t = Cli({"catalog", "list"});
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("node USD"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Raymond James"), std::string::npos);
  EXPECT_NE(t.out.find("no public price"), std::string::npos);
}

TEST(Cli, HelpShowsPlainFlagNames) {
  const CliRun help = Cli({"buy", "--help"});
  EXPECT_NE(help.out.find("--no-explain"), std::string::npos);
  EXPECT_EQ(help.out.find("{false}"), std::string::npos) << help.out;
}

TEST(CatalogCommand, ShowUnknownIdExits2WithSuggestion) {
  const CliRun r = Cli({"catalog", "show", "mi300"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("did you mean 'mi300x'"), std::string::npos) << r.err;
}

TEST(CatalogCommand, ShowJsonHasComputedTpp) {
  const CliRun r = Cli({"catalog", "show", "h100-sxm5-80gb", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)["tpp_per_gpu"].get<double>(), 15832, 1);
}

}  // namespace
}  // namespace gpuplan::cli
