// Kueue-style cluster queues (SimConfig::cluster_queues): hand-computed schedules for borrowing,
// the borrowing and lending limits and reclaim (worked out in the comments), a reference
// scheduler for admission without reclaim, and runs whose quotas never bind against runs
// without quotas.
#include <gtest/gtest.h>

#include <algorithm>
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

ClusterQueue Queue(const std::string& name, const std::string& tenant, int nominal,
                   const std::string& cohort = "") {
  return ClusterQueue{
      .name = name, .tenants = {tenant}, .cohort = cohort, .nominal_quota_gpus = nominal};
}

const ClusterQueueResult& Of(const SimResult& r, const std::string& name) {
  for (const ClusterQueueResult& q : r.cluster_queues) {
    if (q.name == name) return q;
  }
  ADD_FAILURE() << "no queue " << name;
  static const ClusterQueueResult kNone;
  return kNone;
}

// 16 GPUs (2 x 8); tenant a submits two 8-GPU jobs of 10 s at t = 0, b nothing. Its queue's
// nominal quota is 8: alone, the second job waits for the first (start 10); in a cohort with
// b's idle 8 it borrows them and starts at 0, borrowing 8 GPUs for 10 s.
TEST(ClusterQueues, BorrowIdleQuotaOfTheCohort) {
  const std::vector<JobSpec> jobs = {{.gpus = 8, .duration_s = 10, .tenant = "a"},
                                     {.gpus = 8, .duration_s = 10, .tenant = "a"},
                                     {.submit_s = 50, .gpus = 1, .duration_s = 1, .tenant = "b"}};
  for (const char* policy : {"fifo", "sjf", "easy", "fairshare", "las", "firstfit"}) {
    SCOPED_TRACE(policy);
    SimConfig alone{.cluster = OnePool(2, 8), .policy = policy};
    alone.cluster_queues = {Queue("qa", "a", 8), Queue("qb", "b", 8)};
    const SimResult r1 = RunSim(jobs, alone);
    ASSERT_EQ(r1.job_rows.size(), 3U);
    EXPECT_EQ(r1.job_rows[1].start_s, 10);
    EXPECT_EQ(Of(r1, "qa").borrowed_gpu_hours, 0);

    SimConfig cohort = alone;
    cohort.cluster_queues = {Queue("qa", "a", 8, "c"), Queue("qb", "b", 8, "c")};
    const SimResult r2 = RunSim(jobs, cohort);
    ASSERT_EQ(r2.job_rows.size(), 3U);
    EXPECT_EQ(r2.job_rows[0].start_s, 0);
    EXPECT_EQ(r2.job_rows[1].start_s, 0);
    EXPECT_DOUBLE_EQ(Of(r2, "qa").borrowed_gpu_hours, 8 * 10 / 3600.0);
    EXPECT_EQ(Of(r2, "qa").max_borrowed_gpus, 8);
    EXPECT_EQ(Of(r2, "qb").borrowed_gpu_hours, 0);
    EXPECT_EQ(Of(r2, "qa").jobs, 2);
    EXPECT_EQ(Of(r2, "qa").tenants, 1);
    EXPECT_EQ(r2.preemptions, 0);
  }
}

// A job its queue does not admit holds no backfill reservation: the quota, not the GPUs, is
// what it waits for, so reserving GPUs would idle them (Kueue admits before it schedules; Slurm's
// backfill likewise plans no start for a job held by an association or QOS limit). 16 GPUs
// (2 x 8), qa nominal 8: a's first 8-GPU job runs 0-100, its second (t = 1) waits for a's quota
// until 100; b's 8-GPU job of 500 s (t = 2) starts at once on the idle node, though it ends after
// a's second job could have started had the quota allowed it.
TEST(ClusterQueues, AJobOverItsQuotaReservesNothing) {
  const std::vector<JobSpec> jobs = {{.gpus = 8, .duration_s = 100, .tenant = "a"},
                                     {.submit_s = 1, .gpus = 8, .duration_s = 10, .tenant = "a"},
                                     {.submit_s = 2, .gpus = 8, .duration_s = 500, .tenant = "b"}};
  for (const char* policy : {"fifo", "sjf", "easy", "fairshare", "las", "firstfit"}) {
    SCOPED_TRACE(policy);
    SimConfig config{.cluster = OnePool(2, 8), .policy = policy};
    config.cluster_queues = {Queue("qa", "a", 8)};
    const SimResult r = RunSim(jobs, config);
    ASSERT_EQ(r.job_rows.size(), 3U);
    EXPECT_EQ(r.job_rows[2].start_s, 2);
    EXPECT_EQ(r.job_rows[1].start_s, 100);
    EXPECT_EQ(r.preemptions, 0);
  }
}

