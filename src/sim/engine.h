// Internals of sim: the event loop, job lifecycle and the interface policies drive.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/cluster.h"
#include "sim/sim.h"

namespace gpuplan::sim::detail {

using JobIdx = int32_t;

enum class JobStatus : uint8_t { kPending, kQueued, kRunning, kDone, kUnschedulable };

// A running job's pieces in one allocation ended by a piece on node -1: 8 bytes where a
// std::vector took 24. Iterates as a vector does.
class PieceList {
 public:
  void Assign(const std::vector<Piece>& pieces) {
    if (pieces.empty()) {
      data_.reset();
      return;
    }
    data_ = std::make_unique<Piece[]>(pieces.size() + 1);
    std::copy(pieces.begin(), pieces.end(), data_.get());
    data_[pieces.size()].node = -1;
  }
  void Clear() { data_.reset(); }
  const Piece* begin() const { return data_.get(); }
  const Piece* end() const {
    const Piece* p = data_.get();
    if (p != nullptr) {
      while (p->node >= 0) ++p;
    }
    return p;
  }
  bool empty() const { return data_ == nullptr; }
  size_t size() const { return static_cast<size_t>(end() - begin()); }
  const Piece& operator[](size_t i) const { return data_[i]; }

 private:
  std::unique_ptr<Piece[]> data_;
};

// Running jobs of a pool by (expected end, job), ascending: backfill's shadow times walk it
// from the front. Sorted chunks of at most 2 x kChunk entries (16 bytes each, where a std::set
// node took 48), found through a contiguous index of their last entries: a std::set insert's
// descent missed the cache at each level (its insert and erase were ~8% of a million-job
// fairshare run). Jobs end mostly near the front, and an erase moves at most a chunk.
class EndIndex {
 public:
  using Entry = std::pair<SimTime, JobIdx>;
  void Insert(SimTime end, JobIdx j);
  void Erase(SimTime end, JobIdx j);  // REQUIRES: (end, j) was inserted
  bool empty() const { return chunks_.empty(); }

  class Iterator {
   public:
    Iterator(const std::vector<std::vector<Entry>>* chunks, size_t c) : chunks_(chunks), c_(c) {}
    const Entry& operator*() const { return (*chunks_)[c_][i_]; }
    Iterator& operator++() {
      if (++i_ == (*chunks_)[c_].size()) {
        ++c_;
        i_ = 0;
      }
      return *this;
    }
    bool operator!=(const Iterator& o) const { return c_ != o.c_ || i_ != o.i_; }

   private:
    const std::vector<std::vector<Entry>>* chunks_;
    size_t c_, i_ = 0;
  };
  Iterator begin() const { return Iterator(&chunks_, 0); }
  Iterator end() const { return Iterator(&chunks_, chunks_.size()); }

