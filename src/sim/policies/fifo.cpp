// fifo: first come, first served by submit time within the trace's priority classes (higher
// priority first; re-queued jobs keep their place). The head blocks the queue until it fits; a
// job over its tenant's quota is passed over. Non-preemptive: with two priorities this is the
// M/G/c non-preemptive priority queue (tests check Cobham's formula).
#include <set>
#include <tuple>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class FifoPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override {
    queue_.insert({-engine.job(j).priority, engine.job(j).submit, j});
  }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    StartFromFront(engine, queue_, [](const auto& e) { return std::get<2>(e); });
  }
  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    return DrainInOrder(queue_, [](const auto& e) { return std::get<2>(e); });
  }

 private:
  std::set<std::tuple<int32_t, SimTime, JobIdx>> queue_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFifo(const SimConfig& /*config*/) {
  return std::make_unique<FifoPolicy>();
}

}  // namespace gpuplan::sim::detail
