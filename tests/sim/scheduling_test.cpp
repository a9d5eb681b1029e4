// The policies the issue reworked: hand-computed schedules (worked out in the comments), small
// reference schedulers written independently of the engine, and Cobham's formula.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "sim/sim.h"
#include "sim/sim_test_util.h"

namespace gpuplan::sim {
namespace {

using testing::JobSpec;
using testing::MakeTrace;
using testing::OnePool;
using testing::RunSim;

ClusterSpec TwoPools(int nodes_a, int nodes_b, double speed_a = 1, double speed_b = 1) {
  return ClusterSpec{.groups = {NodeGroup{.accelerator = "a",
                                          .num_nodes = nodes_a,
                                          .gpus_per_node = 8,
                                          .relative_speed = speed_a},
                                NodeGroup{.accelerator = "b",
                                          .num_nodes = nodes_b,
                                          .gpus_per_node = 8,
                                          .relative_speed = speed_b}},
                     .reference_accelerator = "b"};
}

TEST(Easy, BackfillsOnTheTracesEstimatesAndCompletesOnTrueTimes) {
  // One 8-GPU node. j1 (6 GPUs, 100 s) runs; j2 (8 GPUs) reserves the node at 100. j3 (2 GPUs,
  // true 50 s) says it needs 200 s: by its estimate it would outlast the reservation and the
  // node has no spare whole node then, so it waits; j2 runs 100-110, then j3 runs its true
  // 50 s, 110-160.
  const SimResult r = RunSim(
      {{.submit_s = 0, .gpus = 6, .duration_s = 100},
       {.submit_s = 1, .gpus = 8, .duration_s = 10},
       {.submit_s = 2, .gpus = 2, .duration_s = 50, .estimate_s = 200}},
      {.cluster = OnePool(1, 8), .policy = "easy", .backfill_interval_s = 0, .estimate_factor = 0});
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 110);
  EXPECT_DOUBLE_EQ(r.job_rows[2].end_s, 160);
}

TEST(Easy, ShadowCountsWholeNodes) {
  // Two 4-GPU nodes, each running a 2-GPU job ending at 100 and one ending at 300. At 100 four
  // GPUs are free, two per node: a 4-GPU job (j5) does not fit until 300, so its shadow is 300,
  // not 100 (as counting GPUs would say). j6 (2 GPUs, 100 s at 150) ends by 300 and backfills;
  // j7 (2 GPUs, 1000 s at 160) outlasts the shadow but spans one node, and the pool will have
  // one node more than j5 needs wholly free at 300, so it starts too; j5 still starts at 300.
  std::vector<JobSpec> jobs = {{.gpus = 2, .duration_s = 100},
                               {.gpus = 2, .duration_s = 300},
                               {.gpus = 2, .duration_s = 100},
                               {.gpus = 2, .duration_s = 300},
                               {.submit_s = 1, .gpus = 4, .duration_s = 10},
                               {.submit_s = 150, .gpus = 2, .duration_s = 100},
                               {.submit_s = 160, .gpus = 2, .duration_s = 1000}};
  const SimResult r = RunSim(
      jobs,
      {.cluster = OnePool(2, 4), .policy = "easy", .backfill_interval_s = 0, .estimate_factor = 0});
  EXPECT_DOUBLE_EQ(r.job_rows[4].start_s, 300);
  EXPECT_DOUBLE_EQ(r.job_rows[5].start_s, 150);
  EXPECT_DOUBLE_EQ(r.job_rows[6].start_s, 160);
}

TEST(Easy, PoolsThatCanNeverHoldTheHeadAreNotReserved) {
  // Pool a: one 8-GPU node; pool b: four. j1 fills b until 100; j2 (16 GPUs, any type) can only
  // ever run on b. j3 (8 GPUs, 1000 s) fits a at once: a holds no reservation for j2, so j3
  // starts at 2 although it would outlast j2's shadow.
  const SimResult r = RunSim({{.submit_s = 0, .gpus = 32, .duration_s = 100, .allowed = {"b"}},
                              {.submit_s = 1, .gpus = 16, .duration_s = 10},
                              {.submit_s = 2, .gpus = 8, .duration_s = 1000}},
                             {.cluster = TwoPools(1, 4),
                              .policy = "easy",
                              .backfill_interval_s = 0,
                              .estimate_factor = 0});
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 2);
  EXPECT_EQ(r.job_rows[2].accelerator, "a");
}

