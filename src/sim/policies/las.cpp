// las: least attained service, preemptive, after Tiresias' discretized 2D-LAS (Gu et al.,
// NSDI'19). A job's attained service is GPUs x time run so far; thresholds split jobs into
// queues (level 0 below the first threshold, ...). Waiting jobs go by (level, submit). A waiting
// job that does not fit preempts running jobs of a strictly higher level, the fewest GPUs that
// make room for it (PreemptFor); preempted jobs keep
// their progress (checkpoint on preemption) and pay the restart overhead when they resume. A
// running job crossing a threshold wakes the scheduler (Engine::WakeUpAt). At most
// kMaxBlockedPerPass waiting jobs that cannot start are examined per pass.
//
// The victim candidates (running whole-GPU jobs) are kept per pool and level as they start and
// stop, each job's level brought up to date when it is due to cross its next threshold, so a
// preemption walks only the candidates it takes, not every running job per blocked job (which
// made the 1M-job bench quadratic). Two memos spare repeated work while GPUs do not come free
// (kept across passes only on a cluster without failures, deliveries or retirements, where
// GPUs come free only when a job stops): per pool, the smallest whole-GPU count that did not
// fit (TryStart skipped for as large a job), and per pool and level, the counts that preempting
// every candidate could not make room for (the walk skipped), forgotten when a job on the pool
// stops or one of its candidates rises a level. Neither applies with cluster queues (a
// reclaim frees GPUs) or SimConfig::plain_passes.
#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <set>
#include <tuple>

#include "sim/policies/policies.h"
#include "sim/policies/queue_util.h"

namespace gpuplan::sim::detail {

namespace {

constexpr int kMaxBlockedPerPass = 32;

class LasPolicy : public SchedulingPolicy {
  // A waiting job's key and the shape a pass reads (copied, so a pass reads no SimJob for a
  // job it knows is blocked).
  using QueueKey = std::tuple<int, SimTime, JobIdx>;
  struct Shape {
    int32_t gpus = 0;
    bool whole = true;  // whole GPUs (milli 1000)
    uint64_t allowed_pools = 0;
  };

 public:
  explicit LasPolicy(const SimConfig& config)
      : thresholds_(config.las_thresholds_gpu_s),
        plain_(config.plain_passes),
        shortcut_(config.cluster_queues.empty() && !plain_),
        keep_memos_(StaticCluster(config)) {
    std::sort(thresholds_.begin(), thresholds_.end());
  }

  void Enqueue(Engine& engine, JobIdx j) override {
    const SimJob& job = engine.job(j);
    queue_.emplace(QueueKey{Level(job.attained_gpu_s), job.submit, j},
                   Shape{job.gpus, job.milli >= trace::kWholeGpuMilli, job.allowed_pools});
  }

  void OnStart(Engine& engine, JobIdx j) override {
    // Wake up when the job crosses its next threshold.
    const SimJob& job = engine.job(j);
    const int level = Level(job.attained_gpu_s);
    if (level < static_cast<int>(thresholds_.size())) {
      const double left_gpu_s = thresholds_[static_cast<size_t>(level)] - job.attained_gpu_s;
      const double overhead_s =
          job.needs_overhead ? engine.config().failures.restart_overhead_s : 0;
      engine.WakeUpAt(engine.now() + ToSimTime(overhead_s + left_gpu_s / job.gpu_fraction()) + 1);
    }
    // Placed after this call returns: filed as a candidate at the next Sync.
    started_.push_back({j, job.generation});
  }

  void OnStop(Engine& engine, JobIdx j) override {
    const SimJob& job = engine.job(j);
    Forget(job.pool, /*no_fit=*/true);  // its GPUs come free
    MarkDirty(engine.pieces(j));
    if (static_cast<size_t>(j) >= level_of_.size() || level_of_[static_cast<size_t>(j)] < 0) return;
    Candidates(job.pool, level_of_[static_cast<size_t>(j)]).erase({job.gpus, -job.since, j});
    Unfile(engine.pieces(j), j);
    level_of_[static_cast<size_t>(j)] = -1;
  }

