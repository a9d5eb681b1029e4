// Internals of the policies: the loops over an ordered queue that several policies share.
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "sim/engine.h"

namespace gpuplan::sim::detail {

// Starts jobs from the front of an ordered queue while they fit, passing over jobs whose tenant
// is at its quota. Returns the first job that does not fit (the blocking head), or end().
// `job_of` maps a queue entry to its JobIdx.
template <typename Queue, typename JobOf>
typename Queue::iterator StartFromFront(Engine& engine, Queue& queue, JobOf job_of) {
  auto it = queue.begin();
  while (it != queue.end()) {
    const StartResult r = engine.TryStart(job_of(*it));
    if (r == StartResult::kStarted) {
      it = queue.erase(it);
    } else if (r == StartResult::kOverQuota) {
      ++it;
    } else {
      break;
    }
  }
  return it;
}

// Whether some pool has a partly used shared GPU (a fractional job may fit without free GPUs).
inline bool HasSharedRoom(const Engine& engine) {
  for (const Pool& p : engine.cluster().pools()) {
    if (!p.partial.empty()) return true;
  }
  return false;
}

// Queued jobs in job index order, which is submit order (the engine's jobs are sorted by
// submit), at 4 bytes a job where a std::set node took 64 (issue 12). Arrivals append to a
// vector (erased ones marked as ~job, which keeps the order for a binary search), the few jobs
// that come back behind the last arrival (failures, preemptions) go to a std::set, and a walk
// merges the two. Marks are dropped at the front as they come, from a walked stretch that held
// more marks than jobs, and everywhere once they outnumber the jobs.
class SubmitOrderQueue {
 public:
  void Insert(JobIdx j) {
    if (head_ == arrivals_.size() || j > last_) {
      arrivals_.push_back(j);
      last_ = j;
    } else {
      late_.insert(j);
    }
    ++size_;
  }
  // REQUIRES: j is queued.
  void Erase(JobIdx j) {
    --size_;
    if (!late_.empty() && late_.erase(j) > 0) return;
    const auto it =
        std::lower_bound(arrivals_.begin() + static_cast<std::ptrdiff_t>(head_), arrivals_.end(), j,
                         [](JobIdx a, JobIdx b) { return Unmarked(a) < b; });
    *it = ~j;
    ++num_marked_;
    Tidy(head_);
  }
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The queued jobs in order. Erase() the current job through the walk; a job inserted during
  // the walk is met if it comes after the current one (as a std::set's iterator would).
  // `prefetch`(job) is called for the arrival a few ahead (the walk reads it soon).
  class Walk {
   public:
    explicit Walk(SubmitOrderQueue& q) : q_(q), a_(q.head_), l_(q.late_.begin()) { Settle(); }
    ~Walk() { q_.Tidy(a_); }
    Walk(const Walk&) = delete;
    Walk& operator=(const Walk&) = delete;
    bool done() const { return done_; }
    JobIdx job() const { return job_; }
    // Arrivals a few ahead of the current one (or -1), for a prefetch.
    JobIdx ahead(size_t k) const {
      const size_t i = a_ + k;
      return i < q_.arrivals_.size() ? Unmarked(q_.arrivals_[i]) : -1;
    }
    void Next() { Advance(false); }
    void EraseAndNext() { Advance(true); }

   private:
    void Advance(bool erase) {
      if (from_late_) {
        l_ = erase ? q_.late_.erase(l_) : std::next(l_);
      } else {
        if (erase) {
          q_.arrivals_[a_] = ~job_;
          ++q_.num_marked_;
        }
        ++a_;
        if (!q_.late_.empty()) l_ = q_.late_.upper_bound(job_);
      }
      if (erase) --q_.size_;
      Settle();
    }
    void Settle() {
      while (a_ < q_.arrivals_.size() && q_.arrivals_[a_] < 0) {
        ++a_;
        ++skipped_;
      }
      from_late_ = l_ != q_.late_.end() && (a_ == q_.arrivals_.size() || *l_ < q_.arrivals_[a_]);
      done_ = !from_late_ && a_ == q_.arrivals_.size();
      if (!done_) job_ = from_late_ ? *l_ : q_.arrivals_[a_];
      if (skipped_ > 64 && skipped_ > 2 * (a_ - q_.head_ - skipped_)) q_.compact_to_ = a_;
    }

    SubmitOrderQueue& q_;
    size_t a_;
    std::set<JobIdx>::iterator l_;
    bool from_late_ = false, done_ = true;
    JobIdx job_ = -1;
    size_t skipped_ = 0;
  };

