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
// SimConfig::plain_passes keeps the plain way (every tenant updated and summed each pass) for
// the test that the two give the same schedules.
#include <algorithm>
#include <cmath>
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
      t.by_submit.insert({job.submit, j});
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
    // Merge the tenants' two sets by priority: a heap of cursors (a total order, so the order
    // the tenants are pushed in does not matter).
    heap_.clear();
    for (const int32_t t : active_) {
      Tenant& tt = tenants_[static_cast<size_t>(t)];
      if (!update_all_) Update(engine, t);
      while (!tt.by_submit.empty() &&
             now_s - ToSeconds(tt.by_submit.begin()->first) >= max_age_s_) {
        const JobIdx j = tt.by_submit.begin()->second;
        const SimJob& job = engine.job(j);
        const double size = w_size_ * job.gpu_fraction() / total_gpus_;
        tt.growing.erase({-(size - w_age_ * ToSeconds(job.submit) / max_age_s_), job.submit, j});
        tt.by_submit.erase(tt.by_submit.begin());
        tt.capped.insert({-(size + w_age_), job.submit, j});
      }
      if (tt.growing.empty() && tt.capped.empty()) continue;
      const double u = total_usage > 0 ? tt.usage / total_usage : 0;
      const double s = engine.tenant_weight(t) / total_weight;
      const double base = w_fairshare_ * std::exp2(-u / s);
      tt.base_growing = base + w_age_ * now_s / max_age_s_;
      tt.base_capped = base;
      Push(tt.growing, tt.growing.begin(), tt.base_growing);
      Push(tt.capped, tt.capped.begin(), tt.base_capped);
    }
    int examined = 0;
    while (!heap_.empty() && examined < reservations_.depth() && !reservations_.Exhausted(engine)) {
      std::pop_heap(heap_.begin(), heap_.end(), Lower{});
      const Cursor c = heap_.back();
      heap_.pop_back();
      const JobIdx j = std::get<2>(*c.it);
      Push(*c.set, std::next(c.it), c.base);
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
      for (const auto& e : t.growing) out.push_back(std::get<2>(e));
      for (const auto& e : t.capped) out.push_back(std::get<2>(e));
      t.growing.clear();
      t.capped.clear();
      t.by_submit.clear();
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
  struct Tenant {
    Queue growing, capped;
    std::set<std::pair<SimTime, JobIdx>> by_submit;  // the growing set's jobs
    double usage = 0;
    SimTime last_update = 0;
    double base_growing = 0, base_capped = 0;
    int64_t num_queued = 0;
    int32_t active_pos = -1;  // in active_; -1: no queued jobs
  };
  struct Cursor {
    double priority;
    Queue* set;
    Queue::iterator it;
    double base;
  };
  struct Lower {
    bool operator()(const Cursor& a, const Cursor& b) const {
      if (a.priority != b.priority) return a.priority < b.priority;
      return std::tie(std::get<1>(*a.it), std::get<2>(*a.it)) >
             std::tie(std::get<1>(*b.it), std::get<2>(*b.it));
    }
  };

  void Push(Queue& set, Queue::iterator it, double base) {
    if (it == set.end()) return;
    heap_.push_back(Cursor{base - std::get<0>(*it), &set, it, base});
    std::push_heap(heap_.begin(), heap_.end(), Lower{});
  }
  void Remove(const Engine& engine, JobIdx j) {
    const SimJob& job = engine.job(j);
    Tenant& t = tenants_[static_cast<size_t>(job.tenant)];
    const double size = w_size_ * job.gpu_fraction() / total_gpus_;
    if (t.by_submit.erase({job.submit, j}) > 0) {
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
  std::vector<Cursor> heap_;  // a max-heap by Lower
  std::vector<JobIdx> fresh_;
  int64_t num_queued_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFairshare(const SimConfig& config) {
  return std::make_unique<FairsharePolicy>(config);
}

}  // namespace gpuplan::sim::detail
