// Simulate(): binds a trace to a cluster (types, speeds, static feasibility, quotas), runs the
// engine and computes the results.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

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
  // As the CLI and the scenario bound it: a larger factor makes every estimate past the clock.
  if (!(config.estimate_factor >= 0 && config.estimate_factor <= 1000)) {
    return Error{
        fmt::format("estimate_factor must be in [0, 1000], got {}", config.estimate_factor)};
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

// Waits, JCTs and bounded slowdowns of completed jobs (weight 1 per job, or its instances),
// for every group of them at once (all jobs, each tenant, class and cluster queue): means and
// percentiles, where the p-th percentile is the smallest value whose cumulative weight reaches
// p of the group's total. One array of samples sorted by (value, weight) is walked once per
// statistic; a group's samples come in the order sorting its own would give, so means sum in
// the same order (a copy per group held every sample three times: 96 bytes a job). The arrays
// (16 bytes a job each) fill as the samples are added, so the jobs can be let go behind them.
class GroupWaitStats {
 public:
  static constexpr int kMaxGroups = 4;  // of a job
  struct Sample {
    double wait_s = 0, jct_s = 0, run_s = 0, weight = 1;
    std::array<int32_t, kMaxGroups> groups = {};
    int num_groups = 0;
  };
  explicit GroupWaitStats(size_t num_groups) : groups_(num_groups) {}

  // Room for `n` samples (pages never written stay unallocated).
  void Reserve(size_t n) {
    waits_.reserve(n);
    jcts_.reserve(n);
  }
  // In job order (the slowdown and weight sums run in it); a sample's groups and weight must
  // follow from its tenant and an integer weight (instances), all the sorted arrays keep.
  void Add(const Sample& s, int32_t tenant) {
    waits_.push_back({s.wait_s, static_cast<int32_t>(s.weight), tenant});
    jcts_.push_back({s.jct_s, static_cast<int32_t>(s.weight), tenant});
    for (int k = 0; k < s.num_groups; ++k) {
      Group& g = groups_[static_cast<size_t>(s.groups[static_cast<size_t>(k)])];
      g.slowdown_sum += s.weight * std::max(1.0, s.jct_s / std::max(s.run_s, kSlowdownFloorS));
      g.weight_sum += s.weight;
      ++g.num_jobs;
    }
  }

  // `groups_of(tenant)`: a sample of the tenant with its groups. Sorts and frees the arrays.
  template <typename GroupsOf>
  std::vector<WaitStats> Finish(const GroupsOf& groups_of) {
    std::vector<WaitStats> out(groups_.size());
    for (size_t g = 0; g < groups_.size(); ++g) out[g].num_jobs = groups_[g].num_jobs;
    Walk(waits_, groups_of, std::array{0.5, 0.95, 0.99},
         [&](size_t g, double mean, const std::array<double, 3>& p) {
           out[g].avg_wait_s = mean;
           out[g].p50_wait_s = p[0];
           out[g].p95_wait_s = p[1];
           out[g].p99_wait_s = p[2];
         });
    Walk(jcts_, groups_of, std::array{0.5, 0.99},
         [&](size_t g, double mean, const std::array<double, 2>& p) {
           out[g].avg_jct_s = mean;
           out[g].p50_jct_s = p[0];
           out[g].p99_jct_s = p[1];
           out[g].avg_bounded_slowdown = groups_[g].slowdown_sum / groups_[g].weight_sum;
         });
    return out;
  }

 private:
  struct Group {
    double slowdown_sum = 0, weight_sum = 0;
    int64_t num_jobs = 0;
  };
  struct Keyed {
    double value;
    int32_t weight, tenant;
  };

  // Orders by (value, weight) and stably: samples of equal value and weight add the same to
  // every group, so their order cannot change a sum or a percentile. A least-significant-digit
  // radix sort of 11-bit digits that skips the digits every sample shares (the weights, mostly):
  // std::sort's comparisons were ~5% of a million-job run.
  static void SortByValueThenWeight(std::vector<Keyed>& v) {
    constexpr int kBits = 11;
    constexpr uint32_t kBuckets = 1u << kBits;
    constexpr int kWeightDigits = 3, kDigits = kWeightDigits + 6;  // 33 and 66 bits
    auto digit = [](const Keyed& k, int d) -> uint32_t {
      if (d < kWeightDigits) {
        const uint32_t w = static_cast<uint32_t>(k.weight) ^ 0x80000000u;  // signed order
        return (w >> (d * kBits)) & (kBuckets - 1);
      }
      // IEEE order as unsigned: negatives flipped whole, others their sign bit; -0 is 0.
      uint64_t bits = std::bit_cast<uint64_t>(k.value + 0.0);
      bits ^= (bits >> 63) != 0 ? ~uint64_t{0} : uint64_t{1} << 63;
      return static_cast<uint32_t>(bits >> ((d - kWeightDigits) * kBits)) & (kBuckets - 1);
    };
    std::vector<std::array<uint32_t, kBuckets>> counts(kDigits);
    for (const Keyed& k : v) {
      for (int d = 0; d < kDigits; ++d) ++counts[static_cast<size_t>(d)][digit(k, d)];
    }
    std::vector<Keyed> scratch;
    for (int d = 0; d < kDigits; ++d) {
      auto& c = counts[static_cast<size_t>(d)];
      if (std::ranges::find(c, static_cast<uint32_t>(v.size())) != c.end()) continue;
      uint32_t at = 0;
      for (uint32_t& n : c) at += std::exchange(n, at);
      scratch.resize(v.size());
      for (const Keyed& k : v) scratch[c[digit(k, d)]++] = k;
      v.swap(scratch);
    }
  }

  // Sorts `sorted` (the samples' values in job order), walks it and frees it.
  template <size_t N, typename GroupsOf, typename Emit>
  void Walk(std::vector<Keyed>& sorted, const GroupsOf& groups_of, const std::array<double, N>& ps,
            const Emit& emit) const {
    SortByValueThenWeight(sorted);
    struct State {
      double sum = 0, cum = 0, last = 0;
      std::array<double, N> p = {};
      std::array<bool, N> found = {};
    };
    std::vector<State> state(groups_.size());
    for (const Keyed& k : sorted) {
      const Sample s = groups_of(k.tenant);
      for (int i = 0; i < s.num_groups; ++i) {
        const auto g = static_cast<size_t>(s.groups[static_cast<size_t>(i)]);
        State& st = state[g];
        const double total = groups_[g].weight_sum;
        st.sum += k.value * k.weight;
        st.cum += k.weight;
        st.last = k.value;
        for (size_t q = 0; q < ps.size(); ++q) {
          if (!st.found[q] && st.cum >= ps[q] * total - 1e-9 * total) {
            st.p[q] = k.value;
            st.found[q] = true;
          }
        }
      }
    }
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (groups_[g].num_jobs == 0) continue;
      State& st = state[g];
      for (size_t q = 0; q < ps.size(); ++q) {
        if (!st.found[q]) st.p[q] = st.last;  // rounding kept the cumulative weight below
      }
      emit(g, st.sum / groups_[g].weight_sum, st.p);
    }
    std::vector<Keyed>().swap(sorted);
  }

  std::vector<Group> groups_;
  std::vector<Keyed> waits_, jcts_;
};

