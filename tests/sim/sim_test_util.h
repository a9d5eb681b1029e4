// Test helpers for sim: in-memory traces and the invariants every run must satisfy.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/sim.h"
#include "trace/trace.h"

namespace gpuplan::sim::testing {

// A cluster of one pool: `nodes` x `gpus_per_node` of type "t".
inline ClusterSpec OnePool(int nodes, int gpus_per_node) {
  return ClusterSpec{
      .groups = {NodeGroup{.accelerator = "t", .num_nodes = nodes, .gpus_per_node = gpus_per_node}},
      .reference_accelerator = "t"};
}

struct JobSpec {
  double submit_s = 0;
  int gpus = 1;
  double duration_s = 1;
  std::string tenant = "a";
  int milli = trace::kWholeGpuMilli;
  double estimate_s = 0;  // 0: none (the simulator's estimate model)
  int priority = 0;
  std::vector<std::string> allowed = {};  // accelerator types; empty: any
};

inline trace::Trace MakeTrace(const std::vector<JobSpec>& specs) {
  trace::Trace t;
  t.source = "test";
  int i = 0;
  for (const JobSpec& s : specs) {
    trace::Job j;
    j.id = "j" + std::to_string(++i);
    j.tenant_idx = t.TenantIndex(s.tenant);
    j.submit_s = s.submit_s;
    j.gpus = s.gpus;
    j.gpu_milli = s.milli;
    j.duration_s = s.duration_s;
    j.estimate_s = s.estimate_s;
    j.priority = s.priority;
    for (const std::string& type : s.allowed) j.allowed_mask |= uint64_t{1} << *t.TypeIndex(type);
    j.line = i + 1;
    t.jobs.push_back(j);
  }
  return t;
}

// Simulates `jobs` with the engine's invariant checks on; a failed run fails the test (and
// returns an empty result).
inline SimResult RunSim(const std::vector<JobSpec>& jobs, SimConfig config) {
  config.check_invariants = true;
  auto r = Simulate(MakeTrace(jobs), config);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : SimResult{};
}

// Invariants of every run (the engine itself checks placement and start >= submit with
// check_invariants): each job completed or is reported unschedulable; no job starts before it
// arrives; allocated GPU-seconds add up over jobs; without failures or preemption every completed
// job ran exactly its duration on its type (speed 1 clusters).
inline void ExpectInvariants(const trace::Trace& trace, const SimResult& r, bool exact_runs) {
  ASSERT_EQ(r.job_rows.size(), trace.jobs.size());
  EXPECT_EQ(r.completed + r.unschedulable_count, r.jobs);
  double gpu_s = 0;
  for (const JobRow& row : r.job_rows) {
    gpu_s += row.gpu_s;
    if (row.end_s >= 0) {
      EXPECT_GE(row.start_s, row.submit_s) << row.job_id;
      EXPECT_GE(row.end_s, row.start_s) << row.job_id;
      if (exact_runs) {
        EXPECT_NEAR(row.end_s - row.start_s, row.run_s, 1e-5) << row.job_id;
        EXPECT_NEAR(row.gpu_s, row.run_s * row.gpus * row.gpu_milli / 1000.0, 1e-3) << row.job_id;
      }
    }
  }
  EXPECT_NEAR(gpu_s / 3600, r.allocated_gpu_hours, 1e-6 * (1 + r.allocated_gpu_hours));
  EXPECT_LE(r.utilization, 1 + 1e-9);
  EXPECT_LE(r.goodput, 1 + 1e-9);
}

}  // namespace gpuplan::sim::testing