TEST(Easy, NoReservationBeyondTheBackfillWindow) {
  // One node. j1 (4 GPUs) runs 3 days; j2 (8 GPUs) can start only then. j3 (4 GPUs, 4 days)
  // would delay it. With bf_window 1 day j2 gets no reservation and j3 starts at 2 (j2 then
  // waits for it); with 5 days j3 waits until j2 is done.
  constexpr double kDay = 86400;
  const std::vector<JobSpec> jobs = {{.submit_s = 0, .gpus = 4, .duration_s = 3 * kDay},
                                     {.submit_s = 1, .gpus = 8, .duration_s = 100},
                                     {.submit_s = 2, .gpus = 4, .duration_s = 4 * kDay}};
  SimConfig config{.cluster = OnePool(1, 8),
                   .policy = "easy",
                   .backfill_interval_s = 0,
                   .bf_window_s = kDay,
                   .estimate_factor = 0};
  SimResult r = RunSim(jobs, config);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 2);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 4 * kDay + 2);
  config.bf_window_s = 5 * kDay;
  r = RunSim(jobs, config);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 3 * kDay);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 3 * kDay + 100);
}

TEST(Easy, EstimateModelRoundsUpOverestimates) {
  EXPECT_DOUBLE_EQ(EstimateOf(100, 0), 100);
  EXPECT_DOUBLE_EQ(EstimateOf(100, 2), 300);                   // 200 s -> 5 min
  EXPECT_DOUBLE_EQ(EstimateOf(1000, 2), 3600);                 // 2000 s -> 1 h
  EXPECT_DOUBLE_EQ(EstimateOf(5 * 86400.0, 2), 10 * 86400.0);  // past 7 days: whole days
  EXPECT_DOUBLE_EQ(EstimateOf(3 * 86400.0, 1), 3 * 86400.0);
}

TEST(Fairshare, BlocksPerPoolNotGlobally) {
  // Pools a and b, one node each. j1 fills a until 100, j2 waits for a; j3 (b only) starts at
  // once on b under fairshare. fifo's head (j2) blocks it until 100.
  const std::vector<JobSpec> jobs = {
      {.submit_s = 0, .gpus = 8, .duration_s = 100, .allowed = {"a"}},
      {.submit_s = 1, .gpus = 8, .duration_s = 10, .allowed = {"a"}},
      {.submit_s = 2, .gpus = 4, .duration_s = 1000, .tenant = "b", .allowed = {"b"}}};
  SimResult r = RunSim(jobs, {.cluster = TwoPools(1, 1), .policy = "fairshare"});
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 2);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 100);
  r = RunSim(jobs, {.cluster = TwoPools(1, 1), .policy = "fifo"});
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 100);
}

TEST(Fairshare, BackfillsBehindTheReservation) {
  // kBackfill-like: one node, j1 (6 GPUs, 100 s); j2 (8 GPUs) reserves at 100; j3 (2 GPUs,
  // 50 s) backfills at 2, j4 (2 GPUs, 500 s) waits until j2 ends at 110. One tenant, so the
  // fair-share factor is the same for all and age orders them.
  const SimResult r = RunSim({{.submit_s = 0, .gpus = 6, .duration_s = 100},
                              {.submit_s = 1, .gpus = 8, .duration_s = 10},
                              {.submit_s = 2, .gpus = 2, .duration_s = 50},
                              {.submit_s = 3, .gpus = 2, .duration_s = 500}},
                             {.cluster = OnePool(1, 8),
                              .policy = "fairshare",
                              .backfill_interval_s = 0,
                              .estimate_factor = 0});
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 2);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[3].start_s, 110);
}

TEST(Fairshare, AgeAndJobSizeWeights) {
  // One node; j1 fills it until 100. j2 (4 GPUs) at t=1 and j3 (6 GPUs) at t=2 cannot run
  // together. With only PriorityWeightAge the older j2 goes first (100), j3 at 110; with only
  // PriorityWeightJobSize the larger j3 goes first (100), j2 at 110.
  const std::vector<JobSpec> jobs = {{.submit_s = 0, .gpus = 8, .duration_s = 100},
                                     {.submit_s = 1, .gpus = 4, .duration_s = 10},
                                     {.submit_s = 2, .gpus = 6, .duration_s = 10}};
  SimConfig config{.cluster = OnePool(1, 8),
                   .policy = "fairshare",
                   .backfill_interval_s = 0,
                   .priority_weight_fairshare = 0,
                   .priority_weight_age = 1,
                   .priority_weight_job_size = 0,
                   .estimate_factor = 0};
  SimResult r = RunSim(jobs, config);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 110);
  config.priority_weight_age = 0;
  config.priority_weight_job_size = 1;
  r = RunSim(jobs, config);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 100);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 110);
}

