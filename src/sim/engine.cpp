// The event loop. Events run in (time, seq) order; at one instant all events run first (job
// ends, failures, repairs, deliveries, retirements), then arrivals in trace order, then one
// scheduling pass. Arrivals come from the submit-sorted job list rather than the heap, so the
// heap holds only running jobs' ends and a few cluster events.
#include "sim/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace gpuplan::sim::detail {

Engine::Engine(const SimConfig& config, JobArray jobs, std::vector<double> tenant_quota,
               std::vector<double> tenant_weight, std::unique_ptr<SchedulingPolicy> policy,
               std::vector<int32_t> tenant_queue)
    : config_(config),
      restart_overhead_(ToSimTime(config.failures.restart_overhead_s)),
      jobs_(std::move(jobs)),
      tenant_quota_(std::move(tenant_quota)),
      tenant_weight_(std::move(tenant_weight)),
      tenant_running_gpus_(tenant_quota_.size(), 0.0),
      tenant_queued_gpus_(tenant_quota_.size(), 0.0),
      policy_(std::move(policy)),
      cluster_(config.cluster, config.placement),
      failure_rng_(Rng(config.seed).Fork("failures")),
      tenant_queue_(std::move(tenant_queue)) {
  has_limits_ = !tenant_queue_.empty() || std::any_of(tenant_quota_.begin(), tenant_quota_.end(),
                                                      [](double q) { return q > 0; });
  if (!tenant_queue_.empty()) {
    std::vector<std::string> cohort_names;
    for (const ClusterQueue& cq : config.cluster_queues) {
      QueueState q;
      q.nominal = cq.nominal_quota_gpus;
      q.max_usage = q.nominal;
      if (!cq.cohort.empty()) {
        auto it = std::find(cohort_names.begin(), cohort_names.end(), cq.cohort);
        q.cohort = static_cast<int32_t>(it - cohort_names.begin());
        if (it == cohort_names.end()) {
          cohort_names.push_back(cq.cohort);
          cohorts_.emplace_back();
        }
        const double lend = cq.lending_limit_gpus ? *cq.lending_limit_gpus : q.nominal;
        q.keep = q.nominal - lend;
        q.max_usage = cq.borrowing_limit_gpus ? q.nominal + *cq.borrowing_limit_gpus : kNever;
        CohortState& c = cohorts_[static_cast<size_t>(q.cohort)];
        c.pool += lend;
        c.queues.push_back(static_cast<int32_t>(queues_.size()));
      }
      queues_.push_back(std::move(q));
    }
  }
  for (size_t g = 0; g < config.cluster.groups.size(); ++g) {
    const NodeGroup& group = config.cluster.groups[g];
    const SimTime online = ToSimTime(std::max(0.0, group.available_from_s));
    if (online == 0) {
      for (int32_t n : cluster_.group_nodes(static_cast<int32_t>(g)))
        cluster_.SetInstalled(n, true);
    } else {
      Push(online, EventKind::kGroupOnline, static_cast<uint32_t>(g));
      ++num_group_events_left_;
    }
    if (std::isfinite(group.retired_at_s)) {
      Push(ToSimTime(std::max(0.0, group.retired_at_s)), EventKind::kGroupRetire,
           static_cast<uint32_t>(g));
      ++num_group_events_left_;
    }
  }
  running_by_end_.resize(cluster_.pools().size());
  scratch_free_.assign(cluster_.nodes().size(), -1);
  fairness_.received_gpu_h.assign(tenant_quota_.size(), 0.0);
  fairness_.entitled_gpu_h.assign(tenant_quota_.size(), 0.0);
  int64_t sum = 0;
  for (const Node& node : cluster_.nodes()) {
    sum += node.gpus;
    gpu_prefix_.push_back(sum);
  }
}

