// fifo: first come, first served by submit time (re-queued jobs keep their place). The head
// blocks the queue until it fits; a job over its tenant's quota is passed over.
#include <set>

#include "sim/engine.h"

namespace gpuplan::sim::detail {

namespace {

class FifoPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override { queue_.insert({engine.job(j).submit, j}); }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    for (auto it = queue_.begin(); it != queue_.end();) {
      const StartResult r = engine.TryStart(it->second);
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
    for (const auto& [submit, j] : queue_) out.push_back(j);
    queue_.clear();
    return out;
  }

 private:
  std::set<std::pair<SimTime, JobIdx>> queue_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFifo(const SimConfig& /*config*/) {
  return std::make_unique<FifoPolicy>();
}

}  // namespace gpuplan::sim::detail