TEST(Fairshare, StoredPrioritiesUntilTheNextRecalculation) {
  // One GPU, tenants a and b of equal shares, only the fair-share factor weighted, usage decay
  // negligible (half-life 10^9 s: usage = GPU-seconds). a1 runs 0-250; b1 (submitted first of
  // the rest) 250-550. a2, b2, b3 (100 s each, submitted at 10) wait. At 550:
  //  - recalculated every pass: U_a = 250 < U_b = 300, a2 goes first (550), then b2 (650),
  //    b3 (750);
  //  - PriorityCalcPeriod 300 s: the priorities are those of t = 300, U_a = 250 > U_b = 50, so
  //    b2 goes (550); at 650 they are those of t = 600, U_a = 250 < U_b = 350 (b1's 300 s and
  //    b2's 50 s): a2 (650), then b3 (750). Without the recalculation at 600, b3 would be next.
  const std::vector<JobSpec> jobs = {{.submit_s = 0, .duration_s = 250, .tenant = "a"},
                                     {.submit_s = 0, .duration_s = 300, .tenant = "b"},
                                     {.submit_s = 10, .duration_s = 100, .tenant = "a"},
                                     {.submit_s = 10, .duration_s = 100, .tenant = "b"},
                                     {.submit_s = 10, .duration_s = 100, .tenant = "b"}};
  SimConfig config{.cluster = OnePool(1, 1),
                   .policy = "fairshare",
                   .backfill_interval_s = 0,
                   .fairshare_half_life_s = 1e9,
                   .priority_weight_age = 0,
                   .priority_weight_job_size = 0,
                   .priority_calc_period_s = 0,
                   .estimate_factor = 0};
  for (const bool plain : {false, true}) {
    SCOPED_TRACE(plain ? "plain passes" : "fast passes");
    config.plain_passes = plain;
    config.priority_calc_period_s = 0;
    SimResult r = RunSim(jobs, config);
    EXPECT_DOUBLE_EQ(r.job_rows[0].start_s, 0);
    EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 250);
    EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 550);
    EXPECT_DOUBLE_EQ(r.job_rows[3].start_s, 650);
    EXPECT_DOUBLE_EQ(r.job_rows[4].start_s, 750);
    config.priority_calc_period_s = 300;
    r = RunSim(jobs, config);
    EXPECT_DOUBLE_EQ(r.job_rows[0].start_s, 0);
    EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 250);
    EXPECT_DOUBLE_EQ(r.job_rows[3].start_s, 550);
    EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 650);
    EXPECT_DOUBLE_EQ(r.job_rows[4].start_s, 750);
  }
}

TEST(Fairshare, AJobQueuedBetweenRecalculationsGetsItsAgeThen) {
  // Two GPUs, age and size weighted (PriorityMaxAge 1000 s, wA 1000: one point a second of age;
  // wZ 100: 50 points a GPU). j1 (2 GPUs) runs from 0 to `end`; j2 (1 GPU, submitted at 0) and
  // j3 (2 GPUs, submitted at 100) wait. Recalculated continuously, j2 leads j3 by its 100 s of
  // age less 50 size points, at any time: j2 first. With PriorityCalcPeriod 300 s:
  //  - end = 200: j2's priority is that of t = 0 (age 0: 50), j3's that of its submit (age 0:
  //    100): j3 first (200-300), j2 at 300;
  //  - end = 350: both are those of t = 300 (j2: 300 + 50, j3: 200 + 100): j2 first, as
  //    continuously.
  SimConfig config{.cluster = OnePool(1, 2),
                   .policy = "fairshare",
                   .backfill_interval_s = 0,
                   .priority_weight_fairshare = 0,
                   .priority_weight_age = 1000,
                   .priority_weight_job_size = 100,
                   .priority_max_age_s = 1000,
                   .estimate_factor = 0};
  for (const double end : {200.0, 350.0}) {
    const std::vector<JobSpec> jobs = {{.submit_s = 0, .gpus = 2, .duration_s = end},
                                       {.submit_s = 0, .gpus = 1, .duration_s = 100},
                                       {.submit_s = 100, .gpus = 2, .duration_s = 100}};
    for (const double period : {0.0, 300.0}) {
      SCOPED_TRACE("j1 ends at " + std::to_string(end) + ", period " + std::to_string(period));
      config.priority_calc_period_s = period;
      const SimResult r = RunSim(jobs, config);
      const bool j3_first = period > 0 && end < 300;
      EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, j3_first ? end + 100 : end);
      EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, j3_first ? end : end + 100);
    }
  }
}

TEST(Placement, WaitsForAFasterTypeWhenItFinishesSooner) {
  // Pool a is 4x faster than b (the reference). j1 (8 GPUs, 40 ref-s) runs on a for 10 s.
  // j2 (8 GPUs, 100 ref-s) could start on b now and end at 100, or on a at 10 and end at 35:
  // it waits for a (easy reserves a at 10). j3 (8 GPUs, 4 ref-s) at t=1: on a it would start
  // after j2, on b it ends at 5: it takes b.
  const std::vector<JobSpec> jobs = {{.submit_s = 0, .gpus = 8, .duration_s = 40},
                                     {.submit_s = 0, .gpus = 8, .duration_s = 100},
                                     {.submit_s = 1, .gpus = 8, .duration_s = 4}};
  SimResult r = RunSim(jobs, {.cluster = TwoPools(1, 1, 4, 1),
                              .policy = "easy",
                              .backfill_interval_s = 0,
                              .estimate_factor = 0});
  EXPECT_EQ(r.job_rows[1].accelerator, "a");
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 10);
  EXPECT_DOUBLE_EQ(r.job_rows[1].end_s, 35);
  EXPECT_EQ(r.job_rows[2].accelerator, "b");
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 1);
  // fifo does not wait (its blocked head would hold both pools): j2 runs on b at once.
  r = RunSim(jobs, {.cluster = TwoPools(1, 1, 4, 1), .policy = "fifo", .estimate_factor = 0});
  EXPECT_EQ(r.job_rows[1].accelerator, "b");
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 0);
}

