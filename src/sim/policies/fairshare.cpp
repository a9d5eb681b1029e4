// fairshare: Slurm's multifactor priority (slurm.schedmd.com/priority_multifactor.html) with
// Slurm's backfill, blocking per pool (policies.h: PoolReservations). A job's priority is
//   PriorityWeightFairshare x F + PriorityWeightAge x A + PriorityWeightJobSize x Z:
//  - F = 2^(-U / S), the classic fair-share factor: U the tenant's share of the decayed GPU
//    usage of all tenants, S its share of the weights. Usage decays with the half-life H
//    (PriorityDecayHalfLife): dU_t/dt = g_t(t) - ln2/H U_t, g_t the tenant's GPUs in use,
//    integrated exactly between changes.
//  - A = min(1, age / PriorityMaxAge), the age counted from the job's submit.
//  - Z = the job's GPUs / the cluster's GPUs (PriorityFavorSmall=NO).
// Within a tenant the order by priority changes only when a job's age reaches PriorityMaxAge,
// so each tenant keeps its jobs in two ordered sets (age growing, age capped) by a key, the
// part of the priority that is the job's own: queue_util.h's KeyOrderQueue (sorted chunks, the
// jobs a merge reads soon prefetched; std::sets for plain_passes). Tenants' usages are brought up
// to date lazily (when their GPUs change, or when F is needed), and the total usage, which follows
// the same equation with the total GPUs in use, is integrated on its own.
//
// Stored priorities (SimConfig::priority_calc_period_s, Slurm's PriorityCalcPeriod, > 0): as
// Slurm's decay thread does, priorities are recalculated at T = 0, P, 2P, ... (F from the
// usages at T, A from the ages at T) and passes order the queue by the stored numbers; a job
// queued in between gets its priority then (A from its age then, F of the last recalculation).
// Such a job's key counts it as submitted earlier by its time since T, so that every growing
// job's priority is wF F_t + wA T / PriorityMaxAge - key, and the next recalculation re-keys it
// (a list of them). Between recalculations the order of two tenants' growing heads does not
// change, nor that of their capped heads: each kind keeps a heap of the tenants' heads (its
// position per tenant), updated when a head changes or a tenant's F does (tenants that never
// ran keep F = 1, so a recalculation touches only tenants that have run). The merge walks each
// heap in order (a small heap of its nodes: a node's children follow it) with each visited
// tenant's next job, O(n log n) for the first n jobs, not O(tenants). Its output, each kind's
// order, changes between recalculations only by the jobs that join and leave it, so it is kept
// (Order) and a pass walks it: the 1M-job bench's scans walk ~22M jobs, and merging each again
// had cost them more than the rest of the pass. Jobs reaching PriorityMaxAge are capped at the
// recalculation, found through one index by submit time (arrivals in a FIFO, jobs back in the
// queue in a heap). Jobs queued during a pass (victims of a reclaim) join the sets after it.
// Period 0: every pass recalculates (F and A at the pass) and merges every tenant's sets (a
// heap of cursors, one per set, built each pass): the schedules before the period existed.
// SimConfig::plain_passes keeps the plain way (every tenant updated and summed at each
// recalculation, every growing job checked for its age and key; with stored priorities each
// step of a pass takes the best next job of every tenant by a scan) for the test that the two
// give the same schedules.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {
// plain_passes' sets: the same order in a std::set (KeyOrderQueue's interface).
class SetKeyQueue {
 public:
  using Pos = std::set<std::pair<double, JobIdx>>::const_iterator;
  void Insert(double key, JobIdx j) { set_.insert({key, j}); }
  bool Erase(double key, JobIdx j) { return set_.erase({key, j}) > 0; }
  bool empty() const { return set_.empty(); }
  void clear() { set_.clear(); }
  Pos First() const { return set_.begin(); }
  Pos Next(Pos p) const { return std::next(p); }
  bool End(Pos p) const { return p == set_.end(); }
  double Key(Pos p) const { return p->first; }
  JobIdx Job(Pos p) const { return p->second; }
  JobIdx Ahead(Pos /*p*/, size_t /*k*/) const { return -1; }
  template <typename After>
  Pos FirstWhere(After after) const {
    return std::find_if(set_.begin(), set_.end(),
                        [&](const auto& e) { return after(e.first, e.second); });
  }
  template <typename F>
  void ForEach(F f) const {
    for (const auto& [key, j] : set_) f(key, j);
  }
  void Tidy() {}

 private:
  std::set<std::pair<double, JobIdx>> set_;
};

// Queue: KeyOrderQueue, or SetKeyQueue for plain_passes.
template <typename Queue>
class FairsharePolicy : public SchedulingPolicy {
 public:
  explicit FairsharePolicy(const SimConfig& config)
      : decay_per_s_(std::log(2.0) / config.fairshare_half_life_s),
        w_fairshare_(config.priority_weight_fairshare),
        w_age_(config.priority_weight_age),
        w_size_(config.priority_weight_job_size),
        max_age_s_(config.priority_max_age_s),
        total_gpus_(static_cast<double>(std::max<int64_t>(1, config.cluster.total_gpus()))),
        period_(config.priority_calc_period_s > 0
                    ? std::max<SimTime>(1, ToSimTime(config.priority_calc_period_s))
                    : 0),
        update_all_(config.plain_passes),
        reservations_(config) {}

