// fifo and sjf: one policy, a queue in a fixed order whose head blocks until it fits; a job over
// its tenant's quota is passed over. Non-preemptive. They differ only in the order's key:
//  - fifo: first come, first served by submit time within the trace's priority classes (higher
//    priority first; re-queued jobs keep their place). With two priorities this is the M/G/c
//    non-preemptive priority queue (tests check Cobham's formula).
//  - sjf: shortest job first on oracle run times (the job's true remaining work), ties by
//    submit time.
#include <set>
#include <tuple>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

// KeyOf(job) -> the key the queue is ordered by, before (submit, job index).
template <typename Key, Key (*KeyOf)(const SimJob&)>
class HeadBlocksPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override {
    queue_.insert({KeyOf(engine.job(j)), engine.job(j).submit, j});
  }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    StartFromFront(engine, queue_, [](const auto& e) { return std::get<2>(e); });
  }
  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    return DrainInOrder(queue_, [](const auto& e) { return std::get<2>(e); });
  }

 private:
  std::set<std::tuple<Key, SimTime, JobIdx>> queue_;
};

int32_t FifoKey(const SimJob& job) { return -job.priority; }
double SjfKey(const SimJob& job) { return job.work_left_ref_s; }

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFifo(const SimConfig& /*config*/) {
  return std::make_unique<HeadBlocksPolicy<int32_t, FifoKey>>();
}

std::unique_ptr<SchedulingPolicy> MakeSjf(const SimConfig& /*config*/) {
  return std::make_unique<HeadBlocksPolicy<double, SjfKey>>();
}

}  // namespace gpuplan::sim::detail