// 16 GPUs (4 x 4). qa: nominal 8, borrowing limit 4; qb: nominal 8, idle. a submits 8, 4 and 4
// GPUs (10 s) at t = 0: the first two fit 8 + 4 (borrowing 4, the limit); the third would borrow
// 8 and waits until t = 10, though 4 GPUs stand idle.
TEST(ClusterQueues, BorrowingLimit) {
  SimConfig config{.cluster = OnePool(4, 4), .policy = "fifo"};
  config.cluster_queues = {Queue("qa", "a", 8, "c"), Queue("qb", "b", 8, "c")};
  config.cluster_queues[0].borrowing_limit_gpus = 4;
  const SimResult r = RunSim({{.gpus = 8, .duration_s = 10, .tenant = "a"},
                              {.gpus = 4, .duration_s = 10, .tenant = "a"},
                              {.gpus = 4, .duration_s = 10, .tenant = "a"}},
                             config);
  ASSERT_EQ(r.job_rows.size(), 3U);
  EXPECT_EQ(r.job_rows[0].start_s, 0);
  EXPECT_EQ(r.job_rows[1].start_s, 0);
  EXPECT_EQ(r.job_rows[2].start_s, 10);
  EXPECT_EQ(Of(r, "qa").max_borrowed_gpus, 4);
  EXPECT_DOUBLE_EQ(Of(r, "qa").borrowed_gpu_hours, 4 * 10 / 3600.0);
}

// 16 GPUs (4 x 4). qa: nominal 8; qb: nominal 8, lending limit 4 (it keeps 4). a submits four
// 4-GPU jobs (10 s) at t = 0: the cohort lends 8 + 4 = 12, so three start and the fourth waits
// until t = 10. b's 4-GPU job at t = 1 runs on what qb keeps, on the 4 idle GPUs, at once.
TEST(ClusterQueues, LendingLimitKeepsPartOfTheQuota) {
  SimConfig config{.cluster = OnePool(4, 4), .policy = "easy"};
  config.cluster_queues = {Queue("qa", "a", 8, "c"), Queue("qb", "b", 8, "c")};
  config.cluster_queues[1].lending_limit_gpus = 4;
  std::vector<JobSpec> jobs(4, {.gpus = 4, .duration_s = 10, .tenant = "a"});
  jobs.push_back({.submit_s = 1, .gpus = 4, .duration_s = 10, .tenant = "b"});
  const SimResult r = RunSim(jobs, config);
  ASSERT_EQ(r.job_rows.size(), 5U);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.job_rows[static_cast<size_t>(i)].start_s, 0) << i;
  EXPECT_EQ(r.job_rows[3].start_s, 10);
  EXPECT_EQ(r.job_rows[4].start_s, 1);
  EXPECT_EQ(Of(r, "qa").max_borrowed_gpus, 4);
  EXPECT_EQ(r.preemptions, 0);
}

