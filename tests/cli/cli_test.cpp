#include "cli/cli.h"

#include <sstream>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace gpuplan::cli {
namespace {

struct CliRun {
  int code;
  std::string out, err;
};

CliRun Cli(std::vector<const char*> args) {
  args.insert(args.begin(), "gpuplan");
  std::ostringstream out, err;
  const int code = RunMain(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

TEST(Cli, HelpTeachesByExample) {
  const CliRun r = Cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
}

TEST(Cli, UnknownCommandIsBadInput) {
  EXPECT_EQ(Cli({"frobnicate"}).code, kExitBadInput);
}

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