 private:
  static constexpr size_t kChunk = 64;
  size_t ChunkFor(const Entry& e) const;    // the first chunk whose last entry is not before e
  std::vector<std::vector<Entry>> chunks_;  // never empty
  std::vector<Entry> last_;                 // by chunk: its last entry
};

// A trace job bound to the cluster. Work is in reference-seconds: the run time on a type of
// relative speed v is work / v. Trivially copyable (JobArray grows by realloc): what only a run
// needs (pieces, expected end) lies in the engine's record of the run, and what only a job
// stopped before its end needs (first start, useful work) in a record made at its first stop.
struct SimJob {
  // The fields a scheduling pass reads (shape, pools, estimate, status), together in the first
  // 64 bytes: a backfill scan that passes a job over reads no other. A trace of millions holds
  // one SimJob a job (96 bytes: issue 12, simulate's memory).
  int32_t gpus = 1;
  int16_t milli = trace::kWholeGpuMilli;  // in [1, 1000]
  JobStatus status = JobStatus::kPending;
  bool needs_overhead = false;  // the next run pays the restart overhead
  // Running: its index in Engine::running(); otherwise its stop record's (Engine::first_start),
  // -1 before its first stop. Beside `status`: Engine::pieces reads both.
  int32_t slot = -1;
  int32_t tenant = 0;
  int32_t priority = 0;  // the trace's; fifo and firstfit serve higher first
  int32_t pool = -1;     // pool of the current or last run
  uint64_t allowed_pools = 0;
  SimTime submit = 0;
  double work_ref_s = 0;  // total work
  double work_left_ref_s = 0;
  // The runtime estimate (the trace's time limit, else SimConfig::estimate_factor's model) over
  // the true work, kept as the ratio: a scan asks for each job's estimate in every pool, and the
  // ratio spares it one of two dependent divides (the same double: the quotient came first).
  double estimate_per_work = 0;
  // When the job's current state began (one field: a job is in one state at a time): queued,
  // the current pending interval; running, the current run (restart overhead included); done,
  // its end.
  SimTime since = 0;
  // The job's totals.
  SimTime wait_total = 0;     // every pending interval: first wait plus time re-queued
  double attained_gpu_s = 0;  // service received in finished runs (las): allocated GPU-seconds
  uint32_t generation = 0;    // bumps on every stop, so stale finish events are ignored
  int16_t restarts = 0;       // at most Engine::kMaxRestartsPerJob
  int16_t preemptions = 0;
  // Whole GPUs the job needs: its shares packed (milli < 1000: `gpus` shares, 1000 / milli a GPU).
  int32_t whole_gpus() const {
    if (milli >= trace::kWholeGpuMilli) return gpus;
    const int32_t per_gpu = trace::kWholeGpuMilli / milli;
    return (gpus + per_gpu - 1) / per_gpu;
  }
  // GPUs the job holds, fractional shares as fractions.
  double gpu_fraction() const {
    return gpus * (milli / static_cast<double>(trace::kWholeGpuMilli));
  }
};
static_assert(std::is_trivially_copyable_v<SimJob>, "JobArray moves jobs by realloc");

// Jobs in one malloc'd block grown by realloc: glibc moves a large block by remapping its pages
// (mremap), so growing to millions of jobs copies none and never holds two arrays (a
// std::vector's growth copied every job and held both: twice the jobs at that moment). The
// jobs start on a cache line (malloc's 16-byte alignment put every job's first 64 bytes, what a
// pass reads, on two lines; at 96 bytes a job, every other job's now lie on one).
class JobArray {
 public:
  JobArray() = default;
  JobArray(JobArray&& other) noexcept
      : raw_(std::exchange(other.raw_, nullptr)),
        data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  JobArray& operator=(JobArray&& other) noexcept {
    std::swap(raw_, other.raw_);
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  JobArray(const JobArray&) = delete;
  JobArray& operator=(const JobArray&) = delete;
  ~JobArray() { std::free(raw_); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  SimJob& operator[](size_t i) { return data_[i]; }
  const SimJob& operator[](size_t i) const { return data_[i]; }
  const SimJob& back() const { return data_[size_ - 1]; }
  const SimJob* data() const { return data_; }
  // Room for `n` jobs (pages never written stay unallocated).
  void reserve(size_t n);
  SimJob& emplace_back() {
    if (size_ == capacity_) reserve(std::max<size_t>(1024, capacity_ * 2));
    return *new (data_ + size_++) SimJob();
  }

 private:
  static constexpr size_t kAlignBytes = 64;
  char* raw_ = nullptr;  // the block; data_ is its first cache line boundary
  SimJob* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
};

class Engine;

// A scheduling policy owns the queue of waiting jobs and decides which to start. Engine calls
// Enqueue when a job arrives or comes back (failure, preemption), OnStart/OnStop around each
// run, and Schedule after each batch of simultaneous events. `capacity_freed`: GPUs came free
// (a job ended, a node came up) since the last pass; otherwise only new jobs arrived.
class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  virtual void Enqueue(Engine& engine, JobIdx job) = 0;
  virtual void OnStart(Engine& /*engine*/, JobIdx /*job*/) {}
  virtual void OnStop(Engine& /*engine*/, JobIdx /*job*/) {}
  virtual void Schedule(Engine& engine, bool capacity_freed) = 0;
  virtual int64_t num_queued() const = 0;
  // Removes and returns every queued job (in queue order).
  virtual std::vector<JobIdx> DrainQueue() = 0;
};

enum class StartResult { kStarted, kNoFit, kOverQuota };

class Engine {
 public:
  // `tenant_queue`: each tenant's index in config.cluster_queues, -1 for none; empty: no quotas.
  Engine(const SimConfig& config, JobArray jobs, std::vector<double> tenant_quota,
         std::vector<double> tenant_weight, std::unique_ptr<SchedulingPolicy> policy,
         std::vector<int32_t> tenant_queue = {});