void AdviseHugePages(const void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHugePageBytes = uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const uintptr_t last = (begin + bytes) & ~(kHugePageBytes - 1);
  // Advice only: an error (no huge pages here) leaves the pages as they were.
  if (last > first) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

void JobArray::reserve(size_t n) {
  if (n <= capacity_) return;
  const size_t shift = raw_ == nullptr ? 0 : reinterpret_cast<char*>(data_) - raw_;
  auto* grown = static_cast<char*>(std::realloc(raw_, n * sizeof(SimJob) + kAlignBytes));
  if (grown == nullptr) throw std::bad_alloc();
  const size_t misalign = reinterpret_cast<uintptr_t>(grown) % kAlignBytes;
  const size_t new_shift = misalign == 0 ? 0 : kAlignBytes - misalign;
  // A remapped block keeps its offset in the page; one moved by copying may need the jobs moved.
  if (new_shift != shift) std::memmove(grown + new_shift, grown + shift, size_ * sizeof(SimJob));
  raw_ = grown;
  data_ = reinterpret_cast<SimJob*>(grown + new_shift);
  capacity_ = n;
  AdviseHugePages(data_, capacity_ * sizeof(SimJob));
}

void Engine::ReleaseJobsBefore(size_t end) {
#if defined(__linux__)
  // Whole pages only: the block's first and last may hold malloc's bookkeeping or other jobs.
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(jobs_.data());
  const uintptr_t first = (begin + page - 1) & ~(page - 1);
  const uintptr_t last = (begin + std::min(end, jobs_.size()) * sizeof(SimJob)) & ~(page - 1);
  // Advice only: the pages read as zeros if touched again; an error leaves them as they were.
  if (last > first) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
#else
  (void)end;
#endif
}

std::string Engine::TimelineLimitMessage() {
  return fmt::format("the timeline passed {} rows (the limit); use a larger --timeline-interval",
                     kMaxTimelineRows);
}

SimTime Engine::Later(SimTime delay) const {
  // Both are at most kSimTimeNever, so the sum cannot overflow; past it is never.
  return std::min(now_ + std::max<SimTime>(0, delay), kSimTimeNever);
}

void Engine::Push(SimTime at, EventKind kind, uint32_t idx, uint32_t generation) {
  events_.push(
      Event{.at = at, .seq = next_seq_++, .idx = idx, .generation = generation, .kind = kind});
}

bool Engine::IsActive() const {
  return next_arrival_ < jobs_.size() || num_running_ > 0 || policy_->num_queued() > 0;
}

void Engine::Run() {
  // The timeline spans at least the last arrival: refuse a span past the row limit before
  // simulating up to it (a job at 9e9 s sampled every second ran 6 s before the check below).
  if (config_.timeline_interval_s > 0 && jobs_.size() > 0 &&
      ToSeconds(jobs_[jobs_.size() - 1].submit) / config_.timeline_interval_s >
          static_cast<double>(kMaxTimelineRows)) {
    stopped_because_ = TimelineLimitMessage();
    return;
  }
  ScheduleNextFailure();
  if (config_.timeline_interval_s > 0) {
    timeline_pending_ = true;
    Push(0, EventKind::kTimeline, 0);
  }
  if (config_.fairness_interval_s > 0) Push(0, EventKind::kFairness, 0);
  while (true) {
    while (next_arrival_ < jobs_.size() &&
           jobs_[next_arrival_].status == JobStatus::kUnschedulable) {
      ++next_arrival_;  // refused when bound to the cluster
    }
    SimTime t = events_.empty() ? kNoTime : events_.top().at;
    if (next_arrival_ < jobs_.size()) t = std::min(t, jobs_[next_arrival_].submit);
    if (t == kNoTime || t >= kSimTimeNever) break;
    if (totals_.events > kMaxEvents) {
      stopped_because_ = fmt::format(
          "the simulation passed {} events (the limit) at t = {:.0f} s; shorten the trace, "
          "raise --timeline-interval or reduce failures",
          kMaxEvents, ToSeconds(now_));
      break;
    }
    if (static_cast<int64_t>(timeline_.size()) > kMaxTimelineRows) {
      stopped_because_ = TimelineLimitMessage();
      break;
    }
    totals_.queue_area += static_cast<double>(policy_->num_queued()) * ToSeconds(t - now_);
    now_ = t;
    while (!events_.empty() && events_.top().at == now_) {
      const Event e = events_.top();
      events_.pop();
      ++totals_.events;
      Handle(e);
    }
    while (next_arrival_ < jobs_.size() && jobs_[next_arrival_].submit == now_) {
      SimJob& job = jobs_[next_arrival_];
      if (job.status == JobStatus::kPending) {
        ++totals_.events;
        job.status = JobStatus::kQueued;
        job.since = now_;
        Enqueue(static_cast<JobIdx>(next_arrival_));
      }
      ++next_arrival_;
    }
    // The next finish reads its job, then the job's run, each a cache miss: ask for the job
    // before the pass and, its slot known by then, for the run after it.
    const bool finish_next = !events_.empty() && events_.top().kind == EventKind::kFinish;
    if (finish_next) {
      const char* job = reinterpret_cast<const char*>(&jobs_[events_.top().idx]);
      __builtin_prefetch(job);
      __builtin_prefetch(job + 64);
    }
    policy_->Schedule(*this, capacity_freed_);
    capacity_freed_ = false;
    if (finish_next && !events_.empty() && events_.top().kind == EventKind::kFinish) {
      const SimJob& next = jobs_[events_.top().idx];
      if (next.status == JobStatus::kRunning) {
        __builtin_prefetch(&runs_[static_cast<size_t>(next.slot)]);
      }
    }
    ResolveStuckQueue();
    totals_.max_queue = std::max(totals_.max_queue, policy_->num_queued());
    if (config_.check_invariants) {
      cluster_.CheckInvariants();
      double held = 0;
      for (double g : tenant_running_gpus_) held += g;
      double allocated = 0;
      for (JobIdx j : running_) allocated += jobs_[static_cast<size_t>(j)].gpu_fraction();
      GPUPLAN_CHECK(std::fabs(held - allocated) < 1e-6) << "tenant GPU counts disagree";
      CheckQuotas();
    }
    if (config_.observer != nullptr &&
        totals_.events - last_progress_events_ >= config_.progress_every_events) {
      Progress();
    }
  }
  if (config_.timeline_interval_s > 0) RecordTimeline();
  if (config_.observer != nullptr) Progress();
}

void Engine::Progress() {
  last_progress_events_ = totals_.events;
  config_.observer->OnProgress(
      SimProgress{.sim_time_s = ToSeconds(now_),
                  .last_arrival_s = jobs_.empty() ? 0 : ToSeconds(jobs_.back().submit),
                  .events = totals_.events,
                  .completed = num_completed_,
                  .num_jobs = static_cast<int64_t>(jobs_.size()),
                  .queued = policy_->num_queued(),
                  .running = num_running_});
}

void Engine::Handle(const Event& e) {
  switch (e.kind) {
    case EventKind::kFinish: {
      SimJob& job = jobs_[e.idx];
      if (job.status == JobStatus::kRunning && job.generation == e.generation) {
        Stop(static_cast<JobIdx>(e.idx), StopKind::kFinished);
      }
      break;
    }
    case EventKind::kNodeFail: {
      failure_pending_ = false;
      const auto r =
          static_cast<int64_t>(failure_rng_.UniformInt(static_cast<uint64_t>(gpu_prefix_.back())));
      // Thinning: the draw covers every GPU; a node that is not up cannot fail again.
      const auto n = static_cast<int32_t>(
          std::upper_bound(gpu_prefix_.begin(), gpu_prefix_.end(), r) - gpu_prefix_.begin());
      if (cluster_.IsAvailable(n)) {
        ++totals_.failures;
        TakeNodeDown(n, /*retire=*/false);
        Push(Later(ToSimTime(config_.failures.node_repair_s)), EventKind::kNodeRepair,
             static_cast<uint32_t>(n));
      }
      if (IsActive()) ScheduleNextFailure();
      break;
    }
    case EventKind::kNodeRepair: {
      const auto n = static_cast<int32_t>(e.idx);
      if (!cluster_.nodes()[e.idx].is_up) {
        cluster_.SetUp(n, true);
        --num_nodes_down_;
        capacity_freed_ = true;
      }
      break;
    }
    case EventKind::kGroupOnline:
      for (int32_t n : cluster_.group_nodes(static_cast<int32_t>(e.idx))) {
        cluster_.SetInstalled(n, true);
      }
      --num_group_events_left_;
      capacity_freed_ = true;
      break;
    case EventKind::kGroupRetire:
      for (int32_t n : cluster_.group_nodes(static_cast<int32_t>(e.idx))) TakeNodeDown(n, true);
      --num_group_events_left_;
      break;
    case EventKind::kTimeline:
      RecordTimeline();
      if (IsActive()) {
        Push(Later(std::max<SimTime>(1, ToSimTime(config_.timeline_interval_s))),
             EventKind::kTimeline, 0);
      } else {
        timeline_pending_ = false;
      }
      break;
    case EventKind::kFairness:
      SampleFairness();
      if (IsActive()) {
        Push(Later(std::max<SimTime>(1, ToSimTime(config_.fairness_interval_s))),
             EventKind::kFairness, 0);
      }
      break;
    case EventKind::kWakeup:
      pending_wakeups_.erase(e.at);
      capacity_freed_ = true;
      break;
  }
}

void Engine::Enqueue(JobIdx j) {
  tenant_queued_gpus_[static_cast<size_t>(jobs_[static_cast<size_t>(j)].tenant)] +=
      jobs_[static_cast<size_t>(j)].gpu_fraction();
  policy_->Enqueue(*this, j);
}

std::vector<double> WaterFill(const std::vector<double>& demand, const std::vector<double>& weight,
                              double capacity) {
  // Tenants with demand by demand / weight, then index: the keys computed once and sorted as
  // pairs (a comparator dividing and reading two arrays per comparison was most of a fairness
  // sample with tens of thousands of tenants).
  std::vector<std::pair<double, size_t>> order;
  double weight_left = 0;
  for (size_t t = 0; t < demand.size(); ++t) {
    if (demand[t] > 0) {
      order.emplace_back(demand[t] / weight[t], t);
      weight_left += weight[t];
    }
  }
  std::sort(order.begin(), order.end());
  std::vector<double> share(demand.size(), 0.0);
  for (const auto& entry : order) {
    const size_t t = entry.second;
    share[t] = std::min(demand[t], capacity * weight[t] / weight_left);
    capacity -= share[t];
    weight_left -= weight[t];
  }
  return share;
}

void Engine::SampleFairness() {
  const auto up = static_cast<double>(cluster_.up_gpus());
  const double dt_h = config_.fairness_interval_s / 3600;
  std::vector<double> demand(tenant_running_gpus_.size());
  double total = 0;
  for (size_t t = 0; t < demand.size(); ++t) {
    demand[t] = tenant_running_gpus_[t] + std::max(0.0, tenant_queued_gpus_[t]);
    total += demand[t];
  }
  if (total <= 0) return;
  const std::vector<double> entitled = WaterFill(demand, tenant_weight_, up);
  double sx = 0, sxx = 0;
  int n = 0;
  for (size_t t = 0; t < demand.size(); ++t) {
    if (entitled[t] <= 0) continue;
    fairness_.received_gpu_h[t] += tenant_running_gpus_[t] * dt_h;
    fairness_.entitled_gpu_h[t] += entitled[t] * dt_h;
    const double x = tenant_running_gpus_[t] / entitled[t];
    sx += x;
    sxx += x * x;
    ++n;
  }
  if (total > up && sxx > 0) {  // contended: demand exceeds the GPUs that are up
    fairness_.jain_sum += sx * sx / (n * sxx);
    ++fairness_.num_contended;
  }
}

void Engine::ScheduleNextFailure() {
  if (!(config_.failures.gpu_mtbf_s > 0) || failure_pending_ || gpu_prefix_.empty() ||
      gpu_prefix_.back() == 0) {
    return;
  }
  const double rate_per_s = static_cast<double>(gpu_prefix_.back()) / config_.failures.gpu_mtbf_s;
  Push(Later(std::max<SimTime>(1, ToSimTime(failure_rng_.Exponential(rate_per_s)))),
       EventKind::kNodeFail, 0);
  failure_pending_ = true;
}

void Engine::TakeNodeDown(int32_t n, bool retire) {
  // A job sharing GPUs can hold several pieces on the node, listed once each: stop it once.
  const std::vector<int32_t> victims = cluster_.nodes()[static_cast<size_t>(n)].jobs;
  for (JobIdx j : victims) {
    if (jobs_[static_cast<size_t>(j)].status == JobStatus::kRunning) Stop(j, StopKind::kKilled);
  }
  if (retire) {
    cluster_.SetInstalled(n, false);
  } else {
    cluster_.SetUp(n, false);
    ++num_nodes_down_;
  }
}

bool Engine::OverLimits(JobIdx j) const {
  const SimJob& job = jobs_[static_cast<size_t>(j)];
  const double quota = tenant_quota_[static_cast<size_t>(job.tenant)];
  if (quota > 0 &&
      tenant_running_gpus_[static_cast<size_t>(job.tenant)] + job.gpu_fraction() > quota + 1e-9) {
    return true;
  }
  const int32_t qi = QueueOf(job);
  if (qi < 0) return false;
  const QueueState& q = queues_[static_cast<size_t>(qi)];
  const double drawn = q.cohort < 0 ? 0 : cohorts_[static_cast<size_t>(q.cohort)].drawn;
  return !QueueAdmits(q, q.usage, drawn, job.gpu_fraction());
}

// Usage sums of fractional shares drift by rounding; a margin far below any share (1/1000).
constexpr double kQuotaSlack = 1e-6;

bool Engine::QueueAdmits(const QueueState& q, double usage, double drawn, double gpus) const {
  if (usage + gpus > q.max_usage + kQuotaSlack) return false;
  if (q.cohort < 0) return true;  // max_usage is the nominal quota
  const double more = Drawn(q, usage + gpus) - Drawn(q, usage);
  return drawn + more <= cohorts_[static_cast<size_t>(q.cohort)].pool + kQuotaSlack;
}

void Engine::QueueUsageChange(const SimJob& job, JobIdx j, double sign) {
  const int32_t qi = QueueOf(job);
  if (qi < 0) return;
  QueueState& q = queues_[static_cast<size_t>(qi)];
  const double before = std::max(0.0, q.usage - q.nominal);
  q.totals.borrowed_gpu_s += before * ToSeconds(now_ - q.last_change);
  q.last_change = now_;
  const double after_usage = q.usage + sign * job.gpu_fraction();
  if (q.cohort >= 0) {
    cohorts_[static_cast<size_t>(q.cohort)].drawn += Drawn(q, after_usage) - Drawn(q, q.usage);
  }
  const bool was = q.usage > q.nominal + kQuotaSlack;
  q.usage = after_usage;
  const bool is = q.usage > q.nominal + kQuotaSlack;
  num_borrowing_ += static_cast<int64_t>(is) - static_cast<int64_t>(was);
  q.totals.max_borrowed_gpus = std::max(q.totals.max_borrowed_gpus, q.usage - q.nominal);
  const std::tuple<int32_t, SimTime, JobIdx> key{job.priority, -job.since, -j};
  if (sign > 0) {
    q.running.insert(key);
  } else {
    q.running.erase(key);
  }
}

void Engine::CheckQuotas() const {
  std::vector<double> usage(queues_.size(), 0.0);
  for (JobIdx j : running_) {
    const int32_t q = QueueOf(jobs_[static_cast<size_t>(j)]);
    if (q >= 0) usage[static_cast<size_t>(q)] += jobs_[static_cast<size_t>(j)].gpu_fraction();
  }
  std::vector<double> drawn(cohorts_.size(), 0.0);
  for (size_t q = 0; q < queues_.size(); ++q) {
    const QueueState& s = queues_[q];
    GPUPLAN_CHECK(std::fabs(s.usage - usage[q]) < kQuotaSlack) << "queue " << q << " usage";
    GPUPLAN_CHECK(usage[q] <= s.max_usage + kQuotaSlack) << "queue " << q << " above its limit";
    if (s.cohort >= 0) drawn[static_cast<size_t>(s.cohort)] += Drawn(s, usage[q]);
  }
  for (size_t c = 0; c < cohorts_.size(); ++c) {
    GPUPLAN_CHECK(drawn[c] <= cohorts_[c].pool + kQuotaSlack) << "cohort " << c << " overdrawn";
    GPUPLAN_CHECK(std::fabs(drawn[c] - cohorts_[c].drawn) < kQuotaSlack) << "cohort " << c;
  }
}

std::vector<Engine::QueueTotals> Engine::queue_totals() const {
  std::vector<QueueTotals> out;
  for (const QueueState& q : queues_) {
    QueueTotals t = q.totals;
    t.borrowed_gpu_s += std::max(0.0, q.usage - q.nominal) * ToSeconds(now_ - q.last_change);
    out.push_back(t);
  }
  return out;
}

bool Engine::CanPlaceOn(JobIdx j, int32_t pool) const {
  const SimJob& job = jobs_[static_cast<size_t>(j)];
  return cluster_.CanPlace(pool, job.gpus, job.milli);
}

int32_t Engine::BestPoolNow(JobIdx j, uint64_t pool_mask) const {
  int32_t best = -1;
  SimTime best_run = kNoTime;
  for (uint64_t mask = jobs_[static_cast<size_t>(j)].allowed_pools & pool_mask; mask != 0;
       mask &= mask - 1) {
    const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
    if (!CanPlaceOn(j, p)) continue;
    const SimTime run = EstimatedRunTime(j, p);
    if (run < best_run) {
      best = p;
      best_run = run;
    }
  }
  return best;
}

StartResult Engine::TryStart(JobIdx j, bool allow_wait) {
  const uint64_t allowed = jobs_[static_cast<size_t>(j)].allowed_pools;
  if (OverQuota(j)) return Reclaim(j, allowed) ? StartResult::kStarted : StartResult::kOverQuota;
  const int32_t best = BestPoolNow(j);
  if (best < 0) return Reclaim(j, allowed) ? StartResult::kStarted : StartResult::kNoFit;
  if (allow_wait) {
    const SimTime finish_now = now_ + EstimatedRunTime(j, best);
    for (uint64_t mask = jobs_[static_cast<size_t>(j)].allowed_pools; mask != 0; mask &= mask - 1) {
      const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
      const SimTime run = EstimatedRunTime(j, p);
      if (p == best || now_ + run >= finish_now || CanPlaceOn(j, p)) continue;
      int64_t spare = 0;
      if (EarliestStart(j, p, finish_now - run - 1, &spare) != kNoTime) {
        return StartResult::kNoFit;  // a faster type frees up soon enough: wait for it
      }
    }
  }
  StartOn(j, best);
  return StartResult::kStarted;
}

namespace {

// Whether `gpus` whole GPUs fit nodes of `per_node` GPUs whose free counts are counted in
// count[k] (nodes with k free): one node, or whole nodes plus one for a gang's remainder.
bool FitsCounts(const std::vector<int64_t>& count, int32_t per_node, int32_t gpus) {
  auto any_from = [&](int32_t k) {
    for (; k <= per_node; ++k) {
      if (count[static_cast<size_t>(k)] > 0) return true;
    }
    return false;
  };
  if (gpus <= per_node) return any_from(gpus);
  const int64_t full = gpus / per_node, rem = gpus % per_node;
  const int64_t whole = count[static_cast<size_t>(per_node)];
  if (whole < full) return false;
  if (rem == 0) return true;
  if (whole > full) return true;
  for (int32_t k = static_cast<int32_t>(rem); k < per_node; ++k) {
    if (count[static_cast<size_t>(k)] > 0) return true;
  }
  return false;
}

}  // namespace

size_t EndIndex::ChunkFor(const Entry& e) const {
  const auto it = std::lower_bound(last_.begin(), last_.end(), e);
  return it == last_.end() ? last_.size() - 1 : static_cast<size_t>(it - last_.begin());
}

void EndIndex::Insert(SimTime end, JobIdx j) {
  const Entry e{end, j};
  if (chunks_.empty()) {
    chunks_.emplace_back();
    last_.emplace_back();
  }
  const size_t c = ChunkFor(e);
  std::vector<Entry>& ch = chunks_[c];
  ch.insert(std::upper_bound(ch.begin(), ch.end(), e), e);
  last_[c] = ch.back();
  if (ch.size() > 2 * kChunk) {
    std::vector<Entry> back(ch.begin() + kChunk, ch.end());
    ch.resize(kChunk);
    last_[c] = ch.back();
    last_.insert(last_.begin() + static_cast<std::ptrdiff_t>(c) + 1, back.back());
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(back));
  }
}