// What the results need of each trace job once the trace is gone: ids packed in one string,
// source lines, and weights (instances) when metrics are per instance.
// The results read them once, in job order: sizes and line steps are small numbers (1 byte each
// a job where offsets and lines took 16), the rare large ones kept aside.
struct JobLabels {
  static constexpr uint8_t kLongId = 255;                                 // size in long_sizes
  static constexpr int8_t kFarLine = std::numeric_limits<int8_t>::min();  // in far_lines
  std::string ids;
  std::vector<uint8_t> id_sizes;
  std::vector<uint64_t> long_sizes;
  std::vector<int8_t> line_steps;  // line - the previous job's line (the first's: - 0)
  std::vector<int64_t> far_lines;
  int64_t last_line = 0;
  std::vector<int32_t> instances;  // empty unless SimConfig::metrics_per_instance
  void Add(std::string_view id, int64_t line) {
    ids += id;
    if (id.size() < kLongId) {
      id_sizes.push_back(static_cast<uint8_t>(id.size()));
    } else {
      id_sizes.push_back(kLongId);
      long_sizes.push_back(id.size());
    }
    const int64_t step = line - last_line;
    if (step > kFarLine && step <= std::numeric_limits<int8_t>::max()) {
      line_steps.push_back(static_cast<int8_t>(step));
    } else {
      line_steps.push_back(kFarLine);
      far_lines.push_back(line);
    }
    last_line = line;
  }
  // Reads the labels back in job order.
  class Reader {
   public:
    explicit Reader(const JobLabels& labels) : labels_(labels) {}
    // Job i's id and line; REQUIRES: i is the previous call's i + 1 (from 0).
    void Next(size_t i) {
      const uint8_t size = labels_.id_sizes[i];
      const uint64_t n = size == kLongId ? labels_.long_sizes[num_long_++] : size;
      id = std::string_view(labels_.ids).substr(id_from_, n);
      id_from_ += n;
      const int8_t step = labels_.line_steps[i];
      line = step == kFarLine ? labels_.far_lines[num_far_++] : line + step;
    }
    std::string_view id;
    int64_t line = 0;