  void Schedule(Engine& engine, bool /*capacity_freed*/) override {
    const size_t num_pools = engine.cluster().pools().size();
    if (no_fit_gpus_.size() != num_pools || !keep_memos_) {
      no_fit_gpus_.assign(num_pools, kAnyGpus);
      no_room_gpus_.assign(num_pools * (thresholds_.size() + 1), kAnyGpus);
    }
    Sync(engine);  // also keeps started_ short
    int blocked = 0;
    for (auto it = queue_.begin(); it != queue_.end() && blocked < kMaxBlockedPerPass;) {
      const auto& [key, shape] = *it;
      const auto [level, submit, j] = key;
      // Known not to fit nor to make room by preempting: blocked, over its quota or not (the
      // queue's copy of its shape spares reading the job).
      if (shortcut_ && KnownNoFit(shape) && !MayMakeRoom(shape, level)) {
        ++blocked;
        ++it;
        continue;
      }
      const SimJob& job = engine.job(j);
      StartResult r = StartResult::kNoFit;
      if (!shortcut_ || !KnownNoFit(shape)) {
        r = engine.TryStart(j);
      } else if (engine.OverQuota(j)) {
        r = StartResult::kOverQuota;  // TryStart's answer: no reclaim without cluster queues
      }
      if (r == StartResult::kStarted) {
        it = queue_.erase(it);
        continue;
      }
      if (r == StartResult::kNoFit && shortcut_ && job.milli >= trace::kWholeGpuMilli) {
        for (uint64_t m = job.allowed_pools; m != 0; m &= m - 1) {
          int32_t& no_fit = no_fit_gpus_[static_cast<size_t>(__builtin_ctzll(m))];
          no_fit = std::min(no_fit, job.gpus);
        }
      }
      // A job that fits now but waits for a faster type preempts nobody.
      if (r == StartResult::kNoFit && (KnownNoFit(shape) || engine.BestPoolNow(j) < 0) &&
          PreemptFor(engine, j, level)) {
        it = queue_.erase(it);
        continue;
      }
      ++blocked;
      ++it;
    }
  }

  int64_t num_queued() const override { return static_cast<int64_t>(queue_.size()); }
  std::vector<JobIdx> DrainQueue() override {
    return DrainInOrder(queue_, [](const auto& e) { return std::get<2>(e.first); });
  }

 private:
  int Level(double attained_gpu_s) const {
    return static_cast<int>(
        std::upper_bound(thresholds_.begin(), thresholds_.end(), attained_gpu_s) -
        thresholds_.begin());
  }
  double AttainedNow(const Engine& engine, const SimJob& job) const {
    return job.attained_gpu_s + job.gpu_fraction() * ToSeconds(engine.now() - job.since);
  }

  // A victim candidate as a walk takes it: its node if it has one piece (else -1: its pieces
  // are read from the job) and its whole GPUs.
  struct Victim {
    JobIdx job = -1;
    int32_t node = -1;
    int32_t gpus = 0;
  };

