// las: least attained service, preemptive, after Tiresias' discretized 2D-LAS (Gu et al.,
// NSDI'19). A job's attained service is GPUs x time run so far; thresholds split jobs into
// queues (level 0 below the first threshold, ...). Waiting jobs go by (level, submit). A waiting
// job that does not fit preempts running jobs of a strictly higher level, the fewest GPUs that
// make room for it (PreemptFor); preempted jobs keep
// their progress (checkpoint on preemption) and pay the restart overhead when they resume. A
// running job crossing a threshold wakes the scheduler (Engine::WakeUpAt). At most
// kMaxBlockedPerPass waiting jobs that cannot start are examined per pass.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "sim/policies/policies.h"
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
      // A job that fits now but waits for a faster type preempts nobody.
      if (r == StartResult::kNoFit && engine.BestPoolNow(j) < 0 && PreemptFor(engine, j, level)) {
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
    int32_t best_pool = -1;
    double best_cost = 0;
    std::vector<JobIdx> best;
    for (uint64_t mask = job.allowed_pools; mask != 0; mask &= mask - 1) {
      const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
      victims_.clear();
      for (const auto& [end, r] : engine.running_by_end(p)) {
        const SimJob& rj = engine.job(r);
        if (rj.milli < trace::kWholeGpuMilli) continue;
        const int rl = Level(AttainedNow(engine, rj));
        if (rl > level) victims_.push_back({rj.gpus, -rl, -rj.run_start, r});
      }
      if (victims_.empty()) continue;
      std::sort(victims_.begin(), victims_.end());
      NodeCounts counts(engine, p);
      std::vector<JobIdx> chosen;
      double cost = 0;
      bool fits = false;
      for (const auto& v : victims_) {
        const JobIdx r = std::get<3>(v);
        counts.Add(engine.job(r), +1);
        chosen.push_back(r);
        cost += engine.job(r).gpu_fraction();
        if (best_pool >= 0 && cost >= best_cost) break;
        if ((fits = counts.Fits(need))) break;
      }
      if (!fits) continue;
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
    for (JobIdx r : best) engine.Preempt(r);  // re-enqueued by the engine
    GPUPLAN_CHECK(engine.CanPlaceOn(j, best_pool))
        << "las: job " << j << " did not fit after preemption";
    engine.StartOn(j, best_pool);
    return true;
  }

  // Free whole GPUs per node of one pool as victims are taken off (a what-if; nothing moves).
  class NodeCounts {
   public:
    NodeCounts(const Engine& engine, int32_t p)
        : engine_(engine), per_node_(engine.cluster().pool(p).gpus_per_node) {
      count_.assign(static_cast<size_t>(per_node_) + 1, 0);
      for (int32_t k = 0; k <= per_node_; ++k) {
        count_[static_cast<size_t>(k)] =
            static_cast<int64_t>(engine.cluster().pool(p).buckets[static_cast<size_t>(k)].size());
      }
    }
    void Add(const SimJob& victim, int sign) {
      for (const Piece& piece : victim.pieces) {
        auto [it, inserted] = free_.try_emplace(piece.node, 0);
        if (inserted)
          it->second = engine_.cluster().nodes()[static_cast<size_t>(piece.node)].free_gpus;
        --count_[static_cast<size_t>(it->second)];
        it->second += sign * piece.gpus;
        ++count_[static_cast<size_t>(it->second)];
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

   private:
    const Engine& engine_;
    int32_t per_node_;
    std::vector<int64_t> count_;
    std::map<int32_t, int32_t> free_;  // node -> free GPUs with the victims off
  };

  std::vector<double> thresholds_;
  std::set<std::tuple<int, SimTime, JobIdx>> queue_;
  std::vector<std::tuple<int32_t, int, SimTime, JobIdx>> victims_;  // (GPUs, -level, -start, job)
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeLas(const SimConfig& config) {
  return std::make_unique<LasPolicy>(config);
}

}  // namespace gpuplan::sim::detail
