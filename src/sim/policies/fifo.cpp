// fifo: first come, first served by submit time (re-queued jobs keep their place). The head
// blocks the queue until it fits; a job over its tenant's quota is passed over.
#include <set>

#include "sim/engine.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class FifoPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override { queue_.insert({engine.job(j).submit, j}); }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    StartFromFront(engine, queue_, [](const auto& e) { return e.second; });
  }
  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    return DrainInOrder(queue_, [](const auto& e) { return e.second; });
  }

 private:
  std::set<std::pair<SimTime, JobIdx>> queue_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFifo(const SimConfig& /*config*/) {
  return std::make_unique<FifoPolicy>();
}

}  // namespace gpuplan::sim::detail
