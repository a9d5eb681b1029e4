#include <fmt/format.h>
#include <gtest/gtest.h>

#include "buy/buy.h"
#include "units/units.h"

namespace gpuplan::buy {
namespace {

TEST(CbcBackend, SolvesTheHandKnapsackWithOffset) {
  // The knapsack of enumerate_backend_test.cpp (optimum 20 at (4, 0)) plus a constant 7.
  MilpModel m;
  m.is_maximize = true;
  m.objective_offset = 7;
  m.columns = {{.name = "x", .lower = 0, .upper = 10, .cost = 5, .is_integer = true},
               {.name = "y", .lower = 0, .upper = 10, .cost = 4, .is_integer = true}};
  m.rows = {{.name = "r1", .terms = {{0, 6.0}, {1, 4.0}}, .lower = -kInf, .upper = 24},
            {.name = "r2", .terms = {{0, 1.0}, {1, 2.0}}, .lower = -kInf, .upper = 6}};
  auto s = MakeCbcBackend()->Solve(m, 10, 0);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->status, MilpStatus::kOptimal);
  EXPECT_NEAR(s->objective, 27, 1e-9);
  EXPECT_NEAR(s->values[0], 4, 1e-9);
}

TEST(CbcBackend, InfeasibleAndTrivialModels) {
  MilpModel m;
  m.columns = {{.name = "x", .lower = 0, .upper = 3, .cost = 1, .is_integer = true}};
  m.rows = {{.name = "x>=5", .terms = {{0, 1.0}}, .lower = 5, .upper = kInf}};
  auto s = MakeCbcBackend()->Solve(m, 10, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, MilpStatus::kInfeasible);
  // Zero objective, solved by preprocessing alone: still a solution, not "infeasible".
  m.rows[0].lower = 1;
  m.columns[0].cost = 0;
  s = MakeCbcBackend()->Solve(m, 10, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, MilpStatus::kOptimal);
  ASSERT_EQ(s->values.size(), 1u);
  EXPECT_GE(s->values[0], 1 - 1e-9);
}

TEST(CbcBackend, MatchesEnumerationOnRandomIntegerModels) {
  Rng rng(11);
  auto cbc = MakeCbcBackend();
  auto brute = MakeEnumerationBackend();
  for (int trial = 0; trial < 40; ++trial) {
    MilpModel m;
    m.is_maximize = trial % 2 == 0;
    const int n = 2 + static_cast<int>(rng.UniformInt(3));
    for (int j = 0; j < n; ++j) {
      m.columns.push_back({.name = fmt::format("x{}", j), .lower = 0,
                           .upper = static_cast<double>(1 + rng.UniformInt(4)),
                           .cost = rng.Uniform(-5, 10), .is_integer = true});
    }
    for (int i = 0; i < 3; ++i) {
      MilpRow r{.name = fmt::format("r{}", i)};
      for (int j = 0; j < n; ++j) r.terms.emplace_back(j, rng.Uniform(-2, 5));
      r.upper = rng.Uniform(0, 15);
      if (i == 2) r.lower = rng.Uniform(-3, 3);
      m.rows.push_back(r);
    }
    auto a = cbc->Solve(m, 10, 0);
    auto b = brute->Solve(m, 10, 0);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->status == MilpStatus::kInfeasible, b->status == MilpStatus::kInfeasible) << trial;
    if (b->status == MilpStatus::kOptimal) {
      EXPECT_NEAR(a->objective, b->objective, 1e-6 * std::max(1.0, std::fabs(b->objective))) << trial;
    }
  }
}

}  // namespace
}  // namespace gpuplan::buy
