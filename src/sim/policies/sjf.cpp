// sjf: shortest job first on oracle run times (the job's true remaining work), ties by submit
// time. Non-preemptive; the shortest waiting job blocks the rest until it fits.
#include <set>
#include <tuple>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class SjfPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override {
    const SimJob& job = engine.job(j);
    queue_.insert({job.work_left_ref_s, job.submit, j});
  }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    StartFromFront(engine, queue_, [](const auto& e) { return std::get<2>(e); });
  }
  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    return DrainInOrder(queue_, [](const auto& e) { return std::get<2>(e); });
  }

 private:
  std::set<std::tuple<double, SimTime, JobIdx>> queue_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeSjf(const SimConfig& /*config*/) {
  return std::make_unique<SjfPolicy>();
}

}  // namespace gpuplan::sim::detail
