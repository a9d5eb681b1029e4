// sim: a deterministic discrete-event simulator of a shared GPU center. It replays a job trace
// on a heterogeneous cluster that grows (deliveries) and shrinks (retirements), under a
// scheduling policy (fifo, sjf, easy, fairshare, las) and a placement (pack, spread), with node
// failures, checkpoint/restart and goodput, and reports waits, JCT, slowdown, utilization and
// fairness per tenant and per tenant class. The clock is int64 microseconds; events run in
// (time, seq) order; all randomness comes from SimConfig::seed. Same inputs, same outputs.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::sim {

using SimTime = int64_t;  // microseconds since the simulation start
inline constexpr SimTime kMicrosPerSecond = 1'000'000;
// "Never" on the clock (~73,000 years): a quarter of int64's range, so the sum of two clock
// values never overflows. Times read are limited to kMaxTimeS (units.h), far below it.
inline constexpr SimTime kSimTimeNever = std::numeric_limits<SimTime>::max() / 4;
// The one conversion from seconds to the clock: rounded to the nearest microsecond (halves away
// from zero, as std::llround), saturating at +-kSimTimeNever (NaN reads as 0). Inline: the
// engine converts several times an event.
inline SimTime ToSimTime(double seconds) {
  const double us = seconds * static_cast<double>(kMicrosPerSecond);
  constexpr auto kEdge = static_cast<double>(kSimTimeNever);
  if (std::isnan(us)) return 0;
  if (us >= kEdge) return kSimTimeNever;
  if (us <= -kEdge) return -kSimTimeNever;
  // std::llround without its library call: the cast truncates, and us - t is exact (below 2^53
  // by Sterbenz's lemma, above it us is whole).
  auto t = static_cast<SimTime>(us);
  const double frac = us - static_cast<double>(t);
  if (frac >= 0.5) {
    ++t;
  } else if (frac <= -0.5) {
    --t;
  }
  return t;
}
inline double ToSeconds(SimTime t) {
  return static_cast<double>(t) / static_cast<double>(kMicrosPerSecond);
}

inline constexpr double kNever = std::numeric_limits<double>::infinity();

// Nodes of one accelerator type that arrive together and may be retired together.
// relative_speed: how much faster a job runs here than on the cluster's reference accelerator
// (ClusterSpec::reference_accelerator); a job's run time on this group is
// duration_s * speed(type it was measured on) / relative_speed.
struct NodeGroup {
  std::string accelerator = {};  // catalog id, or a trace's own type name (openb "G2")
  int num_nodes = 0;
  int gpus_per_node = 8;
  double relative_speed = 1;
  double available_from_s = 0;  // delivery
  double retired_at_s = kNever;
};

struct AcceleratorSpeed {
  std::string accelerator = {};
  double relative_speed = 1;
};

struct ClusterSpec {
  std::vector<NodeGroup> groups = {};
  std::string reference_accelerator = {};  // speed 1; durations without a type are measured on it
  // Speeds of types jobs may be measured on that the cluster lacks (e.g. the whole catalog).
  std::vector<AcceleratorSpeed> known_speeds = {};
  int64_t total_gpus() const;  // over all groups, regardless of time
};

// Relative effective speed of `a` over `reference`: the ratio of effective dense BF16 throughput,
// peak_bf16_flop_per_s * gemm_efficiency, from the catalog. A caller with a sizing model may put
// its own speeds in NodeGroup::relative_speed instead.
double RelativeSpeed(const catalog::Accelerator& a, const catalog::Accelerator& reference);

// "h100-sxm5-80gb:1250x8,mi300x:250x8" (nodes x GPUs per node; "id:N" alone is N GPUs in nodes
// of the catalog's gpus_per_node). The first type is the reference; known_speeds lists every
// catalog accelerator. Unknown ids list the valid ones and suggest the nearest.
Result<ClusterSpec> ParseClusterSpec(std::string_view text, const catalog::Catalog& catalog);
// The cluster of an openb node list: one group per (model, GPUs per node), speed 1 for all (the
// trace's models are undisclosed), CPU-only nodes left out.
Result<ClusterSpec> ClusterFromOpenbNodes(const std::vector<trace::OpenbNode>& nodes);

enum class Placement { kPack, kSpread };
std::string_view ToString(Placement p);
Result<Placement> ParsePlacement(std::string_view text);

// Failures: each GPU fails as a Poisson process of rate 1 / gpu_mtbf_s and takes its node down
// for node_repair_s. A job on a failed or retired node loses the work since its last checkpoint
// (every checkpoint_interval_s of its run; 0: no checkpoints) and re-queues; every restart costs
// restart_overhead_s (also paid when las resumes a preempted job).
struct FailureSpec {
  double gpu_mtbf_s = 0;  // 0: no failures
  double node_repair_s = 4 * 3600.0;
  double checkpoint_interval_s = 3600;
  double restart_overhead_s = 300;
};

