#include "units/units.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace gpuplan {
namespace {

TEST(ParseQuantity, SuffixesAndScientific) {
  const struct {
    const char* text;
    double expected;
  } cases[] = {
      {"70B", 7e10}, {"15T", 1.5e13}, {"2.5e23", 2.5e23}, {"512", 512},
      {"8k", 8e3},   {"1.8e12", 1.8e12}, {" 37B ", 3.7e10}, {"3M", 3e6}, {"1P", 1e15},
  };
  for (const auto& c : cases) {
    auto v = ParseQuantity(c.text, "--x");
    ASSERT_TRUE(v) << c.text << ": " << v.error().message;
    EXPECT_DOUBLE_EQ(*v, c.expected) << c.text;
  }
}

TEST(ParseQuantity, RejectsGarbageWithFieldName) {
  for (const char* bad : {"", "abc", "70X", "7BB", "nan", "inf", "0x10", "1e400"}) {
    auto v = ParseQuantity(bad, "--params");
    ASSERT_FALSE(v) << bad;
    EXPECT_NE(v.error().message.find("--params"), std::string::npos) << v.error().message;
  }
}

TEST(ParseDurationS, Units) {
  EXPECT_DOUBLE_EQ(*ParseDurationS("30d", "d"), 30 * 86400.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("12h", "d"), 12 * 3600.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("90m", "d"), 90 * 60.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("45", "d"), 45.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("2w", "d"), 14 * 86400.0);
  EXPECT_FALSE(ParseDurationS("3 fortnights", "d"));
}

TEST(FormatQuantity, RoundTripsCommonSizes) {
  EXPECT_EQ(FormatQuantity(7e10), "70B");
  EXPECT_EQ(FormatQuantity(1.5e13), "15T");
  EXPECT_EQ(FormatQuantity(405e9), "405B");
}

TEST(Rng, SameSeedSameStreamAndForksIndependent) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next(), b.Next());
  // A fork depends only on the seed and the stream name, not on draws already made.
  Rng c(42);
  const uint64_t f1 = c.Fork("arrivals").Next();
  c.Next();
  EXPECT_EQ(c.Fork("arrivals").Next(), f1);
  EXPECT_NE(c.Fork("durations").Next(), f1);
}

TEST(Rng, ExponentialMeanMatches) {
  Rng r(7);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += r.Exponential(2.0);
  // Mean 0.5, standard error 0.5/sqrt(n) ~ 0.0011: 5 sigma.
  EXPECT_NEAR(sum / n, 0.5, 0.0056);
}

TEST(Rng, UniformIntCoversRangeUniformly) {
  Rng r(3);
  int counts[6] = {};
  for (int i = 0; i < 60000; ++i) ++counts[r.UniformInt(6)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(NearestName, PrefixAndTypos) {
  const std::vector<std::string> ids = {"h100-sxm5-80gb", "h200-sxm-141gb", "mi300x", "b200"};
  EXPECT_EQ(NearestName("h100", ids), "h100-sxm5-80gb");
  EXPECT_EQ(NearestName("mi300", ids), "mi300x");
  EXPECT_EQ(NearestName("b20O", ids), "b200");
  EXPECT_EQ(NearestName("completely-different-thing", ids), "");
}

TEST(WriteFileAtomic, WritesAndLeavesNoTemp) {
  const auto dir = std::filesystem::temp_directory_path() / "gpuplan_units_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "out.txt").string();
  ASSERT_TRUE(WriteFileAtomic(path, "hello"));
  EXPECT_EQ(*ReadFile(path), "hello");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_FALSE(WriteFileAtomic((dir / "no/such/dir/x").string(), "x"));
  EXPECT_FALSE(ReadFile(path, 2));  // over the size limit
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpuplan
