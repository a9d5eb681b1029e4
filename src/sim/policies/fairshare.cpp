// fairshare: Slurm's multifactor priority (slurm.schedmd.com/priority_multifactor.html) with
// Slurm's backfill, blocking per pool (policies.h: PoolReservations). A job's priority is
//   PriorityWeightFairshare x F + PriorityWeightAge x A + PriorityWeightJobSize x Z:
//  - F = 2^(-U / S), the classic fair-share factor: U the tenant's share of the decayed GPU
//    usage of all tenants, S its share of the weights. Usage decays with the half-life H
//    (PriorityDecayHalfLife): dU_t/dt = g_t(t) - ln2/H U_t, g_t the tenant's GPUs in use,
//    integrated exactly between changes; F is computed once per pass.
//  - A = min(1, time since submit / PriorityMaxAge).
//  - Z = the job's GPUs / the cluster's GPUs (PriorityFavorSmall=NO).
// Within a tenant the order by priority does not change over time except when a job's age
// reaches PriorityMaxAge, so each tenant keeps its jobs in two ordered sets (age growing,
// age capped) and a pass merges the heads of the tenants that have queued jobs. Tenants'
// usages are brought up to date lazily (when their GPUs change, or when they have jobs in a
// pass), and the total usage, which follows the same equation with the total GPUs in use, is
// integrated on its own: a pass costs the tenants with queued jobs, not all tenants.
// Jobs reaching PriorityMaxAge are found through an index by submit time (arrivals in a FIFO,
// jobs back in the queue in a heap), not a set erased by key at every start.
// SimConfig::plain_passes keeps the plain way (every tenant updated and summed each pass, every
// growing job checked for its age) for the test that the two give the same schedules.
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <tuple>

#include "sim/policies/policies.h"

namespace gpuplan::sim::detail {

namespace {

class FairsharePolicy : public SchedulingPolicy {
 public:
  explicit FairsharePolicy(const SimConfig& config)
      : decay_per_s_(std::log(2.0) / config.fairshare_half_life_s),
        w_fairshare_(config.priority_weight_fairshare),
        w_age_(config.priority_weight_age),
        w_size_(config.priority_weight_job_size),
        max_age_s_(config.priority_max_age_s),
        total_gpus_(static_cast<double>(std::max<int64_t>(1, config.cluster.total_gpus()))),
        update_all_(config.plain_passes),
        reservations_(config) {}

  void Enqueue(Engine& engine, JobIdx j) override {
    Resize(engine);
    const SimJob& job = engine.job(j);
    Tenant& t = tenants_[static_cast<size_t>(job.tenant)];
    const double size = w_size_ * job.gpu_fraction() / total_gpus_;
    const double submit_s = ToSeconds(job.submit);
    if (ToSeconds(engine.now()) - submit_s >= max_age_s_) {
      t.capped.insert({-(size + w_age_), job.submit, j});
    } else {
      t.growing.insert({-(size - w_age_ * submit_s / max_age_s_), job.submit, j});
      if (in_growing_.size() <= static_cast<size_t>(j)) {
        in_growing_.resize(std::max(in_growing_.size() * 2, static_cast<size_t>(j) + 1), 0);
      }
      in_growing_[static_cast<size_t>(j)] = 1;
      t.by_submit.Push(job.submit, j);
    }
    fresh_.push_back(j);
    ++num_queued_;
    if (t.num_queued++ == 0) {
      t.active_pos = static_cast<int32_t>(active_.size());
      active_.push_back(job.tenant);
    }
  }
  // Called before the engine changes the tenant's GPUs: usages integrate the old count.
  void OnStart(Engine& engine, JobIdx j) override { GpusChange(engine, j, +1); }
  void OnStop(Engine& engine, JobIdx j) override { GpusChange(engine, j, -1); }

  void Schedule(Engine& engine, bool capacity_freed) override {
    std::vector<JobIdx> fresh;
    fresh.swap(fresh_);
    if (num_queued_ == 0) {
      if (capacity_freed) reservations_.Forget();
      return;
    }
    Resize(engine);
    if (reservations_.BeginPass(engine, capacity_freed) == PoolReservations::Mode::kFresh) {
      for (JobIdx c : fresh) {
        if (engine.job(c).status == JobStatus::kQueued && reservations_.Consider(engine, c)) {
          Remove(engine, c);
        }
      }
      return;
    }
    const double now_s = ToSeconds(engine.now());
    if (total_weight_ <= 0) {
      for (int t = 0; t < engine.num_tenants(); ++t) total_weight_ += engine.tenant_weight(t);
    }
    double total_usage = 0;
    if (update_all_) {
      for (int t = 0; t < engine.num_tenants(); ++t) {
        Update(engine, t);
        total_usage += tenants_[static_cast<size_t>(t)].usage;
      }
    } else {
      UpdateTotal(engine);
      total_usage = total_usage_;
    }
    const double total_weight = total_weight_;
    // Merge the tenants' two sets by priority: a heap of cursors, one per set.
    heap_.clear();
    for (const int32_t t : active_) {
      Tenant& tt = tenants_[static_cast<size_t>(t)];
      if (!update_all_) Update(engine, t);
      if (update_all_) {  // plain: every growing job looked at
        for (auto it = tt.growing.begin(); it != tt.growing.end();) {
          const JobIdx j = std::get<2>(*it);
          if (now_s - ToSeconds(std::get<1>(*it)) < max_age_s_) {
            ++it;
            continue;
          }
          in_growing_[static_cast<size_t>(j)] = 0;
          it = tt.growing.erase(it);
          tt.capped.insert({-(w_size_ * engine.job(j).gpu_fraction() / total_gpus_ + w_age_),
                            engine.job(j).submit, j});
        }
      }
      for (JobIdx j; (j = tt.by_submit.PopAged(now_s, max_age_s_)) >= 0;) {
        if (in_growing_[static_cast<size_t>(j)] == 0) continue;  // started since
        in_growing_[static_cast<size_t>(j)] = 0;
        const SimJob& job = engine.job(j);
        const double size = w_size_ * job.gpu_fraction() / total_gpus_;
        tt.growing.erase({-(size - w_age_ * ToSeconds(job.submit) / max_age_s_), job.submit, j});
        tt.capped.insert({-(size + w_age_), job.submit, j});
      }
      if (tt.growing.empty() && tt.capped.empty()) continue;
      const double u = total_usage > 0 ? tt.usage / total_usage : 0;
      const double s = engine.tenant_weight(t) / total_weight;
      const double base = w_fairshare_ * std::exp2(-u / s);
      tt.base_growing = base + w_age_ * now_s / max_age_s_;
      tt.base_capped = base;
      if (!tt.growing.empty()) {
        heap_.push_back(MakeCursor(engine, tt.growing, tt.growing.begin(), tt.base_growing));
      }
      if (!tt.capped.empty()) {
        heap_.push_back(MakeCursor(engine, tt.capped, tt.capped.begin(), tt.base_capped));
      }
    }
    std::make_heap(heap_.begin(), heap_.end(), After);
    int examined = 0;
    while (!heap_.empty() && examined < reservations_.depth() && !reservations_.Exhausted(engine)) {
      // The first cursor moves on to its set's next job before j is considered (a start erases
      // j, leaving the next job's iterator valid).
      Cursor& top = heap_.front();
      const JobIdx j = top.job;
      const auto next = std::next(top.it);
      if (next != top.set->end()) {
        SiftDown(MakeCursor(engine, *top.set, next, top.base));
      } else {
        const Cursor last = heap_.back();
        heap_.pop_back();
        if (!heap_.empty()) SiftDown(last);
      }
      if (reservations_.Consider(engine, j)) {
        Remove(engine, j);
      } else {
        ++examined;
      }
    }
  }

