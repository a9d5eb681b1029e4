// Simulate(): binds a trace to a cluster (types, speeds, static feasibility, quotas), runs the
// engine and computes the results.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim/engine.h"
#include "sim/sim.h"

namespace gpuplan::sim {

namespace {

using detail::JobIdx;
using detail::JobStatus;
using detail::SimJob;

constexpr double kSlowdownFloorS = 10;  // Feitelson's bounded-slowdown threshold

Result<void> ValidateConfig(const SimConfig& config) {
  if (config.cluster.groups.empty()) return Error{"the cluster has no node groups"};
  for (const NodeGroup& g : config.cluster.groups) {
    if (g.num_nodes < 0 || g.gpus_per_node < 1 || !(g.relative_speed > 0) ||
        !(g.retired_at_s > g.available_from_s)) {
      return Error{
          fmt::format("node group '{}': needs num_nodes >= 0, gpus_per_node >= 1, "
                      "relative_speed > 0 and retired_at_s > available_from_s",
                      g.accelerator)};
    }
  }
  if (config.cluster.total_gpus() == 0) return Error{"the cluster has no GPUs"};
  const FailureSpec& f = config.failures;
  if (f.gpu_mtbf_s < 0 || f.node_repair_s < 0 || f.checkpoint_interval_s < 0 ||
      f.restart_overhead_s < 0) {
    return Error{"failure parameters must be >= 0"};
  }
  // Limits at the boundary: the clock holds them, and failures stay countable.
  GPUPLAN_TRY(CheckRange(f.node_repair_s, 0, kMaxTimeS, "the node repair time (s)"));
  GPUPLAN_TRY(CheckRange(f.checkpoint_interval_s, 0, kMaxTimeS, "the checkpoint interval (s)"));
  GPUPLAN_TRY(CheckRange(f.restart_overhead_s, 0, kMaxTimeS, "the restart overhead (s)"));
  if (f.gpu_mtbf_s != 0) {
    GPUPLAN_TRY(CheckRange(f.gpu_mtbf_s, kSecondsPerHour, kMaxTimeS,
                           "the per-GPU MTBF (s; 0 for no failures)"));
  }
  if (config.timeline_interval_s != 0) {
    GPUPLAN_TRY(CheckRange(config.timeline_interval_s, 1, kMaxTimeS, "the timeline interval (s)"));
  }
  int64_t nodes = 0;
  for (const NodeGroup& g : config.cluster.groups) nodes += g.num_nodes;
  if (nodes > kMaxNodes || config.cluster.total_gpus() > kMaxGpus) {
    return Error{fmt::format("the cluster has {} nodes and {} GPUs; the limits are {} and {}",
                             nodes, config.cluster.total_gpus(), kMaxNodes, kMaxGpus)};
  }
  if (!(config.fairshare_half_life_s > 0)) return Error{"the fair-share half-life must be > 0"};
  if (!(config.priority_max_age_s > 0)) return Error{"PriorityMaxAge must be > 0"};
  for (double w : {config.priority_weight_fairshare, config.priority_weight_age,
                   config.priority_weight_job_size}) {
    if (!(w >= 0) || !std::isfinite(w)) return Error{"priority weights must be finite and >= 0"};
  }
  if (!(config.bf_window_s > 0)) return Error{"bf_window must be > 0"};
  if (!(config.estimate_factor >= 0) || !std::isfinite(config.estimate_factor)) {
    return Error{"estimate_factor must be finite and >= 0"};
  }
  return Ok{};
}

// Most nodes of each pool installed at once, over the groups' [available, retired) intervals.
std::vector<int64_t> MaxNodesPerPool(const SimConfig& config, const detail::Cluster& cluster) {
  std::vector<int64_t> best(cluster.pools().size(), 0);
  for (size_t p = 0; p < cluster.pools().size(); ++p) {
    std::vector<std::pair<double, int64_t>> deltas;
    for (size_t g = 0; g < config.cluster.groups.size(); ++g) {
      const auto& nodes = cluster.group_nodes(static_cast<int32_t>(g));
      if (nodes.empty() ||
          cluster.nodes()[static_cast<size_t>(nodes.front())].pool != static_cast<int32_t>(p)) {
        continue;
      }
      const NodeGroup& group = config.cluster.groups[g];
      deltas.push_back({std::max(0.0, group.available_from_s), group.num_nodes});
      deltas.push_back({group.retired_at_s, -group.num_nodes});
    }
    std::sort(deltas.begin(), deltas.end());  // removals sort first at equal times
    int64_t now = 0;
    for (const auto& [t, d] : deltas) {
      now += d;
      best[p] = std::max(best[p], now);
    }
  }
  return best;
}

// Weighted samples (weight 1 per job, or its instances): means and percentiles, where the
// p-th percentile is the smallest value whose cumulative weight reaches p of the total.
struct WaitAccumulator {
  std::vector<std::pair<double, double>> waits, jcts;  // (value, weight)
  double slowdown_sum = 0, weight_sum = 0;
  int64_t num_jobs = 0;
  void Add(double wait_s, double jct_s, double run_s, double weight) {
    waits.push_back({wait_s, weight});
    jcts.push_back({jct_s, weight});
    slowdown_sum += weight * std::max(1.0, jct_s / std::max(run_s, kSlowdownFloorS));
    weight_sum += weight;
    ++num_jobs;
  }
  static double Mean(const std::vector<std::pair<double, double>>& v, double total) {
    double s = 0;
    for (const auto& [x, w] : v) s += x * w;
    return s / total;
  }
  static double WeightedPercentile(const std::vector<std::pair<double, double>>& sorted,
                                   double total, double p) {
    double cum = 0;
    for (const auto& [x, w] : sorted) {
      cum += w;
      if (cum >= p * total - 1e-9 * total) return x;
    }
    return sorted.back().first;
  }
  WaitStats Finish() {
    WaitStats w;
    w.num_jobs = num_jobs;
    if (waits.empty()) return w;
    std::sort(waits.begin(), waits.end());
    std::sort(jcts.begin(), jcts.end());
    w.avg_wait_s = Mean(waits, weight_sum);
    w.p50_wait_s = WeightedPercentile(waits, weight_sum, 0.5);
    w.p95_wait_s = WeightedPercentile(waits, weight_sum, 0.95);
    w.p99_wait_s = WeightedPercentile(waits, weight_sum, 0.99);
    w.avg_jct_s = Mean(jcts, weight_sum);
    w.p50_jct_s = WeightedPercentile(jcts, weight_sum, 0.5);
    w.p99_jct_s = WeightedPercentile(jcts, weight_sum, 0.99);
    w.avg_bounded_slowdown = slowdown_sum / weight_sum;
    return w;
  }
};

}  // namespace

Result<void> CheckClusterQueues(const std::vector<ClusterQueue>& queues) {
  std::map<std::string, std::string> tenant_queue, class_queue;
  std::set<std::string> names;
  for (const ClusterQueue& q : queues) {
    const auto fail = [&](const std::string& message) {
      return Error{fmt::format("cluster queue '{}': {}", q.name, message)};
    };
    if (q.name.empty()) return Error{"a cluster queue needs a name"};
    if (!names.insert(q.name).second) return fail("duplicate name");
    if (q.nominal_quota_gpus < 0 || q.borrowing_limit_gpus.value_or(0) < 0 ||
        q.lending_limit_gpus.value_or(0) < 0) {
      return fail("quotas and limits must be >= 0");
    }
    if (q.cohort.empty() && (q.borrowing_limit_gpus || q.lending_limit_gpus)) {
      return fail("a borrowing or lending limit needs a cohort");
    }
    if (q.lending_limit_gpus.value_or(0) > q.nominal_quota_gpus) {
      return fail(fmt::format("the lending limit ({}) exceeds the nominal quota ({})",
                              *q.lending_limit_gpus, q.nominal_quota_gpus));
    }
    for (const std::string& t : q.tenants) {
      auto [it, fresh] = tenant_queue.insert({t, q.name});
      if (!fresh) return fail(fmt::format("tenant '{}' is already in '{}'", t, it->second));
    }
    for (trace::TenantClass c : q.tenant_classes) {
      auto [it, fresh] = class_queue.insert({std::string(trace::ToString(c)), q.name});
      if (!fresh) {
        return fail(fmt::format("class '{}' is already in '{}'", it->first, it->second));
      }
    }
  }
  return Ok{};
}

double EstimateOf(double run_s, double factor) {
  if (factor == 0) return run_s;
  constexpr double kMin = 60, kHour = kSecondsPerHour, kDay = kSecondsPerDay;
  constexpr double kLimits[] = {5 * kMin,  10 * kMin, 15 * kMin, 30 * kMin,  kHour,
                                2 * kHour, 4 * kHour, 8 * kHour, 12 * kHour, kDay,
                                2 * kDay,  3 * kDay,  7 * kDay};
  const double want = run_s * factor;
  for (double limit : kLimits) {
    if (want <= limit) return limit;
  }
  return std::ceil(want / kDay) * kDay;
}

Result<SimResult> Simulate(const trace::Trace& trace, const SimConfig& config) {
  GPUPLAN_TRY(ValidateConfig(config));
  std::unique_ptr<detail::SchedulingPolicy> policy = detail::MakePolicy(config.policy, config);
  if (policy == nullptr) return Error{UnknownNameMessage("policy", config.policy, PolicyNames())};

  // Tenants: the trace's, with the config's class, weight and quota where names match.
  std::vector<trace::Tenant> tenants = trace.tenants;
  for (trace::Tenant& t : tenants) {
    for (const trace::Tenant& c : config.tenants) {
      if (c.name == t.name) t = c;
    }
    if (!(t.share_weight > 0) || t.quota_gpus < 0) {
      return Error{fmt::format("tenant '{}': share weight must be > 0 and quota >= 0", t.name)};
    }
  }
  if (tenants.empty()) tenants.push_back(trace::Tenant{.name = "default"});

  // Tenants -> cluster queues: by name, else by class.
  GPUPLAN_TRY(CheckClusterQueues(config.cluster_queues));
  std::vector<int32_t> tenant_queue;
  std::vector<double> queue_max_gpus;  // the most a queue ever admits at once
  if (!config.cluster_queues.empty()) {
    const auto& queues = config.cluster_queues;
    for (const trace::Tenant& t : tenants) {
      int32_t found = -1;
      for (size_t q = 0; q < queues.size() && found < 0; ++q) {
        const auto& names = queues[q].tenants;
        if (std::find(names.begin(), names.end(), t.name) != names.end())
          found = static_cast<int32_t>(q);
      }
      for (size_t q = 0; q < queues.size() && found < 0; ++q) {
        const auto& classes = queues[q].tenant_classes;
        if (std::find(classes.begin(), classes.end(), t.tenant_class) != classes.end()) {
          found = static_cast<int32_t>(q);
        }
      }
      tenant_queue.push_back(found);
    }
    std::map<std::string, double> cohort_pool;
    for (const ClusterQueue& q : queues) {
      if (!q.cohort.empty()) {
        cohort_pool[q.cohort] += q.lending_limit_gpus.value_or(q.nominal_quota_gpus);
      }
    }
    for (const ClusterQueue& q : queues) {
      double most = q.nominal_quota_gpus;
      if (!q.cohort.empty()) {
        const double keep =
            q.nominal_quota_gpus - q.lending_limit_gpus.value_or(q.nominal_quota_gpus);
        most = keep + cohort_pool[q.cohort];
        if (q.borrowing_limit_gpus) {
          most =
              std::min(most, static_cast<double>(q.nominal_quota_gpus + *q.borrowing_limit_gpus));
        }
      }
      queue_max_gpus.push_back(most);
    }
  }

  detail::Cluster layout(config.cluster, config.placement);
  if (layout.pools().size() > 64) return Error{"the cluster has more than 64 node pools"};
  const std::vector<int64_t> max_nodes = MaxNodesPerPool(config, layout);

  // Trace types -> pools and speeds.
  auto known_speed = [&](const std::string& name, double& speed) {
    for (const NodeGroup& g : config.cluster.groups) {
      if (g.accelerator == name) {
        speed = g.relative_speed;
        return true;
      }
    }
    for (const AcceleratorSpeed& s : config.cluster.known_speeds) {
      if (s.accelerator == name) {
        speed = s.relative_speed;
        return true;
      }
    }
    return false;
  };
  std::vector<std::string> known_names;
  for (const NodeGroup& g : config.cluster.groups) known_names.push_back(g.accelerator);
  for (const AcceleratorSpeed& s : config.cluster.known_speeds)
    known_names.push_back(s.accelerator);
  std::sort(known_names.begin(), known_names.end());
  known_names.erase(std::unique(known_names.begin(), known_names.end()), known_names.end());
  std::vector<uint64_t> type_pools(trace.type_names.size(), 0);
  std::vector<double> type_speed(trace.type_names.size(), 0);
  std::vector<bool> type_known(trace.type_names.size(), false);
  for (size_t t = 0; t < trace.type_names.size(); ++t) {
    type_known[t] = known_speed(trace.type_names[t], type_speed[t]);
    for (size_t p = 0; p < layout.pools().size(); ++p) {
      if (layout.pools()[p].accelerator == trace.type_names[t]) type_pools[t] |= uint64_t{1} << p;
    }
  }
  const uint64_t all_pools =
      layout.pools().size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << layout.pools().size()) - 1;

