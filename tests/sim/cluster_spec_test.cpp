#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "catalog/catalog.h"
#include "sim/sim.h"

namespace gpuplan::sim {
namespace {

const catalog::Catalog& Cat() {
  static const catalog::Catalog c = *catalog::Catalog::LoadDefault();
  return c;
}

TEST(ParseClusterSpec, NodesTimesGpus) {
  auto s = ParseClusterSpec("h100-sxm5-80gb:1250x8,mi300x:250x8", Cat());
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->groups.size(), 2u);
  EXPECT_EQ(s->groups[0].num_nodes, 1250);
  EXPECT_EQ(s->total_gpus(), 12000);
  EXPECT_EQ(s->reference_accelerator, "h100-sxm5-80gb");
  EXPECT_DOUBLE_EQ(s->groups[0].relative_speed, 1);
  // mi300x over h100: (1307.4 TFLOP/s x 0.5) / (989.5 x 0.72), from data/accelerators.toml.
  const auto* h100 = *Cat().Find("h100-sxm5-80gb");
  const auto* mi300x = *Cat().Find("mi300x");
  EXPECT_DOUBLE_EQ(s->groups[1].relative_speed,
                   mi300x->peak_bf16_flop_per_s * mi300x->gemm_efficiency /
                       (h100->peak_bf16_flop_per_s * h100->gemm_efficiency));
  EXPECT_EQ(s->known_speeds.size(), Cat().accelerators().size());
}

TEST(ParseClusterSpec, GpuCountUsesTheCatalogNodeSize) {
  auto s = ParseClusterSpec("h100-sxm5-80gb:64", Cat());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->groups[0].num_nodes * s->groups[0].gpus_per_node, 64);
  EXPECT_FALSE(ParseClusterSpec("h100-sxm5-80gb:63", Cat()));
}

TEST(ParseClusterSpec, Errors) {
  for (const char* bad : {"", "h100-sxm5-80gb", "h100-sxm5-80gb:x8", "h100-sxm5-80gb:4x0",
                          "h100-sxm5-80gb:4x8,", "h100-sxm5-80gb:-4x8"}) {
    EXPECT_FALSE(ParseClusterSpec(bad, Cat())) << bad;
  }
  auto s = ParseClusterSpec("h100-sxm:4x8", Cat());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("did you mean"), std::string::npos) << s.error().message;
}

TEST(ClusterFromOpenbNodes, GroupsByModelAndSize) {
  auto s = ClusterFromOpenbNodes({{.name = "a", .gpus = 8, .model = "G2"},
                                  {.name = "b", .gpus = 0, .model = ""},
                                  {.name = "c", .gpus = 8, .model = "G2"},
                                  {.name = "d", .gpus = 2, .model = "T4"}});
  ASSERT_TRUE(s);
  ASSERT_EQ(s->groups.size(), 2u);
  EXPECT_EQ(s->groups[0].accelerator, "G2");
  EXPECT_EQ(s->groups[0].num_nodes, 2);
  EXPECT_EQ(s->total_gpus(), 18);
  EXPECT_FALSE(ClusterFromOpenbNodes({{.name = "b", .gpus = 0, .model = ""}}));
}

TEST(SimTime, MicrosecondClock) {
  EXPECT_EQ(ToSimTime(1.5), 1'500'000);
  EXPECT_EQ(ToSimTime(1e-7), 0);
  EXPECT_DOUBLE_EQ(ToSeconds(2'500'000), 2.5);
}

// The inline rounding agrees with std::llround (halves away from zero) at halves, at their
// neighbours, beyond 2^53 and near the saturation edge, and saturates there.
TEST(SimTime, RoundsAsLlround) {
  std::vector<double> us = {0.0,
                            -0.0,
                            0.5,
                            -0.5,
                            1.5,
                            -1.5,
                            2.5,
                            -2.5,
                            0.49999999999999994,
                            -0.49999999999999994,
                            4503599627370495.5,
                            -4503599627370495.5,
                            9007199254740993.0,
                            1e18,
                            -1e18,
                            2.3e18,
                            -2.3e18};
  for (double x = 1; x < 1e17; x *= 3.7) {
    for (double f : {0.0, 0.25, 0.5, 0.75}) {
      us.push_back(x + f);
      us.push_back(std::nextafter(x + f, 0.0));
      us.push_back(std::nextafter(x + f, 1e300));
      us.push_back(-(x + f));
    }
  }
  for (double u : us) {
    EXPECT_EQ(ToSimTime(u / 1e6), std::llround(u / 1e6 * 1e6)) << u;
  }
  EXPECT_EQ(ToSimTime(1e300), kSimTimeNever);
  EXPECT_EQ(ToSimTime(-1e300), -kSimTimeNever);
  EXPECT_EQ(ToSimTime(std::nan("")), 0);
}

}  // namespace
}  // namespace gpuplan::sim