  int64_t num_queued() const override { return num_queued_; }
  std::vector<JobIdx> DrainQueue() override {
    std::vector<JobIdx> out;
    for (Tenant& t : tenants_) {
      for (const auto& e : t.growing) {
        out.push_back(std::get<2>(e));
        in_growing_[static_cast<size_t>(std::get<2>(e))] = 0;
      }
      for (const auto& e : t.capped) out.push_back(std::get<2>(e));
      t.growing.clear();
      t.capped.clear();
      t.by_submit = {};
      t.num_queued = 0;
      t.active_pos = -1;
    }
    active_.clear();
    fresh_.clear();
    num_queued_ = 0;
    return out;
  }

 private:
  // (-priority term of the job, submit, job): highest priority first, then earliest submit.
  using Queue = std::set<std::tuple<double, SimTime, JobIdx>>;
  // The growing set's jobs by submit time, for the step to the capped set, and jobs that left it
  // (in_growing_ tells them apart): arrivals in a FIFO (they come in submit order), jobs back in
  // the queue (failure, preemption) in a min-heap.
  class BySubmit {
   public:
    void Push(SimTime submit, JobIdx j) {
      if (head_ == fifo_.size() || submit >= fifo_.back().first) {
        fifo_.emplace_back(submit, j);
      } else {
        late_.emplace_back(submit, j);
        std::push_heap(late_.begin(), late_.end(), std::greater<>{});
      }
    }
    // A job that has reached max_age_s, earliest submit first, or -1.
    JobIdx PopAged(double now_s, double max_age_s) {
      const bool fifo = head_ < fifo_.size() && now_s - ToSeconds(fifo_[head_].first) >= max_age_s;
      const bool late = !late_.empty() && now_s - ToSeconds(late_.front().first) >= max_age_s;
      if (!fifo && !late) return -1;
      if (fifo && (!late || fifo_[head_] < late_.front())) {
        const JobIdx j = fifo_[head_++].second;
        if (head_ == fifo_.size()) {
          fifo_.clear();
          head_ = 0;
        } else if (head_ >= 4096 && head_ * 2 >= fifo_.size()) {
          fifo_.erase(fifo_.begin(), fifo_.begin() + static_cast<std::ptrdiff_t>(head_));
          head_ = 0;
        }
        return j;
      }
      std::pop_heap(late_.begin(), late_.end(), std::greater<>{});
      const JobIdx j = late_.back().second;
      late_.pop_back();
      return j;
    }

   private:
    std::vector<std::pair<SimTime, JobIdx>> fifo_;
    size_t head_ = 0;
    std::vector<std::pair<SimTime, JobIdx>> late_;
  };
  struct Tenant {
    Queue growing, capped;
    BySubmit by_submit;
    double usage = 0;
    SimTime last_update = 0;
    double base_growing = 0, base_capped = 0;
    int64_t num_queued = 0;
    int32_t active_pos = -1;  // in active_; -1: no queued jobs
  };
  // A set's next job in the merge, with the keys that order it (copied, so that ordering the
  // heap reads no tree nodes).
  struct Cursor {
    double priority;
    SimTime submit;
    JobIdx job;
    Queue* set;
    Queue::iterator it;
    double base;
  };
  // Whether a comes before b: higher priority, then earlier submit, then lower index (a total
  // order, so the merge does not depend on the order the tenants are pushed in).
  static bool Before(const Cursor& a, const Cursor& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.submit != b.submit) return a.submit < b.submit;
    return a.job < b.job;
  }
  static bool After(const Cursor& a, const Cursor& b) { return Before(b, a); }