  SimResult result;
  result.policy = config.policy;
  result.placement = std::string(ToString(config.placement));
  result.jobs = static_cast<int64_t>(trace.jobs.size());
  result.notes = trace.notes;

  std::vector<SimJob> jobs(trace.jobs.size());
  // Why a job cannot run, for the few that cannot (a string per job was 32 bytes of each).
  std::map<size_t, std::string> refusal;
  for (size_t i = 0; i < trace.jobs.size(); ++i) {
    const trace::Job& tj = trace.jobs[i];
    SimJob& job = jobs[i];
    if (i > 0 && tj.submit_s < trace.jobs[i - 1].submit_s) {
      return Error{fmt::format("{}: jobs are not sorted by submit time", trace.source)};
    }
    if (!(tj.duration_s > 0) || tj.gpus < 1 || tj.gpu_milli < 1 ||
        tj.gpu_milli > trace::kWholeGpuMilli || !(tj.submit_s >= 0)) {
      return Error{
          fmt::format("{}:{}: job '{}' needs submit_s >= 0, duration_s > 0, gpus >= 1 "
                      "and gpu_milli in [1, 1000]",
                      trace.source, tj.line, tj.id)};
    }
    double measured_speed = 1;
    if (tj.measured_on_idx >= 0) {
      const auto t = static_cast<size_t>(tj.measured_on_idx);
      if (!type_known[t]) {
        return Error{
            fmt::format("{}:{}: field 'accelerator': {}", trace.source, tj.line,
                        UnknownNameMessage("accelerator", trace.type_names[t], known_names))};
      }
      measured_speed = type_speed[t];
    }
    uint64_t pools = all_pools;
    if (tj.allowed_mask != 0) {
      pools = 0;
      for (size_t t = 0; t < trace.type_names.size(); ++t) {
        if ((tj.allowed_mask >> t & 1) == 0) continue;
        if (!type_known[t]) {
          return Error{
              fmt::format("{}:{}: field 'allowed': {}", trace.source, tj.line,
                          UnknownNameMessage("accelerator", trace.type_names[t], known_names))};
        }
        pools |= type_pools[t];
      }
    }
    job.submit = ToSimTime(tj.submit_s);
    job.work_ref_s = tj.duration_s * measured_speed;
    job.work_left_ref_s = job.work_ref_s;
    job.estimate_ref_s =
        (tj.estimate_s > 0 ? tj.estimate_s : EstimateOf(tj.duration_s, config.estimate_factor)) *
        measured_speed;
    job.gpus = tj.gpus;
    job.milli = tj.gpu_milli;
    job.priority = tj.priority;
    job.tenant = std::clamp<int32_t>(tj.tenant_idx, 0, static_cast<int32_t>(tenants.size()) - 1);
    job.allowed_pools = pools;
    // Static feasibility: some allowed pool must ever have enough nodes; the job is allowed
    // only on those (so no policy reserves or waits for a pool that can never hold it).
    int64_t best_gpus = 0;
    uint64_t can_hold = 0;
    for (size_t p = 0; p < layout.pools().size(); ++p) {
      if ((pools >> p & 1) == 0) continue;
      const int64_t per_node = layout.pools()[p].gpus_per_node;
      best_gpus = std::max(best_gpus, max_nodes[p] * per_node);
      // Shares of GPUs (milli < 1000) need the whole GPUs they pack into.
      const int64_t whole = tj.gpu_milli < trace::kWholeGpuMilli
                                ? (tj.gpus + trace::kWholeGpuMilli / tj.gpu_milli - 1) /
                                      (trace::kWholeGpuMilli / tj.gpu_milli)
                                : tj.gpus;
      const int64_t nodes_needed = (whole + per_node - 1) / per_node;
      if (max_nodes[p] >= nodes_needed && max_nodes[p] > 0) can_hold |= uint64_t{1} << p;
    }
    const bool fits = can_hold != 0;
    if (fits) job.allowed_pools = can_hold;
    const trace::Tenant& tenant = tenants[static_cast<size_t>(job.tenant)];
    if (pools == 0) {
      refusal[i] = "none of its allowed accelerator types is in the cluster";
    } else if (!fits) {
      refusal[i] = fmt::format("needs {} GPUs; its allowed types have at most {} at once", tj.gpus,
                               best_gpus);
    } else if (tenant.quota_gpus > 0 && job.gpu_fraction() > tenant.quota_gpus) {
      refusal[i] = fmt::format("needs {} GPUs, more than tenant '{}''s quota of {}", tj.gpus,
                               tenant.name, tenant.quota_gpus);
    } else if (!tenant_queue.empty() && tenant_queue[static_cast<size_t>(job.tenant)] >= 0) {
      const auto q = static_cast<size_t>(tenant_queue[static_cast<size_t>(job.tenant)]);
      if (job.gpu_fraction() > queue_max_gpus[q] + 1e-9) {
        refusal[i] = fmt::format(
            "needs {} GPUs; cluster queue '{}' admits at most {:g} at once (its nominal quota "
            "and what it may borrow)",
            tj.gpus, config.cluster_queues[q].name, queue_max_gpus[q]);
      }
    }
    if (refusal.count(i) > 0) job.status = JobStatus::kUnschedulable;
  }

