// las: least attained service, preemptive, after Tiresias' discretized 2D-LAS (Gu et al.,
// NSDI'19). A job's attained service is GPUs x time run so far; thresholds split jobs into
// queues (level 0 below the first threshold, ...). Waiting jobs go by (level, submit). A waiting
// job that does not fit preempts running jobs of a strictly higher level, the fewest GPUs that
// make room for it (PreemptFor); preempted jobs keep
// their progress (checkpoint on preemption) and pay the restart overhead when they resume. A
// running job crossing a threshold wakes the scheduler (Engine::WakeUpAt). At most
// kMaxBlockedPerPass waiting jobs that cannot start are examined per pass.
//
// The victim candidates (running whole-GPU jobs) are kept per pool and level as they start and
// stop, each job's level brought up to date when it is due to cross its next threshold, so a
// preemption walks only the candidates it takes, not every running job per blocked job (which
// made the 1M-job bench quadratic). Two memos spare repeated work while GPUs do not come free
// (kept across passes only on a cluster without failures, deliveries or retirements, where
// GPUs come free only when a job stops): per pool, the smallest whole-GPU count that did not
// fit (TryStart skipped for as large a job), and per pool and level, the counts that preempting
// every candidate could not make room for (the walk skipped), forgotten when a job on the pool
// stops or one of its candidates rises a level. Neither applies with cluster queues (a
// reclaim frees GPUs) or SimConfig::plain_passes.
#include <algorithm>
#include <functional>
#include <limits>
#include <queue>
#include <set>
#include <tuple>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

constexpr int kMaxBlockedPerPass = 32;

class LasPolicy : public SchedulingPolicy {
 public:
  explicit LasPolicy(const SimConfig& config)
      : thresholds_(config.las_thresholds_gpu_s),
        plain_(config.plain_passes),
        shortcut_(config.cluster_queues.empty() && !plain_),
        keep_memos_(StaticCluster(config)) {
    std::sort(thresholds_.begin(), thresholds_.end());
  }

  void Enqueue(Engine& engine, JobIdx j) override {
    const SimJob& job = engine.job(j);
    queue_.insert({Level(job.attained_gpu_s), job.submit, j});
  }

  void OnStart(Engine& engine, JobIdx j) override {
    // Wake up when the job crosses its next threshold.
    const SimJob& job = engine.job(j);
    const int level = Level(job.attained_gpu_s);
    if (level < static_cast<int>(thresholds_.size())) {
      const double left_gpu_s = thresholds_[static_cast<size_t>(level)] - job.attained_gpu_s;
      const double overhead_s =
          job.needs_overhead ? engine.config().failures.restart_overhead_s : 0;
      engine.WakeUpAt(engine.now() + ToSimTime(overhead_s + left_gpu_s / job.gpu_fraction()) + 1);
    }
    // Placed after this call returns: filed as a candidate at the next Sync.
    if (job.milli >= trace::kWholeGpuMilli) started_.push_back({j, job.generation});
  }