void EndIndex::Erase(SimTime end, JobIdx j) {
  const Entry e{end, j};
  GPUPLAN_CHECK(!chunks_.empty()) << "EndIndex: job " << j << " not indexed";
  const size_t c = ChunkFor(e);
  std::vector<Entry>& ch = chunks_[c];
  const auto it = std::lower_bound(ch.begin(), ch.end(), e);
  GPUPLAN_CHECK(it != ch.end() && *it == e) << "EndIndex: job " << j << " not indexed";
  ch.erase(it);
  if (ch.empty()) {
    chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
    last_.erase(last_.begin() + static_cast<std::ptrdiff_t>(c));
  } else {
    last_[c] = ch.back();
  }
}

void Engine::IndexEnds() const {
  for (size_t k = 0; k < running_.size(); ++k) {
    const JobIdx r = running_[k];
    running_by_end_[static_cast<size_t>(jobs_[static_cast<size_t>(r)].pool)].Insert(
        runs_[k].est_end, r);
  }
  ends_indexed_ = true;
}

SimTime Engine::EarliestStart(JobIdx j, int32_t p, SimTime horizon, int64_t* spare_nodes) const {
  const SimJob& job = jobs_[static_cast<size_t>(j)];
  const Pool& pool = cluster_.pool(p);
  const int32_t per_node = pool.gpus_per_node;
  const int32_t gpus = job.whole_gpus();
  const int64_t take_whole = (gpus + per_node - 1) / per_node;
  scratch_count_.assign(static_cast<size_t>(per_node) + 1, 0);
  for (int32_t k = 0; k <= per_node; ++k) {
    scratch_count_[static_cast<size_t>(k)] =
        static_cast<int64_t>(pool.buckets[static_cast<size_t>(k)].size());
  }
  SimTime found = kNoTime;
  if (FitsCounts(scratch_count_, per_node, gpus)) {
    found = now_;
  } else if (pool.up_gpus >= gpus) {
    for (const auto& [end, r] : running_by_end(p)) {
      const SimTime t = std::max(end, now_);
      if (t > horizon || (found != kNoTime && t > found)) break;  // (jobs ending at `found` too)
      for (const Piece& piece : pieces(r)) {
        if (piece.slot >= 0) continue;
        int32_t& free = scratch_free_[static_cast<size_t>(piece.node)];
        if (free < 0) {
          free = cluster_.nodes()[static_cast<size_t>(piece.node)].free_gpus;
          scratch_touched_.push_back(piece.node);
        }
        --scratch_count_[static_cast<size_t>(free)];
        free += piece.gpus;
        ++scratch_count_[static_cast<size_t>(free)];
      }
      if (found == kNoTime && FitsCounts(scratch_count_, per_node, gpus)) found = t;
    }
  }
  for (int32_t n : scratch_touched_) scratch_free_[static_cast<size_t>(n)] = -1;
  scratch_touched_.clear();
  if (found > horizon) return kNoTime;
  *spare_nodes = scratch_count_[static_cast<size_t>(per_node)] - take_whole;
  return found;
}