  void Run();

  // --- for policies ---
  SimTime now() const { return now_; }
  const SimConfig& config() const { return config_; }
  const SimJob& job(JobIdx j) const { return jobs_[static_cast<size_t>(j)]; }
  const Cluster& cluster() const { return cluster_; }
  int num_tenants() const { return static_cast<int>(tenant_running_gpus_.size()); }
  double tenant_running_gpus(int t) const { return tenant_running_gpus_[static_cast<size_t>(t)]; }
  double tenant_weight(int t) const { return tenant_weight_[static_cast<size_t>(t)]; }
  // Starts the job where its estimated finish is earliest: among the allowed pools where it fits
  // now; kNoFit when none, or (allow_wait) when waiting for a pool where it does not fit yet
  // (a faster type) is expected to finish it sooner. fifo, sjf and las do not wait: their
  // blocked head would hold every pool idle (1M-job bench: fifo utilization 0.54 waiting, 0.67
  // not); the backfilling policies wait by reserving only that pool (policies.h).
  StartResult TryStart(JobIdx j, bool allow_wait = false);
  // The pool (of `pool_mask`) where j fits now with the earliest estimated finish, or -1.
  int32_t BestPoolNow(JobIdx j, uint64_t pool_mask = ~uint64_t{0}) const;
  // Earliest time j would fit on `pool`, releasing running jobs at their estimated ends (node
  // by node, current free GPUs kept; jobs on shared GPUs ignored, a job of shares counted as the
  // whole GPUs they pack into); kNoTime if not by `horizon`.
  // `spare_nodes`: nodes wholly free then beyond the ceil(gpus / gpus_per_node) the job would
  // take whole (negative if it needs a partly free one); the job itself must not be running.
  static constexpr SimTime kNoTime = std::numeric_limits<SimTime>::max();
  SimTime EarliestStart(JobIdx j, int32_t pool, SimTime horizon, int64_t* spare_nodes) const;
  // Nodes a job of `gpus` may take from a node-shaped reservation (whole nodes it spans).
  static int64_t NodesTouched(const SimJob& job, int gpus_per_node) {
    return NodesTouched(job.gpus, job.milli, gpus_per_node);
  }
  static int64_t NodesTouched(int32_t gpus, int16_t milli, int gpus_per_node) {
    if (milli < trace::kWholeGpuMilli) return gpus;  // shares may sit on any nodes
    if (gpus <= gpus_per_node) return 1;
    return (gpus + gpus_per_node - 1) / gpus_per_node;
  }
  // Over its tenant's quota, or not admitted by its cluster queue (SimConfig::cluster_queues).
  bool OverQuota(JobIdx j) const { return has_limits_ && OverLimits(j); }
  // Some tenant has a quota, or there are cluster queues (OverQuota may be true).
  bool has_limits() const { return has_limits_; }
  // Kueue's reclaim (sim.h: ClusterQueue): if j is within its queue's nominal quota and can
  // start on a pool in `pool_mask` once some borrowers of its cohort are preempted (at least
  // one is needed), preempts the fewest, newest first, and starts j. False, with nothing
  // changed, otherwise. Reclaim overrides backfill reservations, as Kueue's admission precedes
  // scheduling.
  bool Reclaim(JobIdx j, uint64_t pool_mask) {
    return num_borrowing_ > 0 && ReclaimFromBorrowers(j, pool_mask);  // none borrow: none
  }
  // Some cluster queue uses more than its nominal quota (a reclaim may free GPUs when none are
  // free, so passes must not stop early).
  bool AnyBorrowing() const { return num_borrowing_ > 0; }
  bool CanPlaceOn(JobIdx j, int32_t pool) const;
  void StartOn(JobIdx j, int32_t pool);
  // Run time of the job's remaining work on `pool`, restart overhead included.
  // (Inline: the passes ask for estimates several times a job they look at.)
  SimTime RunTime(JobIdx j, int32_t pool) const {
    const SimJob& job = jobs_[static_cast<size_t>(j)];
    const SimTime overhead = job.needs_overhead ? restart_overhead_ : 0;
    return std::min(kSimTimeNever, std::max<SimTime>(1, ToSimTime(job.work_left_ref_s /
                                                                  cluster_.pool(pool).speed)) +
                                       overhead);
  }
  SimTime EstimatedRunTime(JobIdx j, int32_t pool) const {
    const SimJob& job = jobs_[static_cast<size_t>(j)];
    return EstimatedRunTime(job.work_left_ref_s * job.estimate_per_work, job.needs_overhead, pool);
  }
  // The same from the job's estimate left on the reference type (work_left_ref_s x
  // estimate_per_work), for a pass that keeps it beside the queue rather than read the job.
  SimTime EstimatedRunTime(double estimate_left_ref_s, bool needs_overhead, int32_t pool) const {
    const SimTime overhead = needs_overhead ? restart_overhead_ : 0;
    return std::min(kSimTimeNever, std::max<SimTime>(1, ToSimTime(estimate_left_ref_s /
                                                                  cluster_.pool(pool).speed)) +
                                       overhead);
  }
  uint64_t all_pools() const {
    const size_t n = cluster_.pools().size();
    return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  }
  // Whole free GPUs over the pools in `mask`.
  int64_t FreeGpus(uint64_t pool_mask) const {  // (inline: a scan asks before each job)
    int64_t free = 0;
    for (; pool_mask != 0; pool_mask &= pool_mask - 1) {
      free += cluster_.pool(static_cast<int32_t>(__builtin_ctzll(pool_mask))).free_gpus;
    }
    return free;
  }
  // Running jobs of a pool by (expected end, job). Built at the first call and kept from then
  // on (fifo, sjf, las and firstfit never ask: an insert and erase a run spared).
  const EndIndex& running_by_end(int32_t pool) const {
    if (!ends_indexed_) IndexEnds();
    return running_by_end_[static_cast<size_t>(pool)];
  }
  const std::vector<JobIdx>& running() const { return running_; }
  // A running job's pieces (empty for a job not running).
  const PieceList& pieces(JobIdx j) const {
    const SimJob& job = jobs_[static_cast<size_t>(j)];
    return job.status == JobStatus::kRunning ? runs_[static_cast<size_t>(job.slot)].pieces
                                             : kNoPieces;
  }
  // Stops a running job with its progress checkpointed; it pays the restart overhead later.
  void Preempt(JobIdx j);
  // Runs a scheduling pass at `at` (policies' own deadlines, e.g. las demotions).
  void WakeUpAt(SimTime at);