   private:
    const JobLabels& labels_;
    uint64_t id_from_ = 0;
    size_t num_long_ = 0, num_far_ = 0;
  };
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

namespace detail {

// Simulate()'s binding of trace jobs to the cluster (types, speeds, static feasibility, quotas),
// one job at a time, so that a streaming read can hand each over as it reads; then the run and
// its results. Error order as Simulate() checks: Start(), AddTenants() of the trace's tenants,
// StartCluster(), then the jobs in trace order.
class Binder {
 public:
  explicit Binder(const SimConfig& config) : config_(config) {}

  // The config's checks and the policy.
  Result<void> Start() {
    GPUPLAN_TRY(ValidateConfig(config_));
    policy_ = MakePolicy(config_.policy, config_);
    if (policy_ == nullptr) {
      return Error{UnknownNameMessage("policy", config_.policy, PolicyNames())};
    }
    return Ok{};
  }

  // The trace's tenants not added yet, with the config's class, weight and quota where names
  // match.
  Result<void> AddTenants(const trace::Trace& trace) {
    for (size_t i = num_trace_tenants_; i < trace.tenants.size(); ++i) {
      trace::Tenant t = trace.tenants[i];
      for (const trace::Tenant& c : config_.tenants) {
        if (c.name == t.name) t = c;
      }
      if (!(t.share_weight > 0) || t.quota_gpus < 0) {
        return Error{fmt::format("tenant '{}': share weight must be > 0 and quota >= 0", t.name)};
      }
      tenants_.push_back(std::move(t));
      if (cluster_started_) MapTenantQueue(tenants_.back());
    }
    num_trace_tenants_ = trace.tenants.size();
    return Ok{};
  }
  bool has_tenants() const { return !tenants_.empty(); }
  void AddDefaultTenant() { tenants_.push_back(trace::Tenant{.name = "default"}); }

  // Cluster queues and the cluster's layout.
  Result<void> StartCluster() {
    GPUPLAN_TRY(CheckClusterQueues(config_.cluster_queues));
    if (!config_.cluster_queues.empty()) {
      const auto& queues = config_.cluster_queues;
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
        queue_max_gpus_.push_back(most);
      }
    }
    for (const trace::Tenant& t : tenants_) MapTenantQueue(t);
    cluster_started_ = true;

    layout_ = std::make_unique<Cluster>(config_.cluster, config_.placement);
    if (layout_->pools().size() > 64) return Error{"the cluster has more than 64 node pools"};
    max_nodes_ = MaxNodesPerPool(config_, *layout_);
    for (const NodeGroup& g : config_.cluster.groups) known_names_.push_back(g.accelerator);
    for (const AcceleratorSpeed& s : config_.cluster.known_speeds)
      known_names_.push_back(s.accelerator);
    std::sort(known_names_.begin(), known_names_.end());
    known_names_.erase(std::unique(known_names_.begin(), known_names_.end()), known_names_.end());
    all_pools_ =
        layout_->pools().size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << layout_->pools().size()) - 1;
    return Ok{};
  }

  // Room for `trace`'s jobs (a whole trace: the sizes are known).
  void Reserve(const trace::Trace& trace) {
    uint64_t id_bytes = 0;
    for (const trace::Job& tj : trace.jobs) id_bytes += tj.id.size();
    labels_.ids.reserve(id_bytes);
    labels_.id_sizes.reserve(trace.jobs.size());
    labels_.line_steps.reserve(trace.jobs.size());
    if (config_.metrics_per_instance) labels_.instances.reserve(trace.jobs.size());
    jobs_.reserve(trace.jobs.size());
  }

  // The next job in trace order; its tenant and types must be in `trace`.
  Result<void> AddJob(const trace::Trace& trace, const trace::Job& tj);

  // Runs the engine over the jobs added and computes the results.
  Result<SimResult> Finish(const std::vector<std::string>& notes);

