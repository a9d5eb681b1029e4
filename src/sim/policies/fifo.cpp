// fifo and sjf: one policy, a queue in a fixed order whose head blocks until it fits; a job over
// its tenant's quota is passed over. Non-preemptive. They differ only in the order's key:
//  - fifo: first come, first served by submit time within the trace's priority classes (higher
//    priority first; re-queued jobs keep their place). With two priorities this is the M/G/c
//    non-preemptive priority queue (tests check Cobham's formula).
//  - sjf: shortest job first on oracle run times (the job's true remaining work), ties by
//    submit time.
#include <algorithm>
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

// fifo: the same policy over a compact queue (issue 12: when a trace of millions queues, a
// std::set node took 64 bytes a queued job; this takes 4). The engine's jobs are in submit
// order, so (submit, job index) is job index order: each priority class keeps its arrivals in
// a vector (they come in index order), erased ones marked, and the few jobs that come back
// (failures, preemptions) behind its last arrival in a std::set; a pass merges the two.
class FifoPolicy : public SchedulingPolicy {
 public:
  void Enqueue(Engine& engine, JobIdx j) override {
    Class& c = classes_[engine.job(j).priority];
    if (c.head == c.arrivals.size() || j > c.last) {
      c.arrivals.push_back(j);
      c.last = j;
    } else {
      c.late.insert(j);
    }
    ++c.num;
    ++num_queued_;
  }
  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    for (auto it = classes_.begin(); it != classes_.end();) {
      Class& c = it->second;
      bool blocked = false;
      size_t a = c.head;
      auto l = c.late.begin();
      while (true) {
        while (a < c.arrivals.size() && c.arrivals[a] == kGone) ++a;
        const bool from_late = l != c.late.end() && (a == c.arrivals.size() || *l < c.arrivals[a]);
        if (!from_late && a == c.arrivals.size()) break;
        const JobIdx j = from_late ? *l : c.arrivals[a];
        const StartResult r = engine.TryStart(j);
        if (r == StartResult::kNoFit) {
          blocked = true;
          break;
        }
        if (r == StartResult::kStarted) {
          --c.num;
          --num_queued_;
        }
        if (from_late) {  // (a job a reclaim preempted may have come back after j: kept)
          l = r == StartResult::kStarted ? c.late.erase(l) : std::next(l);
          continue;
        }
        if (r == StartResult::kStarted) {
          c.arrivals[a] = kGone;
          ++c.num_gone;
        }
        ++a;
        // A job a reclaim preempted comes back in order: after j, it is still ahead.
        if (!c.late.empty()) l = c.late.upper_bound(j);
      }
      Tidy(c);
      if (c.num == 0) {
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
    for (auto& [priority, c] : classes_) {
      size_t a = c.head;
      auto l = c.late.begin();
      while (true) {
        while (a < c.arrivals.size() && c.arrivals[a] == kGone) ++a;
        if (l != c.late.end() && (a == c.arrivals.size() || *l < c.arrivals[a])) {
          out.push_back(*l++);
        } else if (a < c.arrivals.size()) {
          out.push_back(c.arrivals[a++]);
        } else {
          break;
        }
      }
    }
    classes_.clear();
    num_queued_ = 0;
    return out;
  }

 private:
  static constexpr JobIdx kGone = -1;
  struct Class {
    std::vector<JobIdx> arrivals;  // ascending from `head`; kGone: started
    size_t head = 0;               // arrivals before it are all gone
    int64_t num_gone = 0;          // kGone entries at or after head
    JobIdx last = -1;              // the last arrival (arrivals ascend)
    std::set<JobIdx> late;         // back in the queue, before the last arrival
    int64_t num = 0;               // queued jobs of the class
  };
  // Drops the gone entries at the front, and compacts when most entries are gone.
  static void Tidy(Class& c) {
    while (c.head < c.arrivals.size() && c.arrivals[c.head] == kGone) {
      ++c.head;
      --c.num_gone;
    }
    const auto live = static_cast<int64_t>(c.arrivals.size() - c.head) - c.num_gone;
    if (c.head == c.arrivals.size()) {
      c.arrivals.clear();
      c.head = 0;
      c.last = -1;
    } else if (c.head + static_cast<size_t>(c.num_gone) >= 4096 &&
               static_cast<int64_t>(c.head) + c.num_gone >= live) {
      c.arrivals.erase(std::remove(c.arrivals.begin() + static_cast<std::ptrdiff_t>(c.head),
                                   c.arrivals.end(), kGone),
                       c.arrivals.end());
      c.arrivals.erase(c.arrivals.begin(),
                       c.arrivals.begin() + static_cast<std::ptrdiff_t>(c.head));
      c.head = 0;
      c.num_gone = 0;
    }
  }

  std::map<int32_t, Class, std::greater<>> classes_;  // higher priority first
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