  // Preempts lower-priority running jobs so that `j` starts now, choosing the victims
  // size-aware: on each allowed pool, victims of a strictly higher level are added smallest
  // first (then the most served level, then the latest started) until j fits on the nodes'
  // free GPUs plus the victims' (node by node), then every victim j can do without is dropped,
  // so no preemption frees GPUs that j leaves idle. The pool whose victims hold the fewest GPUs
  // (the least GPU-time lost to restart overhead) wins. False, with nothing preempted, if no
  // pool has room.
  bool PreemptFor(Engine& engine, JobIdx j, int level) {
    const SimJob& job = engine.job(j);
    const int32_t need = job.whole_gpus();
    if (!MayMakeRoom(job.allowed_pools, need, level)) return false;
    Sync(engine);
    int32_t best_pool = -1;
    double best_cost = 0;
    std::vector<JobIdx> best;
    for (uint64_t mask = job.allowed_pools; mask != 0; mask &= mask - 1) {
      const auto p = static_cast<int32_t>(__builtin_ctzll(mask));
      // Room on p is known not to be made for as large a job at this level or below.
      if (need >= NoRoomGpus(p, level)) continue;
      switch (WholeNodeRoom(engine, p, level, need, best_pool >= 0, best_cost)) {
        case Room::kNone:
          continue;
        case Room::kFound:
          if (best_pool < 0 || room_cost_ < best_cost) {
            best_pool = p;
            best_cost = room_cost_;
            best = room_victims_;
          }
          continue;
        case Room::kWalk:
          break;
      }
      VictimOrder victims(*this, p, level);
      NodeCounts counts(engine, p, scratch_free_);
      std::vector<Victim>& chosen = scratch_chosen_;
      chosen.clear();
      double cost = 0;
      bool fits = false;
      const Victim* v = victims.Next();
      for (; v != nullptr; v = victims.Next()) {
        counts.Add(engine, *v, +1);
        chosen.push_back(*v);
        cost += v->gpus;  // gpu_fraction() of a whole-GPU job
        if (best_pool >= 0 && cost >= best_cost) break;
        if ((fits = counts.Fits(need))) break;
      }
      if (!fits) {
        // Every candidate taken and still no room: none for larger jobs or higher levels
        // either, until a preemption frees GPUs (starts only take them).
        if (v == nullptr && !plain_) no_room_gpus_[NoRoomIndex(p, level)] = counts.MaxFit() + 1;
        continue;
      }
      // Drop the victims j can do without, largest first. Fits reads only nodes with at least
      // counts.Threshold(need) free: a victim whose nodes all have fewer (now, so for the rest
      // of the drop too, as dropping only lowers them) makes no difference to it and is
      // dropped untouched, sparing the walk back over the many small victims a large job's
      // walk takes before whole nodes come free (the plain passes take the long way).
      const int32_t threshold = counts.Threshold(need);
      size_t kept = chosen.size();
      for (size_t i = chosen.size(); i-- > 0;) {
        const Victim victim = chosen[i];
        bool drop = !plain_ && !counts.Touches(engine, victim, threshold);
        if (!drop) {
          counts.Add(engine, victim, -1);
          drop = counts.Fits(need);
          if (!drop) counts.Add(engine, victim, +1);
        }
        if (drop) {
          cost -= victim.gpus;
        } else {
          chosen[--kept] = victim;  // the kept victims gather at the back, in order
        }
      }
      if (best_pool < 0 || cost < best_cost) {
        best_pool = p;
        best_cost = cost;
        best.clear();
        for (size_t i = kept; i < chosen.size(); ++i) best.push_back(chosen[i].job);
      }
    }
    if (best_pool < 0) return false;
    for (JobIdx r : best) engine.Preempt(r);  // re-enqueued by the engine (memos forgotten)
    GPUPLAN_CHECK(engine.CanPlaceOn(j, best_pool))
        << "las: job " << j << " did not fit after preemption";
    engine.StartOn(j, best_pool);
    return true;
  }