// Called by the simulator every `progress_every_events` events and once at the end; the CLI
// draws a progress line with it. Must not call back into the simulator.
struct SimProgress {
  double sim_time_s = 0;
  double last_arrival_s = 0;
  int64_t events = 0;
  int64_t completed = 0;
  int64_t num_jobs = 0;
  int64_t queued = 0;
  int64_t running = 0;
};
class SimObserver {
 public:
  virtual ~SimObserver() = default;
  virtual void OnProgress(const SimProgress& progress) = 0;
};

// A Kueue ClusterQueue (kueue.sigs.k8s.io/docs/concepts/cluster_queue) with one resource, GPUs of
// every type together, fractional shares counted as fractions. A job of a tenant the queue covers
// is admitted (may start) only while the queue's GPUs in use stay within its nominal quota, or,
// in a cohort, by borrowing unused nominal quota of the cohort's other queues:
//  - usage + job <= nominal_quota_gpus + borrowing_limit_gpus (no limit when absent), and
//  - the cohort's lendable pool is not overdrawn: each queue lends at most lending_limit_gpus
//    (all of its nominal quota when absent) and keeps nominal - lending limit for itself; the
//    pool is the sum of the lending limits, and a queue draws on it for its usage above what it
//    keeps. Without a cohort a queue admits only within its nominal quota.
// Reclaim (Kueue's reclaimWithinCohort: Any): a job whose queue is within its nominal quota with
// it, that cannot start because the pool is overdrawn or the GPUs are taken, preempts running
// jobs of the cohort's queues that are borrowing (usage above nominal), newest first, the fewest
// that let it start (no victim it can do without), and only if it then starts. Tenants no queue
// covers are not limited. Victims re-queue as other preemptions do.
struct ClusterQueue {
  std::string name = {};
  std::vector<std::string> tenants = {};  // tenants it covers by name
  // ... and every tenant of these classes that no queue names.
  std::vector<trace::TenantClass> tenant_classes = {};
  std::string cohort = {};  // empty: none
  int nominal_quota_gpus = 0;
  std::optional<int> borrowing_limit_gpus = {};  // needs a cohort
  std::optional<int> lending_limit_gpus = {};    // needs a cohort; <= nominal_quota_gpus
};

// Names unique, limits >= 0, limits only with a cohort, lending limit <= nominal quota, a tenant
// or class in at most one queue; the error names the queue.
Result<void> CheckClusterQueues(const std::vector<ClusterQueue>& queues);

struct SimConfig {
  ClusterSpec cluster = {};
  std::vector<trace::Tenant> tenants = {};        // override the trace's tenants of the same name
  std::vector<ClusterQueue> cluster_queues = {};  // Kueue quotas; empty: none
  std::string policy = "fifo";                    // PolicyNames()
  Placement placement = Placement::kPack;
  FailureSpec failures = {};
  uint64_t seed = 1;
  double timeline_interval_s = 0;     // 0: no timeline
  double fairness_interval_s = 3600;  // fair-share sampling period; 0: none
  bool record_jobs = true;            // SimResult::job_rows
  // SimResult::jobs_csv: JobsCsv's text written row by row from the jobs, without job_rows (a
  // trace of millions held its rows twice, as structs and as text).
  bool jobs_csv = false;
  bool check_invariants = false;  // verify the cluster's indexes after every pass (slow; tests)
  // easy, fairshare: queued jobs examined per backfill scan (Slurm bf_max_job_test).
  int backfill_depth = 500;
  // easy, fairshare: the backfill scan runs at most once per this many seconds (Slurm
  // bf_interval, default 30 s); passes in between start jobs in priority order, each pool
  // blocked by its first job that does not fit (Slurm's main scheduler). 0: scan every pass.
  double backfill_interval_s = 30;
  // How far ahead reservations are planned (Slurm bf_window, default 1 day): a job that cannot
  // start within it gets no reservation and blocks nothing.
  double bf_window_s = kSecondsPerDay;
  // fairshare: Slurm's multifactor priority, its weights as slurm.conf names them
  // (PriorityWeightFairshare, PriorityWeightAge, PriorityWeightJobSize; Slurm's defaults are 0,
  // these are gpuplan's), PriorityMaxAge and PriorityDecayHalfLife (Slurm's defaults).
  double fairshare_half_life_s = 7 * kSecondsPerDay;  // PriorityDecayHalfLife
  double priority_weight_fairshare = 10000;
  double priority_weight_age = 1000;
  double priority_weight_job_size = 1000;
  double priority_max_age_s = 7 * kSecondsPerDay;  // PriorityMaxAge
  // PriorityCalcPeriod (Slurm's default 5 min): priorities are recalculated at 0, P, 2P, ...
  // (F from the usages then, the age factor from the ages then) and the queue is ordered by the
  // stored priorities in between; a job queued in between gets its priority then. 0: every
  // scheduling pass recalculates (the schedules before the period existed).
  double priority_calc_period_s = 300;
  // Tests only: scheduling passes without their shortcuts (fairshare updates and sums every
  // tenant's usage each pass instead of the tenants with queued jobs and a running total; easy,
  // fairshare, las and firstfit check every placement instead of skipping counts known not to
  // fit; las walks every preemption; fifo and easy keep their queues in std::sets). The same
  // schedules, up to rounding in the usage sums.
  bool plain_passes = false;
  // las: attained GPU-seconds that demote a job to the next queue (Tiresias' thresholds).
  std::vector<double> las_thresholds_gpu_s = {3600, 36000};
  // Runtime estimates of jobs the trace gives none (estimate_s; sacct Timelimit; SWF requested
  // time): the true run time x estimate_factor, rounded up to the next round time limit
  // (EstimateOf). Users overestimate and pick round limits (Tsafrir, Etsion and Feitelson,
  // "Modeling User Runtime Estimates", JSSPP 2005); the factor 2 is gpuplan's assumption.
  // 0: estimates are the true run times (an oracle). Backfill and placement decide on
  // estimates; jobs run their true time.
  double estimate_factor = 2;
  // Waits, JCT and slowdown averaged over instances (trace::Job::instances: a job of n counts n
  // times), as the PAI 2020 simulator's figures are; false: over jobs.
  bool metrics_per_instance = false;
  SimObserver* observer = nullptr;  // borrowed; may be null
  int64_t progress_every_events = 1 << 18;
};

