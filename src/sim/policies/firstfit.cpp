// firstfit: list scheduling in submit order, as the Alibaba PAI 2020 simulator schedules
// ("FIFO" there; Weng et al., NSDI'22): every queued job that fits starts, in submit order, with
// no reservation, so a large job may wait while later small ones pass it. A job takes the pool
// where it fits with the earliest estimated finish and never waits for a faster type.
#include <set>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class FirstfitPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override {
    queue_.insert({engine.job(j).submit, j});
    fresh_.push_back(j);
  }
  void Schedule(Engine& engine, bool capacity_freed) override {
    std::vector<JobIdx> fresh;
    fresh.swap(fresh_);
    if (!capacity_freed) {  // only arrivals: no queued job that failed before can fit now
      for (JobIdx j : fresh) {
        const SimJob& job = engine.job(j);
        if (job.status == JobStatus::kQueued &&
            engine.TryStart(j, /*allow_wait=*/false) == StartResult::kStarted) {
          queue_.erase({job.submit, j});
        }
      }
      return;
    }
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (engine.FreeGpus(engine.all_pools()) == 0 && !HasSharedRoom(engine) &&
          !engine.AnyBorrowing()) {
        break;
      }
      if (engine.TryStart(it->second, /*allow_wait=*/false) == StartResult::kStarted) {
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  }
  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    fresh_.clear();
    return DrainInOrder(queue_, [](const auto& e) { return e.second; });
  }

 private:
  std::set<std::pair<SimTime, JobIdx>> queue_;
  std::vector<JobIdx> fresh_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFirstfit(const SimConfig& /*config*/) {
  return std::make_unique<FirstfitPolicy>();
}

}  // namespace gpuplan::sim::detail
