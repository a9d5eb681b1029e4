// Policies on small hand-made scenarios whose schedules are worked out in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "sim/policies/queue_util.h"
#include "sim/sim.h"
#include "sim/sim_test_util.h"

namespace gpuplan::sim {
namespace {

using testing::JobSpec;
using testing::MakeTrace;
using testing::OnePool;
using testing::RunSim;

// One 8-GPU node. j1: 6 GPUs for 100 s at t=0. j2: 8 GPUs at t=1 (must wait for j1, until
// t=100). j3: 2 GPUs for 50 s at t=2; j4: 2 GPUs for 500 s at t=3.
const std::vector<JobSpec> kBackfill = {{.submit_s = 0, .gpus = 6, .duration_s = 100},
                                        {.submit_s = 1, .gpus = 8, .duration_s = 10},
                                        {.submit_s = 2, .gpus = 2, .duration_s = 50},
                                        {.submit_s = 3, .gpus = 2, .duration_s = 500}};

TEST(Policies, FifoBlocksBehindTheHead) {
  const SimResult r = RunSim(kBackfill, {.cluster = OnePool(1, 8), .policy = "fifo"});
  // j2 starts at 100 and ends at 110; j3 and j4 wait behind it.
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 110);
  EXPECT_DOUBLE_EQ(r.job_rows[3].start_s, 110);
}

TEST(Policies, EasyBackfillsOnlyWhatEndsBeforeTheReservation) {
  const SimResult r = RunSim(
      kBackfill,
      {.cluster = OnePool(1, 8), .policy = "easy", .backfill_interval_s = 0, .estimate_factor = 0});
  // j3 (ends at 52 < 100, the head's shadow time) backfills at t=2; j4 (would end at 503)
  // would delay j2, so it waits until j2 ends at 110.
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 2);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[3].start_s, 110);
}

TEST(Policies, SjfRunsTheShortestFirst) {
  // One GPU; j1 (100 s) runs from 0; j2 (50 s) at t=1 and j3 (10 s) at t=2 wait; SJF starts j3
  // at 100 and j2 at 110.
  const SimResult r = RunSim({{.submit_s = 0, .duration_s = 100},
                              {.submit_s = 1, .duration_s = 50},
                              {.submit_s = 2, .duration_s = 10}},
                             {.cluster = OnePool(1, 1), .policy = "sjf"});
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 110);
}

TEST(Policies, FairshareFavorsTheTenantThatUsedLess) {
  // One GPU. Tenant a runs a 1000 s job from 0; at t=500 a queues another, and at t=600 tenant b
  // queues one. When the GPU frees at 1000, b (no usage) goes before a, although a came first.
  const SimResult r = RunSim({{.submit_s = 0, .duration_s = 1000, .tenant = "a"},
                              {.submit_s = 500, .duration_s = 10, .tenant = "a"},
                              {.submit_s = 600, .duration_s = 10, .tenant = "b"}},
                             {.cluster = OnePool(1, 1), .policy = "fairshare"});
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 1000);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 1010);
}

TEST(Policies, LasPreemptsTheMostServedJob) {
  // One GPU, thresholds at 100 GPU-s. j1 (1000 s) runs from 0 and passes 100 GPU-s at t=100
  // (level 1). j2 (10 s) arrives at t=200 at level 0 and preempts j1; j1 resumes at 210 with a
  // 5 s restart overhead and 800 s of work left: it ends at 210 + 5 + 800 = 1015.
  SimConfig config{.cluster = OnePool(1, 1),
                   .policy = "las",
                   .failures = {.restart_overhead_s = 5},
                   .las_thresholds_gpu_s = {100}};
  const SimResult r =
      RunSim({{.submit_s = 0, .duration_s = 1000}, {.submit_s = 200, .duration_s = 10}}, config);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 200);
  EXPECT_DOUBLE_EQ(r.job_rows[1].end_s, 210);
  EXPECT_DOUBLE_EQ(r.job_rows[0].end_s, 1015);
  EXPECT_EQ(r.preemptions, 1);
  EXPECT_EQ(r.job_rows[0].restarts, 1);
  EXPECT_EQ(r.job_rows[0].preemptions, 1);
  EXPECT_DOUBLE_EQ(r.job_rows[0].wait_s, 10);  // re-queued from 200 to 210
  EXPECT_DOUBLE_EQ(r.waits.avg_wait_s, 5);
  EXPECT_NEAR(r.preemption_lost_gpu_hours, 5.0 / 3600, 1e-12);  // the 5 s restart overhead
  EXPECT_DOUBLE_EQ(r.goodput, 1010.0 / 1015);  // the 5 s of overhead held the GPU uselessly
}