// The runtime estimate of a job of true run time `run_s` under estimate_factor `factor`:
// run_s x factor rounded up to 5, 10, 15, 30 min, 1, 2, 4, 8, 12 h, 1, 2, 3 or 7 days, past 7
// days to whole days; run_s if factor is 0.
double EstimateOf(double run_s, double factor);

// Policies, in registration order, with a one-line description each.
struct PolicyInfo {
  std::string name = {};
  std::string description = {};
};
std::vector<PolicyInfo> Policies();
std::vector<std::string> PolicyNames();

struct WaitStats {
  int64_t num_jobs = 0;  // completed jobs the figures cover
  double avg_wait_s = 0, p50_wait_s = 0, p95_wait_s = 0, p99_wait_s = 0;
  double avg_jct_s = 0, p50_jct_s = 0, p99_jct_s = 0;
  double avg_bounded_slowdown = 0;  // max(1, JCT / max(run, 10 s)) (Feitelson)
};

struct TenantResult {
  std::string name = {};
  trace::TenantClass tenant_class = trace::TenantClass::kUnclassified;
  double share_weight = 1;
  int64_t jobs = 0;
  int64_t completed = 0;
  int64_t unschedulable = 0;
  WaitStats waits = {};
  double gpu_hours = 0;  // allocated
  // Sampled every fairness_interval_s: the GPUs the tenant held, and its entitlement, the
  // max-min fair share by weight of the up GPUs, capped by its demand (running + queued GPUs).
  double sampled_gpu_hours = 0;
  double entitled_gpu_hours = 0;
  double share_ratio = 0;  // sampled / entitled: below 1, the tenant got less than its share
};

struct ClassResult {
  trace::TenantClass tenant_class = trace::TenantClass::kUnclassified;
  int64_t tenants = 0;
  int64_t jobs = 0;
  int64_t completed = 0;
  WaitStats waits = {};
  double gpu_hours = 0;
  double sampled_gpu_hours = 0;
  double entitled_gpu_hours = 0;
  double share_ratio = 0;
};

// A cluster queue's outcome (SimConfig::cluster_queues).
struct ClusterQueueResult {
  std::string name = {};
  std::string cohort = {};
  int nominal_quota_gpus = 0;
  int64_t tenants = 0;  // tenants it covers
  int64_t jobs = 0;
  int64_t completed = 0;
  WaitStats waits = {};
  double gpu_hours = 0;           // allocated to its jobs
  double borrowed_gpu_hours = 0;  // GPUs in use beyond its nominal quota, integrated over time
  double max_borrowed_gpus = 0;
  // Its running jobs preempted so that another queue of the cohort got its quota back.
  int64_t reclaimed_jobs = 0;
  // Jobs of other queues it preempted to start its own within its nominal quota.
  int64_t reclaim_preemptions = 0;
};

struct UnschedulableJob {
  std::string job_id = {};
  int64_t line = 0;
  std::string reason = {};
};

