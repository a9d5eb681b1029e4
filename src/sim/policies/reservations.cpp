// PoolReservations: the passes of policies/policies.h.
#include <algorithm>
#include <limits>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

constexpr int64_t kNoSpare = std::numeric_limits<int64_t>::min() / 2;

}  // namespace

PoolReservations::PoolReservations(const SimConfig& config)
    : depth_(std::max(1, config.backfill_depth)),
      interval_(ToSimTime(config.backfill_interval_s)),
      window_(ToSimTime(config.bf_window_s)),
      plain_(config.plain_passes) {}

PoolReservations::Mode PoolReservations::BeginPass(Engine& engine, bool capacity_freed) {
  const size_t num_pools = engine.cluster().pools().size();
  if (shadow_.size() != num_pools) {
    shadow_.assign(num_pools, 0);
    spare_nodes_.assign(num_pools, 0);
    no_start_gpus_.assign(num_pools, std::numeric_limits<int32_t>::max());
    no_fit_gpus_.assign(num_pools, std::numeric_limits<int32_t>::max());
  }
  if (!capacity_freed && have_state_) {
    pass_ = Mode::kFresh;
    return pass_;
  }
  have_state_ = true;
  std::fill(no_fit_gpus_.begin(), no_fit_gpus_.end(), std::numeric_limits<int32_t>::max());
  reserved_ = 0;
  std::fill(no_start_gpus_.begin(), no_start_gpus_.end(), std::numeric_limits<int32_t>::max());
  const SimTime now = engine.now();
  if (interval_ > 0 && now < last_scan_ + interval_) {
    if (wakeup_at_ <= now) {  // come back when the next scan is due
      wakeup_at_ = last_scan_ + interval_;
      engine.WakeUpAt(wakeup_at_);
    }
    pass_ = rules_ = Mode::kMain;
  } else {
    last_scan_ = now;
    pass_ = rules_ = Mode::kScan;
  }
  return pass_;
}

void PoolReservations::Reserve(int32_t p, SimTime shadow, int64_t spare_nodes) {
  reserved_ |= uint64_t{1} << p;
  shadow_[static_cast<size_t>(p)] = shadow;
  spare_nodes_[static_cast<size_t>(p)] = spare_nodes;
}

bool PoolReservations::Permits(const Engine& engine, int32_t p, JobIdx j, SimTime run) const {
  if ((reserved_ >> p & 1) == 0) return true;
  const auto i = static_cast<size_t>(p);
  return engine.now() + run <= shadow_[i] ||
         Engine::NodesTouched(engine.job(j), engine.cluster().pool(p).gpus_per_node) <=
             spare_nodes_[i];
}