  // PreemptFor's walk on pool p for a job of whole nodes, answered from the nodes that taking
  // every candidate above `level` would free whole (whole_at_: by the victim-order key of the
  // last of their jobs the walk takes) instead of walking the many smaller victims first: the
  // walk fits at the victim that frees the node that completes the job's count, its prefix holds
  // every job of the nodes freed by then, and its drop loop can only keep jobs of those nodes
  // (no other victim makes a node whole, the only kind such a job reads). Same victims, same
  // cost. kFound: room_victims_ in walk order and room_cost_; kNone: the walk would break on
  // `best_cost` (only if `have_best`); kWalk: not a whole-node job, or the walk would take every
  // candidate (it sets the no-room memo) or fit on nodes already free, or the plain passes.
  enum class Room { kFound, kNone, kWalk };
  Room WholeNodeRoom(const Engine& engine, int32_t p, int level, int32_t need, bool have_best,
                     double best_cost) {
    const Pool& pool = engine.cluster().pool(p);
    const int32_t per_node = pool.gpus_per_node;
    if (plain_ || need % per_node != 0 || level >= static_cast<int>(thresholds_.size())) {
      return Room::kWalk;
    }
    FlushDirty(engine);
    const int64_t already =
        static_cast<int64_t>(pool.buckets[static_cast<size_t>(per_node)].size());
    const int64_t more = need / per_node - already;  // nodes the victims must free
    const WholeSet& freed = WholeAt(p, level);
    if (more <= 0 || static_cast<int64_t>(freed.size()) < more) return Room::kWalk;
    auto last = freed.begin();
    std::advance(last, more - 1);
    const VictimKey fit_key = last->first;  // the victim at which the walk fits
    if (have_best) {
      // The walk adds each victim's GPUs to its cost and breaks once they reach best_cost.
      VictimOrder victims(*this, p, level);
      double cost = 0;
      for (const Victim* v = victims.Next(); v != nullptr; v = victims.Next()) {
        cost += v->gpus;
        if (cost >= best_cost) return Room::kNone;
        if (v->job == std::get<3>(fit_key)) break;
      }
    }
    // The nodes freed whole by then (ties: one gang is the last job of several), their jobs.
    std::vector<int32_t>& nodes = scratch_nodes_;
    std::vector<std::pair<VictimKey, JobIdx>>& jobs = scratch_jobs_;
    nodes.clear();
    jobs.clear();
    for (auto it = freed.begin(); it != freed.end() && it->first <= fit_key; ++it) {
      nodes.push_back(it->second);
      MarkWhole(it->second, 1);
      for (const Occupant& o : occupants_[static_cast<size_t>(it->second)]) {
        jobs.push_back({o.key, std::get<3>(o.key)});
      }
    }
    std::sort(jobs.begin(), jobs.end(), std::greater<>());
    jobs.erase(std::unique(jobs.begin(), jobs.end()), jobs.end());
    // The drop loop, largest first: a victim goes if the nodes it leaves whole still suffice.
    int64_t whole = already + static_cast<int64_t>(nodes.size());
    const int64_t full = need / per_node;
    room_victims_.clear();
    room_cost_ = 0;
    for (const auto& [key, r] : jobs) {
      // The nodes it leaves whole (each counted once).
      int64_t unmade = 0;
      const PieceList& pieces = engine.pieces(r);
      for (const Piece& piece : pieces) {
        int8_t& w = scratch_whole_[static_cast<size_t>(piece.node)];
        unmade += w == 1;
        w = w == 1 ? 2 : w;
      }
      const bool drop = whole - unmade >= full;
      if (drop) whole -= unmade;
      for (const Piece& piece : pieces) {
        int8_t& w = scratch_whole_[static_cast<size_t>(piece.node)];
        if (w == 2) w = drop ? 0 : 1;
      }
      if (!drop) {
        room_victims_.push_back(r);
        room_cost_ += std::get<0>(key);
      }
    }
    for (int32_t n : nodes) MarkWhole(n, 0);
    std::reverse(room_victims_.begin(), room_victims_.end());
    return Room::kFound;
  }

