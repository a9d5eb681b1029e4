#include <gtest/gtest.h>

#include "buy/buy.h"
#include "buy/toy_problems.h"

namespace gpuplan::buy {
namespace {

using testing::Knapsack;

TEST(EnumerationBackend, FindsTheHandOptimum) {
  auto s = MakeEnumerationBackend()->Solve(Knapsack(), 1, 0);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->status, MilpStatus::kOptimal);
  EXPECT_DOUBLE_EQ(s->objective, 20);
  EXPECT_DOUBLE_EQ(s->values[0], 4);
  EXPECT_DOUBLE_EQ(s->values[1], 0);
}

TEST(EnumerationBackend, ReportsInfeasible) {
  MilpModel m = Knapsack();
  m.rows.push_back({.name = "x>=5", .terms = {{0, 1.0}}, .lower = 5, .upper = kInf});
  auto s = MakeEnumerationBackend()->Solve(m, 1, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, MilpStatus::kInfeasible);  // 6 * 5 = 30 > 24
}

TEST(EnumerationBackend, RefusesWhatItCannotEnumerate) {
  MilpModel m = Knapsack();
  m.columns[0].is_integer = false;
  EXPECT_FALSE(MakeEnumerationBackend()->Solve(m, 1, 0));
  m = Knapsack();
  m.columns[0].upper = 1e9;
  EXPECT_FALSE(MakeEnumerationBackend(1e6)->Solve(m, 1, 0));
}

}  // namespace
}  // namespace gpuplan::buy