 private:
  // Tenants -> cluster queues: by name, else by class.
  void MapTenantQueue(const trace::Tenant& t) {
    if (config_.cluster_queues.empty()) return;
    const auto& queues = config_.cluster_queues;
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
    tenant_queue_.push_back(found);
  }
  // Trace types -> pools and speeds, for the types `trace` names that are not known yet.
  void AddTypes(const trace::Trace& trace) {
    for (size_t t = type_pools_.size(); t < trace.type_names.size(); ++t) {
      const std::string& name = trace.type_names[t];
      double speed = 0;
      bool known = false;
      for (const NodeGroup& g : config_.cluster.groups) {
        if (g.accelerator == name) {
          speed = g.relative_speed;
          known = true;
          break;
        }
      }
      if (!known) {
        for (const AcceleratorSpeed& s : config_.cluster.known_speeds) {
          if (s.accelerator == name) {
            speed = s.relative_speed;
            known = true;
            break;
          }
        }
      }
      uint64_t pools = 0;
      for (size_t p = 0; p < layout_->pools().size(); ++p) {
        if (layout_->pools()[p].accelerator == name) pools |= uint64_t{1} << p;
      }
      type_pools_.push_back(pools);
      type_speed_.push_back(speed);
      type_known_.push_back(known);
    }
  }

  const SimConfig& config_;
  std::unique_ptr<SchedulingPolicy> policy_;
  std::vector<trace::Tenant> tenants_;
  size_t num_trace_tenants_ = 0;
  bool cluster_started_ = false;
  std::vector<int32_t> tenant_queue_;
  std::vector<double> queue_max_gpus_;  // the most a queue ever admits at once
  std::unique_ptr<Cluster> layout_;
  std::vector<int64_t> max_nodes_;
  std::vector<std::string> known_names_;
  uint64_t all_pools_ = 0;
  std::vector<uint64_t> type_pools_;
  std::vector<double> type_speed_;
  std::vector<bool> type_known_;
  double last_submit_s_ = 0;
  JobLabels labels_;
  JobArray jobs_;
  // Why a job cannot run, for the few that cannot (a string per job was 32 bytes of each).
  std::map<size_t, std::string> refusal_;
};

Result<void> Binder::AddJob(const trace::Trace& trace, const trace::Job& tj) {
  AddTypes(trace);
  const size_t i = jobs_.size();
  const std::vector<trace::Tenant>& tenants = tenants_;
  const Cluster& layout = *layout_;
  const std::vector<int64_t>& max_nodes = max_nodes_;
  const std::vector<int32_t>& tenant_queue = tenant_queue_;
  const std::vector<double>& queue_max_gpus = queue_max_gpus_;
  const SimConfig& config = config_;
  std::map<size_t, std::string>& refusal = refusal_;
  if (i > 0 && tj.submit_s < last_submit_s_) {
    return Error{fmt::format("{}: jobs are not sorted by submit time", trace.source)};
  }
  last_submit_s_ = tj.submit_s;
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
    if (!type_known_[t]) {
      return Error{
          fmt::format("{}:{}: field 'accelerator': {}", trace.source, tj.line,
                      UnknownNameMessage("accelerator", trace.type_names[t], known_names_))};
    }
    measured_speed = type_speed_[t];
  }
  uint64_t pools = all_pools_;
  if (tj.allowed_mask != 0) {
    pools = 0;
    for (size_t t = 0; t < trace.type_names.size(); ++t) {
      if ((tj.allowed_mask >> t & 1) == 0) continue;
      if (!type_known_[t]) {
        return Error{
            fmt::format("{}:{}: field 'allowed': {}", trace.source, tj.line,
                        UnknownNameMessage("accelerator", trace.type_names[t], known_names_))};
      }
      pools |= type_pools_[t];
    }
  }
  SimJob& job = jobs_.emplace_back();
  job.submit = ToSimTime(tj.submit_s);
  job.work_ref_s = tj.duration_s * measured_speed;
  job.work_left_ref_s = job.work_ref_s;
  const double estimate_ref_s =
      (tj.estimate_s > 0 ? tj.estimate_s : EstimateOf(tj.duration_s, config.estimate_factor)) *
      measured_speed;
  job.estimate_per_work = estimate_ref_s / job.work_ref_s;
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
    refusal[i] =
        fmt::format("needs {} GPUs; its allowed types have at most {} at once", tj.gpus, best_gpus);
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
  labels_.Add(tj.id, tj.line);
  if (config.metrics_per_instance) labels_.instances.push_back(std::max(1, tj.instances));
  return Ok{};
}