  void Enqueue(Engine& engine, JobIdx j) override {
    Resize(engine);
    MaybeRecalc(engine);
    const SimJob& job = engine.job(j);
    Tenant& t = tenants_[static_cast<size_t>(job.tenant)];
    if (where_.size() <= static_cast<size_t>(j)) {
      where_.resize(std::max(where_.size() * 2, static_cast<size_t>(j) + 1), kNone);
      if (period_ > 0) queued_at_.resize(where_.size(), 0);
    }
    // When it was queued (the engine's field moves on when it starts; the key needs it then).
    if (period_ > 0) queued_at_[static_cast<size_t>(j)] = job.since;
    fresh_.push_back(j);
    ++num_queued_;
    if (t.num_queued++ == 0) {
      t.active_pos = static_cast<int32_t>(active_.size());
      active_.push_back(job.tenant);
    }
    if (in_pass_) {
      where_[static_cast<size_t>(j)] = kPending;
      pending_.push_back(j);
      return;
    }
    Insert(engine, j);
  }
  // Called before the engine changes the tenant's GPUs: usages integrate the old count.
  void OnStart(Engine& engine, JobIdx j) override { GpusChange(engine, j, +1); }
  void OnStop(Engine& engine, JobIdx j) override { GpusChange(engine, j, -1); }

  void Schedule(Engine& engine, bool capacity_freed) override {
    TidySets();
    // This pass's arrivals (the buffers trade places, keeping their memory: a pass a job).
    fresh_pass_.swap(fresh_);
    fresh_.clear();
    const std::vector<JobIdx>& fresh = fresh_pass_;
    if (num_queued_ == 0) {
      if (capacity_freed) reservations_.Forget();
      return;
    }
    Resize(engine);
    if (period_ == 0) {
      ScheduleRecalculating(engine, capacity_freed, fresh);
      return;
    }
    MaybeRecalc(engine);
    in_pass_ = true;
    if (reservations_.BeginPass(engine, capacity_freed) == PoolReservations::Mode::kFresh) {
      for (JobIdx c : fresh) {
        if (engine.job(c).status == JobStatus::kQueued && reservations_.Consider(engine, c)) {
          Remove(engine, c);
        }
      }
    } else if (update_all_) {
      PassPlain(engine);
    } else {
      PassOrdered(engine);
    }
    in_pass_ = false;
    pending_pass_.swap(pending_);
    pending_.clear();
    for (JobIdx j : pending_pass_) Insert(engine, j);
  }

  int64_t num_queued() const override { return num_queued_; }
  std::vector<JobIdx> DrainQueue() override {
    std::vector<JobIdx> out;
    for (Tenant& t : tenants_) {
      for (const Queue* q : {&t.growing, &t.capped}) {
        q->ForEach([&](double /*key*/, JobIdx j) { out.push_back(j); });
      }
      t.growing.clear();
      t.capped.clear();
      t.num_queued = 0;
      t.active_pos = -1;
      t.used_pos = -1;
    }
    for (JobIdx j : pending_) out.push_back(j);
    for (JobIdx j : out) where_[static_cast<size_t>(j)] = kNone;
    for (Heads& h : heads_) h.Clear();
    for (const int32_t slot : dirty_) is_dirty_[static_cast<size_t>(slot)] = 0;
    dirty_.clear();
    for (const int32_t slot : untidy_) is_untidy_[static_cast<size_t>(slot)] = 0;
    untidy_.clear();
    pending_.clear();
    since_calc_.clear();
    aging_ = {};
    active_.clear();
    active_used_.clear();
    fresh_.clear();
    num_queued_ = 0;
    orders_valid_ = false;
    return out;
  }

 private:
  // (key, job): ascending key is descending priority, then earliest submit (job index order is
  // submit order: the engine's jobs are sorted by submit). The key is -(wZ Z - wA s' /
  // PriorityMaxAge) in a growing set (s' the submit, less the time the job was queued after the
  // last recalculation), -(wZ Z + wA) in a capped one.
  enum Where : uint8_t { kNone, kGrowing, kCapped, kPending };
  enum Kind : int { kGrowingKind = 0, kCappedKind = 1 };

