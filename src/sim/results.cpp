// Result conversions: the DESIGN simulate JSON and the timeline and per-job CSVs.
#include <fmt/format.h>

#include "sim/engine.h"
#include "sim/sim.h"

namespace gpuplan::sim {

namespace {

nlohmann::ordered_json WaitsJson(const WaitStats& w) {
  nlohmann::ordered_json j;
  j["completed"] = w.num_jobs;
  j["avg_wait_s"] = w.avg_wait_s;
  j["p50_wait_s"] = w.p50_wait_s;
  j["p95_wait_s"] = w.p95_wait_s;
  j["p99_wait_s"] = w.p99_wait_s;
  j["avg_jct_s"] = w.avg_jct_s;
  j["p50_jct_s"] = w.p50_jct_s;
  j["p99_jct_s"] = w.p99_jct_s;
  j["avg_bounded_slowdown"] = w.avg_bounded_slowdown;
  return j;
}

}  // namespace

nlohmann::ordered_json ToJson(const SimResult& r) {
  nlohmann::ordered_json j;
  j["policy"] = r.policy;
  j["placement"] = r.placement;
  j["jobs"] = r.jobs;
  j["completed"] = r.completed;
  j["unschedulable"] = r.unschedulable_count;
  j["makespan_s"] = r.makespan_s;
  j["utilization"] = r.utilization;
  j["useful_utilization"] = r.useful_utilization;
  j["goodput"] = r.goodput;
  j["avg_wait_s"] = r.waits.avg_wait_s;
  j["p50_wait_s"] = r.waits.p50_wait_s;
  j["p95_wait_s"] = r.waits.p95_wait_s;
  j["p99_wait_s"] = r.waits.p99_wait_s;
  j["avg_jct_s"] = r.waits.avg_jct_s;
  j["p99_jct_s"] = r.waits.p99_jct_s;
  j["avg_bounded_slowdown"] = r.waits.avg_bounded_slowdown;
  j["allocated_gpu_hours"] = r.allocated_gpu_hours;
  j["useful_gpu_hours"] = r.useful_gpu_hours;
  j["capacity_gpu_hours"] = r.capacity_gpu_hours;
  j["avg_queue_length"] = r.avg_queue_length;
  j["max_queue_length"] = r.max_queue_length;
  j["failures"] = r.failures;
  j["preemptions"] = r.preemptions;
  j["restarts"] = r.restarts;
  j["preemption_lost_gpu_hours"] = r.preemption_lost_gpu_hours;
  j["jain_index"] = r.jain_index;
  j["contended_samples"] = r.contended_samples;
  nlohmann::ordered_json tenants = nlohmann::ordered_json::object();
  for (const TenantResult& t : r.per_tenant) {
    nlohmann::ordered_json tj;
    tj["class"] = std::string(trace::ToString(t.tenant_class));
    tj["share_weight"] = t.share_weight;
    tj["jobs"] = t.jobs;
    tj["unschedulable"] = t.unschedulable;
    tj.update(WaitsJson(t.waits));
    tj["gpu_hours"] = t.gpu_hours;
    tj["sampled_gpu_hours"] = t.sampled_gpu_hours;
    tj["entitled_gpu_hours"] = t.entitled_gpu_hours;
    tj["share_ratio"] = t.share_ratio;
    // Names are unique (trace::Trace::TenantIndex): appended, not looked up (ordered_json's
    // operator[] is a linear search, quadratic over 50k tenants).
    tenants.get_ref<nlohmann::ordered_json::object_t&>().emplace_back(t.name, std::move(tj));
  }
  j["per_tenant"] = tenants;
  nlohmann::ordered_json classes = nlohmann::ordered_json::object();
  for (const ClassResult& c : r.per_class) {
    nlohmann::ordered_json cj;
    cj["tenants"] = c.tenants;
    cj["jobs"] = c.jobs;
    cj.update(WaitsJson(c.waits));
    cj["gpu_hours"] = c.gpu_hours;
    cj["sampled_gpu_hours"] = c.sampled_gpu_hours;
    cj["entitled_gpu_hours"] = c.entitled_gpu_hours;
    cj["share_ratio"] = c.share_ratio;
    classes[std::string(trace::ToString(c.tenant_class))] = cj;
  }
  j["per_class"] = classes;
  if (!r.cluster_queues.empty()) {  // only with quotas: runs without keep their bytes
    j["reclaim_preemptions"] = r.reclaim_preemptions;
    nlohmann::ordered_json queues = nlohmann::ordered_json::object();
    for (const ClusterQueueResult& q : r.cluster_queues) {
      nlohmann::ordered_json qj;
      qj["cohort"] = q.cohort;
      qj["nominal_quota_gpus"] = q.nominal_quota_gpus;
      qj["tenants"] = q.tenants;
      qj["jobs"] = q.jobs;
      qj.update(WaitsJson(q.waits));
      qj["gpu_hours"] = q.gpu_hours;
      qj["borrowed_gpu_hours"] = q.borrowed_gpu_hours;
      qj["max_borrowed_gpus"] = q.max_borrowed_gpus;
      qj["reclaimed_jobs"] = q.reclaimed_jobs;
      qj["reclaim_preemptions"] = q.reclaim_preemptions;
      queues[q.name] = qj;
    }
    j["cluster_queues"] = queues;
  }
  nlohmann::ordered_json unsched = nlohmann::ordered_json::array();
  for (const UnschedulableJob& u : r.unschedulable) {
    unsched.push_back({{"job_id", u.job_id}, {"line", u.line}, {"reason", u.reason}});
  }
  j["unschedulable_jobs"] = unsched;
  j["notes"] = r.notes;
  j["events"] = r.events;
  j["wall_s"] = r.wall_s;
  return j;
}

std::string TimelineCsv(const SimResult& r) {
  std::string out =
      "time_s,capacity_gpus,up_gpus,allocated_gpus,utilization,running_jobs,queued_jobs,"
      "completed_jobs\n";
  for (const TimelineRow& t : r.timeline) {
    const double util =
        t.capacity_gpus > 0 ? t.allocated_gpus / static_cast<double>(t.capacity_gpus) : 0;
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{:.6f},{},{},{}\n", t.time_s,
                   t.capacity_gpus, t.up_gpus, t.allocated_gpus, util, t.running_jobs,
                   t.queued_jobs, t.completed_jobs);
  }
  return out;
}

namespace detail {

void AppendJobsCsvHeader(std::string& out) {
  out +=
      "job_id,tenant,submit_s,start_s,end_s,gpus,gpu_milli,accelerator,restarts,preemptions,"
      "wait_s,jct_s,run_s,gpu_s\n";
}

void AppendJobsCsvRow(std::string& out, const JobRow& j) {
  fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", j.job_id,
                 j.tenant, j.submit_s, j.start_s, j.end_s, j.gpus, j.gpu_milli, j.accelerator,
                 j.restarts, j.preemptions, j.wait_s, j.jct_s, j.run_s, j.gpu_s);
}

}  // namespace detail

std::string JobsCsv(const SimResult& r) {
  std::string out;
  detail::AppendJobsCsvHeader(out);
  for (const JobRow& j : r.job_rows) detail::AppendJobsCsvRow(out, j);
  return out;
}

}  // namespace gpuplan::sim
