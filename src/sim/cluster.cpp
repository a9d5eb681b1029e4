// Cluster state and placement. Pools are ordered fastest first (stable in spec order), and a job
// tries its allowed pools in that order. Within a pool:
//  - pack: a job of g <= gpus_per_node GPUs goes to a node with the fewest free GPUs >= g (best
//    fit, fewest fragmented nodes); spread: the node with the most free GPUs.
//  - a job of g > gpus_per_node GPUs (gang, all or nothing) takes floor(g / n) whole free nodes
//    and puts the remainder on one more node chosen as above: consolidated, never scattered.
//  - a fractional job (milli < 1000) shares a GPU: pack picks the shared GPU with the least
//    free share that still fits, else opens a whole GPU; spread opens a whole GPU on the
//    emptiest node first.
#include "sim/cluster.h"

#include <algorithm>
#include <map>

namespace gpuplan::sim::detail {

Cluster::Cluster(const ClusterSpec& spec, Placement placement) : placement_(placement) {
  // Pools by (accelerator, gpus_per_node), fastest first, spec order on ties.
  std::vector<std::pair<std::string, int>> keys;
  std::vector<double> speeds;
  for (const NodeGroup& g : spec.groups) {
    const std::pair<std::string, int> key{g.accelerator, g.gpus_per_node};
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(key);
      speeds.push_back(g.relative_speed);
    }
  }
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return speeds[a] > speeds[b]; });
  std::map<std::pair<std::string, int>, int32_t> pool_of;
  for (size_t i : order) {
    pool_of[keys[i]] = static_cast<int32_t>(pools_.size());
    Pool p;
    p.accelerator = keys[i].first;
    p.gpus_per_node = keys[i].second;
    p.speed = speeds[i];
    p.buckets.resize(static_cast<size_t>(p.gpus_per_node) + 1);
    pools_.push_back(std::move(p));
  }
  group_nodes_.resize(spec.groups.size());
  for (size_t g = 0; g < spec.groups.size(); ++g) {
    const NodeGroup& group = spec.groups[g];
    const int32_t p = pool_of[{group.accelerator, group.gpus_per_node}];
    for (int i = 0; i < group.num_nodes; ++i) {
      const auto n = static_cast<int32_t>(nodes_.size());
      nodes_.push_back(Node{.pool = p,
                            .group = static_cast<int32_t>(g),
                            .gpus = group.gpus_per_node,
                            .free_gpus = group.gpus_per_node});
      pools_[static_cast<size_t>(p)].nodes.push_back(n);
      group_nodes_[g].push_back(n);
    }
  }
}

void Cluster::BucketRemove(int32_t n) {
  Node& node = nodes_[static_cast<size_t>(n)];
  auto& bucket =
      pools_[static_cast<size_t>(node.pool)].buckets[static_cast<size_t>(node.free_gpus)];
  const auto pos = static_cast<size_t>(node.bucket_pos);
  const int32_t last = bucket.back();
  bucket[pos] = last;
  nodes_[static_cast<size_t>(last)].bucket_pos = static_cast<int32_t>(pos);
  bucket.pop_back();
  node.bucket_pos = -1;
}

void Cluster::BucketAdd(int32_t n) {
  Node& node = nodes_[static_cast<size_t>(n)];
  auto& bucket =
      pools_[static_cast<size_t>(node.pool)].buckets[static_cast<size_t>(node.free_gpus)];
  node.bucket_pos = static_cast<int32_t>(bucket.size());
  bucket.push_back(n);
}

int32_t Cluster::FindNode(const Pool& pool, int32_t gpus, int32_t min_full_left) const {
  // min_full_left: nodes of bucket[gpus_per_node] reserved for a gang's whole nodes.
  const int32_t n = pool.gpus_per_node;
  auto usable = [&](int32_t k) {
    const auto size = static_cast<int32_t>(pool.buckets[static_cast<size_t>(k)].size());
    return size > (k == n ? min_full_left : 0);
  };
  if (placement_ == Placement::kPack) {
    for (int32_t k = gpus; k <= n; ++k) {
      if (usable(k)) return pool.buckets[static_cast<size_t>(k)].back();
    }
  } else {
    for (int32_t k = n; k >= gpus; --k) {
      if (usable(k)) return pool.buckets[static_cast<size_t>(k)].back();
    }
  }
  return -1;
}

