// fairshare: weighted fair share with usage decay, after Slurm's classic fair-share factor
// (slurm.schedmd.com/priority_multifactor.html): F = 2^(-U / S), where U is the tenant's share of
// the decayed GPU usage of all tenants and S its share of the weights. Usage decays with the
// half-life H: dU_t/dt = g_t(t) - ln2/H U_t, g_t the tenant's GPUs in use, integrated exactly
// between changes. Each pass orders tenants by F (highest first, ties by tenant order), and each
// tenant's jobs FIFO; the first job that does not fit blocks the pass (no backfill), and a
// tenant over its quota is passed over.
#include <algorithm>
#include <cmath>
#include <set>

#include "sim/engine.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

class FairsharePolicy : public SchedulingPolicy {
 public:
  explicit FairsharePolicy(const SimConfig& config)
      : decay_per_s_(std::log(2.0) / config.fairshare_half_life_s) {}

  void Enqueue(Engine& engine, JobIdx j) override {
    Resize(engine);
    const SimJob& job = engine.job(j);
    queues_[static_cast<size_t>(job.tenant)].insert({job.submit, j});
    ++num_queued_;
  }
  void OnStart(Engine& engine, JobIdx j) override { Update(engine, engine.job(j).tenant); }
  void OnStop(Engine& engine, JobIdx j) override { Update(engine, engine.job(j).tenant); }

  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    if (num_queued_ == 0) return;
    Resize(engine);
    double total_usage = 0, total_weight = 0;
    for (int t = 0; t < engine.num_tenants(); ++t) {
      Update(engine, t);
      total_usage += usage_[static_cast<size_t>(t)];
      total_weight += weights_[static_cast<size_t>(t)];
    }
    order_.clear();
    for (int t = 0; t < engine.num_tenants(); ++t) {
      if (queues_[static_cast<size_t>(t)].empty()) continue;
      const double u = total_usage > 0 ? usage_[static_cast<size_t>(t)] / total_usage : 0;
      const double s = weights_[static_cast<size_t>(t)] / total_weight;
      order_.push_back({-std::exp2(-u / s), t});
    }
    std::sort(order_.begin(), order_.end());
    for (const auto& [neg_factor, t] : order_) {
      auto& q = queues_[static_cast<size_t>(t)];
      while (!q.empty()) {
        const StartResult r = engine.TryStart(q.begin()->second);
        if (r == StartResult::kOverQuota) break;
        if (r == StartResult::kNoFit) return;
        q.erase(q.begin());
        --num_queued_;
      }
    }
  }

  int64_t num_queued() const override { return num_queued_; }
  std::vector<JobIdx> DrainQueue() override {
    std::vector<JobIdx> out;
    for (auto& q : queues_) {
      for (JobIdx j : DrainInOrder(q, [](const auto& e) { return e.second; })) out.push_back(j);
    }
    num_queued_ = 0;
    return out;
  }

 private:
  void Resize(const Engine& engine) {
    const auto n = static_cast<size_t>(engine.num_tenants());
    if (queues_.size() == n) return;
    queues_.resize(n);
    usage_.resize(n, 0.0);
    last_update_.resize(n, 0);
    weights_.resize(n, 1.0);
    for (size_t t = 0; t < n; ++t) weights_[t] = engine.tenant_weight(static_cast<int>(t));
  }
  // Exact solution of dU/dt = g - k U over [last, now] with g constant.
  void Update(const Engine& engine, int t) {
    Resize(engine);
    const auto i = static_cast<size_t>(t);
    const double dt = ToSeconds(engine.now() - last_update_[i]);
    last_update_[i] = engine.now();
    if (dt <= 0) return;
    const double g = engine.tenant_running_gpus(t);
    const double decay = std::exp(-decay_per_s_ * dt);
    usage_[i] = usage_[i] * decay + g * (1 - decay) / decay_per_s_;
  }

  double decay_per_s_;
  std::vector<std::set<std::pair<SimTime, JobIdx>>> queues_;
  std::vector<double> usage_, weights_;
  std::vector<SimTime> last_update_;
  std::vector<std::pair<double, int>> order_;
  int64_t num_queued_ = 0;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFairshare(const SimConfig& config) {
  return std::make_unique<FairsharePolicy>(config);
}

}  // namespace gpuplan::sim::detail