bool PoolReservations::Consider(Engine& engine, JobIdx j) {
  const SimJob& job = engine.job(j);
  if (job.status != JobStatus::kQueued) return false;
  if (engine.OverQuota(j)) return Reclaimed(engine, j);
  const SimTime now = engine.now();
  int32_t best_now = -1;
  SimTime finish_now = Engine::kNoTime;
  const bool whole = job.milli >= trace::kWholeGpuMilli && !plain_;
  for (uint64_t mask = job.allowed_pools; mask != 0; mask &= mask - 1) {
    const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
    int32_t& no_fit = no_fit_gpus_[static_cast<size_t>(p)];
    if (whole && (job.gpus >= no_fit || job.gpus > engine.cluster().pool(p).free_gpus)) continue;
    // The reservation's test before the placement's: most jobs a scan passes over fit but may
    // not start (Cluster::CanPlace looks at the nodes, Permits at two numbers).
    const SimTime run = engine.EstimatedRunTime(j, p);
    if (now + run >= finish_now || !Permits(engine, p, j, run)) continue;
    if (!engine.CanPlaceOn(j, p)) {
      if (whole) no_fit = job.gpus;
      continue;
    }
    best_now = p;
    finish_now = now + run;
  }
  if (best_now < 0 && Reclaimed(engine, j)) return true;
  const bool scan = rules_ == Mode::kScan;
  // A pool without a reservation where j would finish sooner by waiting: the one to reserve
  // (scan) or to block (main). Main passes skip the search for a job that fits nowhere.
  int32_t wait_pool = -1;
  SimTime wait_finish = finish_now, wait_shadow = 0;
  int64_t wait_spare = 0;
  const int32_t gpus = job.whole_gpus();
  if (scan || best_now >= 0) {
    for (uint64_t mask = job.allowed_pools & ~reserved_; mask != 0; mask &= mask - 1) {
      const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
      if (p == best_now) continue;
      const SimTime run = engine.EstimatedRunTime(j, p);
      if (wait_finish != Engine::kNoTime && now + run >= wait_finish) continue;
      const bool full_window = wait_finish == Engine::kNoTime;
      if (full_window && gpus >= no_start_gpus_[static_cast<size_t>(p)]) continue;
      SimTime horizon = now + window_;
      if (!full_window) horizon = std::min(horizon, wait_finish - run - 1);
      int64_t spare = 0;
      const SimTime s = engine.EarliestStart(j, p, horizon, &spare);
      if (s == Engine::kNoTime) {
        if (full_window) {
          no_start_gpus_[static_cast<size_t>(p)] =
              std::min(no_start_gpus_[static_cast<size_t>(p)], gpus);
        }
        continue;
      }
      wait_pool = p;
      wait_finish = s + run;
      wait_shadow = s;
      wait_spare = spare;
    }
  }
  if (wait_pool >= 0) {
    if (scan) {
      Reserve(wait_pool, wait_shadow, wait_spare);
    } else {
      Reserve(wait_pool, now, kNoSpare);
    }
    return false;
  }
  if (best_now >= 0) {
    const auto i = static_cast<size_t>(best_now);
    if ((reserved_ >> best_now & 1) != 0 && finish_now > shadow_[i]) {
      spare_nodes_[i] -= Engine::NodesTouched(job, engine.cluster().pool(best_now).gpus_per_node);
    }
    engine.StartOn(j, best_now);
    return true;
  }
  if (!scan) {
    for (uint64_t mask = job.allowed_pools; mask != 0; mask &= mask - 1) {
      Reserve(static_cast<int32_t>(__builtin_ctzll(mask)), now, kNoSpare);
    }
  }
  return false;
}

void PoolReservations::Sift(const Engine& engine, Sieve* sieve) const {
  sieve->active_ =
      rules_ == Mode::kScan && !plain_ && !engine.has_limits() && !engine.AnyBorrowing();
  sieve->reserved_ = reserved_;
  if (!sieve->active_) return;
  const SimTime now = engine.now();
  const std::vector<Pool>& pools = engine.cluster().pools();
  sieve->gates_.resize(pools.size());
  for (size_t i = 0; i < pools.size(); ++i) {
    Sieve::Gate& gate = sieve->gates_[i];
    gate.max_gpus = std::min<int64_t>(pools[i].free_gpus, int64_t{no_fit_gpus_[i]} - 1);
    // An estimate past the shadow time by more than a millisecond (a margin over the clock's
    // rounding) may not end by it; a run takes at least a microsecond.
    const SimTime window = shadow_[i] - now;
    gate.max_estimate_ref_s =
        window >= 1 ? (ToSeconds(window) * (1 + 1e-9) + 1e-3) * pools[i].speed : -1.0;
    gate.spare_nodes = spare_nodes_[i];
    gate.gpus_per_node = pools[i].gpus_per_node;
  }
}

bool PoolReservations::Reclaimed(Engine& engine, JobIdx j) {
  if (!engine.Reclaim(j, engine.job(j).allowed_pools)) return false;
  // GPUs came free: counts that did not fit or start may now.
  std::fill(no_fit_gpus_.begin(), no_fit_gpus_.end(), std::numeric_limits<int32_t>::max());
  std::fill(no_start_gpus_.begin(), no_start_gpus_.end(), std::numeric_limits<int32_t>::max());
  return true;
}

bool PoolReservations::Exhausted(const Engine& engine) const {
  if (rules_ == Mode::kMain && reserved_ == engine.all_pools()) return true;
  return engine.FreeGpus(engine.all_pools()) == 0 && !HasSharedRoom(engine) &&
         !engine.AnyBorrowing();
}

}  // namespace gpuplan::sim::detail
