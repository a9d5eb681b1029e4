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
// age capped) and a pass merges the tenants' heads.
#include <algorithm>
#include <cmath>
#include <queue>
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
  }
  void OnStart(Engine& engine, JobIdx j) override { Update(engine, engine.job(j).tenant); }
  void OnStop(Engine& engine, JobIdx j) override { Update(engine, engine.job(j).tenant); }

  void Schedule(Engine& engine, bool capacity_freed) override {
    std::vector<JobIdx> fresh;
    fresh.swap(fresh_);
    if (num_queued_ == 0) return;
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
    double total_usage = 0, total_weight = 0;
    for (int t = 0; t < engine.num_tenants(); ++t) {
      Update(engine, t);
      total_usage += tenants_[static_cast<size_t>(t)].usage;
      total_weight += engine.tenant_weight(t);
    }
    // Merge the tenants' two sets by priority: a heap of cursors.
    heap_ = {};
    for (int t = 0; t < engine.num_tenants(); ++t) {
      Tenant& tt = tenants_[static_cast<size_t>(t)];
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
      Cursor c = heap_.top();
      heap_.pop();
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
    }
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
    if (it != set.end()) heap_.push(Cursor{base - std::get<0>(*it), &set, it, base});
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

  double decay_per_s_, w_fairshare_, w_age_, w_size_, max_age_s_, total_gpus_;
  PoolReservations reservations_;
  std::vector<Tenant> tenants_;
  std::priority_queue<Cursor, std::vector<Cursor>, Lower> heap_;
  std::vector<JobIdx> fresh_;
  int64_t num_queued_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFairshare(const SimConfig& config) {
  return std::make_unique<FairsharePolicy>(config);
}

}  // namespace gpuplan::sim::detail