// 16 GPUs (2 x 8), qa and qb nominal 8 in one cohort, restart overhead 5 s. a's two 8-GPU jobs
// of 100 s start at t = 0 (the second borrowing qb's 8). At t = 10 b submits an 8-GPU job of
// 10 s: within qb's nominal quota, but the cohort's quota is lent out and no GPU is free, so it
// reclaims: the newest borrower (a's second job; same start, the later job) is preempted with
// its 10 s of work kept, b runs 10..20, and a's job restarts at 20 (borrowing again) and ends at
// 20 + 5 + 90 = 115, having waited 10 s in the queue.
TEST(ClusterQueues, ReclaimPreemptsTheNewestBorrower) {
  const std::vector<JobSpec> jobs = {{.gpus = 8, .duration_s = 100, .tenant = "a"},
                                     {.gpus = 8, .duration_s = 100, .tenant = "a"},
                                     {.submit_s = 10, .gpus = 8, .duration_s = 10, .tenant = "b"}};
  for (const char* policy : {"fifo", "sjf", "easy", "fairshare", "las", "firstfit"}) {
    SCOPED_TRACE(policy);
    SimConfig config{.cluster = OnePool(2, 8), .policy = policy};
    config.failures.restart_overhead_s = 5;
    config.cluster_queues = {Queue("qa", "a", 8, "c"), Queue("qb", "b", 8, "c")};
    const SimResult r = RunSim(jobs, config);
    ASSERT_EQ(r.job_rows.size(), 3U);
    EXPECT_EQ(r.job_rows[2].start_s, 10);
    EXPECT_EQ(r.job_rows[2].end_s, 20);
    EXPECT_EQ(r.job_rows[0].preemptions, 0);
    EXPECT_EQ(r.job_rows[0].end_s, 100);
    EXPECT_EQ(r.job_rows[1].preemptions, 1);
    EXPECT_DOUBLE_EQ(r.job_rows[1].end_s, 115);
    EXPECT_DOUBLE_EQ(r.job_rows[1].wait_s, 10);
    EXPECT_EQ(r.preemptions, 1);
    EXPECT_EQ(r.reclaim_preemptions, 1);
    EXPECT_DOUBLE_EQ(r.preemption_lost_gpu_hours, 8 * 5 / 3600.0);
    EXPECT_EQ(Of(r, "qa").reclaimed_jobs, 1);
    EXPECT_EQ(Of(r, "qb").reclaim_preemptions, 1);
    EXPECT_EQ(Of(r, "qa").reclaim_preemptions, 0);
    // Borrowed: 8 GPUs while both of a's jobs run, over 0..10 and 20..100.
    EXPECT_NEAR(Of(r, "qa").borrowed_gpu_hours, 8 * (10 + 80) / 3600.0, 1e-9);
  }
}

// 16 GPUs (4 x 4); qa nominal 4, qb nominal 12. a's four 4-GPU jobs (100 s) start at t = 0..3,
// qa borrowing 12. b's 4-GPU job at t = 10 needs 4 GPUs of quota and 4 free: one victim does,
// the newest (a's job of t = 3); the others keep running. It restarts when b's ends (t = 20).
TEST(ClusterQueues, ReclaimTakesTheFewestVictims) {
  std::vector<JobSpec> jobs;
  for (int i = 0; i < 4; ++i) {
    jobs.push_back(
        {.submit_s = static_cast<double>(i), .gpus = 4, .duration_s = 100, .tenant = "a"});
  }
  jobs.push_back({.submit_s = 10, .gpus = 4, .duration_s = 10, .tenant = "b"});
  SimConfig config{.cluster = OnePool(4, 4), .policy = "fifo"};
  config.failures.restart_overhead_s = 0;
  config.cluster_queues = {Queue("qa", "a", 4, "c"), Queue("qb", "b", 12, "c")};
  const SimResult r = RunSim(jobs, config);
  ASSERT_EQ(r.job_rows.size(), 5U);
  EXPECT_EQ(r.reclaim_preemptions, 1);
  EXPECT_EQ(r.job_rows[3].preemptions, 1);
  EXPECT_EQ(r.job_rows[4].start_s, 10);
  // 7 s of work done by t = 10, the other 93 s from t = 20.
  EXPECT_DOUBLE_EQ(r.job_rows[3].end_s, 113);
  EXPECT_DOUBLE_EQ(r.job_rows[3].wait_s, 10);
}