  // Empties the queue, returning its jobs in order.
  std::vector<JobIdx> Drain() {
    std::vector<JobIdx> out;
    out.reserve(static_cast<size_t>(size_));
    for (Walk w(*this); !w.done(); w.Next()) out.push_back(w.job());
    arrivals_.clear();
    late_.clear();
    head_ = 0;
    num_marked_ = 0;
    size_ = 0;
    last_ = -1;
    compact_to_ = 0;
    return out;
  }

 private:
  static JobIdx Unmarked(JobIdx v) { return v < 0 ? ~v : v; }
  // After a walk that reached `walked` (or an erase): drops marks as the comment above says.
  void Tidy(size_t walked) {
    while (head_ < arrivals_.size() && arrivals_[head_] < 0) {
      ++head_;
      --num_marked_;
    }
    if (head_ == arrivals_.size()) {
      arrivals_.clear();
      head_ = 0;
      num_marked_ = 0;
      last_ = -1;
      compact_to_ = 0;
      return;
    }
    const auto begin = arrivals_.begin() + static_cast<std::ptrdiff_t>(head_);
    const auto live = static_cast<int64_t>(arrivals_.size() - head_) - num_marked_;
    if (head_ + static_cast<size_t>(num_marked_) >= 4096 &&
        static_cast<int64_t>(head_) + num_marked_ >= live) {
      arrivals_.erase(std::remove_if(begin, arrivals_.end(), [](JobIdx v) { return v < 0; }),
                      arrivals_.end());
      arrivals_.erase(arrivals_.begin(), arrivals_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
      num_marked_ = 0;
    } else if (compact_to_ > head_ && compact_to_ <= walked) {
      // The walked stretch's jobs moved to its end, in order; what follows stays put.
      const auto end = arrivals_.begin() + static_cast<std::ptrdiff_t>(compact_to_);
      auto out = end;
      for (auto it = end; it != begin;) {
        --it;
        if (*it >= 0) *--out = *it;
      }
      const auto dropped = static_cast<int64_t>(out - begin);
      num_marked_ -= dropped;
      head_ += static_cast<size_t>(dropped);
    }
    compact_to_ = 0;
  }

  std::vector<JobIdx> arrivals_;  // ascending from head_; ~job: erased
  size_t head_ = 0;               // arrivals before it are all erased
  int64_t num_marked_ = 0;        // marks at or after head_
  JobIdx last_ = -1;              // the last arrival
  std::set<JobIdx> late_;         // back in the queue, before the last arrival
  int64_t size_ = 0;
  size_t compact_to_ = 0;  // a walk passed more marks than jobs up to here
};

// Queued jobs in ascending (key, job) order (fair share's per-tenant sets, issue 11), at 16
// bytes a job in sorted chunks of at most 2 x kChunk entries, where a std::set node took 64: a
// walk reads the entries in sequence, so the jobs a few ahead are known for a prefetch, and an
// insert moves at most a chunk. Erase marks the entry (~job, its key kept, so searches still
// work) and leaves every Pos valid; Tidy() drops marks and moves entries, so call it only while
// no Pos is held. At most one entry (marked or not) per (key, job): an insert revives its mark.
class KeyOrderQueue {
 public:
  struct Entry {
    double key;
    JobIdx job;  // ~job: erased
  };
  struct Pos {
    size_t chunk = 0, i = 0;
  };

  void Insert(double key, JobIdx j) {
    const Entry e{key, j};
    if (chunks_.empty()) {
      chunks_.emplace_back();
      last_.emplace_back();
    }
    const size_t c = ChunkFor(e);
    Chunk& ch = chunks_[c];
    const auto it = std::upper_bound(ch.e.begin(), ch.e.end(), e, Less);
    ++size_;
    if (it != ch.e.begin() && !Less(*(it - 1), e)) {  // its mark
      GPUPLAN_CHECK((it - 1)->job < 0) << "KeyOrderQueue: job " << j << " inserted twice";
      (it - 1)->job = j;
      --ch.marks;
      --marks_;
      return;
    }
    ch.e.insert(it, e);
    if (ch.e.size() > 2 * kChunk) {
      Chunk back;
      back.e.assign(ch.e.begin() + static_cast<std::ptrdiff_t>(kChunk), ch.e.end());
      ch.e.resize(kChunk);
      for (const Entry& x : back.e) back.marks += x.job < 0 ? 1 : 0;
      ch.marks -= back.marks;
      last_.insert(last_.begin() + static_cast<std::ptrdiff_t>(c) + 1, back.e.back());
      chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(back));
    }
    last_[c] = chunks_[c].e.back();
  }
  // Marks (key, j); false if it is not queued.
  bool Erase(double key, JobIdx j) {
    if (chunks_.empty()) return false;
    const Entry e{key, j};
    Chunk& ch = chunks_[ChunkFor(e)];
    const auto it = std::lower_bound(ch.e.begin(), ch.e.end(), e, Less);
    if (it == ch.e.end() || it->job != j || it->key != key) return false;
    it->job = ~j;
    ++ch.marks;
    ++marks_;
    --size_;
    return true;
  }
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    chunks_.clear();
    last_.clear();
    size_ = 0;
    marks_ = 0;
  }