Result<SimResult> Binder::Finish(const std::vector<std::string>& notes) {
  const SimConfig& config = config_;
  const std::vector<trace::Tenant>& tenants = tenants_;
  const std::vector<int32_t>& tenant_queue = tenant_queue_;
  const Cluster& layout = *layout_;
  const JobLabels& labels = labels_;
  std::map<size_t, std::string>& refusal = refusal_;
  JobArray& jobs = jobs_;
  std::unique_ptr<SchedulingPolicy>& policy = policy_;
  SimResult result;
  result.policy = config.policy;
  result.placement = std::string(ToString(config.placement));
  result.jobs = static_cast<int64_t>(jobs.size());
  result.notes = notes;

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
  const size_t num_queues = config.cluster_queues.size();
  constexpr size_t kNumClasses = static_cast<size_t>(trace::TenantClass::kPublic) + 1;
  // Wait statistics' groups: all jobs, then tenants, classes and cluster queues.
  const size_t class_group = 1 + num_tenants, queue_group = class_group + kNumClasses;
  GroupWaitStats waits(queue_group + num_queues);
  result.cluster_queues.resize(num_queues);
  auto queue_of = [&](const SimJob& job) -> int32_t {
    return tenant_queue.empty() ? -1 : tenant_queue[static_cast<size_t>(job.tenant)];
  };
  auto run_s_of = [&](const SimJob& job) {
    const double speed = job.pool >= 0 ? layout.pool(job.pool).speed : 1;
    return job.work_ref_s / speed;
  };
  auto groups_of = [&](int32_t tenant) {  // a tenant's groups: all, tenant, class, queue
    GroupWaitStats::Sample s{
        .groups = {0, 1 + tenant,
                   static_cast<int32_t>(
                       class_group +
                       static_cast<size_t>(tenants[static_cast<size_t>(tenant)].tenant_class)),
                   0},
        .num_groups = 3};
    if (const int32_t q = tenant_queue.empty() ? -1 : tenant_queue[static_cast<size_t>(tenant)];
        q >= 0) {
      s.groups[3] = static_cast<int32_t>(queue_group) + q;
      s.num_groups = 4;
    }
    return s;
  };
  auto sample_of = [&](JobIdx j) {
    const SimJob& job = done[static_cast<size_t>(j)];
    GroupWaitStats::Sample s = groups_of(job.tenant);
    s.wait_s = ToSeconds(job.wait_total);
    s.jct_s = ToSeconds(job.since - job.submit);
    s.run_s = run_s_of(job);
    s.weight = labels.instances.empty()
                   ? 1.0
                   : static_cast<double>(labels.instances[static_cast<size_t>(j)]);
    return s;
  };
  result.per_tenant.resize(num_tenants);
  for (size_t t = 0; t < num_tenants; ++t) {
    result.per_tenant[t].name = tenants[t].name;
    result.per_tenant[t].tenant_class = tenants[t].tenant_class;
    result.per_tenant[t].share_weight = tenants[t].share_weight;
  }
  double allocated_gpu_s = 0, useful_gpu_s = 0;
  if (config.record_jobs) result.job_rows.reserve(done.size());
  if (config.jobs_csv) {
    // Room for rows of 128 bytes: pages never written are never resident, and the text is not
    // copied as it grows.
    result.jobs_csv.reserve(256 + done.size() * 128);
    detail::AppendJobsCsvHeader(result.jobs_csv);
  }
  waits.Reserve(static_cast<size_t>(engine.num_completed()));
  // Jobs are let go behind the walk in steps of this many (a madvise call each).
  constexpr size_t kReleaseStep = size_t{1} << 16;
  JobLabels::Reader label(labels);
  for (size_t i = 0; i < done.size(); ++i) {
    if (i % kReleaseStep == 0) engine.ReleaseJobsBefore(i);
    const SimJob& job = done[i];
    label.Next(i);
    TenantResult& tr = result.per_tenant[static_cast<size_t>(job.tenant)];
    ++tr.jobs;
    tr.gpu_hours += job.attained_gpu_s / kSecondsPerHour;
    allocated_gpu_s += job.attained_gpu_s;
    useful_gpu_s += engine.useful_gpu_s(static_cast<JobIdx>(i));
    ClusterQueueResult* qr =
        queue_of(job) < 0 ? nullptr : &result.cluster_queues[static_cast<size_t>(queue_of(job))];
    if (qr != nullptr) {
      ++qr->jobs;
      qr->gpu_hours += job.attained_gpu_s / kSecondsPerHour;
    }
    const double run_s = run_s_of(job);
    if (job.status == JobStatus::kDone) {
      ++result.completed;
      ++tr.completed;
      if (qr != nullptr) ++qr->completed;
      waits.Add(sample_of(static_cast<JobIdx>(i)), job.tenant);
    } else {
      GPUPLAN_CHECK(job.status == JobStatus::kUnschedulable)
          << "job " << label.id << " neither completed nor reported unschedulable";
      ++tr.unschedulable;
      result.unschedulable.push_back(UnschedulableJob{
          .job_id = std::string(label.id), .line = label.line, .reason = refusal[i]});
    }
    if (config.record_jobs || config.jobs_csv) {
      const bool is_done = job.status == JobStatus::kDone;
      const SimTime first_start = engine.first_start(static_cast<JobIdx>(i));
      JobRow row{.job_id = std::string(label.id),
                 .tenant = tenants[static_cast<size_t>(job.tenant)].name,
                 .submit_s = ToSeconds(job.submit),
                 .start_s = first_start >= 0 ? ToSeconds(first_start) : -1,
                 .end_s = is_done ? ToSeconds(job.since) : -1,
                 .gpus = job.gpus,
                 .gpu_milli = job.milli,
                 .accelerator = job.pool >= 0 ? layout.pool(job.pool).accelerator : "",
                 .restarts = job.restarts,
                 .preemptions = job.preemptions,
                 .wait_s = ToSeconds(job.wait_total),
                 .jct_s = is_done ? ToSeconds(job.since - job.submit) : 0,
                 .run_s = is_done ? run_s : 0,
                 .gpu_s = job.attained_gpu_s};
      if (config.jobs_csv) detail::AppendJobsCsvRow(result.jobs_csv, row);
      if (config.record_jobs) result.job_rows.push_back(std::move(row));
    }
  }
  engine.ReleaseJobsBefore(done.size());
  const std::vector<WaitStats> group_waits = waits.Finish(groups_of);
  result.unschedulable_count = static_cast<int64_t>(result.unschedulable.size());
  result.waits = group_waits[0];
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
    tr.waits = group_waits[1 + t];
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
    qr.waits = group_waits[queue_group + q];
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
    cr.waits = group_waits[class_group + static_cast<size_t>(c)];
    cr.share_ratio = cr.entitled_gpu_hours > 0 ? cr.sampled_gpu_hours / cr.entitled_gpu_hours : 0;
    result.per_class.push_back(cr);
  }
  return result;
}

}  // namespace detail