  // Free whole GPUs per node of one pool as victims are taken off (a what-if; nothing moves).
  // `free` is scratch per node, -1 where untouched, left so on destruction.
  class NodeCounts {
   public:
    NodeCounts(const Engine& engine, int32_t p, std::vector<int32_t>& free)
        : engine_(engine), per_node_(engine.cluster().pool(p).gpus_per_node), free_(free) {
      if (free_.size() < engine.cluster().nodes().size()) {
        free_.resize(engine.cluster().nodes().size(), -1);
      }
      count_.assign(static_cast<size_t>(per_node_) + 1, 0);
      for (int32_t k = 0; k <= per_node_; ++k) {
        count_[static_cast<size_t>(k)] =
            static_cast<int64_t>(engine.cluster().pool(p).buckets[static_cast<size_t>(k)].size());
      }
    }
    NodeCounts(const NodeCounts&) = delete;
    NodeCounts& operator=(const NodeCounts&) = delete;
    ~NodeCounts() {
      for (int32_t n : touched_) free_[static_cast<size_t>(n)] = -1;
    }
    void Add(const Engine& engine, const Victim& victim, int sign) {
      if (victim.node >= 0) {
        AddPiece(victim.node, sign * victim.gpus);
        return;
      }
      for (const Piece& piece : engine.pieces(victim.job)) {
        AddPiece(piece.node, sign * piece.gpus);
      }
    }
    // Fits(need) reads only the nodes with at least this many free.
    int32_t Threshold(int32_t need) const {
      if (need <= per_node_) return need;
      const int32_t rem = need % per_node_;
      return rem > 0 ? rem : per_node_;
    }
    // Whether one of the victim's nodes has at least `threshold` free (taken: Add'ed before).
    bool Touches(const Engine& engine, const Victim& victim, int32_t threshold) const {
      if (victim.node >= 0) return free_[static_cast<size_t>(victim.node)] >= threshold;
      for (const Piece& piece : engine.pieces(victim.job)) {
        if (free_[static_cast<size_t>(piece.node)] >= threshold) return true;
      }
      return false;
    }
    // One node with `need` free, or whole nodes plus one for a gang's remainder.
    bool Fits(int32_t need) const {
      // A node with k free for k in [from, to].
      auto any_in = [&](int32_t from, int32_t to) {
        for (int32_t k = from; k <= to; ++k) {
          if (count_[static_cast<size_t>(k)] > 0) return true;
        }
        return false;
      };
      if (need <= per_node_) return any_in(need, per_node_);
      const int64_t full = need / per_node_, rem = need % per_node_;
      const int64_t whole = count_[static_cast<size_t>(per_node_)];
      if (whole < full) return false;
      // The remainder goes on a partly free node, or on a whole one beyond the `full` taken.
      return rem == 0 || whole > full || any_in(static_cast<int32_t>(rem), per_node_ - 1);
    }

    // The largest whole-GPU count that fits: Fits(need) iff need <= MaxFit().
    int32_t MaxFit() const {
      int32_t partial = 0;
      for (int32_t k = per_node_ - 1; k > 0 && partial == 0; --k) {
        if (count_[static_cast<size_t>(k)] > 0) partial = k;
      }
      return static_cast<int32_t>(count_[static_cast<size_t>(per_node_)]) * per_node_ + partial;
    }

   private:
    void AddPiece(int32_t node, int32_t gpus) {
      int32_t& free = free_[static_cast<size_t>(node)];
      if (free < 0) {
        free = engine_.cluster().nodes()[static_cast<size_t>(node)].free_gpus;
        touched_.push_back(node);
      }
      --count_[static_cast<size_t>(free)];
      free += gpus;
      ++count_[static_cast<size_t>(free)];
    }

    const Engine& engine_;
    int32_t per_node_;
    std::vector<int32_t>& free_;  // node -> free GPUs with the victims off
    std::vector<int32_t> touched_;
    std::vector<int64_t> count_;
  };

  // Running whole-GPU jobs of one pool and level: (GPUs, -start, job) -> the job's node if it
  // has one piece (a walk then reads no SimJob), else -1.
  using CandidateKey = std::tuple<int32_t, SimTime, JobIdx>;
  using CandidateSet = std::map<CandidateKey, int32_t>;
  static int32_t SoleNode(const PieceList& pieces) {
    const Piece* first = pieces.begin();
    return first != nullptr && first + 1 == pieces.end() ? first->node : -1;
  }
  CandidateSet& Candidates(int32_t pool, int level) {
    return candidates_[static_cast<size_t>(pool) * (thresholds_.size() + 1) +
                       static_cast<size_t>(level)];
  }
  // Earliest time the running job at `level` may cross its next threshold: a little before the
  // computed instant, so rounding never makes it late (Sync checks the exact level then).
  SimTime DueAt(const Engine& engine, const SimJob& job, int level) const {
    const double left_gpu_s = thresholds_[static_cast<size_t>(level)] - job.attained_gpu_s;
    const SimTime at = job.since + ToSimTime(left_gpu_s / job.gpu_fraction()) - kDueMargin;
    return std::max(at, engine.now() + 1);
  }
  void File(const Engine& engine, JobIdx j, int level) {
    const SimJob& job = engine.job(j);
    level_of_[static_cast<size_t>(j)] = static_cast<int16_t>(level);
    Candidates(job.pool, level)
        .emplace(CandidateKey{job.gpus, -job.since, j}, SoleNode(engine.pieces(j)));
    if (!plain_) {
      if (occupants_.size() < engine.cluster().nodes().size()) {
        occupants_.resize(engine.cluster().nodes().size());
      }
      for (const Piece& piece : engine.pieces(j)) {
        occupants_[static_cast<size_t>(piece.node)].push_back({KeyOf(job, j), piece.gpus});
      }
      MarkDirty(engine.pieces(j));
    }
    if (level < static_cast<int>(thresholds_.size())) {
      due_.push({DueAt(engine, job, level), j, job.generation});
    }
  }  // Takes a filed job off its nodes' occupants (before its level changes or it stops).
  void Unfile(const PieceList& pieces, JobIdx j) {
    if (plain_) return;
    for (const Piece& piece : pieces) {
      auto& on_node = occupants_[static_cast<size_t>(piece.node)];
      auto it = std::find_if(on_node.begin(), on_node.end(),
                             [&](const Occupant& o) { return std::get<3>(o.key) == j; });
      *it = on_node.back();
      on_node.pop_back();
    }
    MarkDirty(pieces);
  }