// No preemption that leaves the owner unable to start. 16 GPUs (2 x 8): tenant x (no queue)
// holds node 1 for 100 s, a's 8-GPU job (qa nominal 4, borrowing 4) node 2. b's 12-GPU job
// (qb nominal 12) at t = 10 is within its nominal quota, but evicting a frees only one node:
// nothing is preempted, and b starts at 100 when both nodes are free.
TEST(ClusterQueues, NoReclaimThatCannotMakeRoom) {
  SimConfig config{.cluster = OnePool(2, 8), .policy = "fifo"};
  config.cluster_queues = {Queue("qa", "a", 4, "c"), Queue("qb", "b", 12, "c")};
  const SimResult r = RunSim({{.gpus = 8, .duration_s = 100, .tenant = "x"},
                              {.gpus = 8, .duration_s = 100, .tenant = "a"},
                              {.submit_s = 10, .gpus = 12, .duration_s = 10, .tenant = "b"}},
                             config);
  ASSERT_EQ(r.job_rows.size(), 3U);
  EXPECT_EQ(r.preemptions, 0);
  EXPECT_EQ(r.job_rows[2].start_s, 100);
}

// A job larger than its queue can ever admit is reported, not queued forever.
TEST(ClusterQueues, JobAboveWhatTheQueueAdmitsIsUnschedulable) {
  SimConfig config{.cluster = OnePool(4, 8), .policy = "fifo"};
  config.cluster_queues = {Queue("qa", "a", 8, "c"), Queue("qb", "b", 8, "c")};
  config.cluster_queues[0].borrowing_limit_gpus = 4;
  const SimResult r = RunSim({{.gpus = 12, .duration_s = 10, .tenant = "a"},
                              {.gpus = 16, .duration_s = 10, .tenant = "a"}},
                             config);
  EXPECT_EQ(r.completed, 1);
  ASSERT_EQ(r.unschedulable.size(), 1U);
  EXPECT_EQ(r.unschedulable[0].job_id, "j2");
  EXPECT_NE(r.unschedulable[0].reason.find("cluster queue 'qa' admits at most 12"),
            std::string::npos)
      << r.unschedulable[0].reason;
}