  // Jobs of the growing sets by submit time, for the step to the capped sets (where_ tells the
  // ones still there): arrivals in a FIFO (they come in submit order), jobs back in the queue
  // (failure, preemption) in a min-heap.
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
    double usage = 0;
    SimTime last_update = 0;
    double usage_calc = 0;  // the usage at the last recalculation, once known (calc_epoch)
    int64_t calc_epoch = -1;
    double base = 0;                           // PriorityWeightFairshare x F (stored priorities)
    double base_growing = 0, base_capped = 0;  // P = 0: this pass's bases
    int64_t num_queued = 0;
    int32_t active_pos = -1;  // in active_; -1: no queued jobs
    int32_t used_pos = -1;    // in active_used_; -1: not there
    bool has_run = false;     // ever held GPUs (else U = 0 and F = 1)
  };

  // A set's next job in a merge, with the keys that order it (copied, so that ordering the
  // heap reads no set entries). node >= 0: the job heads its set, at that node of its kind's heap
  // of heads (whose children come next).
  struct Cursor {
    double priority;
    double key;
    JobIdx job;
    Queue* set;
    typename Queue::Pos pos;
    double base;
    int32_t node;
  };
  // Whether a comes before b: higher priority, then lower key, then lower index (jobs are in
  // submit order). A total order, so the merge does not depend on the order the tenants are
  // pushed in, and one each set's order agrees with (a set orders by key, then index, and two
  // keys a rounding makes one priority keep their order): so the merge's order is the sorted
  // order, which a cached pass order (Ordered) keeps by binary search.
  template <typename A, typename B>
  static bool Before(const A& a, const B& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.key != b.key) return a.key < b.key;
    return a.job < b.job;
  }
  static bool After(const Cursor& a, const Cursor& b) { return Before(b, a); }

  // The heads of one kind's non-empty sets (growing or capped), one per tenant, as a binary
  // heap by Before (priority: PriorityWeightFairshare x F - key, without the age term growing
  // heads share), with each slot's position.
  struct Head {
    double priority;
    double key;
    JobIdx job;
    int32_t tenant;
  };
  class Heads {
   public:
    void Resize(size_t num_tenants) { pos_.resize(num_tenants, -1); }
    const std::vector<Head>& heap() const { return heap_; }
    // Puts (or replaces, or with has_head false removes) the tenant's head.
    void Set(int32_t t, bool has_head, const Head& h) {
      int32_t& pos = pos_[static_cast<size_t>(t)];
      if (!has_head) {
        if (pos < 0) return;
        const auto i = static_cast<size_t>(pos);
        pos = -1;
        const Head last = heap_.back();
        heap_.pop_back();
        if (i == heap_.size()) return;
        Place(i, last);
        Fix(i);
        return;
      }
      if (pos < 0) {
        heap_.push_back(h);
        pos = static_cast<int32_t>(heap_.size() - 1);
      } else {
        heap_[static_cast<size_t>(pos)] = h;
      }
      Fix(static_cast<size_t>(pos));
    }
    void Clear() {
      for (const Head& h : heap_) pos_[static_cast<size_t>(h.tenant)] = -1;
      heap_.clear();
    }

   private:
    void Place(size_t i, const Head& h) {
      heap_[i] = h;
      pos_[static_cast<size_t>(h.tenant)] = static_cast<int32_t>(i);
    }
    void Fix(size_t i) {
      const Head h = heap_[i];
      while (i > 0 && Before(h, heap_[(i - 1) / 2])) {
        Place(i, heap_[(i - 1) / 2]);
        i = (i - 1) / 2;
      }
      for (size_t l = 2 * i + 1; l < heap_.size(); l = 2 * i + 1) {
        const size_t m = l + 1 < heap_.size() && Before(heap_[l + 1], heap_[l]) ? l + 1 : l;
        if (!Before(heap_[m], h)) break;
        Place(i, heap_[m]);
        i = m;
      }
      Place(i, h);
    }
    std::vector<Head> heap_;
    std::vector<int32_t> pos_;  // by tenant: index in heap_, -1
  };

  // The set's jobs a merge reads soon: their first cache lines (read when each comes first).
  static constexpr size_t kPrefetchAhead = 8;
  static void Prefetch(const Engine& engine, JobIdx j) {
    if (j < 0) return;
    const char* p = reinterpret_cast<const char*>(&engine.job(j));
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
  }
  // REQUIRES: !set.End(pos). Asks for the job kPrefetchAhead entries on (a merge walks each set
  // in order; the ones before were asked for by the cursors before, or by HeadCursor).
  static Cursor MakeCursor(const Engine& engine, Queue& set, typename Queue::Pos pos, double base,
                           int32_t node = -1) {
    Prefetch(engine, set.Ahead(pos, kPrefetchAhead));
    const double key = set.Key(pos);
    return Cursor{base - key, key, set.Job(pos), &set, pos, base, node};
  }
  // The cursor of the job at pos where a merge's walk of the set starts, asking for the jobs up
  // to kPrefetchAhead on.
  static Cursor FirstCursor(const Engine& engine, Queue& set, typename Queue::Pos pos, double base,
                            int32_t node = -1) {
    for (size_t k = 0; k < kPrefetchAhead; ++k) Prefetch(engine, set.Ahead(pos, k));
    return MakeCursor(engine, set, pos, base, node);
  }
  // The cursor of a set's first job.
  static Cursor HeadCursor(const Engine& engine, Queue& set, double base, int32_t node = -1) {
    return FirstCursor(engine, set, set.First(), base, node);
  }

  double SizeTerm(const SimJob& job) const { return w_size_ * job.gpu_fraction() / total_gpus_; }
  double CappedKey(const SimJob& job) const { return -(SizeTerm(job) + w_age_); }
  // The growing key against the recalculation at calc_at (stored priorities; P = 0: no lead).
  double GrowingKey(JobIdx j, const SimJob& job, SimTime calc_at) const {
    const SimTime lead =
        period_ > 0 ? std::max<SimTime>(0, queued_at_[static_cast<size_t>(j)] - calc_at) : 0;
    return -(SizeTerm(job) - w_age_ * (ToSeconds(job.submit) - ToSeconds(lead)) / max_age_s_);
  }
  bool Aged(SimTime at, SimTime submit) const {
    return ToSeconds(at) - ToSeconds(submit) >= max_age_s_;
  }

  // Puts a queued job in its tenant's growing or capped set.
  void Insert(const Engine& engine, JobIdx j) {
    const SimJob& job = engine.job(j);
    const int32_t tenant = job.tenant;
    Tenant& t = tenants_[static_cast<size_t>(tenant)];
    // Its priority's time: the pass's (P = 0), or when it was queued (P > 0).
    const SimTime at =
        period_ > 0 ? std::max(queued_at_[static_cast<size_t>(j)], calc_at_) : engine.now();
    const bool capped = Aged(at, job.submit);
    const double key = capped ? CappedKey(job) : GrowingKey(j, job, calc_at_);
    order_[capped ? kCappedKind : kGrowingKind].resumable = false;  // its cursors may move
    if (capped) {
      t.capped.Insert(key, j);
      where_[static_cast<size_t>(j)] = kCapped;
      MarkDirty(tenant, kCappedKind);
    } else {
      t.growing.Insert(key, j);
      where_[static_cast<size_t>(j)] = kGrowing;
      aging_.Push(job.submit, j);
      if (period_ > 0 && queued_at_[static_cast<size_t>(j)] > calc_at_) since_calc_.push_back(j);
      MarkDirty(tenant, kGrowingKind);
    }
    if (period_ > 0) {
      if (t.has_run) AddUsed(tenant);
      const double base = t.base;
      SetBase(engine, tenant);
      // A job back in the queue may still be listed where it was. A base changes here only for
      // a tenant with no job queued at the recalculation: if this job is its only one, no
      // listed job holds the old base.
      if (orders_valid_ && ((t.base != base && t.num_queued > 1) || job.slot >= 0)) {
        orders_valid_ = false;
      }
      if (orders_valid_) {
        AddToOrder(capped ? kCappedKind : kGrowingKind,
                   Ordered{t.base - key, key, j, PoolReservations::GlanceOf(job)});
      }
    }
  }
  // `key`: the job's key where the caller has it (a walk of the pass order), else NaN.
  void Remove(const Engine& engine, JobIdx j,
              double key = std::numeric_limits<double>::quiet_NaN()) {
    const SimJob& job = engine.job(j);
    Tenant& t = tenants_[static_cast<size_t>(job.tenant)];
    uint8_t& where = where_[static_cast<size_t>(j)];
    if (where == kGrowing) {
      const bool erased = t.growing.Erase(std::isnan(key) ? GrowingKey(j, job, calc_at_) : key, j);
      GPUPLAN_CHECK(erased) << "fairshare: job " << j << " not where its key says";
      MarkDirty(job.tenant, kGrowingKind);
      MarkUntidy(job.tenant, kGrowingKind);
    } else {
      GPUPLAN_CHECK(where == kCapped) << "fairshare: job " << j << " is not queued";
      t.capped.Erase(CappedKey(job), j);
      MarkDirty(job.tenant, kCappedKind);
      MarkUntidy(job.tenant, kCappedKind);
    }
    where = kNone;
    --num_queued_;
    if (--t.num_queued == 0) {
      Tenant& last = tenants_[static_cast<size_t>(active_.back())];
      last.active_pos = t.active_pos;
      active_[static_cast<size_t>(t.active_pos)] = active_.back();
      active_.pop_back();
      t.active_pos = -1;
      if (t.used_pos >= 0) {
        Tenant& last_used = tenants_[static_cast<size_t>(active_used_.back())];
        last_used.used_pos = t.used_pos;
        active_used_[static_cast<size_t>(t.used_pos)] = active_used_.back();
        active_used_.pop_back();
        t.used_pos = -1;
      }
    }
  }
  // Growing to capped, for a job whose age reached PriorityMaxAge.
  void Cap(const Engine& engine, JobIdx j) {
    const SimJob& job = engine.job(j);
    Tenant& t = tenants_[static_cast<size_t>(job.tenant)];
    t.growing.Erase(GrowingKey(j, job, calc_at_), j);
    t.capped.Insert(CappedKey(job), j);
    for (Order& o : order_) o.resumable = false;
    where_[static_cast<size_t>(j)] = kCapped;
    MarkDirty(job.tenant, kGrowingKind);
    MarkDirty(job.tenant, kCappedKind);
    MarkUntidy(job.tenant, kGrowingKind);
  }
  void AddUsed(int32_t tenant) {
    Tenant& t = tenants_[static_cast<size_t>(tenant)];
    if (t.used_pos >= 0) return;
    t.used_pos = static_cast<int32_t>(active_used_.size());
    active_used_.push_back(tenant);
  }

  // A set with erased entries, to tidy before the next pass's walks (Queue::Tidy moves entries).
  void MarkUntidy(int32_t tenant, Kind kind) {
    const int32_t slot = 2 * tenant + kind;
    if (is_untidy_[static_cast<size_t>(slot)] != 0) return;
    is_untidy_[static_cast<size_t>(slot)] = 1;
    untidy_.push_back(slot);
  }
  void TidySets() {
    for (const int32_t slot : untidy_) {
      is_untidy_[static_cast<size_t>(slot)] = 0;
      Tenant& t = tenants_[static_cast<size_t>(slot / 2)];
      (slot % 2 == kGrowingKind ? t.growing : t.capped).Tidy();
      order_[static_cast<size_t>(slot % 2)].resumable = false;
    }
    untidy_.clear();
  }

  // --- stored priorities (period_ > 0) ---
  void MarkDirty(int32_t tenant, Kind kind) {
    if (period_ == 0 || update_all_) return;
    const int32_t slot = 2 * tenant + kind;
    if (is_dirty_[static_cast<size_t>(slot)] != 0) return;
    is_dirty_[static_cast<size_t>(slot)] = 1;
    dirty_.push_back(slot);
  }
  // The heads of kind k brought up to date (the other kind's heap stays as it is: a merge of
  // it may resume).
  void FlushHeads(int k) {
    size_t kept = 0;
    for (const int32_t slot : dirty_) {
      if (slot % 2 != k) {
        dirty_[kept++] = slot;
        continue;
      }
      is_dirty_[static_cast<size_t>(slot)] = 0;
      const int32_t tenant = slot / 2;
      const Tenant& t = tenants_[static_cast<size_t>(tenant)];
      const Queue& q = slot % 2 == kGrowingKind ? t.growing : t.capped;
      Head h{};
      if (!q.empty()) {
        const typename Queue::Pos first = q.First();
        h = Head{t.base - q.Key(first), q.Key(first), q.Job(first), tenant};
      }
      heads_[static_cast<size_t>(k)].Set(tenant, !q.empty(), h);
    }
    dirty_.resize(kept);
  }
  // PriorityWeightFairshare x F for the tenant at the last recalculation.
  void SetBase(const Engine& engine, int32_t tenant) {
    Tenant& t = tenants_[static_cast<size_t>(tenant)];
    if (!t.has_run && !update_all_) {  // U = 0: F = 2^0 (as the formula gives)
      t.base = w_fairshare_;
      return;
    }
    if (t.calc_epoch != epoch_) {
      // No GPU change since the recalculation (it would have kept the usage then).
      Update(engine, tenant, calc_at_);
      t.usage_calc = t.usage;
      t.calc_epoch = epoch_;
    }
    const double u = total_usage_calc_ > 0 ? t.usage_calc / total_usage_calc_ : 0;
    const double s = engine.tenant_weight(tenant) / total_weight_;
    t.base = w_fairshare_ * std::exp2(-u / s);
  }
  void MaybeRecalc(const Engine& engine) {
    if (period_ == 0) return;
    const SimTime now = engine.now();
    const int64_t epoch = now >= 0 ? now / period_ : -((-now + period_ - 1) / period_);
    if (epoch != epoch_) Recalc(engine, epoch);
  }
  // Slurm's decay thread at T = epoch x P: usages to T, every queued job's priority from the
  // usages and ages at T. Runs at the first call after T, before any GPU change or arrival
  // after it, so the usages at T are those integrated up to then.
  void Recalc(const Engine& engine, int64_t epoch) {
    orders_valid_ = false;
    const SimTime old_at = calc_at_;
    const SimTime at = epoch * period_;
    // Re-key the growing jobs queued since the last recalculation (their lead goes), and cap
    // the jobs that reached PriorityMaxAge.
    std::vector<JobIdx> moved;
    if (update_all_) {
      for (Tenant& t : tenants_) {
        t.growing.ForEach([&](double /*key*/, JobIdx j) { moved.push_back(j); });
      }
    } else {
      moved.swap(since_calc_);
    }
    for (const JobIdx j : moved) {
      const SimJob& job = engine.job(j);
      if (where_[static_cast<size_t>(j)] != kGrowing) continue;
      const double old_key = GrowingKey(j, job, old_at), new_key = GrowingKey(j, job, at);
      if (old_key == new_key) continue;
      Queue& q = tenants_[static_cast<size_t>(job.tenant)].growing;
      if (!q.Erase(old_key, j)) continue;  // listed twice
      q.Insert(new_key, j);
      MarkDirty(job.tenant, kGrowingKind);
      MarkUntidy(job.tenant, kGrowingKind);
    }
    since_calc_.clear();
    calc_at_ = at;
    epoch_ = epoch;
    if (update_all_) {
      std::vector<JobIdx> aged;
      for (Tenant& t : tenants_) {
        t.growing.ForEach([&](double /*key*/, JobIdx j) {
          if (Aged(at, engine.job(j).submit)) aged.push_back(j);
        });
      }
      for (const JobIdx j : aged) Cap(engine, j);
    } else {
      for (JobIdx j; (j = aging_.PopAged(ToSeconds(at), max_age_s_)) >= 0;) {
        if (where_[static_cast<size_t>(j)] == kGrowing) Cap(engine, j);
      }
    }
    age_term_ = w_age_ * ToSeconds(at) / max_age_s_;
    UpdateTotal(at);
    if (update_all_) {
      double total = 0;
      for (int t = 0; t < engine.num_tenants(); ++t) {
        Tenant& tt = tenants_[static_cast<size_t>(t)];
        Update(engine, t, at);
        tt.usage_calc = tt.usage;
        tt.calc_epoch = epoch_;
        total += tt.usage;
      }
      total_usage_calc_ = total;
      for (int t = 0; t < engine.num_tenants(); ++t) SetBase(engine, t);
    } else {
      total_usage_calc_ = total_usage_;
      for (const int32_t t : active_used_) {
        SetBase(engine, t);
        MarkDirty(t, kGrowingKind);
        MarkDirty(t, kCappedKind);
      }
    }
  }
  // Whether the growing stream's next job g comes before the capped stream's c: by their stored
  // priorities (the growing one with the age term it shares), then submit and index.
  template <typename G, typename C>
  bool GrowingFirst(const G& g, const C& c) const {
    const double pg = g.priority + age_term_;
    if (pg != c.priority) return pg > c.priority;
    return g.job < c.job;  // submit order
  }

  // --- the pass order, cached (stored priorities) ---
  // Between recalculations a kind's order changes only by the jobs that join and leave it, so
  // each kind keeps its first jobs in pass order, as the merge of its tenants' sets gives them
  // (Before: the sorted order), with what a scan reads of them (a Glance: most jobs a scan looks
  // at it passes over, and reading each job cost it a cache miss). A job that leaves stays
  // until a walk drops it (where_ tells); a job that joins goes in by binary search if it comes
  // before the last; a recalculation, or a job coming back to the queue (it may be listed),
  // drops the orders, and a walk that reaches an order's end merges on.
  struct Ordered {
    double priority;  // as a Cursor's
    double key;
    JobIdx job;
    PoolReservations::Glance glance;
  };
  struct Order {
    std::vector<Ordered> e;  // by Before; may hold jobs no longer of the kind
    bool complete = false;   // holds every job of the kind
    size_t built = 0;        // entries asked for when built
    bool resumable = false;  // MergeInto may go on from the last entry (see there)
  };
  bool Listed(const Ordered& x, int k) const {
    return where_[static_cast<size_t>(x.job)] == (k == kGrowingKind ? kGrowing : kCapped);
  }
  // The kind's first n jobs in pass order: its heads walked in heap order (a node's children
  // follow it), merged with the next jobs of the tenants already visited.
  void BuildOrder(const Engine& engine, int k, size_t n) {
    FlushHeads(k);
    Order& o = order_[static_cast<size_t>(k)];
    o.e.clear();
    std::vector<Cursor>& aux = aux_[static_cast<size_t>(k)];
    aux.clear();
    if (!heads_[static_cast<size_t>(k)].heap().empty()) aux.push_back(NodeCursor(engine, k, 0));
    MergeInto(engine, k, n);
  }
  // Takes the order on to n entries. The merge's cursors stay valid while no set of the kind
  // takes a job (Insert) or moves entries (Tidy) and its heads are not flushed: then
  // o.resumable, and a longer order need not be built again.
  void MergeInto(const Engine& engine, int k, size_t n) {
    Order& o = order_[static_cast<size_t>(k)];
    o.built = n;
    std::vector<Cursor>& aux = aux_[static_cast<size_t>(k)];
    while (!aux.empty() && o.e.size() < n) {
      const Cursor c = aux.front();
      // The cursors that follow it take its place: the first replaces it (one sift-down), the
      // others are pushed.
      bool replaced = false;
      const auto put = [&](const Cursor& next) {
        if (replaced) {
          aux.push_back(next);
          std::push_heap(aux.begin(), aux.end(), After);
        } else {
          SiftDown(aux, next);
          replaced = true;
        }
      };
      if (const auto next = c.set->Next(c.pos); !c.set->End(next)) {
        put(MakeCursor(engine, *c.set, next, c.base));
      }
      if (c.node >= 0) {
        const size_t num_heads = heads_[static_cast<size_t>(k)].heap().size();
        for (size_t child = 2 * static_cast<size_t>(c.node) + 1;
             child <= 2 * static_cast<size_t>(c.node) + 2 && child < num_heads; ++child) {
          put(NodeCursor(engine, k, static_cast<int32_t>(child)));
        }
      }
      if (!replaced) {
        const Cursor last = aux.back();
        aux.pop_back();
        if (!aux.empty()) SiftDown(aux, last);
      }
      o.e.push_back(
          Ordered{c.priority, c.key, c.job, PoolReservations::GlanceOf(engine.job(c.job))});
    }
    o.complete = aux.empty();
    o.resumable = !o.complete;
  }
  // The merge's cursors found again after its sets changed (Insert, Tidy): each set's first job
  // after the order's last entry (a job that joined before it is in the order: AddToOrder). A
  // search per tenant with queued jobs, so only while they are fewer than the entries a new
  // merge would read again; the cursors then stand for the heads' heap (none is a node).
  bool ResumeOrder(const Engine& engine, int k) {
    Order& o = order_[static_cast<size_t>(k)];
    if (o.e.empty() || active_.size() > o.e.size()) return false;
    const Ordered last = o.e.back();
    std::vector<Cursor>& aux = aux_[static_cast<size_t>(k)];
    aux.clear();
    for (const int32_t tenant : active_) {
      Tenant& t = tenants_[static_cast<size_t>(tenant)];
      Queue& set = k == kGrowingKind ? t.growing : t.capped;
      if (set.empty()) continue;
      const double base = t.base;
      const typename Queue::Pos pos = set.FirstWhere([&](double key, JobIdx j) {
        return Before(last, Ordered{base - key, key, j, {}});
      });
      if (!set.End(pos)) aux.push_back(FirstCursor(engine, set, pos, base));
    }
    std::make_heap(aux.begin(), aux.end(), After);
    o.complete = aux.empty();
    o.resumable = !o.complete;
    return true;
  }
  // A job joining its kind's set (not during a pass).
  void AddToOrder(int k, const Ordered& x) {
    Order& o = order_[static_cast<size_t>(k)];
    // Most arrivals come after the jobs it holds (a tenant's newest job is its last).
    if (!o.complete && (o.e.empty() || Before(o.e.back(), x))) return;
    const auto it = std::upper_bound(
        o.e.begin(), o.e.end(), x, [](const Ordered& a, const Ordered& b) { return Before(a, b); });
    o.e.insert(it, x);
    if (o.e.size() > 2 * o.built + 64) {  // keep inserts short: drop the end
      o.e.resize(o.built + 32);
      o.complete = false;
      o.resumable = false;
    }
  }
  // One pass over the queue in stored-priority order: the two kinds' orders merged.
  void PassOrdered(Engine& engine) {
    if (!orders_valid_) {
      // Short: a walk that reaches an order's end merges on (MergeInto, ResumeOrder).
      for (int k = 0; k < 2; ++k) BuildOrder(engine, k, kFirstOrder);
      orders_valid_ = true;
    }
    size_t read[2] = {0, 0};  // entries walked
    size_t kept[2] = {0, 0};  // of those, the ones still of the kind
    // The next job of kind k to walk, or null.
    const auto next = [&](int k) -> const Ordered* {
      Order& o = order_[static_cast<size_t>(k)];
      size_t& r = read[static_cast<size_t>(k)];
      for (;;) {
        while (r < o.e.size() && !Listed(o.e[r], k)) ++r;
        // The walk reads where_ at each entry: ask for it a few on.
        if (r + kPrefetchAhead < o.e.size()) {
          __builtin_prefetch(&where_[static_cast<size_t>(o.e[r + kPrefetchAhead].job)]);
        }
        if (r < o.e.size()) return &o.e[r];
        if (o.complete) return nullptr;
        if (o.resumable) {
          MergeInto(engine, k, 2 * o.e.size() + kFirstOrder);
          continue;
        }
        if (ResumeOrder(engine, k)) continue;
        // The longer order starts with the jobs walked and kept, in the order they were walked.
        BuildOrder(engine, k, 2 * o.e.size() + kFirstOrder);
        r = kept[static_cast<size_t>(k)];
      }
    };
    int examined = 0;
    // Only a Consider changes what Exhausted and the sieve read.
    bool exhausted = reservations_.Exhausted(engine);
    reservations_.Sift(engine, &sieve_);
    // Each kind's next job (a walk of one kind leaves the other's entries where they are).
    const Ordered* head[2] = {next(kGrowingKind), next(kCappedKind)};
    while (examined < reservations_.depth() && !exhausted) {
      const Ordered* g = head[kGrowingKind];
      const Ordered* c = head[kCappedKind];
      if (g == nullptr && c == nullptr) break;
      const int k =
          c == nullptr || (g != nullptr && GrowingFirst(*g, *c)) ? kGrowingKind : kCappedKind;
      const Ordered& x = *head[k];
      ++read[static_cast<size_t>(k)];
      if (sieve_.PassesOver(x.glance)) {
        ++examined;
        ++kept[static_cast<size_t>(k)];
      } else {
        const JobIdx j = x.job;
        if (reservations_.Consider(engine, j)) {
          Remove(engine, j, x.key);
        } else {
          ++examined;
          ++kept[static_cast<size_t>(k)];
        }
        exhausted = reservations_.Exhausted(engine);
        reservations_.Sift(engine, &sieve_);
      }
      if (examined < reservations_.depth() && !exhausted) head[k] = next(k);
    }
    // Drop the walked jobs that left, once they are many (a later walk would pass them again).
    for (int k = 0; k < 2; ++k) {
      Order& o = order_[static_cast<size_t>(k)];
      const size_t r = read[static_cast<size_t>(k)];
      if (r - kept[static_cast<size_t>(k)] < kOrderGarbage) continue;
      const auto walked = o.e.begin() + static_cast<std::ptrdiff_t>(r);
      o.e.erase(
          std::remove_if(o.e.begin(), walked, [&](const Ordered& x) { return !Listed(x, k); }),
          walked);
    }
  }
  static constexpr size_t kFirstOrder = 32;
  static constexpr size_t kOrderGarbage = 64;
  // The cursor of a heap node's head: the first job of its tenant's set of kind k (the sets do
  // not change in a pass before their first job is visited).
  Cursor NodeCursor(const Engine& engine, int k, int32_t node) {
    const Head& h = heads_[static_cast<size_t>(k)].heap()[static_cast<size_t>(node)];
    Tenant& t = tenants_[static_cast<size_t>(h.tenant)];
    Queue& set = k == kGrowingKind ? t.growing : t.capped;
    GPUPLAN_CHECK(!set.empty() && set.Job(set.First()) == h.job) << "fairshare: stale head";
    Cursor c = HeadCursor(engine, set, t.base, node);
    c.priority = h.priority;
    return c;
  }
  // The same order by its definition: at each step the best of every tenant's next growing job
  // and the best of every next capped job, by a scan.
  void PassPlain(Engine& engine) {
    std::vector<Cursor> next[2];
    for (const int32_t tenant : active_) {
      Tenant& t = tenants_[static_cast<size_t>(tenant)];
      if (!t.growing.empty()) next[0].push_back(HeadCursor(engine, t.growing, t.base));
      if (!t.capped.empty()) next[1].push_back(HeadCursor(engine, t.capped, t.base));
    }
    int examined = 0;
    while (examined < reservations_.depth() && !reservations_.Exhausted(engine)) {
      Cursor* best[2] = {nullptr, nullptr};
      for (int k = 0; k < 2; ++k) {
        for (Cursor& c : next[k]) {
          if (!c.set->End(c.pos) && (best[k] == nullptr || Before(c, *best[k]))) best[k] = &c;
        }
      }
      if (best[0] == nullptr && best[1] == nullptr) break;
      Cursor* c = best[1] == nullptr || (best[0] != nullptr && GrowingFirst(*best[0], *best[1]))
                      ? best[0]
                      : best[1];
      const JobIdx j = c->job;
      const auto following = c->set->Next(c->pos);
      if (!c->set->End(following)) {
        *c = MakeCursor(engine, *c->set, following, c->base);
      } else {
        c->pos = following;
      }
      if (reservations_.Consider(engine, j)) {
        Remove(engine, j);
      } else {
        ++examined;
      }
    }
  }

  // --- recalculated every pass (period_ == 0) ---
  void ScheduleRecalculating(Engine& engine, bool capacity_freed,
                             const std::vector<JobIdx>& fresh) {
    if (reservations_.BeginPass(engine, capacity_freed) == PoolReservations::Mode::kFresh) {
      for (JobIdx c : fresh) {
        if (engine.job(c).status == JobStatus::kQueued && reservations_.Consider(engine, c)) {
          Remove(engine, c);
        }
      }
      return;
    }
    const double now_s = ToSeconds(engine.now());
    double total_usage = 0;
    if (update_all_) {
      for (int t = 0; t < engine.num_tenants(); ++t) {
        Update(engine, t, engine.now());
        total_usage += tenants_[static_cast<size_t>(t)].usage;
      }
      std::vector<JobIdx> aged;  // plain: every growing job looked at
      for (const int32_t t : active_) {
        tenants_[static_cast<size_t>(t)].growing.ForEach([&](double /*key*/, JobIdx j) {
          if (Aged(engine.now(), engine.job(j).submit)) aged.push_back(j);
        });
      }
      for (const JobIdx j : aged) Cap(engine, j);
    } else {
      UpdateTotal(engine.now());
      total_usage = total_usage_;
      for (JobIdx j; (j = aging_.PopAged(now_s, max_age_s_)) >= 0;) {
        if (where_[static_cast<size_t>(j)] == kGrowing) Cap(engine, j);  // else started since
      }
    }
    // Merge the tenants' two sets by priority: a heap of cursors, one per set.
    heap_.clear();
    for (const int32_t t : active_) {
      Tenant& tt = tenants_[static_cast<size_t>(t)];
      if (!update_all_) Update(engine, t, engine.now());
      if (tt.growing.empty() && tt.capped.empty()) continue;
      const double u = total_usage > 0 ? tt.usage / total_usage : 0;
      const double s = engine.tenant_weight(t) / total_weight_;
      const double base = w_fairshare_ * std::exp2(-u / s);
      tt.base_growing = base + w_age_ * now_s / max_age_s_;
      tt.base_capped = base;
      if (!tt.growing.empty()) heap_.push_back(HeadCursor(engine, tt.growing, tt.base_growing));
      if (!tt.capped.empty()) heap_.push_back(HeadCursor(engine, tt.capped, tt.base_capped));
    }
    std::make_heap(heap_.begin(), heap_.end(), After);
    int examined = 0;
    while (!heap_.empty() && examined < reservations_.depth() && !reservations_.Exhausted(engine)) {
      // The first cursor moves on to its set's next job before j is considered (a start erases
      // j, leaving the next job's iterator valid).
      Cursor& top = heap_.front();
      const JobIdx j = top.job;
      const auto next = top.set->Next(top.pos);
      if (!top.set->End(next)) {
        SiftDown(heap_, MakeCursor(engine, *top.set, next, top.base));
      } else {
        const Cursor last = heap_.back();
        heap_.pop_back();
        if (!heap_.empty()) SiftDown(heap_, last);
      }
      if (reservations_.Consider(engine, j)) {
        Remove(engine, j);
      } else {
        ++examined;
      }
    }
  }
  // Replaces the first cursor of the heap (a heap by Before: each cursor before its children).
  static void SiftDown(std::vector<Cursor>& heap, const Cursor c) {
    const size_t n = heap.size();
    size_t i = 0;
    for (size_t l = 1; l < n; l = 2 * i + 1) {
      const size_t m = l + 1 < n && Before(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!Before(heap[m], c)) break;
      heap[i] = heap[m];
      i = m;
    }
    heap[i] = c;
  }

  void Resize(const Engine& engine) {
    const auto n = static_cast<size_t>(engine.num_tenants());
    if (tenants_.size() == n) return;
    tenants_.resize(n);
    for (Heads& h : heads_) h.Resize(n);
    is_dirty_.resize(2 * n, 0);
    is_untidy_.resize(2 * n, 0);
    total_weight_ = 0;
    for (int t = 0; t < engine.num_tenants(); ++t) total_weight_ += engine.tenant_weight(t);
  }
  // Exact solution of dU/dt = g - k U over [last, at] with g constant.
  void Update(const Engine& engine, int t, SimTime at) {
    Tenant& tt = tenants_[static_cast<size_t>(t)];
    const double dt = ToSeconds(at - tt.last_update);
    tt.last_update = at;
    if (dt <= 0) return;
    const double g = engine.tenant_running_gpus(t);
    const double decay = std::exp(-decay_per_s_ * dt);
    tt.usage = tt.usage * decay + g * (1 - decay) / decay_per_s_;
  }
  // The same for the sum over tenants, whose GPUs are the total in use.
  void UpdateTotal(SimTime at) {
    const double dt = ToSeconds(at - total_last_update_);
    total_last_update_ = at;
    if (dt <= 0) return;
    const double decay = std::exp(-decay_per_s_ * dt);
    total_usage_ = total_usage_ * decay + total_running_gpus_ * (1 - decay) / decay_per_s_;
  }
  void GpusChange(const Engine& engine, JobIdx j, int sign) {
    Resize(engine);
    MaybeRecalc(engine);
    const int32_t tenant = engine.job(j).tenant;
    Tenant& t = tenants_[static_cast<size_t>(tenant)];
    if (period_ > 0 && t.calc_epoch != epoch_) {  // keep the usage at the recalculation
      Update(engine, tenant, calc_at_);
      t.usage_calc = t.usage;
      t.calc_epoch = epoch_;
    }
    Update(engine, tenant, engine.now());
    UpdateTotal(engine.now());
    total_running_gpus_ += sign * engine.job(j).gpu_fraction();
    if (sign > 0 && !t.has_run) {
      t.has_run = true;
      if (period_ > 0 && t.num_queued > 0) AddUsed(tenant);
    }
  }

  double decay_per_s_, w_fairshare_, w_age_, w_size_, max_age_s_, total_gpus_;
  SimTime period_;  // PriorityCalcPeriod; 0: every pass
  bool update_all_;
  PoolReservations reservations_;
  std::vector<Tenant> tenants_;
  std::vector<int32_t> active_;       // tenants with queued jobs, unordered
  std::vector<int32_t> active_used_;  // those that have run (P > 0)
  double total_weight_ = 0, total_usage_ = 0, total_running_gpus_ = 0;
  SimTime total_last_update_ = 0;
  std::vector<Cursor> heap_;  // P = 0: the first cursor first (Before)
  std::vector<JobIdx> fresh_, fresh_pass_;
  std::vector<uint8_t> where_;      // by job: Where
  std::vector<SimTime> queued_at_;  // by job, stored priorities: when it was last queued
  BySubmit aging_;                  // growing jobs by submit, for PriorityMaxAge
  int64_t num_queued_ = 0;
  // Stored priorities.
  int64_t epoch_ = -1;  // of the last recalculation, at calc_at_ = epoch_ x period_
  SimTime calc_at_ = 0;
  double total_usage_calc_ = 0;
  double age_term_ = 0;             // wA x calc_at_ / PriorityMaxAge, shared by growing jobs
  Heads heads_[2];                  // by Kind
  std::vector<int32_t> dirty_;      // slots (2 x tenant + Kind) whose head may have changed
  std::vector<uint8_t> is_dirty_;   // by slot
  std::vector<JobIdx> since_calc_;  // growing jobs queued since the recalculation (with a lead)
  std::vector<int32_t> untidy_;     // slots with erased entries
  std::vector<uint8_t> is_untidy_;  // by slot
  std::vector<JobIdx> pending_;     // queued during a pass
  std::vector<JobIdx> pending_pass_;
  bool in_pass_ = false;
  std::vector<Cursor> aux_[2];  // the merge's next cursors, by Kind
  Order order_[2];              // by Kind
  PoolReservations::Sieve sieve_;
  bool orders_valid_ = false;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFairshare(const SimConfig& config) {
  if (config.plain_passes) return std::make_unique<FairsharePolicy<SetKeyQueue>>(config);
  return std::make_unique<FairsharePolicy<KeyOrderQueue>>(config);
}

}  // namespace gpuplan::sim::detail
