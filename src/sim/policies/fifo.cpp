// fifo and sjf: one policy, a queue in a fixed order whose head blocks until it fits; a job over
// its tenant's quota is passed over. Non-preemptive. They differ only in the order's key:
//  - fifo: first come, first served by submit time within the trace's priority classes (higher
//    priority first; re-queued jobs keep their place). With two priorities this is the M/G/c
//    non-preemptive priority queue (tests check Cobham's formula).
//  - sjf: shortest job first on oracle run times (the job's true remaining work), ties by
//    submit time.
#include <functional>
#include <map>
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

// fifo: the same policy over compact queues (issue 12: when a trace of millions queues, a
// std::set node took 64 bytes a queued job), one per priority class: within a class the order
// by (submit, job index) is job index order (queue_util.h: SubmitOrderQueue).
class FifoPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override {
    classes_[engine.job(j).priority].Insert(j);
    ++num_queued_;
  }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    for (auto it = classes_.begin(); it != classes_.end();) {
      SubmitOrderQueue& q = it->second;
      bool blocked = false;
      {
        SubmitOrderQueue::Walk w(q);
        while (!w.done()) {
          const StartResult r = engine.TryStart(w.job());
          if (r == StartResult::kNoFit) {
            blocked = true;
            break;
          }
          if (r == StartResult::kStarted) {
            --num_queued_;
            w.EraseAndNext();
          } else {
            w.Next();  // over its quota: passed over
          }
        }
      }
      if (q.empty()) {
        it = classes_.erase(it);
      } else {
        ++it;
      }
      if (blocked) return;
    }
  }
  int64_t num_queued() const override { return num_queued_; }
  std::vector<JobIdx> DrainQueue() override {
    std::vector<JobIdx> out;
    out.reserve(static_cast<size_t>(num_queued_));
    for (auto& [priority, q] : classes_) {
      for (JobIdx j : q.Drain()) out.push_back(j);
    }
    classes_.clear();
    num_queued_ = 0;
    return out;
  }

 private:
  std::map<int32_t, SubmitOrderQueue, std::greater<>> classes_;  // higher priority first
  int64_t num_queued_ = 0;
};

int32_t FifoKey(const SimJob& job) { return -job.priority; }
double SjfKey(const SimJob& job) { return job.work_left_ref_s; }

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFifo(const SimConfig& config) {
  // plain_passes: the std::set queue, for the test that both give the same schedules.
  if (config.plain_passes) return std::make_unique<HeadBlocksPolicy<int32_t, FifoKey>>();
  return std::make_unique<FifoPolicy>();
}

std::unique_ptr<SchedulingPolicy> MakeSjf(const SimConfig& /*config*/) {
  return std::make_unique<HeadBlocksPolicy<double, SjfKey>>();
}

}  // namespace gpuplan::sim::detail