  void OnStop(Engine& engine, JobIdx j) override {
    const SimJob& job = engine.job(j);
    Forget(job.pool, /*no_fit=*/true);  // its GPUs come free
    if (static_cast<size_t>(j) >= level_of_.size() || level_of_[static_cast<size_t>(j)] < 0) return;
    Candidates(job.pool, level_of_[static_cast<size_t>(j)]).erase({job.gpus, -job.since, j});
    level_of_[static_cast<size_t>(j)] = -1;
  }

  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    const size_t num_pools = engine.cluster().pools().size();
    if (no_fit_gpus_.size() != num_pools || !keep_memos_) {
      no_fit_gpus_.assign(num_pools, kAnyGpus);
      no_room_gpus_.assign(num_pools * (thresholds_.size() + 1), kAnyGpus);
    }
    Sync(engine);  // also keeps started_ short
    int blocked = 0;
    for (auto it = queue_.begin(); it != queue_.end() && blocked < kMaxBlockedPerPass;) {
      const auto [level, submit, j] = *it;
      const SimJob& job = engine.job(j);
      StartResult r = StartResult::kNoFit;
      if (!shortcut_ || !KnownNoFit(job)) {
        r = engine.TryStart(j);
      } else if (engine.OverQuota(j)) {
        r = StartResult::kOverQuota;  // TryStart's answer: no reclaim without cluster queues
      }
      if (r == StartResult::kStarted) {
        it = queue_.erase(it);
        continue;
      }
      if (r == StartResult::kNoFit && shortcut_ && job.milli >= trace::kWholeGpuMilli) {
        for (uint64_t m = job.allowed_pools; m != 0; m &= m - 1) {
          int32_t& no_fit = no_fit_gpus_[static_cast<size_t>(__builtin_ctzll(m))];
          no_fit = std::min(no_fit, job.gpus);
        }
      }
      // A job that fits now but waits for a faster type preempts nobody.
      if (r == StartResult::kNoFit && (KnownNoFit(job) || engine.BestPoolNow(j) < 0) &&
          PreemptFor(engine, j, level)) {
        it = queue_.erase(it);
        continue;
      }
      ++blocked;
      ++it;
    }
  }

  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    return DrainInOrder(queue_, [](const auto& e) { return std::get<2>(e); });
  }

 private:
  int Level(double attained_gpu_s) const {
    return static_cast<int>(
        std::upper_bound(thresholds_.begin(), thresholds_.end(), attained_gpu_s) -
        thresholds_.begin());
  }
  double AttainedNow(const Engine& engine, const SimJob& job) const {
    return job.attained_gpu_s + job.gpu_fraction() * ToSeconds(engine.now() - job.since);
  }

  // Preempts lower-priority running jobs so that `j` starts now, choosing the victims
  // size-aware: on each allowed pool, victims of a strictly higher level are added smallest
  // first (then the most served level, then the latest started) until j fits on the nodes'
  // free GPUs plus the victims' (node by node), then every victim j can do without is dropped,
  // so no preemption frees GPUs that j leaves idle. The pool whose victims hold the fewest GPUs
  // (the least GPU-time lost to restart overhead) wins. False, with nothing preempted, if no
  // pool has room.
  bool PreemptFor(Engine& engine, JobIdx j, int level) {
    const SimJob& job = engine.job(j);
    const int32_t need = job.whole_gpus();
    bool any_room = false;
    for (uint64_t mask = job.allowed_pools; mask != 0 && !any_room; mask &= mask - 1) {
      any_room = need < NoRoomGpus(static_cast<int32_t>(__builtin_ctzll(mask)), level);
    }
    if (!any_room) return false;
    Sync(engine);
    int32_t best_pool = -1;
    double best_cost = 0;
    std::vector<JobIdx> best;
    for (uint64_t mask = job.allowed_pools; mask != 0; mask &= mask - 1) {
      const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
      // Room on p is known not to be made for as large a job at this level or below.
      if (need >= NoRoomGpus(p, level)) continue;
      VictimOrder victims(*this, p, level);
      NodeCounts counts(engine, p, scratch_free_);
      std::vector<JobIdx> chosen;
      double cost = 0;
      bool fits = false;
      JobIdx r = victims.Next();
      for (; r >= 0; r = victims.Next()) {
        counts.Add(engine.job(r), +1);
        chosen.push_back(r);
        cost += engine.job(r).gpu_fraction();
        if (best_pool >= 0 && cost >= best_cost) break;
        if ((fits = counts.Fits(need))) break;
      }
      if (!fits) {
        // Every candidate taken and still no room: none for larger jobs or higher levels
        // either, until a preemption frees GPUs (starts only take them).
        if (r < 0 && !plain_) no_room_gpus_[NoRoomIndex(p, level)] = counts.MaxFit() + 1;
        continue;
      }
      // Drop the victims j can do without, largest first.
      for (size_t i = chosen.size(); i-- > 0;) {
        counts.Add(engine.job(chosen[i]), -1);
        if (counts.Fits(need)) {
          cost -= engine.job(chosen[i]).gpu_fraction();
          chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          counts.Add(engine.job(chosen[i]), +1);
        }
      }
      if (best_pool < 0 || cost < best_cost) {
        best_pool = p;
        best_cost = cost;
        best = chosen;
      }
    }
    if (best_pool < 0) return false;
    for (JobIdx r : best) engine.Preempt(r);  // re-enqueued by the engine (memos forgotten)
    GPUPLAN_CHECK(engine.CanPlaceOn(j, best_pool))
        << "las: job " << j << " did not fit after preemption";
    engine.StartOn(j, best_pool);
    return true;
  }

  // Free whole GPUs per node of one pool as victims are taken off (a what-if; nothing moves).
  // `free` is scratch per node, -1 where untouched, left so on destruction.
  class NodeCounts {
   public:
    NodeCounts(const Engine& engine, int32_t p, std::vector<int32_t>& free)
        : engine_(engine), per_node_(engine.cluster().pool(p).gpus_per_node), free_(free) {
      if (free_.size() < engine.cluster().nodes().size()) {
        free_.resize(engine.cluster().nodes().size(), -1);
      }
      count_.assign(static_cast<size_t>(per_node_) + 1, 0);
      for (int32_t k = 0; k <= per_node_; ++k) {
        count_[static_cast<size_t>(k)] =
            static_cast<int64_t>(engine.cluster().pool(p).buckets[static_cast<size_t>(k)].size());
      }
    }
    NodeCounts(const NodeCounts&) = delete;
    NodeCounts& operator=(const NodeCounts&) = delete;
    ~NodeCounts() {
      for (int32_t n : touched_) free_[static_cast<size_t>(n)] = -1;
    }
    void Add(const SimJob& victim, int sign) {
      for (const Piece& piece : victim.pieces) {
        int32_t& free = free_[static_cast<size_t>(piece.node)];
        if (free < 0) {
          free = engine_.cluster().nodes()[static_cast<size_t>(piece.node)].free_gpus;
          touched_.push_back(piece.node);
        }
        --count_[static_cast<size_t>(free)];
        free += sign * piece.gpus;
        ++count_[static_cast<size_t>(free)];
      }
    }
    // One node with `need` free, or whole nodes plus one for a gang's remainder.
    bool Fits(int32_t need) const {
      // A node with k free for k in [from, to].
      auto any_in = [&](int32_t from, int32_t to) {
        for (int32_t k = from; k <= to; ++k) {
          if (count_[static_cast<size_t>(k)] > 0) return true;
        }
        return false;
      };
      if (need <= per_node_) return any_in(need, per_node_);
      const int64_t full = need / per_node_, rem = need % per_node_;
      const int64_t whole = count_[static_cast<size_t>(per_node_)];
      if (whole < full) return false;
      // The remainder goes on a partly free node, or on a whole one beyond the `full` taken.
      return rem == 0 || whole > full || any_in(static_cast<int32_t>(rem), per_node_ - 1);
    }

    // The largest whole-GPU count that fits: Fits(need) iff need <= MaxFit().
    int32_t MaxFit() const {
      int32_t partial = 0;
      for (int32_t k = per_node_ - 1; k > 0 && partial == 0; --k) {
        if (count_[static_cast<size_t>(k)] > 0) partial = k;
      }
      return static_cast<int32_t>(count_[static_cast<size_t>(per_node_)]) * per_node_ + partial;
    }

   private:
    const Engine& engine_;
    int32_t per_node_;
    std::vector<int32_t>& free_;  // node -> free GPUs with the victims off
    std::vector<int32_t> touched_;
    std::vector<int64_t> count_;
  };

  // Running whole-GPU jobs of one pool and level: (GPUs, -start, job).
  using CandidateSet = std::set<std::tuple<int32_t, SimTime, JobIdx>>;
  CandidateSet& Candidates(int32_t pool, int level) {
    return candidates_[static_cast<size_t>(pool) * (thresholds_.size() + 1) +
                       static_cast<size_t>(level)];
  }
  // Earliest time the running job at `level` may cross its next threshold: a little before the
  // computed instant, so rounding never makes it late (Sync checks the exact level then).
  SimTime DueAt(const Engine& engine, const SimJob& job, int level) const {
    const double left_gpu_s = thresholds_[static_cast<size_t>(level)] - job.attained_gpu_s;
    const SimTime at = job.since + ToSimTime(left_gpu_s / job.gpu_fraction()) - kDueMargin;
    return std::max(at, engine.now() + 1);
  }
  void File(const Engine& engine, JobIdx j, int level) {
    const SimJob& job = engine.job(j);
    level_of_[static_cast<size_t>(j)] = static_cast<int16_t>(level);
    Candidates(job.pool, level).insert({job.gpus, -job.since, j});
    if (level < static_cast<int>(thresholds_.size())) {
      due_.push({DueAt(engine, job, level), j, job.generation});
    }
  }
  // Files the jobs started since the last call and moves those whose level rose, so the
  // candidates are the running whole-GPU jobs at their levels now.
  void Sync(const Engine& engine) {
    if (level_of_.size() < engine.jobs().size()) level_of_.resize(engine.jobs().size(), -1);
    const size_t num_sets = engine.cluster().pools().size() * (thresholds_.size() + 1);
    if (candidates_.size() < num_sets) candidates_.resize(num_sets);
    for (const auto& [j, generation] : started_) {
      const SimJob& job = engine.job(j);
      if (job.status != JobStatus::kRunning || job.generation != generation) continue;
      File(engine, j, Level(AttainedNow(engine, job)));
    }
    started_.clear();
    while (!due_.empty() && std::get<0>(due_.top()) <= engine.now()) {
      const auto [at, j, generation] = due_.top();
      due_.pop();
      const SimJob& job = engine.job(j);
      if (job.status != JobStatus::kRunning || job.generation != generation) continue;
      const int old_level = level_of_[static_cast<size_t>(j)];
      const int level = Level(AttainedNow(engine, job));
      if (level == old_level) {
        due_.push({engine.now() + 1, j, generation});  // not yet: rounding
        continue;
      }
      Candidates(job.pool, old_level).erase({job.gpus, -job.since, j});
      File(engine, j, level);
      Forget(job.pool, /*no_fit=*/false);  // a new candidate for the levels it passed
    }
  }
  // The candidates of one pool above `level`, in victim order: fewest GPUs, then the most
  // served level, then the latest started (then job index).
  class VictimOrder {
   public:
    VictimOrder(LasPolicy& las, int32_t pool, int level) {
      for (int l = static_cast<int>(las.thresholds_.size()); l > level; --l) {
        CandidateSet& set = las.Candidates(pool, l);
        if (!set.empty()) cursors_.push_back({set.begin(), set.end()});
      }
    }
    // The next victim, or -1. Cursors run from the most served level down, so the first of
    // equal GPU counts is the most served.
    JobIdx Next() {
      Cursor* best = nullptr;
      for (Cursor& c : cursors_) {
        if (c.it == c.end) continue;
        if (best == nullptr || std::get<0>(*c.it) < std::get<0>(*best->it)) best = &c;
      }
      if (best == nullptr) return -1;
      return std::get<2>(*best->it++);
    }

   private:
    struct Cursor {
      CandidateSet::const_iterator it, end;
    };
    std::vector<Cursor> cursors_;
  };

  static constexpr SimTime kDueMargin = 1000;  // 1 ms
  static constexpr int32_t kAnyGpus = std::numeric_limits<int32_t>::max();

  // No failures, deliveries or retirements: GPUs come free only when a job stops (OnStop), so
  // the memos below may outlive a pass.
  static bool StaticCluster(const SimConfig& config) {
    if (config.failures.gpu_mtbf_s > 0) return false;
    for (const NodeGroup& g : config.cluster.groups) {
      if (g.available_from_s > 0 || g.retired_at_s < kNever) return false;
    }
    return true;
  }
  void Forget(int32_t pool, bool no_fit) {
    if (static_cast<size_t>(pool) >= no_fit_gpus_.size()) return;  // before the first pass
    if (no_fit) no_fit_gpus_[static_cast<size_t>(pool)] = kAnyGpus;
    for (int l = 0; l <= static_cast<int>(thresholds_.size()); ++l) {
      no_room_gpus_[NoRoomIndex(pool, l)] = kAnyGpus;
    }
  }
  // A whole-GPU job at least as large as one that fit none of its pools: TryStart would say
  // kNoFit (starts only take GPUs, Cluster::CanPlace is monotone in whole GPUs).
  bool KnownNoFit(const SimJob& job) const {
    if (job.milli < trace::kWholeGpuMilli) return false;
    for (uint64_t m = job.allowed_pools; m != 0; m &= m - 1) {
      if (job.gpus < no_fit_gpus_[static_cast<size_t>(__builtin_ctzll(m))]) return false;
    }
    return true;
  }

  size_t NoRoomIndex(int32_t pool, int level) const {
    return static_cast<size_t>(pool) * (thresholds_.size() + 1) + static_cast<size_t>(level);
  }
  // The GPU counts from which preempting every candidate above `level` (or above a lower
  // level) makes no room on the pool, as found by a walk that took them all.
  int32_t NoRoomGpus(int32_t pool, int level) const {
    int32_t gpus = kAnyGpus;
    for (int l = 0; l <= level; ++l) gpus = std::min(gpus, no_room_gpus_[NoRoomIndex(pool, l)]);
    return gpus;
  }

  std::vector<double> thresholds_;
  std::set<std::tuple<int, SimTime, JobIdx>> queue_;
  std::vector<CandidateSet> candidates_;  // per pool and level
  bool plain_;                            // SimConfig::plain_passes: no memos
  bool shortcut_;    // no cluster queues: TryStart's kNoFit involves no reclaim
  bool keep_memos_;  // StaticCluster
  // Smallest whole-GPU count that fit none of a pool's nodes, since GPUs last came free.
  std::vector<int32_t> no_fit_gpus_;
  // Per pool and level (NoRoomGpus), since GPUs last came free or a candidate's level rose.
  std::vector<int32_t> no_room_gpus_;
  std::vector<int32_t> scratch_free_;                 // NodeCounts' scratch
  std::vector<int16_t> level_of_;                     // per job: its candidate level, -1 if none
  std::vector<std::pair<JobIdx, uint32_t>> started_;  // (job, generation) not yet filed
  // (when to check, job, generation): candidates that may have crossed a threshold.
  std::priority_queue<std::tuple<SimTime, JobIdx, uint32_t>,
                      std::vector<std::tuple<SimTime, JobIdx, uint32_t>>, std::greater<>>
      due_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeLas(const SimConfig& config) {
  return std::make_unique<LasPolicy>(config);
}

}  // namespace gpuplan::sim::detail