struct TimelineRow {
  double time_s = 0;
  int64_t capacity_gpus = 0;  // installed (delivered, not retired)
  int64_t up_gpus = 0;        // installed and not under repair
  double allocated_gpus = 0;  // fractional shares counted as fractions
  int64_t running_jobs = 0;
  int64_t queued_jobs = 0;
  int64_t completed_jobs = 0;
};

struct JobRow {
  std::string job_id = {};
  std::string tenant = {};
  double submit_s = 0;
  double start_s = -1;  // first start; -1: never started
  double end_s = -1;
  int gpus = 0;
  int gpu_milli = trace::kWholeGpuMilli;
  std::string accelerator = {};  // type of the last run
  int restarts = 0;              // after failures or preemptions
  int preemptions = 0;
  double wait_s = 0;  // every pending interval: first wait plus time re-queued
  double jct_s = 0;   // end - submit
  double run_s = 0;   // the last run's length on its type, without restart overhead
  double gpu_s = 0;   // allocated GPU-seconds, all runs
};

struct SimResult {
  std::string policy = {};
  std::string placement = {};
  int64_t jobs = 0;
  int64_t completed = 0;
  int64_t unschedulable_count = 0;
  double makespan_s = 0;          // last completion
  double utilization = 0;         // allocated GPU-s / installed GPU-s over [0, makespan]
  double useful_utilization = 0;  // useful GPU-s / installed GPU-s
  double goodput = 1;             // useful / allocated GPU-s
  double allocated_gpu_hours = 0;
  double useful_gpu_hours = 0;
  double capacity_gpu_hours = 0;
  double avg_queue_length = 0;  // time-average of queued jobs over [0, makespan]
  int64_t max_queue_length = 0;
  int64_t failures = 0;  // node failures
  int64_t preemptions = 0;
  int64_t restarts = 0;                  // job restarts after failure, retirement or preemption
  double preemption_lost_gpu_hours = 0;  // victims' restart overhead paid after preemptions
  int64_t reclaim_preemptions = 0;       // of `preemptions`: cluster queues' reclaims
  // Jain's index over tenants' held / entitled GPUs, averaged over the samples where demand
  // exceeded the up GPUs (1: each got its fair share); 1 if never contended.
  double jain_index = 1;
  int64_t contended_samples = 0;
  WaitStats waits = {};
  int64_t events = 0;
  double wall_s = 0;  // left 0 by the library (it never reads the clock); the CLI sets it
  std::vector<TenantResult> per_tenant = {};            // in trace order
  std::vector<ClassResult> per_class = {};              // classes present, in enum order
  std::vector<ClusterQueueResult> cluster_queues = {};  // SimConfig's order; empty: no quotas
  std::vector<UnschedulableJob> unschedulable = {};
  std::vector<std::string> notes = {};  // the trace's notes and the simulator's
  std::vector<TimelineRow> timeline = {};
  std::vector<JobRow> job_rows = {};  // trace order; empty unless record_jobs
  std::string jobs_csv = {};          // empty unless SimConfig::jobs_csv
};

// Runs the simulation. Error for bad input (unknown policy, a type the cluster and known_speeds
// lack, an empty cluster); jobs that can never fit are results (SimResult::unschedulable).
Result<SimResult> Simulate(const trace::Trace& trace, const SimConfig& config);
// The same, freeing the trace's jobs once they are bound to the cluster, so that a large trace
// is not held while it runs (the results keep each job's id and line).
Result<SimResult> Simulate(trace::Trace&& trace, const SimConfig& config);

namespace detail {
class Binder;
}
// Simulate() over a trace that trace::StreamTrace reads: each job is bound to the cluster as it
// is read, so the trace's jobs are never all held (as read and as bound, they were the peak of a
// large run). Add() errors stop the read; Finish() after StreamTrace succeeded gives what
// Simulate() gives for the trace ReadTrace returns. `config` is borrowed and must outlive this.
class StreamedSimulation : public trace::JobSink {
 public:
  explicit StreamedSimulation(const SimConfig& config);
  ~StreamedSimulation() override;
  Result<void> Add(const trace::Trace& trace, const trace::Job& job) override;
  // `trace`: StreamTrace's result (tenants, types and notes; no jobs).
  Result<SimResult> Finish(const trace::Trace& trace);

 private:
  std::unique_ptr<detail::Binder> binder_;
  bool started_ = false;
};

// The DESIGN simulate JSON (jobs, completed, makespan_s, utilization, avg_wait_s, p50_wait_s,
// p99_wait_s, avg_jct_s, p99_jct_s, per_tenant{...}, events, wall_s) plus per_class, fairness,
// goodput and the unschedulable list. Timeline and job rows are left to the CSV writers.
nlohmann::ordered_json ToJson(const SimResult& result);
std::string TimelineCsv(const SimResult& result);
std::string JobsCsv(const SimResult& result);

}  // namespace gpuplan::sim