TEST(Las, EvictsTheSmallestVictimThatMakesRoom) {
  // Two 8-GPU nodes, threshold 100 GPU-s. j1 (1 GPU) starts at 0 and j2 (7 GPUs) at 0 on one
  // node, j3 (8 GPUs) at 1 on the other; all pass 100 GPU-s by t=100 (level 1). j4 (1 GPU) at
  // 200 evicts j1 (1 GPU), not the latest-started 8-GPU j3, and nothing else.
  const SimResult r = RunSim({{.submit_s = 0, .gpus = 1, .duration_s = 1000},
                              {.submit_s = 0, .gpus = 7, .duration_s = 1000},
                              {.submit_s = 1, .gpus = 8, .duration_s = 1000},
                              {.submit_s = 200, .gpus = 1, .duration_s = 10}},
                             {.cluster = OnePool(2, 8),
                              .policy = "las",
                              .failures = {.restart_overhead_s = 5},
                              .las_thresholds_gpu_s = {100}});
  EXPECT_EQ(r.preemptions, 1);
  EXPECT_EQ(r.job_rows[0].preemptions, 1);
  EXPECT_EQ(r.job_rows[2].preemptions, 0);
  EXPECT_DOUBLE_EQ(r.job_rows[3].start_s, 200);
  EXPECT_DOUBLE_EQ(r.job_rows[0].wait_s, 10);  // re-queued 200-210
  EXPECT_NEAR(r.preemption_lost_gpu_hours, 5.0 / 3600, 1e-12);
}

TEST(Las, NoPreemptionThatCannotMakeRoom) {
  // Two 4-GPU nodes, spread placement: each node runs a 2-GPU job of level 1 (1000 s from t=0)
  // and a 2-GPU job still at level 0 (30 s from t=190, 60 GPU-s). A 4-GPU arrival at 200 cannot
  // fit by evicting level-1 jobs alone (the level-0 job keeps half the node), so nothing is
  // preempted; at 220 the short jobs end and it evicts one level-1 job, the node it frees whole.
  const SimResult r = RunSim({{.submit_s = 0, .gpus = 2, .duration_s = 1000},
                              {.submit_s = 0, .gpus = 2, .duration_s = 1000},
                              {.submit_s = 190, .gpus = 2, .duration_s = 30},
                              {.submit_s = 190, .gpus = 2, .duration_s = 30},
                              {.submit_s = 200, .gpus = 4, .duration_s = 10}},
                             {.cluster = OnePool(2, 4),
                              .policy = "las",
                              .placement = Placement::kSpread,
                              .las_thresholds_gpu_s = {100}});
  EXPECT_EQ(r.preemptions, 1);
  EXPECT_DOUBLE_EQ(r.job_rows[4].start_s, 220);
}

TEST(Las, GangVictimsMustLeaveRoomForTheRemainder) {
  // Two 8-GPU nodes, threshold 100 GPU-s: j1 (8 GPUs) holds node 1, level 1 from t = 12.5;
  // j2..j6 (1 GPU each) hold 5 GPUs of node 2, level 0 until t = 100. j7 (12 GPUs) at 50 needs a
  // whole node and 4 more: evicting j1 frees one whole node but node 2 has only 3 free, so
  // nothing is preempted (this used to evict j1 and then fail to place j7). At 100 the small
  // jobs reach level 1: j7 evicts j1 and one small job (j2; the other four fit beside it).
  std::vector<JobSpec> jobs = {{.gpus = 8, .duration_s = 1000}};
  for (int i = 0; i < 5; ++i) jobs.push_back({.gpus = 1, .duration_s = 1000});
  jobs.push_back({.submit_s = 50, .gpus = 12, .duration_s = 10});
  const SimResult r =
      RunSim(jobs, {.cluster = OnePool(2, 8), .policy = "las", .las_thresholds_gpu_s = {100}});
  EXPECT_EQ(r.preemptions, 2);
  EXPECT_EQ(r.job_rows[0].preemptions, 1);
  EXPECT_EQ(r.job_rows[1].preemptions, 1);
  EXPECT_NEAR(r.job_rows[6].start_s, 100, 1e-3);
}

