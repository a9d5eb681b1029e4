// easy: EASY backfilling (Lifka 1995; Mu'alem and Feitelson 2001). Jobs start in FIFO order;
// when the head does not fit it gets a reservation at the "shadow time", the earliest expected
// end of running jobs that frees enough GPUs of its allowed types. A later job may start now if
// it fits and either ends (by its runtime estimate) before the shadow time, or uses only GPUs
// the head will not need then ("extra"), or runs on a type the head may not use.
// Reservations count GPUs, not node shapes. As in Slurm's backfill scheduler, a full scan
// examines at most backfill_depth queued jobs (bf_max_job_test) and runs at most once per
// backfill_interval_s (bf_interval; a wake-up is set for the next one); other passes try only
// new arrivals, since nothing else could have started without freed capacity.
#include <limits>
#include <set>

#include "sim/engine.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class EasyPolicy : public SchedulingPolicy {
 public:
  explicit EasyPolicy(const SimConfig& config)
      : depth_(config.backfill_depth), interval_(ToSimTime(config.backfill_interval_s)) {}

  void Enqueue(Engine& engine, JobIdx j) override {
    engine.KeepEndIndex();
    queue_.insert({engine.job(j).submit, j});
    fresh_.push_back(j);
  }

  void Schedule(Engine& engine, bool capacity_freed) override {
    std::vector<JobIdx> fresh;
    fresh.swap(fresh_);
    // (1) Start from the head while jobs fit.
    const auto it = StartFromFront(engine, queue_, [](const auto& e) { return e.second; });
    if (it == queue_.end()) return;
    const JobIdx head = it->second;
    // (2) The head's reservation.
    const SimJob& h = engine.job(head);
    const uint64_t head_pools = h.allowed_pools;
    const int64_t need = h.gpus;
    int64_t avail = engine.FreeGpus(head_pools);
    SimTime shadow = std::numeric_limits<SimTime>::max();
    int64_t extra = std::numeric_limits<int64_t>::max() / 2;
    for (const auto& [end, r] : engine.running_by_end()) {
      const SimJob& rj = engine.job(r);
      if ((head_pools >> rj.pool & 1) == 0 || rj.milli < trace::kWholeGpuMilli) continue;
      avail += rj.gpus;
      if (avail >= need) {
        shadow = std::max(end, engine.now());
        extra = avail - need;
        break;
      }
    }
    // (3) Backfill.
    auto try_backfill = [&](JobIdx c) {
      const SimJob& job = engine.job(c);
      if (job.status != JobStatus::kQueued || engine.OverQuota(c)) return false;
      if (job.milli == trace::kWholeGpuMilli && job.gpus > engine.FreeGpus(job.allowed_pools)) {
        return false;
      }
      for (uint64_t mask = job.allowed_pools; mask != 0; mask &= mask - 1) {
        const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
        if (!engine.CanPlaceOn(c, p)) continue;
        const bool shares_head_pool = (head_pools >> p & 1) != 0;
        const bool ends_before = engine.now() + engine.EstimatedRunTime(c, p) <= shadow;
        const int64_t gpus = job.gpus;
        if (!shares_head_pool || ends_before || gpus <= extra) {
          if (shares_head_pool && !ends_before) extra -= gpus;
          engine.StartOn(c, p);
          return true;
        }
      }
      return false;
    };
    if (capacity_freed && interval_ > 0 && engine.now() < last_scan_ + interval_) {
      // Too soon for another full scan: come back when it is due.
      if (wakeup_at_ <= engine.now()) {
        wakeup_at_ = last_scan_ + interval_;
        engine.WakeUpAt(wakeup_at_);
      }
      capacity_freed = false;
    }
    if (capacity_freed) {
      last_scan_ = engine.now();
      int examined = 0;
      for (auto c = std::next(it); c != queue_.end() && examined < depth_; ++examined) {
        if (try_backfill(c->second)) {
          c = queue_.erase(c);
        } else {
          ++c;
        }
        if (engine.FreeGpus(engine.all_pools()) == 0 && !HasSharedRoom(engine)) break;
      }
    } else {
      for (JobIdx c : fresh) {
        if (c == head) continue;
        const SimJob& job = engine.job(c);
        if (job.status == JobStatus::kQueued && try_backfill(c)) queue_.erase({job.submit, c});
      }
    }
  }

  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    fresh_.clear();
    return DrainInOrder(queue_, [](const auto& e) { return e.second; });
  }

 private:
  static bool HasSharedRoom(const Engine& engine) {
    for (const Pool& p : engine.cluster().pools()) {
      if (!p.partial.empty()) return true;
    }
    return false;
  }

  int depth_;
  SimTime interval_;
  SimTime last_scan_ = std::numeric_limits<SimTime>::min() / 2;
  SimTime wakeup_at_ = std::numeric_limits<SimTime>::min();
  std::set<std::pair<SimTime, JobIdx>> queue_;
  std::vector<JobIdx> fresh_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeEasy(const SimConfig& config) {
  return std::make_unique<EasyPolicy>(config);
}

}  // namespace gpuplan::sim::detail