bool Engine::ReclaimFromBorrowers(JobIdx j, uint64_t pool_mask) {
  const SimJob& job = jobs_[static_cast<size_t>(j)];
  const int32_t qi = QueueOf(job);
  if (qi < 0 || num_borrowing_ == 0) return false;
  const QueueState& q = queues_[static_cast<size_t>(qi)];
  const double gpus = job.gpu_fraction();
  if (q.cohort < 0 || q.usage + gpus > q.nominal + kQuotaSlack) return false;
  const CohortState& cohort = cohorts_[static_cast<size_t>(q.cohort)];
  pool_mask &= job.allowed_pools;
  // Candidates: running jobs of the cohort's borrowing queues, lowest trace priority first,
  // then newest (Kueue's order), job index breaking ties.
  std::vector<std::pair<std::tuple<int32_t, SimTime, JobIdx>, int32_t>> candidates;
  for (int32_t r : cohort.queues) {
    const QueueState& rq = queues_[static_cast<size_t>(r)];
    if (r == qi || rq.usage <= rq.nominal + kQuotaSlack) continue;
    for (const auto& key : rq.running) candidates.push_back({key, r});
  }
  if (candidates.empty()) return false;
  std::sort(candidates.begin(), candidates.end());

  // What-if: the cohort's usages and each allowed pool's nodes by free GPUs, victims taken off.
  std::vector<double> usage(queues_.size());
  for (int32_t r : cohort.queues)
    usage[static_cast<size_t>(r)] = queues_[static_cast<size_t>(r)].usage;
  double drawn = cohort.drawn;
  std::vector<std::vector<int64_t>> counts(cluster_.pools().size());
  for (uint64_t m = pool_mask; m != 0; m &= m - 1) {
    const auto p = static_cast<size_t>(__builtin_ctzll(m));
    const Pool& pool = cluster_.pool(static_cast<int32_t>(p));
    for (const auto& bucket : pool.buckets)
      counts[p].push_back(static_cast<int64_t>(bucket.size()));
  }
  const int32_t need = job.whole_gpus();
  auto take = [&](JobIdx v, int sign) {
    const SimJob& vj = jobs_[static_cast<size_t>(v)];
    const auto r = static_cast<size_t>(QueueOf(vj));
    const double before = usage[r];
    usage[r] -= sign * vj.gpu_fraction();
    drawn += Drawn(queues_[r], usage[r]) - Drawn(queues_[r], before);
    for (const Piece& piece : pieces(v)) {
      const auto p = static_cast<size_t>(cluster_.nodes()[static_cast<size_t>(piece.node)].pool);
      if (piece.slot >= 0 || counts[p].empty()) continue;  // shares freed: ignored (conservative)
      int32_t& free = scratch_free_[static_cast<size_t>(piece.node)];
      if (free < 0) {
        free = cluster_.nodes()[static_cast<size_t>(piece.node)].free_gpus;
        scratch_touched_.push_back(piece.node);
      }
      --counts[p][static_cast<size_t>(free)];
      free += sign * piece.gpus;
      ++counts[p][static_cast<size_t>(free)];
    }
  };
  auto fits = [&] {
    if (!QueueAdmits(q, usage[static_cast<size_t>(qi)], drawn, gpus)) return false;
    for (uint64_t m = pool_mask; m != 0; m &= m - 1) {
      const auto p = static_cast<int32_t>(__builtin_ctzll(m));
      const std::vector<int64_t>& c = counts[static_cast<size_t>(p)];
      const int32_t per_node = cluster_.pool(p).gpus_per_node;
      if (CanPlaceOn(j, p)) return true;
      if (job.milli >= trace::kWholeGpuMilli) {
        if (FitsCounts(c, per_node, need)) return true;
      } else {
        int64_t free = 0;  // shares fit on any whole free GPUs
        for (int32_t k = 1; k <= per_node; ++k) free += k * c[static_cast<size_t>(k)];
        if (free >= need) return true;
      }
    }
    return false;
  };
  std::vector<JobIdx> chosen;
  bool ok = false;
  if (!fits()) {
    for (const auto& [key, r] : candidates) {
      const QueueState& rq = queues_[static_cast<size_t>(r)];
      if (usage[static_cast<size_t>(r)] <= rq.nominal + kQuotaSlack) continue;  // borrows no more
      const JobIdx v = -std::get<2>(key);
      take(v, +1);
      chosen.push_back(v);
      if ((ok = fits())) break;
    }
  }
  if (ok) {
    // Keep running every victim j can do without, the latest chosen first.
    for (size_t i = chosen.size() - 1; i-- > 0;) {
      take(chosen[i], -1);
      if (fits()) {
        chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        take(chosen[i], +1);
      }
    }
  }
  for (int32_t n : scratch_touched_) scratch_free_[static_cast<size_t>(n)] = -1;
  scratch_touched_.clear();
  if (!ok) return false;
  for (JobIdx v : chosen) {
    ++queues_[static_cast<size_t>(QueueOf(jobs_[static_cast<size_t>(v)]))].totals.reclaimed_jobs;
    ++queues_[static_cast<size_t>(qi)].totals.reclaim_preemptions;
    ++totals_.reclaim_preemptions;
    Preempt(v);
  }
  const int32_t best = BestPoolNow(j, pool_mask);
  GPUPLAN_CHECK(best >= 0 && !OverQuota(j)) << "reclaim: job " << j << " cannot start after it";
  StartOn(j, best);
  return true;
}

