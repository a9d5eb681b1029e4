#include <gtest/gtest.h>

#include "buy/buy.h"

namespace gpuplan::buy {
namespace {

// max 5x + 4y s.t. 6x + 4y <= 24, x + 2y <= 6, x, y in {0..10}. By hand: the LP optimum is
// (3, 1.5) = 21; among integer points (4, 0) = 20 is best ((3, 1) = 19, (2, 2) = 18).
MilpModel Knapsack() {
  MilpModel m;
  m.is_maximize = true;
  m.columns = {{.name = "x", .lower = 0, .upper = 10, .cost = 5, .is_integer = true},
               {.name = "y", .lower = 0, .upper = 10, .cost = 4, .is_integer = true}};
  m.rows = {{.name = "r1", .terms = {{0, 6.0}, {1, 4.0}}, .lower = -kInf, .upper = 24},
            {.name = "r2", .terms = {{0, 1.0}, {1, 2.0}}, .lower = -kInf, .upper = 6}};
  return m;
}

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