  // --- results ---
  const JobArray& jobs() const { return jobs_; }
  // When the job first started (-1: never), and its useful GPU-seconds (the work its runs kept).
  // A job never stopped before its end started when its first wait ended, and kept all it ran.
  SimTime first_start(JobIdx j) const {
    const SimJob& job = jobs_[static_cast<size_t>(j)];
    const int32_t record = StopRecordOf(job);
    if (record >= 0) return stops_[static_cast<size_t>(record)].first_start;
    if (job.status == JobStatus::kRunning) return job.since;  // its first run
    return job.status == JobStatus::kDone ? job.submit + job.wait_total : -1;
  }
  double useful_gpu_s(JobIdx j) const {
    const SimJob& job = jobs_[static_cast<size_t>(j)];
    const int32_t record = StopRecordOf(job);
    return record >= 0 ? stops_[static_cast<size_t>(record)].useful_gpu_s : job.attained_gpu_s;
  }
  // Gives back the memory of jobs [0, end) (whole pages): the results read the jobs once, in
  // order, and hold their wait samples while the jobs are let go (issue 12). Those jobs must not
  // be read again.
  void ReleaseJobsBefore(size_t end);
  struct Totals {
    int64_t events = 0, failures = 0, preemptions = 0, restarts = 0, max_queue = 0;
    // GPU-seconds preemptions cost: the victims' restart overhead paid after them.
    double preemption_lost_gpu_s = 0;
    int64_t reclaim_preemptions = 0;
    double queue_area = 0;  // queued jobs x seconds
    SimTime makespan = 0;
  };
  const Totals& totals() const { return totals_; }
  int64_t num_completed() const { return num_completed_; }
  struct QueueTotals {
    double borrowed_gpu_s = 0, max_borrowed_gpus = 0;
    int64_t reclaimed_jobs = 0, reclaim_preemptions = 0;
  };
  // Per cluster queue, in config order; call after Run().
  std::vector<QueueTotals> queue_totals() const;
  const std::vector<TimelineRow>& timeline() const { return timeline_; }
  // Sampled every fairness_interval_s: per tenant, GPU-hours held and entitled (WaterFill of
  // the up GPUs over running + queued demand); Jain's index averaged over contended samples.
  struct Fairness {
    std::vector<double> received_gpu_h, entitled_gpu_h;
    double jain_sum = 0;
    int64_t num_contended = 0;
  };
  const Fairness& fairness() const { return fairness_; }
  // Jobs found unschedulable while running (capacity retired), with the reason.
  const std::vector<std::pair<JobIdx, std::string>>& late_unschedulable() const {
    return late_unschedulable_;
  }
  // Why Run() stopped early (a hard limit: events, timeline rows), or "" when it finished.
  const std::string& stopped_because() const { return stopped_because_; }
  // A job killed this often without finishing leaves as unschedulable: the progress guard
  // against a run that is longer than the time between failures.
  static constexpr int32_t kMaxRestartsPerJob = 10'000;
  static_assert(kMaxRestartsPerJob <= std::numeric_limits<int16_t>::max(), "SimJob::restarts");