  // Files the jobs started since the last call and moves those whose level rose, so the
  // candidates are the running whole-GPU jobs at their levels now.
  void Sync(const Engine& engine) {
    if (level_of_.size() < engine.jobs().size()) level_of_.resize(engine.jobs().size(), -1);
    const size_t num_sets = engine.cluster().pools().size() * (thresholds_.size() + 1);
    if (candidates_.size() < num_sets) candidates_.resize(num_sets);
    for (const auto& [j, generation] : started_) {
      const SimJob& job = engine.job(j);
      if (job.status != JobStatus::kRunning || job.generation != generation) continue;
      if (job.milli >= trace::kWholeGpuMilli) {
        File(engine, j, Level(AttainedNow(engine, job)));
      } else {
        MarkDirty(engine.pieces(j));  // its nodes are not freed whole by preemptions
      }
    }
    started_.clear();
    while (!due_.empty() && std::get<0>(due_.top()) <= engine.now()) {
      const auto [at, j, generation] = due_.top();
      due_.pop();
      const SimJob& job = engine.job(j);
      if (job.status != JobStatus::kRunning || job.generation != generation) continue;
      const int old_level = level_of_[static_cast<size_t>(j)];
      const int level = Level(AttainedNow(engine, job));
      if (level == old_level) {
        due_.push({engine.now() + 1, j, generation});  // not yet: rounding
        continue;
      }
      Candidates(job.pool, old_level).erase({job.gpus, -job.since, j});
      Unfile(engine.pieces(j), j);
      File(engine, j, level);
      Forget(job.pool, /*no_fit=*/false);  // a new candidate for the levels it passed
    }
  }
  // The candidates of one pool above `level`, in victim order: fewest GPUs, then the most
  // served level, then the latest started (then job index).
  class VictimOrder {
   public:
    VictimOrder(LasPolicy& las, int32_t pool, int level) {
      for (int l = static_cast<int>(las.thresholds_.size()); l > level; --l) {
        CandidateSet& set = las.Candidates(pool, l);
        if (!set.empty()) cursors_.push_back({set.begin(), set.end()});
      }
    }
    // The next victim, or null (valid until the next call). Cursors run from the most served
    // level down, so the first of equal GPU counts is the most served.
    const Victim* Next() {
      Cursor* best = nullptr;
      for (Cursor& c : cursors_) {
        if (c.it == c.end) continue;
        if (best == nullptr || std::get<0>(c.it->first) < std::get<0>(best->it->first)) best = &c;
      }
      if (best == nullptr) return nullptr;
      const auto& [key, node] = *best->it++;
      next_ = {std::get<2>(key), node, std::get<0>(key)};
      return &next_;
    }

   private:
    struct Cursor {
      CandidateSet::const_iterator it, end;
    };
    std::vector<Cursor> cursors_;
    Victim next_;
  };