  // The first queued entry, the one after p; End(p) past the last.
  Pos First() const { return Settle(Pos{}); }
  Pos Next(Pos p) const {
    ++p.i;
    return Settle(p);
  }
  bool End(Pos p) const { return p.chunk == chunks_.size(); }
  double Key(Pos p) const { return chunks_[p.chunk].e[p.i].key; }
  JobIdx Job(Pos p) const { return chunks_[p.chunk].e[p.i].job; }
  // The job k entries after p (erased or not), or -1: for a prefetch.
  JobIdx Ahead(Pos p, size_t k) const {
    size_t i = p.i + k;
    for (size_t c = p.chunk; c < chunks_.size(); ++c) {
      if (i < chunks_[c].e.size()) return Unmarked(chunks_[c].e[i].job);
      i -= chunks_[c].e.size();
    }
    return -1;
  }
  // The first queued entry for which after(key, job) holds, for an `after` false then true
  // along the order (marked entries keep their keys, so the searches read them too).
  template <typename After>
  Pos FirstWhere(After after) const {
    if (chunks_.empty()) return Pos{};
    size_t lo = 0, hi = chunks_.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (after(last_[mid].key, Unmarked(last_[mid].job))) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    const std::vector<Entry>& v = chunks_[lo].e;
    const auto it = std::partition_point(
        v.begin(), v.end(), [&](const Entry& x) { return !after(x.key, Unmarked(x.job)); });
    return Settle(Pos{lo, static_cast<size_t>(it - v.begin())});
  }
  // f(key, job) for the queued entries in order.
  template <typename F>
  void ForEach(F f) const {
    for (const Chunk& ch : chunks_) {
      for (const Entry& e : ch.e) {
        if (e.job >= 0) f(e.key, e.job);
      }
    }
  }

  // Drops the marks of chunks more than a quarter marked, and the chunks left empty (a walk
  // then passes over few marks). Not every mark: a pass marks the first chunk's jobs it starts,
  // and moving the chunk after each pass cost more than walking past them.
  void Tidy() {
    if (marks_ == 0) return;
    size_t out = 0;
    for (size_t c = 0; c < chunks_.size(); ++c) {
      Chunk& ch = chunks_[c];
      const bool drop = 4 * ch.marks > ch.e.size();
      if (drop) {
        ch.e.erase(
            std::remove_if(ch.e.begin(), ch.e.end(), [](const Entry& x) { return x.job < 0; }),
            ch.e.end());
        marks_ -= ch.marks;
        ch.marks = 0;
      }
      if (ch.e.empty()) continue;
      if (out != c) chunks_[out] = std::move(ch);
      if (drop || out != c) last_[out] = chunks_[out].e.back();
      ++out;
    }
    chunks_.resize(out);
    last_.resize(out);
  }

 private:
  static constexpr size_t kChunk = 256;
  struct Chunk {
    std::vector<Entry> e;  // ascending by Less; never empty after Tidy() or Insert()
    size_t marks = 0;
  };
  static JobIdx Unmarked(JobIdx v) { return v < 0 ? ~v : v; }
  static bool Less(const Entry& a, const Entry& b) {
    if (a.key != b.key) return a.key < b.key;
    return Unmarked(a.job) < Unmarked(b.job);
  }
  // The first chunk whose last entry is not before e (where e is, or goes), else the last.
  size_t ChunkFor(const Entry& e) const {
    size_t lo = 0, hi = chunks_.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (Less(last_[mid], e)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  Pos Settle(Pos p) const {
    while (p.chunk < chunks_.size()) {
      const std::vector<Entry>& v = chunks_[p.chunk].e;
      while (p.i < v.size() && v[p.i].job < 0) ++p.i;
      if (p.i < v.size()) break;
      ++p.chunk;
      p.i = 0;
    }
    return p;
  }

  std::vector<Chunk> chunks_;
  std::vector<Entry> last_;  // by chunk: its last entry (ChunkFor's search reads no chunk)
  int64_t size_ = 0;         // entries not marked
  int64_t marks_ = 0;        // marked
};

// Empties the queue, returning its jobs in queue order.
template <typename Queue, typename JobOf>
std::vector<JobIdx> DrainInOrder(Queue& queue, JobOf job_of) {
  std::vector<JobIdx> out;
  out.reserve(queue.size());
  for (const auto& e : queue) out.push_back(job_of(e));
  queue.clear();
  return out;
}

}  // namespace gpuplan::sim::detail