 private:
  enum class EventKind : uint8_t {
    kFinish,
    kNodeFail,
    kNodeRepair,
    kGroupOnline,
    kGroupRetire,
    kTimeline,
    kFairness,
    kWakeup
  };
  struct Event {
    SimTime at = 0;
    uint64_t seq = 0;
    uint32_t idx = 0;
    uint32_t generation = 0;
    EventKind kind = EventKind::kFinish;
  };
  struct LaterFirst {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  bool OverLimits(JobIdx j) const;  // OverQuota with some quota or cluster queue
  bool ReclaimFromBorrowers(JobIdx j, uint64_t pool_mask);
  void Push(SimTime at, EventKind kind, uint32_t idx, uint32_t generation = 0);
  static std::string TimelineLimitMessage();
  SimTime Later(SimTime delay) const;  // now_ + delay, saturating at kSimTimeNever
  void Handle(const Event& e);
  void Enqueue(JobIdx j);
  void SampleFairness();
  void Finish(JobIdx j);
  enum class StopKind { kFinished, kKilled, kPreempted };
  void Stop(JobIdx j, StopKind kind);
  void TakeNodeDown(int32_t n, bool retire);
  void ScheduleNextFailure();
  bool IsActive() const;
  void RecordTimeline();
  void ResolveStuckQueue();
  void Progress();
  // Cluster queues: admission state and reclaim.
  struct QueueState {
    int32_t cohort = -1;
    double nominal = 0;
    double keep = 0;  // nominal - lending limit: never lent
    double max_usage = 0;
    double usage = 0;  // GPUs of its running jobs
    SimTime last_change = 0;
    QueueTotals totals;
    // Running jobs, reclaim candidates first: (trace priority, -start, -job).
    std::set<std::tuple<int32_t, SimTime, JobIdx>> running;
  };
  struct CohortState {
    double pool = 0;   // sum of the lending limits
    double drawn = 0;  // sum over queues of usage beyond what they keep
    std::vector<int32_t> queues;
  };
  int32_t QueueOf(const SimJob& job) const {
    return tenant_queue_.empty() ? -1 : tenant_queue_[static_cast<size_t>(job.tenant)];
  }
  static double Drawn(const QueueState& q, double usage) { return std::max(0.0, usage - q.keep); }
  // Whether a queue at `usage` admits `gpus` more, its cohort having drawn `drawn`.
  bool QueueAdmits(const QueueState& q, double usage, double drawn, double gpus) const;
  void QueueUsageChange(const SimJob& job, JobIdx j, double sign);
  void CheckQuotas() const;  // check_invariants: usages recounted, no limit passed