  // REQUIRES: it != set.end(). Asks for the job's first cache lines, read when it comes first.
  static Cursor MakeCursor(const Engine& engine, Queue& set, Queue::iterator it, double base) {
    const JobIdx j = std::get<2>(*it);
    const char* p = reinterpret_cast<const char*>(&engine.job(j));
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
    return Cursor{base - std::get<0>(*it), std::get<1>(*it), j, &set, it, base};
  }
  // Replaces the first cursor of the heap (a heap by Before: each cursor before its children).
  void SiftDown(const Cursor c) {
    const size_t n = heap_.size();
    size_t i = 0;
    for (size_t l = 1; l < n; l = 2 * i + 1) {
      const size_t m = l + 1 < n && Before(heap_[l + 1], heap_[l]) ? l + 1 : l;
      if (!Before(heap_[m], c)) break;
      heap_[i] = heap_[m];
      i = m;
    }
    heap_[i] = c;
  }
  void Remove(const Engine& engine, JobIdx j) {
    const SimJob& job = engine.job(j);
    Tenant& t = tenants_[static_cast<size_t>(job.tenant)];
    const double size = w_size_ * job.gpu_fraction() / total_gpus_;
    if (static_cast<size_t>(j) < in_growing_.size() && in_growing_[static_cast<size_t>(j)] != 0) {
      in_growing_[static_cast<size_t>(j)] = 0;
      t.growing.erase({-(size - w_age_ * ToSeconds(job.submit) / max_age_s_), job.submit, j});
    } else {
      t.capped.erase({-(size + w_age_), job.submit, j});
    }
    --num_queued_;
    if (--t.num_queued == 0) {
      Tenant& last = tenants_[static_cast<size_t>(active_.back())];
      last.active_pos = t.active_pos;
      active_[static_cast<size_t>(t.active_pos)] = active_.back();
      active_.pop_back();
      t.active_pos = -1;
    }
  }
  void Resize(const Engine& engine) {
    const auto n = static_cast<size_t>(engine.num_tenants());
    if (tenants_.size() != n) tenants_.resize(n);
  }
  // Exact solution of dU/dt = g - k U over [last, now] with g constant.
  void Update(const Engine& engine, int t) {
    Resize(engine);
    Tenant& tt = tenants_[static_cast<size_t>(t)];
    const double dt = ToSeconds(engine.now() - tt.last_update);
    tt.last_update = engine.now();
    if (dt <= 0) return;
    const double g = engine.tenant_running_gpus(t);
    const double decay = std::exp(-decay_per_s_ * dt);
    tt.usage = tt.usage * decay + g * (1 - decay) / decay_per_s_;
  }
  // The same for the sum over tenants, whose GPUs are the total in use.
  void UpdateTotal(const Engine& engine) {
    const double dt = ToSeconds(engine.now() - total_last_update_);
    total_last_update_ = engine.now();
    if (dt <= 0) return;
    const double decay = std::exp(-decay_per_s_ * dt);
    total_usage_ = total_usage_ * decay + total_running_gpus_ * (1 - decay) / decay_per_s_;
  }
  void GpusChange(const Engine& engine, JobIdx j, int sign) {
    Update(engine, engine.job(j).tenant);
    UpdateTotal(engine);
    total_running_gpus_ += sign * engine.job(j).gpu_fraction();
  }

  double decay_per_s_, w_fairshare_, w_age_, w_size_, max_age_s_, total_gpus_;
  bool update_all_;
  PoolReservations reservations_;
  std::vector<Tenant> tenants_;
  std::vector<int32_t> active_;  // tenants with queued jobs, unordered
  double total_weight_ = 0, total_usage_ = 0, total_running_gpus_ = 0;
  SimTime total_last_update_ = 0;
  std::vector<Cursor> heap_;  // the first cursor first (Before)
  std::vector<JobIdx> fresh_;
  std::vector<uint8_t> in_growing_;  // by job: in its tenant's growing set
  int64_t num_queued_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFairshare(const SimConfig& config) {
  return std::make_unique<FairsharePolicy>(config);
}

}  // namespace gpuplan::sim::detail