TEST(ClusterQueues, BadQueuesAreErrors) {
  const auto error = [](std::vector<ClusterQueue> queues) {
    SimConfig config{.cluster = OnePool(1, 8)};
    config.cluster_queues = std::move(queues);
    auto r = Simulate(MakeTrace({{.gpus = 1}}), config);
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(error({Queue("q", "a", 8), Queue("q", "b", 8)}).find("duplicate"), std::string::npos);
  ClusterQueue no_cohort = Queue("q", "a", 8);
  no_cohort.borrowing_limit_gpus = 2;
  EXPECT_NE(error({no_cohort}).find("needs a cohort"), std::string::npos);
  ClusterQueue lends_more = Queue("q", "a", 8, "c");
  lends_more.lending_limit_gpus = 9;
  EXPECT_NE(error({lends_more}).find("exceeds the nominal quota"), std::string::npos);
  EXPECT_NE(error({Queue("q1", "a", 8), Queue("q2", "a", 8)}).find("tenant 'a' is already"),
            std::string::npos);
  EXPECT_EQ(error({Queue("q", "a", 8)}), "");
}

// Random multi-tenant traces over two pools of different node sizes, with fractional jobs and
// gaps that let the queue drain.
trace::Trace RandomTrace(int seed, int num_tenants) {
  Rng rng(static_cast<uint64_t>(500 + seed));
  std::vector<JobSpec> specs;
  double t = 0;
  for (int i = 0; i < 300; ++i) {
    t += static_cast<double>(rng.UniformInt(40) == 0 ? 3000 : rng.UniformInt(30));
    const int sizes[] = {1, 1, 2, 4, 8, 12, 16, 32};
    JobSpec s{.submit_s = t,
              .gpus = sizes[rng.UniformInt(8)],
              .duration_s = 1 + static_cast<double>(rng.UniformInt(2000)),
              .tenant = "t" + std::to_string(rng.UniformInt(static_cast<uint64_t>(num_tenants)))};
    if (rng.UniformInt(4) == 0) s.allowed = {rng.UniformInt(2) == 0 ? "a" : "b"};
    if (rng.UniformInt(5) == 0) s.milli = 250;
    specs.push_back(s);
  }
  return MakeTrace(specs);
}

ClusterSpec TwoPools() {
  return ClusterSpec{
      .groups = {NodeGroup{
                     .accelerator = "a", .num_nodes = 3, .gpus_per_node = 8, .relative_speed = 1.5},
                 NodeGroup{.accelerator = "b", .num_nodes = 6, .gpus_per_node = 4}},
      .reference_accelerator = "b"};
}

const char* const kPolicies[] = {"fifo", "sjf", "easy", "fairshare", "las", "firstfit"};

class QuotaRuns : public ::testing::TestWithParam<int> {};

// Queues whose quotas never bind (nominal 100: more than the cluster's 48 GPUs plus the
// largest job, one queue per tenant, no cohort; with less, a tenant's job that would pass its
// quota is passed over instead of blocking the queue, and the schedule changes) give every job the
// same start, type and end as no queues at all, and the same JSON but for the queue keys: the
// admission layer changes nothing it does not limit.
TEST_P(QuotaRuns, QuotasThatNeverBindChangeNothing) {
  const trace::Trace trace = RandomTrace(GetParam(), 5);
  for (const char* policy : kPolicies) {
    SCOPED_TRACE(policy);
    SimConfig config{.cluster = TwoPools(), .policy = policy, .check_invariants = true};
    auto plain = Simulate(trace, config);
    for (const trace::Tenant& t : trace.tenants) {
      config.cluster_queues.push_back(
          {.name = "q-" + t.name, .tenants = {t.name}, .nominal_quota_gpus = 100});
    }
    auto quota = Simulate(trace, config);
    ASSERT_TRUE(plain && quota);
    ASSERT_EQ(plain->job_rows.size(), quota->job_rows.size());
    for (size_t i = 0; i < plain->job_rows.size(); ++i) {
      EXPECT_EQ(plain->job_rows[i].start_s, quota->job_rows[i].start_s) << i;
      EXPECT_EQ(plain->job_rows[i].end_s, quota->job_rows[i].end_s) << i;
      EXPECT_EQ(plain->job_rows[i].accelerator, quota->job_rows[i].accelerator) << i;
    }
    nlohmann::ordered_json with = ToJson(*quota);
    EXPECT_EQ(with["cluster_queues"].size(), trace.tenants.size());
    with.erase("cluster_queues");
    with.erase("reclaim_preemptions");
    EXPECT_EQ(ToJson(*plain).dump(), with.dump());
  }
}

// Binding quotas in two cohorts (with borrowing and lending limits) and a tenant no queue
// covers: every policy keeps each queue within its limits and each cohort within what it
// lends after every pass (the engine checks with check_invariants), quotas are borrowed and
// reclaimed, every job completes, and a run is reproducible.
TEST_P(QuotaRuns, LimitsHoldUnderEveryPolicy) {
  const trace::Trace trace = RandomTrace(GetParam(), 6);
  SimConfig base{.cluster = TwoPools(), .check_invariants = true};
  base.failures.restart_overhead_s = 30;
  base.cluster_queues = {
      {.name = "q0", .tenants = {"t0"}, .cohort = "x", .nominal_quota_gpus = 16},
      {.name = "q1",
       .tenants = {"t1", "t2"},
       .cohort = "x",
       .nominal_quota_gpus = 12,
       .borrowing_limit_gpus = 8},
      {.name = "q2",
       .tenants = {"t3"},
       .cohort = "x",
       .nominal_quota_gpus = 8,
       .lending_limit_gpus = 4},
      {.name = "q3", .tenants = {"t4"}, .cohort = "y", .nominal_quota_gpus = 32}};
  for (const char* policy : kPolicies) {
    SCOPED_TRACE(policy);
    SimConfig config = base;
    config.policy = policy;
    auto r = Simulate(trace, config);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->completed + r->unschedulable_count, r->jobs);
    double borrowed = 0;
    for (const ClusterQueueResult& q : r->cluster_queues) borrowed += q.borrowed_gpu_hours;
    EXPECT_GT(borrowed, 0);
    auto again = Simulate(trace, config);
    ASSERT_TRUE(again);
    EXPECT_EQ(ToJson(*r).dump(), ToJson(*again).dump());
    EXPECT_GT(r->reclaim_preemptions, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, QuotaRuns, ::testing::Range(1, 5),
                         [](const auto& i) { return "Seed" + std::to_string(i.param); });

}  // namespace
}  // namespace gpuplan::sim
