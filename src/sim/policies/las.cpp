// las: least attained service, preemptive, after Tiresias' discretized 2D-LAS (Gu et al.,
// NSDI'19). A job's attained service is GPUs x time run so far; thresholds split jobs into
// queues (level 0 below the first threshold, ...). Waiting jobs go by (level, submit). A waiting
// job that does not fit preempts running jobs of a strictly higher level (the most-served level
// first, then the latest started) when that frees enough GPUs of its types; preempted jobs keep
// their progress (checkpoint on preemption) and pay the restart overhead when they resume. A
// running job crossing a threshold wakes the scheduler (Engine::WakeUpAt). At most
// kMaxBlockedPerPass waiting jobs that cannot start are examined per pass.
#include <algorithm>
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

  // Preempts lower-priority running jobs until `j` starts; false (and no preemption) if even
  // all of them would not free enough GPUs of j's types.
  bool PreemptFor(Engine& engine, JobIdx j, int level) {
    const SimJob& job = engine.job(j);
    victims_.clear();
    int64_t freeable = engine.FreeGpus(job.allowed_pools);
    for (JobIdx r : engine.running()) {
      const SimJob& rj = engine.job(r);
      if ((job.allowed_pools >> rj.pool & 1) == 0) continue;
      const int rl = Level(AttainedNow(engine, rj));
      if (rl <= level) continue;
      victims_.push_back({-rl, -rj.run_start, r});
      if (rj.milli == trace::kWholeGpuMilli) freeable += rj.gpus;
    }
    if (freeable < job.gpus) return false;
    std::sort(victims_.begin(), victims_.end());
    for (const auto& [neg_level, neg_start, r] : victims_) {
      engine.Preempt(r);  // re-enqueued by the engine
      if (engine.TryStart(j) == StartResult::kStarted) return true;
    }
    return false;
  }

  std::vector<double> thresholds_;
  std::set<std::tuple<int, SimTime, JobIdx>> queue_;
  std::vector<std::tuple<int, SimTime, JobIdx>> victims_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeLas(const SimConfig& config) {
  return std::make_unique<LasPolicy>(config);
}

}  // namespace gpuplan::sim::detail
