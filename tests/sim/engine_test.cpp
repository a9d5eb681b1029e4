#include "sim/engine.h"

#include <gtest/gtest.h>

namespace gpuplan::sim::detail {
namespace {

// A trace of millions holds one SimJob a job while it runs (issue 12: simulate's memory); its
// pieces are one pointer, and end as a vector's would.
TEST(SimJob, StaysSmallAndItsPiecesIterate) {
  EXPECT_LE(sizeof(SimJob), 128u);
  // What a pass reads of a job it passes over lies in its first cache line.
  const SimJob job;
  const auto end_of = [&](const auto& field) {
    return reinterpret_cast<const char*>(&field) + sizeof(field) -
           reinterpret_cast<const char*>(&job);
  };
  for (const std::ptrdiff_t end :
       {end_of(job.status), end_of(job.allowed_pools), end_of(job.estimate_ref_s),
        end_of(job.work_left_ref_s), end_of(job.work_ref_s), end_of(job.tenant)}) {
    EXPECT_LE(end, 64);
  }
  PieceList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.begin(), list.end());
  list.Assign({Piece{.node = 3, .gpus = 8}, Piece{.node = 0, .gpus = 0, .slot = 1, .milli = 250}});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].node, 3);
  EXPECT_EQ(list[1].milli, 250);
  int gpus = 0;
  for (const Piece& p : list) gpus += p.gpus;
  EXPECT_EQ(gpus, 8);
  list.Clear();
  EXPECT_EQ(list.size(), 0u);
}

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