// las's preemption walk for jobs of whole nodes is answered from the nodes that preemptions
// would free whole (WholeNodeRoom), not by walking every smaller victim; the plain passes walk.
// Same victims, so the same schedule, on traces that preempt thousands of times: many small
// jobs and gangs of whole nodes (with and without a remainder), three levels, jobs of shares on
// some nodes, two pools of different node sizes, with and without node failures.
class LasWholeNodes : public ::testing::TestWithParam<int> {};

TEST_P(LasWholeNodes, SameVictimsAsTheWalk) {
  Rng rng(static_cast<uint64_t>(300 + GetParam()));
  std::vector<JobSpec> specs;
  double t = 0;
  for (int i = 0; i < 250; ++i) {
    t += static_cast<double>(rng.UniformInt(rng.UniformInt(20) == 0 ? 2000 : 20));
    const int sizes[] = {1, 1, 1, 2, 3, 4, 8, 8, 16, 12, 24, 32};
    JobSpec s{.submit_s = t,
              .gpus = sizes[rng.UniformInt(12)],
              .duration_s = 10 + static_cast<double>(rng.UniformInt(3000)),
              .tenant = "t" + std::to_string(rng.UniformInt(3))};
    if (rng.UniformInt(4) == 0) s.allowed = {rng.UniformInt(2) == 0 ? "a" : "b"};
    if (rng.UniformInt(12) == 0) {
      s.gpus = 1 + static_cast<int>(rng.UniformInt(2));
      s.milli = 500;
    }
    specs.push_back(s);
  }
  ClusterSpec cluster = TwoPools(6, 0, 1, 1.5);
  cluster.groups[1].num_nodes = 8;
  cluster.groups[1].gpus_per_node = 4;
  const trace::Trace trace = MakeTrace(specs);
  for (const bool failures : {false, true}) {
    SCOPED_TRACE(failures ? "with failures" : "no failures");
    SimConfig config{.cluster = cluster,
                     .policy = "las",
                     .check_invariants = true,
                     .las_thresholds_gpu_s = {200, 4000, 40000}};
    config.failures.restart_overhead_s = 30;
    if (failures) {
      config.failures.gpu_mtbf_s = 4 * 3600.0;
      config.failures.node_repair_s = 900;
    }
    auto fast = Simulate(trace, config);
    config.plain_passes = true;
    config.check_invariants = false;  // checked on the fast run
    auto plain = Simulate(trace, config);
    ASSERT_TRUE(fast && plain);
    EXPECT_GT(plain->preemptions, 200);  // the walks matter
    EXPECT_EQ(fast->preemptions, plain->preemptions);
    ASSERT_EQ(fast->job_rows.size(), plain->job_rows.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      const JobRow &a = fast->job_rows[i], &b = plain->job_rows[i];
      EXPECT_EQ(a.start_s, b.start_s) << "job " << i;
      EXPECT_EQ(a.end_s, b.end_s) << "job " << i;
      EXPECT_EQ(a.preemptions, b.preemptions) << "job " << i;
      EXPECT_EQ(a.accelerator, b.accelerator) << "job " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, LasWholeNodes, ::testing::Range(1, 5),
                         [](const auto& i) { return "Seed" + std::to_string(i.param); });

TEST(Firstfit, EveryJobThatFitsStarts) {
  // One node. j1 (6 GPUs, 100 s) runs; j2 (8 GPUs) cannot start; j3 (2 GPUs, 500 s) fits and
  // starts at once with no reservation for j2, which waits until j3 ends at 502.
  const SimResult r = RunSim({{.submit_s = 0, .gpus = 6, .duration_s = 100},
                              {.submit_s = 1, .gpus = 8, .duration_s = 10},
                              {.submit_s = 2, .gpus = 2, .duration_s = 500}},
                             {.cluster = OnePool(1, 8), .policy = "firstfit"});
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 2);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 502);
}

TEST(Simulate, SharesOfGpusPerInstance) {
  // One 2-GPU node. j1: 3 instances of 600 milli (one share per GPU: it needs 3 GPUs' room) can
  // never fit and is reported; j2: 3 instances of 400 milli fit on 2 GPUs (2 + 1 shares) and run
  // alongside j3 (2 x 300 milli, on the room left: 200 + 600 milli).
  std::vector<JobSpec> jobs = {{.gpus = 3, .duration_s = 10, .milli = 600},
                               {.gpus = 3, .duration_s = 10, .milli = 400},
                               {.gpus = 2, .duration_s = 10, .milli = 300}};
  const SimResult r = RunSim(jobs, {.cluster = OnePool(1, 2)});
  EXPECT_EQ(r.unschedulable_count, 1);
  EXPECT_DOUBLE_EQ(r.job_rows[1].start_s, 0);
  EXPECT_DOUBLE_EQ(r.job_rows[2].start_s, 0);
  EXPECT_NEAR(r.allocated_gpu_hours, (1.2 + 0.6) * 10 / 3600, 1e-12);
}