TEST(Policies, EveryRegisteredPolicyRuns) {
  for (const std::string& name : PolicyNames()) {
    const SimResult r = RunSim(kBackfill, {.cluster = OnePool(1, 8), .policy = name});
    EXPECT_EQ(r.completed, 4) << name;
  }
  // The policies the issue names are registered; a new policy needs no edit here (registry.cpp
  // says what adding one touches: its file and its row).
  const std::vector<std::string> names = PolicyNames();
  for (const char* required : {"fifo", "sjf", "easy", "fairshare", "las", "firstfit"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  }
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size())
      << "a policy is registered twice";
}

}  // namespace
}  // namespace gpuplan::sim

namespace gpuplan::sim::detail {
namespace {

// SubmitOrderQueue against a std::set: arrivals in index order, jobs back behind the last
// arrival, erases by key and in walks (long runs of them, so that the walked stretches and the
// whole vector are compacted), jobs coming back during a walk; every walk meets the set's order.
TEST(SubmitOrderQueue, KeepsAStdSetsOrder) {
  Rng rng(7);
  SubmitOrderQueue q;
  std::set<JobIdx> model;
  std::vector<JobIdx> out;  // started: may come back
  JobIdx next = 0;
  for (int round = 0; round < 400; ++round) {
    const int arrivals = static_cast<int>(rng.UniformInt(400));
    for (int i = 0; i < arrivals; ++i) {
      q.Insert(next);
      model.insert(next++);
    }
    for (int i = 0; i < 20 && !out.empty(); ++i) {  // back in the queue
      const size_t k = rng.UniformInt(out.size());
      q.Insert(out[k]);
      model.insert(out[k]);
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(k));
    }
    if (!model.empty() && rng.UniformInt(3) == 0) {  // by key
      auto it = model.lower_bound(static_cast<JobIdx>(rng.UniformInt(static_cast<uint64_t>(next))));
      if (it == model.end()) it = model.begin();
      q.Erase(*it);
      out.push_back(*it);
      model.erase(it);
    }
    // A walk that erases most of what it meets (runs of erases, then a stretch kept), and
    // sometimes puts a started job back ahead of or behind where it is.
    const uint64_t keep_one_in = 1 + rng.UniformInt(12);
    std::vector<JobIdx> met;
    auto m = model.begin();
    for (SubmitOrderQueue::Walk w(q); !w.done();) {
      ASSERT_NE(m, model.end());
      ASSERT_EQ(w.job(), *m) << "round " << round;
      met.push_back(w.job());
      if (rng.UniformInt(keep_one_in) != 0) {
        out.push_back(w.job());
        m = model.erase(m);
        w.EraseAndNext();
      } else {
        ++m;
        w.Next();
      }
      if (!out.empty() && rng.UniformInt(50) == 0) {
        const JobIdx back = out.front();
        out.erase(out.begin());
        q.Insert(back);
        // Behind the next job the walk meets, it is met later (m's walk goes on over the set);
        // ahead of it, not in this walk (as with a std::set's iterator).
        model.insert(back);
      }
    }
    ASSERT_EQ(m, model.end()) << "round " << round;
    ASSERT_EQ(q.size(), static_cast<int64_t>(model.size()));
  }
  const std::vector<JobIdx> drained = q.Drain();
  EXPECT_EQ(drained, std::vector<JobIdx>(model.begin(), model.end()));
  EXPECT_TRUE(q.empty());
}

// KeyOrderQueue against a std::set of (key, job): keys from a few values (ties go by job),
// inserts that split chunks, erases by key (of queued, absent and erased entries), erased jobs
// inserted again with their old key (a revived mark) or a new one, walks that erase the job met
// and jobs further on (marks the walk must pass over), Tidy between walks only; every walk and
// ForEach meet the set's order, and Ahead(p, 0) is the job at p.
TEST(KeyOrderQueue, KeepsAStdSetsOrder) {
  Rng rng(11);
  KeyOrderQueue q;
  std::set<std::pair<double, JobIdx>> model;
  std::vector<std::pair<double, JobIdx>> out;  // erased: may come back
  JobIdx next = 0;
  const auto key = [&] { return static_cast<double>(rng.UniformInt(40)) / 4; };
  for (int round = 0; round < 300; ++round) {
    const int arrivals = static_cast<int>(rng.UniformInt(rng.UniformInt(4) == 0 ? 2000 : 200));
    for (int i = 0; i < arrivals; ++i) {
      const double k = key();
      q.Insert(k, next);
      model.insert({k, next++});
    }
    for (int i = 0; i < 30 && !out.empty(); ++i) {  // back, with the old key or a new one
      const size_t x = rng.UniformInt(out.size());
      auto e = out[x];
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(x));
      if (rng.UniformInt(2) == 0) e.first = key();
      q.Insert(e.first, e.second);
      model.insert(e);
    }
    for (int i = 0; i < 20 && !model.empty(); ++i) {  // by key
      auto it = model.lower_bound(
          {key(), static_cast<JobIdx>(rng.UniformInt(static_cast<uint64_t>(next)))});
      if (it == model.end()) it = model.begin();
      ASSERT_TRUE(q.Erase(it->first, it->second));
      ASSERT_FALSE(q.Erase(it->first, it->second)) << "erased twice";
      out.push_back(*it);
      model.erase(it);
    }
    ASSERT_FALSE(q.Erase(-1, 0));
    const uint64_t keep_one_in = 1 + rng.UniformInt(10);
    auto m = model.begin();
    for (KeyOrderQueue::Pos p = q.First(); !q.End(p);) {
      ASSERT_NE(m, model.end()) << "round " << round;
      ASSERT_EQ(std::pair(q.Key(p), q.Job(p)), *m) << "round " << round;
      ASSERT_EQ(q.Ahead(p, 0), q.Job(p));
      const auto here = *m;
      const KeyOrderQueue::Pos following = q.Next(p);
      if (rng.UniformInt(keep_one_in) != 0) {
        ASSERT_TRUE(q.Erase(here.first, here.second));
        out.push_back(here);
        m = model.erase(m);
      } else {
        ++m;
      }
      if (m != model.end() && std::next(m) != model.end() && rng.UniformInt(8) == 0) {
        const auto later = *std::next(m);  // beyond p's successor, which stays valid
        ASSERT_TRUE(q.Erase(later.first, later.second));
        out.push_back(later);
        model.erase(std::next(m));
      }
      p = following;  // taken before the erases: the loop's check says it is still m
    }
    ASSERT_EQ(m, model.end()) << "round " << round;
    ASSERT_EQ(q.size(), static_cast<int64_t>(model.size()));
    for (int i = 0; i < 10; ++i) {  // FirstWhere: the first queued entry after a probe
      const std::pair<double, JobIdx> probe{
          key(), static_cast<JobIdx>(rng.UniformInt(static_cast<uint64_t>(next) + 1))};
      const KeyOrderQueue::Pos p =
          q.FirstWhere([&](double k, JobIdx j) { return probe < std::pair(k, j); });
      const auto want = model.upper_bound(probe);
      ASSERT_EQ(q.End(p), want == model.end()) << "round " << round;
      if (want != model.end()) {
        ASSERT_EQ(std::pair(q.Key(p), q.Job(p)), *want);
      }
    }
    if (rng.UniformInt(3) != 0) q.Tidy();
    std::vector<std::pair<double, JobIdx>> all;
    q.ForEach([&](double k, JobIdx j) { all.emplace_back(k, j); });
    ASSERT_TRUE(std::equal(all.begin(), all.end(), model.begin(), model.end()));
  }
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.End(q.First()));
}

}  // namespace
}  // namespace gpuplan::sim::detail
