// las: least attained service, preemptive, after Tiresias' discretized 2D-LAS (Gu et al.,
// NSDI'19). A job's attained service is GPUs x time run so far; thresholds split jobs into
// queues (level 0 below the first threshold, ...). Waiting jobs go by (level, submit). A waiting
// job that does not fit preempts running jobs of a strictly higher level (the most-served level
// first, then the latest started) when that frees enough GPUs of its types; preempted jobs keep
// their progress (checkpoint on preemption) and pay the restart overhead when they resume. A
// running job crossing a threshold wakes the scheduler (Engine::WakeUpAt). At most
// kMaxBlockedPerPass waiting jobs that cannot start are examined per pass.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "sim/engine.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

constexpr int kMaxBlockedPerPass = 32;

class LasPolicy : public SchedulingPolicy {
 public:
  explicit LasPolicy(const SimConfig& config) : thresholds_(config.las_thresholds_gpu_s) {
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
  }

  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    int blocked = 0;
    for (auto it = queue_.begin(); it != queue_.end() && blocked < kMaxBlockedPerPass;) {
      const auto [level, submit, j] = *it;
      const StartResult r = engine.TryStart(j);
      if (r == StartResult::kStarted) {
        it = queue_.erase(it);
        continue;
      }
      if (r == StartResult::kNoFit && PreemptFor(engine, j, level)) {
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
    return job.attained_gpu_s + job.gpu_fraction() * ToSeconds(engine.now() - job.run_start);
  }

  // Preempts lower-priority running jobs so that `j` starts. Victims come from one pool, the
  // first allowed pool where j would fit on the nodes' free GPUs plus the victims' (checked
  // node by node, so no job is preempted for GPUs j could not use); false, with nothing
  // preempted, if no pool has room.
  bool PreemptFor(Engine& engine, JobIdx j, int level) {
    const SimJob& job = engine.job(j);
    victims_.clear();
    for (JobIdx r : engine.running()) {
      const SimJob& rj = engine.job(r);
      if ((job.allowed_pools >> rj.pool & 1) == 0 || rj.milli < trace::kWholeGpuMilli) continue;
      const int rl = Level(AttainedNow(engine, rj));
      if (rl > level) victims_.push_back({-rl, -rj.run_start, r});
    }
    if (victims_.empty()) return false;
    std::sort(victims_.begin(), victims_.end());
    const int32_t need = job.milli < trace::kWholeGpuMilli ? 1 : job.gpus;
    for (uint64_t mask = job.allowed_pools; mask != 0; mask &= mask - 1) {
      const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
      if (!FitsAfterPreemption(engine, p, need)) continue;
      for (const auto& [neg_level, neg_start, r] : victims_) {
        if (engine.job(r).pool != p) continue;
        engine.Preempt(r);  // re-enqueued by the engine
        if (engine.CanPlaceOn(j, p)) {
          engine.StartOn(j, p);
          return true;
        }
      }
      GPUPLAN_CHECK(false) << "las: job " << j << " did not fit after preemption";
    }
    return false;
  }

  // Whether `need` GPUs fit on pool p (one node, or whole nodes plus one for a gang) if every
  // victim on p were preempted.
  bool FitsAfterPreemption(const Engine& engine, int32_t p, int32_t need) {
    freeable_.clear();
    for (const auto& [neg_level, neg_start, r] : victims_) {
      for (const Piece& piece : engine.job(r).pieces) {
        if (engine.job(r).pool == p) freeable_[piece.node] += piece.gpus;
      }
    }
    const Pool& pool = engine.cluster().pool(p);
    const int32_t per_node = pool.gpus_per_node;
    int64_t full_nodes = static_cast<int64_t>(pool.buckets[static_cast<size_t>(per_node)].size());
    int32_t best_partial = 0;  // most free GPUs on a node that is not wholly free
    for (int32_t k = per_node - 1; k > 0 && best_partial == 0; --k) {
      if (!pool.buckets[static_cast<size_t>(k)].empty()) best_partial = k;
    }
    for (const auto& [node, gpus] : freeable_) {
      const int32_t free = engine.cluster().nodes()[static_cast<size_t>(node)].free_gpus + gpus;
      if (free == per_node) {
        ++full_nodes;
      } else {
        best_partial = std::max(best_partial, free);
      }
    }
    if (need <= per_node) return full_nodes > 0 || best_partial >= need;
    const int64_t full = need / per_node, rem = need % per_node;
    return full_nodes >= full + (rem > 0 && best_partial < rem ? 1 : 0);
  }

  std::vector<double> thresholds_;
  std::set<std::tuple<int, SimTime, JobIdx>> queue_;
  std::vector<std::tuple<int, SimTime, JobIdx>> victims_;
  std::map<int32_t, int32_t> freeable_;  // node -> GPUs its victims hold (ordered: deterministic)
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeLas(const SimConfig& config) {
  return std::make_unique<LasPolicy>(config);
}

}  // namespace gpuplan::sim::detail