  // The walk's order as one key: (GPUs, -level, -start, job).
  using VictimKey = std::tuple<int32_t, int32_t, SimTime, JobIdx>;
  VictimKey KeyOf(const SimJob& job, JobIdx j) const {
    return {job.gpus, -level_of_[static_cast<size_t>(j)], -job.since, j};
  }
  // Per pool and level below the top: the nodes whose jobs are all candidates above the level
  // and that taking them frees whole, by the key of the last of them the walk takes.
  using WholeSet = std::set<std::pair<VictimKey, int32_t>>;
  WholeSet& WholeAt(int32_t pool, int level) {
    return whole_at_[static_cast<size_t>(pool) * thresholds_.size() + static_cast<size_t>(level)];
  }
  void MarkWhole(int32_t node, int8_t whole) { scratch_whole_[static_cast<size_t>(node)] = whole; }
  // A job's nodes changed (a start, a stop, a level): whole_at_ brought up to date lazily.
  void MarkDirty(const PieceList& pieces) {
    if (plain_) return;
    for (const Piece& piece : pieces) {
      if (node_dirty_.size() <= static_cast<size_t>(piece.node)) {
        node_dirty_.resize(static_cast<size_t>(piece.node) + 1, 0);
      }
      if (node_dirty_[static_cast<size_t>(piece.node)] == 0) {
        node_dirty_[static_cast<size_t>(piece.node)] = 1;
        dirty_.push_back(piece.node);
      }
    }
  }
  void FlushDirty(const Engine& engine) {
    const size_t num_nodes = engine.cluster().nodes().size();
    if (occupants_.size() < num_nodes) occupants_.resize(num_nodes);
    if (node_whole_.size() < num_nodes) {
      node_whole_.resize(num_nodes, {VictimKey{}, -1});
      node_dirty_.resize(num_nodes, 0);
      scratch_whole_.resize(num_nodes, 0);
    }
    const size_t num_sets = engine.cluster().pools().size() * thresholds_.size();
    if (whole_at_.size() < num_sets) whole_at_.resize(num_sets);
    for (int32_t n : dirty_) {
      node_dirty_[static_cast<size_t>(n)] = 0;
      const Node& node = engine.cluster().nodes()[static_cast<size_t>(n)];
      // Whole once every job is taken: all are candidates (filed, so whole GPUs; a job of shares
      // is listed but not filed), and their pieces with the free GPUs make up the node.
      const std::vector<Occupant>& on_node = occupants_[static_cast<size_t>(n)];
      int below = 0;
      VictimKey key{};
      if (!on_node.empty() && node.bucket_pos >= 0 && on_node.size() == node.jobs.size()) {
        below = static_cast<int>(thresholds_.size());
        int32_t freed = node.free_gpus;
        for (const Occupant& o : on_node) {
          below = std::min(below, -std::get<1>(o.key));
          freed += o.gpus;
          key = std::max(key, o.key);
        }
        if (freed != engine.cluster().pool(node.pool).gpus_per_node) below = 0;
      }
      auto& [old_key, old_below] = node_whole_[static_cast<size_t>(n)];
      if (below <= 0 && old_below <= 0) continue;
      if (below == old_below && key == old_key) continue;
      for (int l = 0; l < old_below; ++l) WholeAt(node.pool, l).erase({old_key, n});
      for (int l = 0; l < below; ++l) WholeAt(node.pool, l).insert({key, n});
      old_key = key;
      old_below = below;
    }
    dirty_.clear();
  }

  static constexpr SimTime kDueMargin = 1000;  // 1 ms
  static constexpr int32_t kAnyGpus = std::numeric_limits<int32_t>::max();

