#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "buy/buy.h"
#include "buy/toy_problems.h"
#include "units/units.h"

namespace gpuplan::buy {
namespace {

TEST(CbcBackend, SolvesTheHandKnapsackWithOffset) {
  // The hand knapsack (optimum 20 at (4, 0)) plus a constant 7.
  MilpModel m = testing::Knapsack();
  m.objective_offset = 7;
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
      m.columns.push_back({.name = fmt::format("x{}", j),
                           .lower = 0,
                           .upper = static_cast<double>(1 + rng.UniformInt(4)),
                           .cost = rng.Uniform(-5, 10),
                           .is_integer = true});
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
      EXPECT_NEAR(a->objective, b->objective, 1e-6 * std::max(1.0, std::fabs(b->objective)))
          << trial;
    }
  }
}

// ---- LP and MPS files (buy --write-lp / --write-mps) ----------------------------------------

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("gpuplan_milp_" + name)).string();
}

// Writes `m`, reads it back with COIN-OR and solves what was read: the optimum must be the
// model's, offset included (what an auditor's solver would find). Both files minimize, so a
// maximization reads back as minimizing the negation.
void ExpectSameOptimumFromFile(const MilpModel& m, MilpFileFormat format, const std::string& file,
                               int* optimal) {
  const std::string path = TempPath(file);
  auto written = WriteMilpFile(m, path, format);
  ASSERT_TRUE(written) << written.error().message;
  auto back = ReadMilpFile(path, format);
  ASSERT_TRUE(back) << back.error().message;
  {
    std::ifstream in(path);
    std::string first_line;
    std::getline(in, first_line);
    EXPECT_NE(first_line.find("gpuplan purchase MILP"), std::string::npos) << first_line;
  }
  std::filesystem::remove(path);
  const size_t constant_columns = m.objective_offset != 0 ? 1 : 0;
  EXPECT_EQ(back->columns.size(), m.columns.size() + constant_columns);
  EXPECT_EQ(std::count_if(back->columns.begin(), back->columns.end(),
                          [](const MilpColumn& c) { return c.is_integer; }),
            std::count_if(m.columns.begin(), m.columns.end(),
                          [](const MilpColumn& c) { return c.is_integer; }));
  const bool negated = m.is_maximize;
  EXPECT_FALSE(back->is_maximize);
  auto cbc = MakeCbcBackend();
  auto direct = cbc->Solve(m, 10, 0);
  auto from_file = cbc->Solve(*back, 10, 0);
  ASSERT_TRUE(direct && from_file);
  // Some random problems are infeasible: the file must be too.
  ASSERT_EQ(from_file->status, direct->status) << file;
  if (direct->status != MilpStatus::kOptimal) return;
  ++*optimal;
  EXPECT_NEAR(negated ? -from_file->objective : from_file->objective, direct->objective,
              1e-7 * std::max(1.0, std::fabs(direct->objective)))
      << file;
}

TEST(MilpFile, PurchaseModelsReadBackWithTheSameOptimum) {
  Rng rng(7);
  int optimal = 0;
  for (int i = 0; i < 8; ++i) {
    const BuyProblem p =
        testing::RandomSmall(rng, i % 2 ? Objective::kMinCost : Objective::kMaxCapacity);
    const MilpModel m = BuildMilp(p);
    ASSERT_GT(m.rows.size(), 5u);
    ExpectSameOptimumFromFile(m, MilpFileFormat::kMps, fmt::format("{}.mps", i), &optimal);
    ExpectSameOptimumFromFile(m, MilpFileFormat::kLp, fmt::format("{}.lp", i), &optimal);
  }
  EXPECT_GE(optimal, 8);  // both objectives among them
}

TEST(MilpFile, TheOffsetTravelsAsAFixedColumn) {
  // The hand knapsack with x + 2y >= 1: optimum 20 + 7 at (4, 0), maximized.
  MilpModel m = testing::Knapsack();
  m.objective_offset = 7;
  m.rows[1].lower = 1;
  for (const auto format : {MilpFileFormat::kMps, MilpFileFormat::kLp}) {
    const std::string path = TempPath(format == MilpFileFormat::kMps ? "k.mps" : "k.lp");
    auto written = WriteMilpFile(m, path, format);
    ASSERT_TRUE(written) << written.error().message;
    auto back = ReadMilpFile(path, format);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->columns.size(), 3u);
    EXPECT_EQ(back->columns[2].name, "objective_constant");
    EXPECT_EQ(back->columns[2].lower, 1);
    EXPECT_EQ(back->columns[2].upper, 1);
    auto s = MakeCbcBackend()->Solve(*back, 10, 0);
    ASSERT_TRUE(s);
    EXPECT_NEAR(std::fabs(s->objective), 27, 1e-9);
    std::filesystem::remove(path);
  }
}

TEST(MilpFile, NamesBecomeLegalAndStayDistinct) {
  MilpModel m;
  m.columns = {{.name = "x[h100-sxm5,2026Q4]", .upper = 3, .cost = 1, .is_integer = true},
               {.name = "x[h100 sxm5,2026Q4]", .upper = 3, .cost = 2, .is_integer = true}};
  m.rows = {{.name = "(1) budget 2027", .terms = {{0, 1}, {1, 1}}, .upper = 4}};
  m.is_maximize = true;
  for (const auto format : {MilpFileFormat::kMps, MilpFileFormat::kLp}) {
    const std::string path = TempPath(format == MilpFileFormat::kMps ? "n.mps" : "n.lp");
    auto written = WriteMilpFile(m, path, format);
    ASSERT_TRUE(written) << written.error().message;
    auto back = ReadMilpFile(path, format);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->columns.size(), 2u);
    EXPECT_EQ(back->columns[0].name, "x_h100_sxm5_2026Q4");
    EXPECT_EQ(back->columns[1].name, "x_h100_sxm5_2026Q4_2");
    ASSERT_EQ(back->rows.size(), 1u);
    EXPECT_EQ(back->rows[0].name, "c1_budget_2027");
    std::filesystem::remove(path);
  }
}

// COIN-OR writes to a scratch file of its own name beside the target: none stays behind, and
// the folder holds the target alone.
TEST(MilpFile, LeavesOnlyTheTarget) {
  const std::filesystem::path dir = TempPath("folder");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  MilpModel m;
  m.columns = {{.name = "x", .upper = 1, .cost = 1}};
  for (MilpFileFormat format : {MilpFileFormat::kLp, MilpFileFormat::kMps}) {
    const std::string path = (dir / "m.out").string();
    auto w = WriteMilpFile(m, path, format);
    ASSERT_TRUE(w) << w.error().message;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      names.push_back(e.path().filename().string());
    }
    EXPECT_EQ(names, std::vector<std::string>{"m.out"});
  }
  std::filesystem::remove_all(dir);
}

TEST(MilpFile, UnwritableAndUnreadablePathsAreErrors) {
  MilpModel m;
  m.columns = {{.name = "x", .upper = 1, .cost = 1}};
  auto w = WriteMilpFile(m, "/nonexistent-dir/m.lp", MilpFileFormat::kLp);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("/nonexistent-dir/m.lp"), std::string::npos);
  EXPECT_FALSE(ReadMilpFile("/nonexistent-dir/m.mps", MilpFileFormat::kMps));
}

}  // namespace
}  // namespace gpuplan::buy