bool Cluster::CanPlace(int32_t p, int32_t gpus, int32_t milli) const {
  const Pool& pool = pools_[static_cast<size_t>(p)];
  if (milli < trace::kWholeGpuMilli) {
    if (gpus == 1) {
      if (pool.free_gpus > 0) return true;
      return !pool.partial.empty() && std::get<0>(*pool.partial.rbegin()) >= milli;
    }
    // `gpus` shares of `milli` each (instances of one job): the shares that fit on free GPUs
    // and on the shared GPUs with room, most room first (each slot counted holds one or more).
    int64_t room = pool.free_gpus * (trace::kWholeGpuMilli / milli);
    for (auto it = pool.partial.rbegin(); it != pool.partial.rend() && room < gpus; ++it) {
      if (std::get<0>(*it) < milli) break;
      room += std::get<0>(*it) / milli;
    }
    return room >= gpus;
  }
  if (gpus > pool.free_gpus) return false;
  const int32_t n = pool.gpus_per_node;
  if (gpus <= n) return FindNode(pool, gpus, 0) >= 0;
  const int32_t full = gpus / n, rem = gpus % n;
  if (static_cast<int32_t>(pool.buckets[static_cast<size_t>(n)].size()) < full) return false;
  return rem == 0 || FindNode(pool, rem, full) >= 0;
}

void Cluster::TakeWhole(int32_t n, int32_t gpus) {
  BucketRemove(n);
  Node& node = nodes_[static_cast<size_t>(n)];
  node.free_gpus -= gpus;
  pools_[static_cast<size_t>(node.pool)].free_gpus -= gpus;
  BucketAdd(n);
}

void Cluster::PlaceShare(Pool& pool, int32_t milli, std::vector<Piece>& pieces) {
  auto it = pool.partial.end();
  if (placement_ == Placement::kPack) {
    it = pool.partial.lower_bound({milli, -1, -1});
  } else if (pool.free_gpus == 0) {
    it = std::prev(pool.partial.end());  // CanPlace saw it fits
  }
  if (it != pool.partial.end()) {
    const auto [free, n, slot] = *it;
    pool.partial.erase(it);
    nodes_[static_cast<size_t>(n)].slot_free_milli[static_cast<size_t>(slot)] = free - milli;
    if (free - milli > 0) pool.partial.insert({free - milli, n, slot});
    pieces.push_back(Piece{.node = n, .gpus = 0, .slot = slot, .milli = milli});
    return;
  }
  const int32_t n = FindNode(pool, 1, 0);
  TakeWhole(n, 1);
  Node& node = nodes_[static_cast<size_t>(n)];
  auto unused = std::find(node.slot_free_milli.begin(), node.slot_free_milli.end(), -1);
  if (unused == node.slot_free_milli.end()) {
    node.slot_free_milli.push_back(-1);
    unused = std::prev(node.slot_free_milli.end());
  }
  const auto slot = static_cast<int32_t>(unused - node.slot_free_milli.begin());
  *unused = trace::kWholeGpuMilli - milli;
  if (*unused > 0) pool.partial.insert({*unused, n, slot});
  pieces.push_back(Piece{.node = n, .gpus = 0, .slot = slot, .milli = milli});
}

bool Cluster::Place(int32_t p, int32_t gpus, int32_t milli, std::vector<Piece>& pieces) {
  if (!CanPlace(p, gpus, milli)) return false;
  Pool& pool = pools_[static_cast<size_t>(p)];
  pieces.clear();
  if (milli < trace::kWholeGpuMilli) {
    for (int32_t i = 0; i < gpus; ++i) PlaceShare(pool, milli, pieces);
    return true;
  }
  const int32_t per_node = pool.gpus_per_node;
  if (gpus <= per_node) {
    const int32_t n = FindNode(pool, gpus, 0);
    TakeWhole(n, gpus);
    pieces.push_back(Piece{.node = n, .gpus = gpus});
    return true;
  }
  const int32_t full = gpus / per_node, rem = gpus % per_node;
  for (int32_t i = 0; i < full; ++i) {
    const int32_t n = pool.buckets[static_cast<size_t>(per_node)].back();
    TakeWhole(n, per_node);
    pieces.push_back(Piece{.node = n, .gpus = per_node});
  }
  if (rem > 0) {
    const int32_t n = FindNode(pool, rem, 0);
    TakeWhole(n, rem);
    pieces.push_back(Piece{.node = n, .gpus = rem});
  }
  return true;
}