  std::vector<double> quota, weight;
  for (const trace::Tenant& t : tenants) {
    quota.push_back(t.quota_gpus);
    weight.push_back(t.share_weight);
  }
  detail::Engine engine(config, std::move(jobs), quota, weight, std::move(policy), tenant_queue);
  engine.Run();
  if (!engine.stopped_because().empty()) return Error{engine.stopped_because()};
  for (const auto& [j, reason] : engine.late_unschedulable()) {
    refusal[static_cast<size_t>(j)] = reason;
  }

  // Results.
  const auto& done = engine.jobs();
  const auto& totals = engine.totals();
  result.events = totals.events;
  result.failures = totals.failures;
  result.preemptions = totals.preemptions;
  result.restarts = totals.restarts;
  result.preemption_lost_gpu_hours = totals.preemption_lost_gpu_s / kSecondsPerHour;
  result.reclaim_preemptions = totals.reclaim_preemptions;
  result.max_queue_length = totals.max_queue;
  result.makespan_s = ToSeconds(totals.makespan);
  result.timeline = engine.timeline();
  const size_t num_tenants = tenants.size();
  std::vector<WaitAccumulator> per_tenant(num_tenants);
  std::map<trace::TenantClass, WaitAccumulator> per_class;
  WaitAccumulator all;
  std::vector<WaitAccumulator> per_queue(config.cluster_queues.size());
  result.cluster_queues.resize(config.cluster_queues.size());
  auto queue_of = [&](const SimJob& job) -> ClusterQueueResult* {
    if (tenant_queue.empty() || tenant_queue[static_cast<size_t>(job.tenant)] < 0) return nullptr;
    return &result
                .cluster_queues[static_cast<size_t>(tenant_queue[static_cast<size_t>(job.tenant)])];
  };
  result.per_tenant.resize(num_tenants);
  for (size_t t = 0; t < num_tenants; ++t) {
    result.per_tenant[t].name = tenants[t].name;
    result.per_tenant[t].tenant_class = tenants[t].tenant_class;
    result.per_tenant[t].share_weight = tenants[t].share_weight;
  }
  double allocated_gpu_s = 0, useful_gpu_s = 0;
  if (config.record_jobs) result.job_rows.reserve(done.size());
  for (size_t i = 0; i < done.size(); ++i) {
    const SimJob& job = done[i];
    TenantResult& tr = result.per_tenant[static_cast<size_t>(job.tenant)];
    ++tr.jobs;
    tr.gpu_hours += job.allocated_gpu_s / kSecondsPerHour;
    allocated_gpu_s += job.allocated_gpu_s;
    useful_gpu_s += job.useful_gpu_s;
    ClusterQueueResult* qr = queue_of(job);
    if (qr != nullptr) {
      ++qr->jobs;
      qr->gpu_hours += job.allocated_gpu_s / kSecondsPerHour;
    }
    const double speed = job.pool >= 0 ? layout.pool(job.pool).speed : 1;
    const double run_s = job.work_ref_s / speed;
    if (job.status == JobStatus::kDone) {
      ++result.completed;
      ++tr.completed;
      const double wait_s = ToSeconds(job.wait_total);
      const double jct_s = ToSeconds(job.end - job.submit);
      const double w = config.metrics_per_instance ? std::max(1, trace.jobs[i].instances) : 1.0;
      all.Add(wait_s, jct_s, run_s, w);
      per_tenant[static_cast<size_t>(job.tenant)].Add(wait_s, jct_s, run_s, w);
      per_class[tenants[static_cast<size_t>(job.tenant)].tenant_class].Add(wait_s, jct_s, run_s, w);
      if (qr != nullptr) {
        ++qr->completed;
        per_queue[static_cast<size_t>(qr - result.cluster_queues.data())].Add(wait_s, jct_s, run_s,
                                                                              w);
      }
    } else {
      GPUPLAN_CHECK(job.status == JobStatus::kUnschedulable)
          << "job " << trace.jobs[i].id << " neither completed nor reported unschedulable";
      ++tr.unschedulable;
      result.unschedulable.push_back(UnschedulableJob{
          .job_id = trace.jobs[i].id, .line = trace.jobs[i].line, .reason = refusal[i]});
    }
    if (config.record_jobs) {
      const bool is_done = job.status == JobStatus::kDone;
      result.job_rows.push_back(
          JobRow{.job_id = trace.jobs[i].id,
                 .tenant = tenants[static_cast<size_t>(job.tenant)].name,
                 .submit_s = ToSeconds(job.submit),
                 .start_s = job.first_start >= 0 ? ToSeconds(job.first_start) : -1,
                 .end_s = is_done ? ToSeconds(job.end) : -1,
                 .gpus = job.gpus,
                 .gpu_milli = job.milli,
                 .accelerator = job.pool >= 0 ? layout.pool(job.pool).accelerator : "",
                 .restarts = job.restarts,
                 .preemptions = job.preemptions,
                 .wait_s = ToSeconds(job.wait_total),
                 .jct_s = is_done ? ToSeconds(job.end - job.submit) : 0,
                 .run_s = is_done ? run_s : 0,
                 .gpu_s = job.allocated_gpu_s});
    }
  }
  result.unschedulable_count = static_cast<int64_t>(result.unschedulable.size());
  result.waits = all.Finish();
  result.allocated_gpu_hours = allocated_gpu_s / kSecondsPerHour;
  result.useful_gpu_hours = useful_gpu_s / kSecondsPerHour;
  result.goodput = allocated_gpu_s > 0 ? useful_gpu_s / allocated_gpu_s : 1;
  // Installed GPU-seconds over [0, makespan].
  double capacity_gpu_s = 0;
  for (const NodeGroup& g : config.cluster.groups) {
    const double from = std::max(0.0, g.available_from_s);
    const double to = std::min(g.retired_at_s, result.makespan_s);
    if (to > from) capacity_gpu_s += (to - from) * g.num_nodes * g.gpus_per_node;
  }
  result.capacity_gpu_hours = capacity_gpu_s / kSecondsPerHour;
  result.utilization = capacity_gpu_s > 0 ? allocated_gpu_s / capacity_gpu_s : 0;
  result.useful_utilization = capacity_gpu_s > 0 ? useful_gpu_s / capacity_gpu_s : 0;
  result.avg_queue_length = result.makespan_s > 0 ? totals.queue_area / result.makespan_s : 0;

