#include "sim/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>
#include <vector>

#include "units/units.h"

namespace gpuplan::sim::detail {
namespace {

// EndIndex against a std::set of (end, job): ends from a few values (ties go by job), bursts
// of inserts that split chunks, erases near the front (as jobs end) and anywhere, chunks
// emptied; every walk meets the set's order.
TEST(EndIndex, KeepsAStdSetsOrder) {
  Rng rng(5);
  EndIndex index;
  std::set<std::pair<SimTime, JobIdx>> model;
  JobIdx next = 0;
  for (int round = 0; round < 200; ++round) {
    const int inserts = static_cast<int>(rng.UniformInt(rng.UniformInt(4) == 0 ? 1000 : 100));
    for (int i = 0; i < inserts; ++i) {
      const auto end = static_cast<SimTime>(rng.UniformInt(50));
      index.Insert(end, next);
      model.insert({end, next++});
    }
    const auto erases = static_cast<size_t>(rng.UniformInt(model.size() + 1));
    for (size_t i = 0; i < erases; ++i) {
      auto it = model.begin();
      if (rng.UniformInt(2) == 0) {
        std::advance(it, static_cast<std::ptrdiff_t>(rng.UniformInt(model.size())));
      }
      index.Erase(it->first, it->second);
      model.erase(it);
    }
    std::vector<std::pair<SimTime, JobIdx>> walked;
    for (const auto& e : index) walked.push_back(e);
    ASSERT_TRUE(std::equal(walked.begin(), walked.end(), model.begin(), model.end()))
        << "round " << round;
    ASSERT_EQ(index.empty(), model.empty());
  }
}

// A trace of millions holds one SimJob a job while it runs (issue 12: simulate's memory); a
// run's pieces are one pointer, and end as a vector's would.
TEST(SimJob, StaysSmallAndItsPiecesIterate) {
  EXPECT_LE(sizeof(SimJob), 96u);
  // What a pass reads of a job it passes over lies in its first cache line.
  const SimJob job;
  const auto end_of = [&](const auto& field) {
    return reinterpret_cast<const char*>(&field) + sizeof(field) -
           reinterpret_cast<const char*>(&job);
  };
  for (const std::ptrdiff_t end :
       {end_of(job.status), end_of(job.allowed_pools), end_of(job.estimate_per_work),
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

// The water level taken tenant by tenant in the order of demand / weight, then index (the
// definition, written with the comparator WaterFill had before it sorted precomputed keys): the
// same shares to the bit, on many tenants with tied ratios, zero demands and mixed weights.
TEST(WaterFill, SameSharesAsTheSequentialDefinition) {
  std::vector<double> demand, weight;
  for (int t = 0; t < 5000; ++t) {
    demand.push_back(t % 7 == 0 ? 0 : static_cast<double>((t * 37) % 13) * 0.25 + 0.5);
    weight.push_back(1 + (t % 3) * 0.5);
  }
  std::vector<size_t> order;
  double weight_left = 0;
  for (size_t t = 0; t < demand.size(); ++t) {
    if (demand[t] > 0) {
      order.push_back(t);
      weight_left += weight[t];
    }
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double ra = demand[a] / weight[a], rb = demand[b] / weight[b];
    return ra != rb ? ra < rb : a < b;
  });
  for (const double capacity : {100.0, 2500.0, 1e6}) {
    std::vector<double> want(demand.size(), 0.0);
    double left = capacity, w = weight_left;
    for (size_t t : order) {
      want[t] = std::min(demand[t], left * weight[t] / w);
      left -= want[t];
      w -= weight[t];
    }
    EXPECT_EQ(WaterFill(demand, weight, capacity), want) << capacity;
  }
}

}  // namespace
}  // namespace gpuplan::sim::detail
