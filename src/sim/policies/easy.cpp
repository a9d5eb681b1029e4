// easy: EASY backfilling (Lifka 1995; Mu'alem and Feitelson 2001) per pool, as Slurm's backfill
// scheduler runs it on partitions: jobs in FIFO order; a job that does not fit reserves the
// pool (among those that can ever hold it) where it would finish first, at the shadow time when
// that pool's running jobs, released at their estimated ends, leave whole nodes for it; later
// jobs start if they fit and the reservations allow (policies.h: PoolReservations). Decisions
// use runtime estimates (SimConfig::estimate_factor); jobs run their true time.
#include <set>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class EasyPolicy : public SchedulingPolicy {
 public:
  explicit EasyPolicy(const SimConfig& config) : reservations_(config) {}

  void Enqueue(Engine& engine, JobIdx j) override {
    queue_.insert({engine.job(j).submit, j});
    fresh_.push_back(j);
  }

  void Schedule(Engine& engine, bool capacity_freed) override {
    std::vector<JobIdx> fresh;
    fresh.swap(fresh_);
    if (queue_.empty()) {
      if (capacity_freed) reservations_.Forget();
      return;
    }
    if (reservations_.BeginPass(engine, capacity_freed) == PoolReservations::Mode::kFresh) {
      for (JobIdx c : fresh) {
        if (engine.job(c).status == JobStatus::kQueued && reservations_.Consider(engine, c)) {
          queue_.erase({engine.job(c).submit, c});
        }
      }
      return;
    }
    int examined = 0;
    for (auto c = queue_.begin(); c != queue_.end() && examined < reservations_.depth();) {
      if (reservations_.Exhausted(engine)) break;
      if (reservations_.Consider(engine, c->second)) {
        c = queue_.erase(c);
      } else {
        ++c;
        ++examined;
      }
    }
  }

  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    fresh_.clear();
    return DrainInOrder(queue_, [](const auto& e) { return e.second; });
  }

 private:
  PoolReservations reservations_;
  std::set<std::pair<SimTime, JobIdx>> queue_;
  std::vector<JobIdx> fresh_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeEasy(const SimConfig& config) {
  return std::make_unique<EasyPolicy>(config);
}

}  // namespace gpuplan::sim::detail