  const SimConfig& config_;
  SimTime restart_overhead_ = 0;  // the config's, on the clock
  JobArray jobs_;
  std::vector<double> tenant_quota_;  // GPUs; 0: none
  bool has_limits_ = false;           // some tenant has a quota, or there are cluster queues
  std::vector<double> tenant_weight_;
  std::vector<double> tenant_running_gpus_;
  std::vector<double> tenant_queued_gpus_;
  std::unique_ptr<SchedulingPolicy> policy_;
  Cluster cluster_;
  std::priority_queue<Event, std::vector<Event>, LaterFirst> events_;
  uint64_t next_seq_ = 0;
  SimTime now_ = 0;
  size_t next_arrival_ = 0;  // jobs_ are in submit order
  int64_t num_running_ = 0;
  int64_t num_nodes_down_ = 0;
  int64_t num_group_events_left_ = 0;
  int64_t num_completed_ = 0;
  bool capacity_freed_ = false;
  void IndexEnds() const;  // builds running_by_end_ from running_
  // Per pool; kept only once ends_indexed_ (running_by_end()).
  mutable std::vector<EndIndex> running_by_end_;
  mutable bool ends_indexed_ = false;
  // EarliestStart's scratch: free GPUs per node as releases are replayed (-1: untouched).
  mutable std::vector<int32_t> scratch_free_;
  mutable std::vector<int32_t> scratch_touched_;
  mutable std::vector<int64_t> scratch_count_;
  std::vector<Piece> scratch_pieces_;  // StartOn's placement, Stop's release
  std::set<SimTime> pending_wakeups_;  // wake-up instants already in the heap
  std::vector<JobIdx> running_;        // unordered; a running job's position is its SimJob::slot
  // What only a run needs, in running_'s order.
  struct RunState {
    PieceList pieces;
    SimTime est_end = 0;         // expected end (policies' estimates)
    int32_t stop_record = -1;    // the job's SimJob::slot while not running
    bool paid_overhead = false;  // began with the restart overhead
  };
  std::vector<RunState> runs_;
  // What a job stopped before its end needs beyond SimJob, made at its first such stop (a job
  // never stopped first started at submit + wait_total, and kept all the work it ran).
  struct StopRecord {
    SimTime first_start = 0;
    double useful_gpu_s = 0;
    bool overhead_from_preemption = false;  // the pending restart overhead is a preemption's cost
  };
  std::vector<StopRecord> stops_;
  static inline const PieceList kNoPieces;
  int32_t StopRecordOf(const SimJob& job) const {
    return job.status == JobStatus::kRunning ? runs_[static_cast<size_t>(job.slot)].stop_record
                                             : job.slot;
  }
  Rng failure_rng_;
  std::vector<int64_t> gpu_prefix_;  // cumulative GPUs over nodes, to draw a failing GPU
  bool failure_pending_ = false;
  bool timeline_pending_ = false;
  int64_t last_progress_events_ = 0;
  Totals totals_;
  Fairness fairness_;
  std::vector<TimelineRow> timeline_;
  std::vector<std::pair<JobIdx, std::string>> late_unschedulable_;
  std::string stopped_because_;
  std::vector<int32_t> tenant_queue_;
  std::vector<QueueState> queues_;
  std::vector<CohortState> cohorts_;
  int64_t num_borrowing_ = 0;  // queues above their nominal quota
};

// Asks the kernel to back [data, data + bytes) with huge pages where it can (Linux's
// transparent huge pages; elsewhere, or when they are off, nothing happens). For the arrays of
// one entry a job: a 1M-job trace's SimJobs are 96 MB, first written one 4 KiB page fault at a
// time otherwise (~13% of the 1M-job bench's time). Memory is not rounded beyond the 2 MiB
// pages inside the range.
void AdviseHugePages(const void* data, size_t bytes);

// JobsCsv's header and one row (results.cpp), for SimResult::jobs_csv.
void AppendJobsCsvHeader(std::string& out);
void AppendJobsCsvRow(std::string& out, const JobRow& row);

// Max-min fair shares of `capacity` by weight, each capped by its demand (water-filling).
std::vector<double> WaterFill(const std::vector<double>& demand, const std::vector<double>& weight,
                              double capacity);

// Registration (policies/registry.cpp): an explicit table, one row per policy; its top comment
// says what adding a policy touches.
std::unique_ptr<SchedulingPolicy> MakePolicy(std::string_view name, const SimConfig& config);

}  // namespace gpuplan::sim::detail