TEST(Simulate, MetricsPerInstanceWeighByInstances) {
  // One GPU; j1 (1 instance) runs 0-100, j2 (3 instances of 1/3 GPU) waits 100 s. Per job the
  // mean wait is 50 s; per instance (1 x 0 + 3 x 100) / 4 = 75 s.
  trace::Trace t = MakeTrace({{.submit_s = 0, .duration_s = 100},
                              {.submit_s = 0, .gpus = 3, .duration_s = 10, .milli = 1000}});
  t.jobs[1].gpus = 1;
  t.jobs[1].instances = 3;
  SimConfig config{.cluster = OnePool(1, 1)};
  auto r = Simulate(t, config);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->waits.avg_wait_s, 50);
  config.metrics_per_instance = true;
  r = Simulate(t, config);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->waits.avg_wait_s, 75);
  EXPECT_DOUBLE_EQ(r->waits.p50_wait_s, 100);
}

// --- Reference schedulers: one pool of 1-GPU nodes (so node shapes are GPU counts), exact
// estimates, written from the textbook definitions, replayed event by event.
struct RefJob {
  double submit = 0, run = 0;
  int gpus = 1;
};

enum class RefPolicy { kFifo, kEasy, kFirstfit };

std::vector<double> ReferenceStarts(const std::vector<RefJob>& jobs, int gpus, RefPolicy policy) {
  std::vector<double> start(jobs.size(), -1);
  std::vector<size_t> queue;              // submit order
  std::multimap<double, size_t> running;  // end -> job
  size_t next = 0;
  int free = gpus;
  while (next < jobs.size() || !queue.empty()) {
    double t = next < jobs.size() ? jobs[next].submit : 1e300;
    if (!running.empty()) t = std::min(t, running.begin()->first);
    while (!running.empty() && running.begin()->first == t) {
      free += jobs[running.begin()->second].gpus;
      running.erase(running.begin());
    }
    while (next < jobs.size() && jobs[next].submit == t) queue.push_back(next++);
    auto launch = [&](size_t k) {
      start[queue[k]] = t;
      free -= jobs[queue[k]].gpus;
      running.insert({t + jobs[queue[k]].run, queue[k]});
      queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(k));
    };
    if (policy == RefPolicy::kFirstfit) {
      for (size_t k = 0; k < queue.size();) {
        if (jobs[queue[k]].gpus <= free) {
          launch(k);
        } else {
          ++k;
        }
      }
      continue;
    }
    while (!queue.empty() && jobs[queue[0]].gpus <= free) launch(0);
    if (policy != RefPolicy::kEasy || queue.empty()) continue;
    // EASY (Mu'alem and Feitelson 2001): the head's shadow time and extra processors.
    int avail = free;
    double shadow = 1e300;
    int extra = 0;
    for (const auto& [end, j] : running) {
      if (end > shadow) break;
      avail += jobs[j].gpus;  // every job ending at the shadow time is done by then
      if (shadow == 1e300 && avail >= jobs[queue[0]].gpus) shadow = end;
    }
    extra = avail - jobs[queue[0]].gpus;
    for (size_t k = 1; k < queue.size();) {
      const RefJob& c = jobs[queue[k]];
      const bool ends_before = t + c.run <= shadow;
      if (c.gpus <= free && (ends_before || c.gpus <= extra)) {
        if (!ends_before) extra -= c.gpus;
        launch(k);
      } else {
        ++k;
      }
    }
  }
  return start;
}

class AgainstReference : public ::testing::TestWithParam<int> {};

