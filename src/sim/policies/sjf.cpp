// sjf: shortest job first on oracle run times (the job's true remaining work), ties by submit
// time. Non-preemptive; the shortest waiting job blocks the rest until it fits.
#include <set>
#include <tuple>

#include "sim/engine.h"

namespace gpuplan::sim::detail {

namespace {

class SjfPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override {
    const SimJob& job = engine.job(j);
    queue_.insert({job.work_left_ref_s, job.submit, j});
  }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    for (auto it = queue_.begin(); it != queue_.end();) {
      const StartResult r = engine.TryStart(std::get<2>(*it));
      if (r == StartResult::kStarted) {
        it = queue_.erase(it);
      } else if (r == StartResult::kOverQuota) {
        ++it;
      } else {
        break;
      }
    }
  }
  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    std::vector<JobIdx> out;
    for (const auto& e : queue_) out.push_back(std::get<2>(e));
    queue_.clear();
    return out;
  }

 private:
  std::set<std::tuple<double, SimTime, JobIdx>> queue_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeSjf(const SimConfig& /*config*/) {
  return std::make_unique<SjfPolicy>();
}

}  // namespace gpuplan::sim::detail