void Engine::StartOn(JobIdx j, int32_t pool) {
  policy_->OnStart(*this, j);
  SimJob& job = jobs_[static_cast<size_t>(j)];
  GPUPLAN_CHECK(job.status == JobStatus::kQueued) << "job " << j << " started twice";
  GPUPLAN_CHECK(now_ >= job.submit) << "job " << j << " starts before it arrives";
  const bool placed = cluster_.Place(pool, job.gpus, job.milli, scratch_pieces_);
  GPUPLAN_CHECK(placed) << "job " << j << " does not fit pool " << pool;
  for (const Piece& piece : scratch_pieces_) cluster_.node(piece.node).jobs.push_back(j);
  const SimTime run = RunTime(j, pool);
  RunState& started = runs_.emplace_back();
  started.pieces.Assign(scratch_pieces_);
  started.paid_overhead = job.needs_overhead;
  started.stop_record = job.slot;
  job.needs_overhead = false;
  job.pool = pool;
  job.wait_total += now_ - job.since;
  job.since = now_;
  started.est_end = Later(EstimatedRunTime(j, pool));
  job.status = JobStatus::kRunning;
  tenant_running_gpus_[static_cast<size_t>(job.tenant)] += job.gpu_fraction();
  tenant_queued_gpus_[static_cast<size_t>(job.tenant)] -= job.gpu_fraction();
  QueueUsageChange(job, j, +1);
  job.slot = static_cast<int32_t>(running_.size());
  running_.push_back(j);
  ++num_running_;
  if (ends_indexed_) {
    running_by_end_[static_cast<size_t>(pool)].Insert(started.est_end, j);
  }
  Push(Later(run), EventKind::kFinish, static_cast<uint32_t>(j), job.generation);
}

