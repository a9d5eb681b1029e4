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

// plain_passes' queue: the same order in a std::set (SubmitOrderQueue's interface).
class SetOrderQueue {
 public:
  void Insert(JobIdx j) { set_.insert(j); }
  void Erase(JobIdx j) { set_.erase(j); }
  int64_t size() const { return static_cast<int64_t>(set_.size()); }
  bool empty() const { return set_.empty(); }
  class Walk {
   public:
    explicit Walk(SetOrderQueue& q) : q_(q), it_(q.set_.begin()) {}
    bool done() const { return it_ == q_.set_.end(); }
    JobIdx job() const { return *it_; }
    JobIdx ahead(size_t /*k*/) const { return -1; }
    void Next() { ++it_; }
    void EraseAndNext() { it_ = q_.set_.erase(it_); }

   private:
    SetOrderQueue& q_;
    std::set<JobIdx>::iterator it_;
  };
  std::vector<JobIdx> Drain() {
    std::vector<JobIdx> out(set_.begin(), set_.end());
    set_.clear();
    return out;
  }

 private:
  std::set<JobIdx> set_;
};

// Jobs in submit order, which is job index order (the engine's jobs are sorted by submit).
template <typename Queue>
class EasyPolicy : public SchedulingPolicy {
 public:
  explicit EasyPolicy(const SimConfig& config) : reservations_(config) {}

  void Enqueue(Engine& /*engine*/, JobIdx j) override {
    queue_.Insert(j);
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
          queue_.Erase(c);
        }
      }
      return;
    }
    int examined = 0;
    for (typename Queue::Walk w(queue_); !w.done() && examined < reservations_.depth();) {
      if (reservations_.Exhausted(engine)) break;
      // The jobs a scan passes over are read once each, in queue order: ask for them early.
      constexpr size_t kPrefetchAhead = 8;
      if (const JobIdx next = w.ahead(kPrefetchAhead); next >= 0) {
        __builtin_prefetch(&engine.job(next));
      }
      if (reservations_.Consider(engine, w.job())) {
        w.EraseAndNext();
      } else {
        w.Next();
        ++examined;
      }
    }
  }

  int64_t num_queued() const override { return queue_.size(); }
  std::vector<JobIdx> DrainQueue() override {
    fresh_.clear();
    return queue_.Drain();
  }

 private:
  PoolReservations reservations_;
  Queue queue_;
  std::vector<JobIdx> fresh_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeEasy(const SimConfig& config) {
  if (config.plain_passes) return std::make_unique<EasyPolicy<SetOrderQueue>>(config);
  return std::make_unique<EasyPolicy<SubmitOrderQueue>>(config);
}

}  // namespace gpuplan::sim::detail
