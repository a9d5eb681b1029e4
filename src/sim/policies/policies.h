// Internals of sim: the policies' factories (one per policies/<name>.cpp; fifo.cpp holds sjf,
// the same policy over another key) and the pass logic the backfilling policies share.
// registry.cpp lists the factories; src/sim/CMakeLists.txt lists the sources.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/engine.h"

namespace gpuplan::sim::detail {

std::unique_ptr<SchedulingPolicy> MakeFifo(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeSjf(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeEasy(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeFairshare(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeLas(const SimConfig& config);
std::unique_ptr<SchedulingPolicy> MakeFirstfit(const SimConfig& config);

// The scheduling passes of Slurm's two schedulers over a queue walked in priority order, with
// at most one reservation per pool (so a job that cannot start blocks only the pools it may
// use, never the whole cluster):
//  - kScan (the backfill scheduler, at most once per backfill_interval_s): a job that cannot
//    start reserves the allowed pool where it would finish first (estimated start plus its
//    estimated run there), if it can start there within bf_window; the reservation's shadow
//    time is when the pool's running jobs, released at their estimated ends node by node, leave
//    room for it. A later job may start on a reserved pool if it is estimated to end by the
//    shadow time, or spans no more nodes than the pool will have wholly free beyond the
//    reserved job's then (so it can never delay it).
//  - kMain (passes in between): a job that cannot start blocks every pool it may use.
//  - kFresh (no capacity freed since the last pass, only arrivals): the last pass's
//    reservations and blocks stand; only the new jobs are considered.
// In every mode a job that fits now on a slower type but would finish sooner by waiting for a
// faster one waits for it (reserving or blocking that pool). Jobs over their quota are passed
// over unless a cluster queue's reclaim starts them (Engine::Reclaim), as are jobs that fit
// nowhere now.
class PoolReservations {
 public:
  enum class Mode { kFresh, kMain, kScan };
  explicit PoolReservations(const SimConfig& config);
  Mode BeginPass(Engine& engine, bool capacity_freed);
  // GPUs came free while the queue was empty (no pass ran): the next pass starts afresh rather
  // than keeping reservations made for jobs that have since started.
  void Forget() { have_state_ = false; }
  Mode mode() const { return pass_; }
  // Starts j now if the rules above allow; true if it started.
  bool Consider(Engine& engine, JobIdx j);
  // What Consider reads of a queued job, for a pass that keeps it beside its queue: a scan
  // passes over most jobs it looks at, and reading each job would cost it a cache miss.
  struct Glance {
    uint64_t allowed_pools = 0;
    double estimate_left_ref_s = 0;  // SimJob::work_left_ref_s x estimate_per_work
    int32_t gpus = 0;
    int16_t milli = 0;
    bool needs_overhead = false;
  };
  static Glance GlanceOf(const SimJob& job) {
    return Glance{job.allowed_pools, job.work_left_ref_s * job.estimate_per_work, job.gpus,
                  job.milli, job.needs_overhead};
  }
  // The rules as they stand, put so that a Glance tells cheaply that Consider would pass a job
  // over and change nothing: in a backfill scan once every pool the job may use holds a
  // reservation, with no quota in play, for a whole-GPU job that on each of its pools does not
  // fit the free GPUs or may not start before the reservation (Permits). Valid until the next
  // Consider (Sift again then).
  class Sieve {
   public:
    // True only if Consider would pass the job over with nothing changed; false when unsure.
    bool PassesOver(const Glance& g) const {
      if (!active_ || g.milli < trace::kWholeGpuMilli || (g.allowed_pools & ~reserved_) != 0) {
        return false;
      }
      for (uint64_t mask = g.allowed_pools; mask != 0; mask &= mask - 1) {
        const Gate& gate = gates_[static_cast<size_t>(__builtin_ctzll(mask))];
        if (g.gpus > gate.max_gpus) continue;                                // does not fit
        if (g.estimate_left_ref_s <= gate.max_estimate_ref_s) return false;  // may end in time
        if (gate.spare_nodes >= 1 &&
            Engine::NodesTouched(g.gpus, g.milli, gate.gpus_per_node) <= gate.spare_nodes) {
          return false;
        }
      }
      return true;
    }

   private:
    friend class PoolReservations;
    struct Gate {
      int64_t max_gpus;           // the most whole GPUs that may fit now
      double max_estimate_ref_s;  // the longest estimate that may end by the shadow time
      int64_t spare_nodes;
      int gpus_per_node;
    };
    bool active_ = false;
    uint64_t reserved_ = 0;
    std::vector<Gate> gates_;  // by pool
  };
  void Sift(const Engine& engine, Sieve* sieve) const;
  // Nothing more can start in this pass.
  bool Exhausted(const Engine& engine) const;
  int depth() const { return depth_; }

 private:
  bool Permits(const Engine& engine, int32_t p, JobIdx j, SimTime run) const;
  // Engine::Reclaim for j; true if it started.
  bool Reclaimed(Engine& engine, JobIdx j);
  void Reserve(int32_t p, SimTime shadow, int64_t spare_nodes);

  int depth_;
  SimTime interval_;
  SimTime window_;
  bool plain_;
  Mode pass_ = Mode::kScan;
  Mode rules_ = Mode::kScan;  // kMain or kScan: how the standing reservations were made
  bool have_state_ = false;
  SimTime last_scan_ = std::numeric_limits<SimTime>::min() / 2;
  SimTime wakeup_at_ = std::numeric_limits<SimTime>::min();
  uint64_t reserved_ = 0;
  std::vector<SimTime> shadow_;
  std::vector<int64_t> spare_nodes_;
  // Smallest GPU count with no start within bf_window on the pool, this pass (larger jobs
  // cannot start sooner, so they skip the search).
  std::vector<int32_t> no_start_gpus_;
  // Smallest whole-GPU count that does not fit the pool now. Valid until GPUs come free (the
  // next pass that is not kFresh): starts only take GPUs, and a count that does not fit means no
  // larger one fits (Cluster::CanPlace is monotone in whole GPUs). Spares the scans most of
  // their placement checks.
  std::vector<int32_t> no_fit_gpus_;
};

}  // namespace gpuplan::sim::detail