TEST_P(AgainstReference, FifoEasyAndFirstfitMatchStartForStart) {
  Rng rng(static_cast<uint64_t>(GetParam()));
  constexpr int kGpus = 8;
  std::vector<RefJob> ref;
  std::vector<JobSpec> specs;
  double t = 0;
  for (int i = 0; i < 60; ++i) {
    t += static_cast<double>(rng.UniformInt(20));
    const int gpus = 1 + static_cast<int>(rng.UniformInt(kGpus));
    const double run = 1 + static_cast<double>(rng.UniformInt(100));
    ref.push_back({t, run, gpus});
    specs.push_back({.submit_s = t, .gpus = gpus, .duration_s = run});
  }
  // The traces are loaded enough that the three schedules differ.
  EXPECT_NE(ReferenceStarts(ref, kGpus, RefPolicy::kFifo),
            ReferenceStarts(ref, kGpus, RefPolicy::kEasy));
  EXPECT_NE(ReferenceStarts(ref, kGpus, RefPolicy::kEasy),
            ReferenceStarts(ref, kGpus, RefPolicy::kFirstfit));
  for (const auto& [name, policy] :
       {std::pair{"fifo", RefPolicy::kFifo}, std::pair{"easy", RefPolicy::kEasy},
        std::pair{"firstfit", RefPolicy::kFirstfit}}) {
    const std::vector<double> want = ReferenceStarts(ref, kGpus, policy);
    const SimResult r = RunSim(specs, {.cluster = OnePool(kGpus, 1),
                                       .policy = name,
                                       .backfill_interval_s = 0,
                                       .estimate_factor = 0});
    for (size_t i = 0; i < specs.size(); ++i) {
      EXPECT_DOUBLE_EQ(r.job_rows[i].start_s, want[i]) << name << " job " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, AgainstReference, ::testing::Range(1, 9),
                         [](const auto& i) { return "Seed" + std::to_string(i.param); });

// The passes' shortcuts (fairshare: only tenants with queued jobs visited, the total usage
// integrated on its own; with stored priorities, the heaps of tenants' heads merged lazily, the
// jobs reaching PriorityMaxAge found through one index, jobs queued between recalculations
// re-keyed from a list; easy and fairshare: placement checks skipped by the no-fit threshold;
// las: placement and preemption walks skipped by what failed since GPUs last came free;
// firstfit: shapes dropped once one of their jobs does not fit) against the plain passes (every
// tenant updated and summed at each recalculation, every growing job checked, each pass taking the
// best of every tenant's next jobs by a scan, every placement and walk done): the same schedule on
// random multi-tenant traces over two pools of different node sizes, with fractional jobs, with
// backfill scans on every pass and every 30 s.
class FastPasses : public ::testing::TestWithParam<int> {};

TEST_P(FastPasses, SameScheduleAsThePlainPasses) {
  Rng rng(static_cast<uint64_t>(100 + GetParam()));
  std::vector<JobSpec> specs;
  double t = 0;
  for (int i = 0; i < 300; ++i) {
    // Bursts with gaps, so the queue drains and refills (a pass's state must not outlive it).
    t += static_cast<double>(rng.UniformInt(40) == 0 ? 3000 : rng.UniformInt(30));
    const int sizes[] = {1, 1, 2, 4, 8, 12, 16, 32};
    JobSpec s{.submit_s = t,
              .gpus = sizes[rng.UniformInt(8)],
              .duration_s = 1 + static_cast<double>(rng.UniformInt(2000)),
              .tenant = "t" + std::to_string(rng.UniformInt(7))};
    if (rng.UniformInt(4) == 0) s.allowed = {rng.UniformInt(2) == 0 ? "a" : "b"};
    if (rng.UniformInt(5) == 0) s.milli = 250;
    specs.push_back(s);
  }
  ClusterSpec cluster = TwoPools(3, 0, 1.5, 1);
  cluster.groups[1].num_nodes = 6;
  cluster.groups[1].gpus_per_node = 4;
  trace::Trace trace = MakeTrace(specs);
  for (size_t i = 0; i < trace.tenants.size(); ++i) {
    trace.tenants[i].share_weight = 1 + static_cast<double>(i % 3);
  }
  // fifo's and easy's compact queues (SubmitOrderQueue: arrivals in a vector, jobs back in the
  // queue in a set) against std::sets: fifo with three priority classes; failures, and cluster
  // queues whose reclaims preempt borrowers back into the queue in the middle of a pass.
  trace::Trace with_priorities = trace;
  for (size_t i = 0; i < with_priorities.jobs.size(); ++i) {
    with_priorities.jobs[i].priority = static_cast<int>(i % 3);
  }
  struct Case {
    const char* policy;
    double interval_s;
    double calc_period_s = 300;  // fairshare: PriorityCalcPeriod (0: every pass)
  };
  for (const auto& [policy, interval, calc_period] :
       {Case{"fairshare", 0.0, 0}, Case{"fairshare", 30.0, 0}, Case{"fairshare", 0.0},
        Case{"fairshare", 30.0}, Case{"fairshare", 30.0, 45}, Case{"easy", 0.0}, Case{"easy", 30.0},
        Case{"las", 30.0}, Case{"firstfit", 30.0}, Case{"fairshare+failures", 30.0, 0},
        Case{"fairshare+failures", 30.0}, Case{"fifo", 0.0}, Case{"fifo+failures", 0.0},
        Case{"fifo+queues", 0.0}, Case{"easy+failures", 30.0}, Case{"easy+queues", 0.0},
        Case{"fairshare+queues", 0.0}, Case{"fairshare+queues", 30.0}}) {
    SCOPED_TRACE(std::string(policy) + " every " + std::to_string(interval) + " s, calc period " +
                 std::to_string(calc_period) + " s");
    // With failures, killed jobs come back to the queue out of submit order (fairshare's index
    // of jobs reaching PriorityMaxAge keeps them apart from the arrivals), and a node failure
    // kills jobs holding several shares of its GPUs.
    const std::string name = policy;
    const bool failures = name.ends_with("+failures");
    const bool fifo = name.starts_with("fifo");
    SimConfig config{.cluster = cluster,
                     .policy = name.substr(0, name.find('+')),
                     .check_invariants = true,
                     .backfill_interval_s = interval,
                     .fairshare_half_life_s = 3600,
                     .priority_max_age_s = 4000,
                     .priority_calc_period_s = calc_period};
    if (failures) {
      config.failures.gpu_mtbf_s = 2 * 3600.0;
      config.failures.node_repair_s = 600;
    }
    if (name.ends_with("+queues")) {
      for (int q = 0; q < 3; ++q) {
        ClusterQueue cq{.name = "q" + std::to_string(q), .cohort = "all", .nominal_quota_gpus = 12};
        for (int k = q; k < 7; k += 3) cq.tenants.push_back("t" + std::to_string(k));
        config.cluster_queues.push_back(cq);
      }
    }
    const trace::Trace& jobs = fifo ? with_priorities : trace;
    auto fast = Simulate(jobs, config);
    config.plain_passes = true;
    auto plain = Simulate(jobs, config);
    ASSERT_TRUE(fast && plain);
    ASSERT_EQ(fast->job_rows.size(), plain->job_rows.size());
    int waited = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
      EXPECT_EQ(fast->job_rows[i].start_s, plain->job_rows[i].start_s) << "job " << i;
      EXPECT_EQ(fast->job_rows[i].accelerator, plain->job_rows[i].accelerator) << "job " << i;
      waited += plain->job_rows[i].wait_s > 0;
    }
    EXPECT_GT(waited, 50);  // loaded enough that the order matters
    if (failures) {
      EXPECT_GT(plain->restarts, 0);
    }
    if (!config.cluster_queues.empty()) {
      EXPECT_GT(plain->reclaim_preemptions, 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, FastPasses, ::testing::Range(1, 7),
                         [](const auto& i) { return "Seed" + std::to_string(i.param); });

// Cobham (1954): non-preemptive priority M/G/1, class k mean wait
// W_k = W0 / ((1 - s_{k-1}) (1 - s_k)), s_k = rho_1 + ... + rho_k, W0 = sum_i lambda_i E[S_i^2] / 2
// (exponential service: E[S^2] = 2 / mu^2). Kleinrock, Queueing Systems vol. 2, sec. 3.6.
TEST(Fifo, TwoPriorityClassesMatchCobham) {
  constexpr double kMu = 1.0 / 100, kLambdaHi = 0.3 * kMu, kLambdaLo = 0.4 * kMu;
  constexpr int kJobs = 150'000;
  Rng rng(7);
  Rng arrivals = rng.Fork("arrivals"), services = rng.Fork("services"), classes = rng.Fork("c");
  trace::Trace t;
  t.source = "cobham";
  const int32_t hi = t.TenantIndex("hi"), lo = t.TenantIndex("lo");
  double now = 0;
  for (int i = 0; i < kJobs; ++i) {
    now += arrivals.Exponential(kLambdaHi + kLambdaLo);
    trace::Job j;
    j.id = std::to_string(i);
    j.submit_s = now;
    j.duration_s = services.Exponential(kMu);
    const bool is_hi = classes.Uniform01() < kLambdaHi / (kLambdaHi + kLambdaLo);
    j.tenant_idx = is_hi ? hi : lo;
    j.priority = is_hi ? 1 : 0;
    t.jobs.push_back(j);
  }
  auto r = Simulate(t, {.cluster = OnePool(1, 1), .policy = "fifo", .record_jobs = false});
  ASSERT_TRUE(r) << r.error().message;
  const double rho1 = kLambdaHi / kMu, rho = (kLambdaHi + kLambdaLo) / kMu;
  const double w0 = (kLambdaHi + kLambdaLo) * 2 / (kMu * kMu) / 2;
  const double want_hi = w0 / (1 - rho1), want_lo = w0 / ((1 - rho1) * (1 - rho));
  // Over 150k jobs the sample means spread by about +-1.5% (high) and +-6% (low priority)
  // across six seeds; the tolerances are a little wider.
  EXPECT_NEAR(r->per_tenant[0].waits.avg_wait_s, want_hi, 0.04 * want_hi);
  EXPECT_NEAR(r->per_tenant[1].waits.avg_wait_s, want_lo, 0.09 * want_lo);
  // Without priorities the same jobs wait as in M/M/1, W0 / (1 - rho), whatever their class.
  for (trace::Job& j : t.jobs) j.priority = 0;
  r = Simulate(t, {.cluster = OnePool(1, 1), .policy = "fifo", .record_jobs = false});
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->waits.avg_wait_s, w0 / (1 - rho), 0.09 * w0 / (1 - rho));
}

}  // namespace
}  // namespace gpuplan::sim