  const auto& fair = engine.fairness();
  for (size_t t = 0; t < num_tenants; ++t) {
    TenantResult& tr = result.per_tenant[t];
    tr.waits = per_tenant[t].Finish();
    tr.sampled_gpu_hours = fair.received_gpu_h[t];
    tr.entitled_gpu_hours = fair.entitled_gpu_h[t];
    tr.share_ratio = tr.entitled_gpu_hours > 0 ? tr.sampled_gpu_hours / tr.entitled_gpu_hours : 0;
  }
  const std::vector<detail::Engine::QueueTotals> queue_totals = engine.queue_totals();
  for (size_t q = 0; q < result.cluster_queues.size(); ++q) {
    ClusterQueueResult& qr = result.cluster_queues[q];
    const ClusterQueue& cq = config.cluster_queues[q];
    qr.name = cq.name;
    qr.cohort = cq.cohort;
    qr.nominal_quota_gpus = cq.nominal_quota_gpus;
    qr.tenants = std::count(tenant_queue.begin(), tenant_queue.end(), static_cast<int32_t>(q));
    qr.waits = per_queue[q].Finish();
    qr.borrowed_gpu_hours = queue_totals[q].borrowed_gpu_s / kSecondsPerHour;
    qr.max_borrowed_gpus = queue_totals[q].max_borrowed_gpus;
    qr.reclaimed_jobs = queue_totals[q].reclaimed_jobs;
    qr.reclaim_preemptions = queue_totals[q].reclaim_preemptions;
  }
  result.contended_samples = fair.num_contended;
  result.jain_index =
      fair.num_contended > 0 ? fair.jain_sum / static_cast<double>(fair.num_contended) : 1;
  std::map<trace::TenantClass, ClassResult> classes;
  for (const TenantResult& tr : result.per_tenant) {
    if (tr.jobs == 0) continue;
    ClassResult& cr = classes[tr.tenant_class];
    cr.tenant_class = tr.tenant_class;
    ++cr.tenants;
    cr.jobs += tr.jobs;
    cr.completed += tr.completed;
    cr.gpu_hours += tr.gpu_hours;
    cr.sampled_gpu_hours += tr.sampled_gpu_hours;
    cr.entitled_gpu_hours += tr.entitled_gpu_hours;
  }
  for (auto& [c, cr] : classes) {
    cr.waits = per_class[c].Finish();
    cr.share_ratio = cr.entitled_gpu_hours > 0 ? cr.sampled_gpu_hours / cr.entitled_gpu_hours : 0;
    result.per_class.push_back(cr);
  }
  return result;
}

}  // namespace gpuplan::sim