void Cluster::Release(const std::vector<Piece>& pieces) {
  for (const Piece& piece : pieces) {
    Node& node = nodes_[static_cast<size_t>(piece.node)];
    Pool& pool = pools_[static_cast<size_t>(node.pool)];
    if (piece.slot >= 0) {
      int32_t& free = node.slot_free_milli[static_cast<size_t>(piece.slot)];
      if (free > 0) pool.partial.erase({free, piece.node, piece.slot});
      free += piece.milli;
      if (free < trace::kWholeGpuMilli) {
        pool.partial.insert({free, piece.node, piece.slot});
        continue;
      }
      free = -1;
      BucketRemove(piece.node);
      node.free_gpus += 1;
      pool.free_gpus += 1;
      BucketAdd(piece.node);
      continue;
    }
    BucketRemove(piece.node);
    node.free_gpus += piece.gpus;
    pool.free_gpus += piece.gpus;
    BucketAdd(piece.node);
  }
}

void Cluster::SetInstalled(int32_t n, bool installed) {
  SetState(n, installed, nodes_[static_cast<size_t>(n)].is_up);
}

void Cluster::SetUp(int32_t n, bool up) {
  SetState(n, nodes_[static_cast<size_t>(n)].is_installed, up);
}

void Cluster::SetState(int32_t n, bool installed, bool up) {
  Node& node = nodes_[static_cast<size_t>(n)];
  if (node.is_installed == installed && node.is_up == up) return;
  GPUPLAN_CHECK(node.jobs.empty() && node.free_gpus == node.gpus) << "node " << n << " busy";
  Pool& pool = pools_[static_cast<size_t>(node.pool)];
  const bool was_available = IsAvailable(n);
  if (node.is_installed != installed) pool.installed_gpus += installed ? node.gpus : -node.gpus;
  node.is_installed = installed;
  node.is_up = up;
  const bool available = IsAvailable(n);
  if (was_available == available) return;
  if (available) {
    BucketAdd(n);
  } else {
    BucketRemove(n);
  }
  const int32_t delta = available ? node.gpus : -node.gpus;
  pool.free_gpus += delta;
  pool.up_gpus += delta;
}

int64_t Cluster::installed_gpus() const {
  int64_t s = 0;
  for (const Pool& p : pools_) s += p.installed_gpus;
  return s;
}

int64_t Cluster::up_gpus() const {
  int64_t s = 0;
  for (const Pool& p : pools_) s += p.up_gpus;
  return s;
}

void Cluster::CheckInvariants() const {
  for (size_t p = 0; p < pools_.size(); ++p) {
    const Pool& pool = pools_[p];
    int64_t free = 0, up = 0, installed = 0;
    size_t num_partial = 0;
    for (int32_t n : pool.nodes) {
      const Node& node = nodes_[static_cast<size_t>(n)];
      GPUPLAN_CHECK(node.free_gpus >= 0 && node.free_gpus <= node.gpus)
          << "node " << n << " has " << node.free_gpus << " free of " << node.gpus;
      int32_t used_slots = 0;
      for (size_t s = 0; s < node.slot_free_milli.size(); ++s) {
        const int32_t f = node.slot_free_milli[s];
        if (f < 0) continue;
        ++used_slots;
        GPUPLAN_CHECK(f < trace::kWholeGpuMilli) << "shared GPU over-allocated on node " << n;
        if (f > 0) {
          GPUPLAN_CHECK(pool.partial.count({f, n, static_cast<int32_t>(s)}) == 1)
              << "shared GPU missing from the index";
          ++num_partial;
        }
      }
      GPUPLAN_CHECK(node.free_gpus + used_slots <= node.gpus) << "node " << n << " over-allocated";
      if (node.is_installed) installed += node.gpus;
      if (IsAvailable(n)) {
        free += node.free_gpus;
        up += node.gpus;
        const auto& bucket = pool.buckets[static_cast<size_t>(node.free_gpus)];
        GPUPLAN_CHECK(node.bucket_pos >= 0 && bucket[static_cast<size_t>(node.bucket_pos)] == n)
            << "node " << n << " not in its bucket";
      } else {
        GPUPLAN_CHECK(node.bucket_pos == -1 && node.jobs.empty())
            << "unavailable node " << n << " in a bucket or running jobs";
      }
    }
    GPUPLAN_CHECK(free == pool.free_gpus && up == pool.up_gpus && installed == pool.installed_gpus)
        << "pool " << p << " counters disagree with its nodes";
    GPUPLAN_CHECK(num_partial == pool.partial.size()) << "pool " << p << " shared-GPU index stale";
  }
}

}  // namespace gpuplan::sim::detail
