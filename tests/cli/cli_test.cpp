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

TEST(CatalogCommand, ShowUnknownIdExits2WithSuggestion) {
  const CliRun r = Cli({"catalog", "show", "mi300"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("did you mean 'mi300x'"), std::string::npos) << r.err;
}

TEST(CatalogCommand, ShowJsonHasComputedTpp) {
  const CliRun r = Cli({"catalog", "show", "h100-sxm5-80gb", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)["tpp"].get<double>(), 15832, 1);
}

}  // namespace
}  // namespace gpuplan::cli