void Engine::Preempt(JobIdx j) {
  GPUPLAN_CHECK(jobs_[static_cast<size_t>(j)].status == JobStatus::kRunning)
      << "preempting job " << j << " that is not running";
  ++totals_.preemptions;
  ++jobs_[static_cast<size_t>(j)].preemptions;
  Stop(j, StopKind::kPreempted);
}

void Engine::WakeUpAt(SimTime at) {
  at = std::max(at, now_);
  if (pending_wakeups_.insert(at).second) Push(at, EventKind::kWakeup, 0);  // one per instant
}

void Engine::Stop(JobIdx j, StopKind kind) {
  policy_->OnStop(*this, j);
  SimJob& job = jobs_[static_cast<size_t>(j)];
  const double frac = job.gpu_fraction();
  const auto pos = static_cast<size_t>(job.slot);
  RunState& run = runs_[pos];
  const double elapsed_s = ToSeconds(now_ - job.since);
  const SimTime run_overhead = run.paid_overhead ? restart_overhead_ : 0;
  const double worked_s = std::max(0.0, ToSeconds(now_ - job.since - run_overhead));
  const double speed = cluster_.pool(job.pool).speed;
  // A job stopped before its end gets its stop record now: its first run began at `since`, and
  // kept nothing so far (useful starts at 0 as attained did).
  if (run.stop_record < 0 && kind != StopKind::kFinished) {
    run.stop_record = static_cast<int32_t>(stops_.size());
    stops_.push_back(StopRecord{.first_start = job.since});
  }
  StopRecord* record =
      run.stop_record >= 0 ? &stops_[static_cast<size_t>(run.stop_record)] : nullptr;
  if (record != nullptr && record->overhead_from_preemption) {
    totals_.preemption_lost_gpu_s += frac * std::min(elapsed_s, ToSeconds(run_overhead));
  }
  if (record != nullptr) record->overhead_from_preemption = kind == StopKind::kPreempted;
  job.attained_gpu_s += frac * elapsed_s;
  double saved_s = worked_s;  // finished or preempted: all work kept
  if (kind == StopKind::kKilled) {
    const double interval = config_.failures.checkpoint_interval_s;
    saved_s = interval > 0 ? std::floor(worked_s / interval) * interval : 0;
  }
  // Without a record the job finished its only run, keeping all of it: useful == attained.
  if (record != nullptr) record->useful_gpu_s += frac * saved_s;
  scratch_pieces_.assign(run.pieces.begin(), run.pieces.end());
  cluster_.Release(scratch_pieces_);
  for (const Piece& piece : run.pieces) {
    auto& on_node = cluster_.node(piece.node).jobs;
    auto it = std::find(on_node.begin(), on_node.end(), j);
    *it = on_node.back();
    on_node.pop_back();
  }
  tenant_running_gpus_[static_cast<size_t>(job.tenant)] -= frac;
  QueueUsageChange(job, j, -1);
  if (ends_indexed_) running_by_end_[static_cast<size_t>(job.pool)].Erase(run.est_end, j);
  job.slot = run.stop_record;
  if (pos + 1 != running_.size()) {
    running_[pos] = running_.back();
    runs_[pos] = std::move(runs_.back());
    jobs_[static_cast<size_t>(running_[pos])].slot = static_cast<int32_t>(pos);
  }
  running_.pop_back();
  runs_.pop_back();
  --num_running_;
  ++job.generation;
  capacity_freed_ = true;
  if (kind == StopKind::kFinished) {
    job.work_left_ref_s = 0;
    job.since = now_;  // its end
    job.status = JobStatus::kDone;
    ++num_completed_;
    totals_.makespan = std::max(totals_.makespan, now_);
    return;
  }
  // The run ended before its finish event, so some work is always left.
  job.work_left_ref_s = std::max(job.work_left_ref_s - saved_s * speed, 1e-6);
  job.needs_overhead = true;
  ++job.restarts;
  ++totals_.restarts;
  if (job.restarts >= kMaxRestartsPerJob) {
    job.status = JobStatus::kUnschedulable;
    late_unschedulable_.emplace_back(
        j, fmt::format("stopped {} times without finishing (its run is longer than the time "
                       "between failures or preemptions; checkpoint more often)",
                       job.restarts));
    return;
  }
  job.status = JobStatus::kQueued;
  job.since = now_;
  Enqueue(j);
}