  // No failures, deliveries or retirements: GPUs come free only when a job stops (OnStop), so
  // the memos below may outlive a pass.
  static bool StaticCluster(const SimConfig& config) {
    if (config.failures.gpu_mtbf_s > 0) return false;
    for (const NodeGroup& g : config.cluster.groups) {
      if (g.available_from_s > 0 || g.retired_at_s < kNever) return false;
    }
    return true;
  }
  void Forget(int32_t pool, bool no_fit) {
    if (static_cast<size_t>(pool) >= no_fit_gpus_.size()) return;  // before the first pass
    if (no_fit) no_fit_gpus_[static_cast<size_t>(pool)] = kAnyGpus;
    for (int l = 0; l <= static_cast<int>(thresholds_.size()); ++l) {
      no_room_gpus_[NoRoomIndex(pool, l)] = kAnyGpus;
    }
  }
  // A whole-GPU job at least as large as one that fit none of its pools: TryStart would say
  // kNoFit (starts only take GPUs, Cluster::CanPlace is monotone in whole GPUs).
  bool KnownNoFit(const Shape& shape) const {
    if (!shape.whole) return false;
    for (uint64_t m = shape.allowed_pools; m != 0; m &= m - 1) {
      if (shape.gpus < no_fit_gpus_[static_cast<size_t>(__builtin_ctzll(m))]) return false;
    }
    return true;
  }
  // Whether preempting may make room for `need` whole GPUs on a pool of `pools` (not known not
  // to, NoRoomGpus).
  bool MayMakeRoom(uint64_t pools, int32_t need, int level) const {
    for (uint64_t m = pools; m != 0; m &= m - 1) {
      if (need < NoRoomGpus(static_cast<int32_t>(__builtin_ctzll(m)), level)) return true;
    }
    return false;
  }
  bool MayMakeRoom(const Shape& shape, int level) const {
    return MayMakeRoom(shape.allowed_pools, shape.gpus, level);
  }

  size_t NoRoomIndex(int32_t pool, int level) const {
    return static_cast<size_t>(pool) * (thresholds_.size() + 1) + static_cast<size_t>(level);
  }
  // The GPU counts from which preempting every candidate above `level` (or above a lower
  // level) makes no room on the pool, as found by a walk that took them all.
  int32_t NoRoomGpus(int32_t pool, int level) const {
    int32_t gpus = kAnyGpus;
    for (int l = 0; l <= level; ++l) gpus = std::min(gpus, no_room_gpus_[NoRoomIndex(pool, l)]);
    return gpus;
  }

  std::vector<double> thresholds_;
  std::map<QueueKey, Shape> queue_;       // waiting jobs by (level, submit, job)
  std::vector<CandidateSet> candidates_;  // per pool and level
  bool plain_;                            // SimConfig::plain_passes: no memos
  bool shortcut_;    // no cluster queues: TryStart's kNoFit involves no reclaim
  bool keep_memos_;  // StaticCluster
  // Smallest whole-GPU count that fit none of a pool's nodes, since GPUs last came free.
  std::vector<int32_t> no_fit_gpus_;
  // Per pool and level (NoRoomGpus), since GPUs last came free or a candidate's level rose.
  std::vector<int32_t> no_room_gpus_;
  std::vector<int32_t> scratch_free_;   // NodeCounts' scratch
  std::vector<Victim> scratch_chosen_;  // PreemptFor's walk
  // WholeNodeRoom: per node, its key and the levels below its jobs' lowest (it is in whole_at_
  // for those), the nodes changed since, the sets; its answer and scratch.
  std::vector<std::pair<VictimKey, int>> node_whole_;
  // Per node, its filed jobs (candidates) with their GPUs there.
  struct Occupant {
    VictimKey key;
    int32_t gpus = 0;
  };
  std::vector<std::vector<Occupant>> occupants_;
  std::vector<int8_t> node_dirty_;
  std::vector<int32_t> dirty_;
  std::vector<WholeSet> whole_at_;
  std::vector<JobIdx> room_victims_;
  double room_cost_ = 0;
  std::vector<int32_t> scratch_nodes_;
  std::vector<std::pair<VictimKey, JobIdx>> scratch_jobs_;
  std::vector<int8_t> scratch_whole_;
  std::vector<int16_t> level_of_;                     // per job: its candidate level, -1 if none
  std::vector<std::pair<JobIdx, uint32_t>> started_;  // (job, generation) not yet filed
  // (when to check, job, generation): candidates that may have crossed a threshold.
  std::priority_queue<std::tuple<SimTime, JobIdx, uint32_t>,
                      std::vector<std::tuple<SimTime, JobIdx, uint32_t>>, std::greater<>>
      due_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeLas(const SimConfig& config) {
  return std::make_unique<LasPolicy>(config);
}

}  // namespace gpuplan::sim::detail
