#include "sim/engine.h"

#include <gtest/gtest.h>

namespace gpuplan::sim::detail {
namespace {

TEST(WaterFill, MaxMinFairByWeight) {
  // 10 GPUs; demands 2, 10, 10 with weights 1, 1, 2: tenant 0 takes its 2, the other 8 split
  // 1:2 -> 8/3 and 16/3.
  const auto s = WaterFill({2, 10, 10}, {1, 1, 2}, 10);
  EXPECT_DOUBLE_EQ(s[0], 2);
  EXPECT_DOUBLE_EQ(s[1], 8.0 / 3);
  EXPECT_DOUBLE_EQ(s[2], 16.0 / 3);
  // Enough for everyone: each gets its demand.
  const auto all = WaterFill({1, 2, 0}, {1, 1, 1}, 10);
  EXPECT_EQ(all, (std::vector<double>{1, 2, 0}));
}

}  // namespace
}  // namespace gpuplan::sim::detail
