// firstfit: list scheduling in submit order, as the Alibaba PAI 2020 simulator schedules
// ("FIFO" there; Weng et al., NSDI'22): every queued job that fits starts, in submit order, with
// no reservation, so a large job may wait while later small ones pass it. A job takes the pool
// where it fits with the earliest estimated finish and never waits for a faster type.
//
// The queue is kept as one ordered set per shape (GPUs, share size, allowed pools) and a pass
// merges the shapes' heads in submit order. A job that does not fit means no later job of its
// shape fits in this pass (starts only take GPUs), and no whole-GPU job as large on the same
// pools (Cluster::CanPlace is monotone in whole GPUs), so the pass drops such shapes instead of
// trying each of their jobs: a pass costs the jobs it starts and the shapes, not the queue.
// With cluster queues a reclaim may free GPUs mid-pass, so every job is tried (no shortcut), as
// with SimConfig::plain_passes.
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class FirstfitPolicy : public SchedulingPolicy {
 public:
  // Plain passes (tests) and cluster queues (a reclaim may free GPUs mid-pass): every job tried.
  explicit FirstfitPolicy(const SimConfig& config)
      : shortcut_(config.cluster_queues.empty() && !config.plain_passes) {}
  void Enqueue(Engine& engine, JobIdx j) override {
    const SimJob& job = engine.job(j);
    Shape& s = ShapeOf(job);
    const auto [it, inserted] = s.jobs.insert({job.submit, j});
    ++num_queued_;
    fresh_.push_back(j);
    // Back during a pass (a reclaim's victim) behind the walk's position: the walk reaches it.
    if (in_pass_ && *it > last_ && (s.cursor == s.jobs.end() || *it < *s.cursor)) {
      s.cursor = it;
      Push(static_cast<int32_t>(&s - shapes_.data()));
    }
  }
  void Schedule(Engine& engine, bool capacity_freed) override {
    std::vector<JobIdx> fresh;
    fresh.swap(fresh_);
    if (!capacity_freed) {  // only arrivals: no queued job that failed before can fit now
      for (JobIdx j : fresh) {
        const SimJob& job = engine.job(j);
        if (job.status == JobStatus::kQueued &&
            engine.TryStart(j, /*allow_wait=*/false) == StartResult::kStarted) {
          Erase(job, j);
        }
      }
      return;
    }
    no_fit_gpus_.assign(engine.cluster().pools().size(), std::numeric_limits<int32_t>::max());
    heap_.clear();
    for (size_t s = 0; s < shapes_.size(); ++s) {
      shapes_[s].cursor = shapes_[s].jobs.begin();
      if (!shapes_[s].jobs.empty()) Push(static_cast<int32_t>(s));
    }
    in_pass_ = true;
    last_ = {std::numeric_limits<SimTime>::min(), 0};
    while (!heap_.empty()) {
      if (engine.FreeGpus(engine.all_pools()) == 0 && !HasSharedRoom(engine) &&
          !engine.AnyBorrowing()) {
        break;
      }
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      const auto [key, si] = heap_.back();
      heap_.pop_back();
      Shape& s = shapes_[static_cast<size_t>(si)];
      if (s.cursor == s.jobs.end() || *s.cursor != key) continue;  // stale entry
      last_ = key;
      const JobIdx j = key.second;
      if (shortcut_ && CannotFit(engine.job(j))) {
        s.cursor = s.jobs.end();  // the rest of the shape cannot fit either
        continue;
      }
      const StartResult r = engine.TryStart(j, /*allow_wait=*/false);
      if (r == StartResult::kStarted) {
        s.cursor = s.jobs.erase(s.cursor);
        --num_queued_;
      } else if (r == StartResult::kNoFit && shortcut_) {
        NoFit(engine.job(j));
        s.cursor = s.jobs.end();
      } else {
        ++s.cursor;
      }
      if (s.cursor != s.jobs.end()) Push(si);
    }
    in_pass_ = false;
  }
  int64_t num_queued() const override { return num_queued_; }
  std::vector<JobIdx> DrainQueue() override {
    fresh_.clear();
    std::vector<std::pair<SimTime, JobIdx>> all;
    all.reserve(static_cast<size_t>(num_queued_));
    for (Shape& s : shapes_) {
      all.insert(all.end(), s.jobs.begin(), s.jobs.end());
      s.jobs.clear();
      s.cursor = s.jobs.end();
    }
    std::sort(all.begin(), all.end());
    num_queued_ = 0;
    std::vector<JobIdx> out;
    out.reserve(all.size());
    for (const auto& e : all) out.push_back(e.second);
    return out;
  }

 private:
  using Key = std::pair<SimTime, JobIdx>;  // (submit, job): the queue order
  struct Shape {
    std::set<Key> jobs;
    std::set<Key>::iterator cursor;  // a pass's next job of this shape; end(): none
  };
  struct Later {
    bool operator()(const std::pair<Key, int32_t>& a, const std::pair<Key, int32_t>& b) const {
      return a.first > b.first;
    }
  };

  Shape& ShapeOf(const SimJob& job) {
    const auto [it, inserted] = shape_index_.try_emplace(
        std::tuple{job.gpus, job.milli, job.allowed_pools}, static_cast<int32_t>(shapes_.size()));
    if (inserted) {
      // Shapes are few; growing the vector moves the sets, so no pass may be under way.
      GPUPLAN_CHECK(!in_pass_) << "firstfit: a new job shape during a pass";
      shapes_.emplace_back();
      shapes_.back().cursor = shapes_.back().jobs.end();
    }
    return shapes_[static_cast<size_t>(it->second)];
  }
  void Erase(const SimJob& job, JobIdx j) {
    ShapeOf(job).jobs.erase({job.submit, j});
    --num_queued_;
  }
  void Push(int32_t s) {
    heap_.push_back({*shapes_[static_cast<size_t>(s)].cursor, s});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  // A job that did not fit now, on any of its pools.
  void NoFit(const SimJob& job) {
    if (job.milli < trace::kWholeGpuMilli) return;
    for (uint64_t m = job.allowed_pools; m != 0; m &= m - 1) {
      int32_t& no_fit = no_fit_gpus_[static_cast<size_t>(__builtin_ctzll(m))];
      no_fit = std::min(no_fit, job.gpus);
    }
  }
  // Whether the whole-GPU job cannot fit any allowed pool, as large a job not having fit.
  bool CannotFit(const SimJob& job) const {
    if (job.milli < trace::kWholeGpuMilli) return false;
    for (uint64_t m = job.allowed_pools; m != 0; m &= m - 1) {
      if (job.gpus < no_fit_gpus_[static_cast<size_t>(__builtin_ctzll(m))]) return false;
    }
    return true;
  }

  bool shortcut_;
  std::vector<Shape> shapes_;
  std::map<std::tuple<int32_t, int32_t, uint64_t>, int32_t> shape_index_;
  std::vector<std::pair<Key, int32_t>> heap_;  // (next job, shape): a min-heap by Later
  std::vector<int32_t> no_fit_gpus_;           // per pool: smallest whole GPUs not fitting
  std::vector<JobIdx> fresh_;
  int64_t num_queued_ = 0;
  bool in_pass_ = false;
  Key last_{};  // the pass's last job taken from the heap
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFirstfit(const SimConfig& config) {
  return std::make_unique<FirstfitPolicy>(config);
}

}  // namespace gpuplan::sim::detail