namespace {

// Simulate(); `release`, if not null, is `trace`, whose jobs are freed once bound to the cluster.
Result<SimResult> Run(const trace::Trace& trace, trace::Trace* release, const SimConfig& config) {
  detail::Binder binder(config);
  GPUPLAN_TRY(binder.Start());
  GPUPLAN_TRY(binder.AddTenants(trace));
  if (!binder.has_tenants()) binder.AddDefaultTenant();
  GPUPLAN_TRY(binder.StartCluster());
  binder.Reserve(trace);
  for (const trace::Job& tj : trace.jobs) GPUPLAN_TRY(binder.AddJob(trace, tj));
  if (release != nullptr) std::vector<trace::Job>().swap(release->jobs);  // `trace` too
  return binder.Finish(trace.notes);
}

}  // namespace

Result<SimResult> Simulate(const trace::Trace& trace, const SimConfig& config) {
  return Run(trace, nullptr, config);
}

Result<SimResult> Simulate(trace::Trace&& trace, const SimConfig& config) {
  return Run(trace, &trace, config);
}

StreamedSimulation::StreamedSimulation(const SimConfig& config)
    : binder_(std::make_unique<detail::Binder>(config)) {}

StreamedSimulation::~StreamedSimulation() = default;

Result<void> StreamedSimulation::Add(const trace::Trace& trace, const trace::Job& job) {
  if (!started_) {
    GPUPLAN_TRY(binder_->Start());
    GPUPLAN_TRY(binder_->StartCluster());
    started_ = true;
  }
  GPUPLAN_TRY(binder_->AddTenants(trace));
  if (!binder_->has_tenants()) return Error{"a job before any tenant"};  // Simulate adds one
  return binder_->AddJob(trace, job);
}

Result<SimResult> StreamedSimulation::Finish(const trace::Trace& trace) {
  if (!started_) return Error{"no jobs were streamed"};
  GPUPLAN_TRY(binder_->AddTenants(trace));  // tenants after the last job
  return binder_->Finish(trace.notes);
}

}  // namespace gpuplan::sim