void Engine::RecordTimeline() {
  double allocated = 0;
  for (double g : tenant_running_gpus_) allocated += g;
  timeline_.push_back(TimelineRow{.time_s = ToSeconds(now_),
                                  .capacity_gpus = cluster_.installed_gpus(),
                                  .up_gpus = cluster_.up_gpus(),
                                  .allocated_gpus = allocated,
                                  .running_jobs = num_running_,
                                  .queued_jobs = policy_->num_queued(),
                                  .completed_jobs = num_completed_});
}

void Engine::ResolveStuckQueue() {
  // Nothing runs, nothing will arrive or come online, nothing is under repair: the queue can
  // only move if a job fits the cluster as it is. Jobs that do not are unschedulable.
  if (num_running_ > 0 || next_arrival_ < jobs_.size() || num_group_events_left_ > 0 ||
      num_nodes_down_ > 0 || policy_->num_queued() == 0) {
    return;
  }
  for (int round = 0; round < 2 && policy_->num_queued() > 0 && num_running_ == 0; ++round) {
    for (JobIdx j : policy_->DrainQueue()) {
      SimJob& job = jobs_[static_cast<size_t>(j)];
      tenant_queued_gpus_[static_cast<size_t>(job.tenant)] -= job.gpu_fraction();
      bool fits = false;
      for (uint64_t mask = job.allowed_pools; mask != 0 && !fits; mask &= mask - 1) {
        fits = CanPlaceOn(j, static_cast<int32_t>(__builtin_ctzll(mask)));
      }
      if (fits && round == 0) {
        Enqueue(j);
        continue;
      }
      job.status = JobStatus::kUnschedulable;
      late_unschedulable_.emplace_back(
          j, fits ? "the policy left it queued with the cluster idle"
                  : "does not fit the cluster left after retirements and deliveries");
    }
    if (policy_->num_queued() > 0) policy_->Schedule(*this, true);
  }
}

}  // namespace gpuplan::sim::detail
