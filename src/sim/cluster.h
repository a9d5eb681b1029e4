// Internals of sim: the cluster's state and its free-GPU indexes. Nodes are grouped in pools of
// one accelerator type and one node size. Each pool keeps its installed, up nodes in buckets by
// number of free whole GPUs, so a placement looks at gpus_per_node buckets, never at all nodes,
// and an ordered set of partially shared GPUs for fractional jobs (openb's gpu_milli).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sim/sim.h"

namespace gpuplan::sim::detail {

// A piece of a job's allocation: `gpus` whole GPUs on `node`, or (slot >= 0) `milli` of the
// shared GPU `slot` of that node.
struct Piece {
  int32_t node = 0;
  int32_t gpus = 0;
  int32_t slot = -1;
  int32_t milli = 0;
};

struct Pool {
  std::string accelerator;
  int gpus_per_node = 8;
  double speed = 1;
  std::vector<int32_t> nodes;                 // all nodes of the pool
  std::vector<std::vector<int32_t>> buckets;  // [k]: up nodes with exactly k free whole GPUs
  std::set<std::tuple<int32_t, int32_t, int32_t>> partial;  // (free milli, node, slot)
  int64_t free_gpus = 0;                                    // whole free GPUs on up nodes
  int64_t up_gpus = 0;                                      // installed and up
  int64_t installed_gpus = 0;
};

struct Node {
  int32_t pool = 0;
  int32_t group = 0;
  int32_t gpus = 0;
  int32_t free_gpus = 0;    // whole GPUs with nothing on them
  int32_t bucket_pos = -1;  // position in its pool's bucket; -1: not in one (down)
  bool is_installed = false;
  bool is_up = true;                          // not under repair
  std::vector<int32_t> slot_free_milli = {};  // shared GPUs; -1: slot unused
  std::vector<int32_t> jobs = {};             // running jobs with a piece here
};

class Cluster {
 public:
  Cluster(const ClusterSpec& spec, Placement placement);

  const std::vector<Pool>& pools() const { return pools_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  Node& node(int32_t n) { return nodes_[static_cast<size_t>(n)]; }
  const Pool& pool(int32_t p) const { return pools_[static_cast<size_t>(p)]; }
  // Nodes of spec group g.
  const std::vector<int32_t>& group_nodes(int32_t g) const {
    return group_nodes_[static_cast<size_t>(g)];
  }

  // Whether `gpus` x `milli` fit on pool p now, and placing them (milli < 1000: `gpus` shares of
  // one GPU each, on any nodes). Place returns false and
  // changes nothing if they do not fit.
  bool CanPlace(int32_t p, int32_t gpus, int32_t milli) const;
  bool Place(int32_t p, int32_t gpus, int32_t milli, std::vector<Piece>& pieces);
  void Release(const std::vector<Piece>& pieces);

  // Node availability. REQUIRES: no job on the node when it leaves (the caller kills them).
  void SetInstalled(int32_t n, bool installed);
  void SetUp(int32_t n, bool up);
  bool IsAvailable(int32_t n) const {
    return nodes_[static_cast<size_t>(n)].is_installed && nodes_[static_cast<size_t>(n)].is_up;
  }

  int64_t installed_gpus() const;
  int64_t up_gpus() const;
  // Aborts if an index disagrees with the nodes (tests run this after every pass).
  void CheckInvariants() const;

 private:
  void SetState(int32_t n, bool installed, bool up);
  void BucketRemove(int32_t n);
  void BucketAdd(int32_t n);
  int32_t FindNode(const Pool& pool, int32_t gpus, int32_t exclude_full) const;
  void TakeWhole(int32_t n, int32_t gpus);
  void PlaceShare(Pool& pool, int32_t milli, std::vector<Piece>& pieces);  // REQUIRES: fits

  Placement placement_;
  std::vector<Pool> pools_;
  std::vector<Node> nodes_;
  std::vector<std::vector<int32_t>> group_nodes_;
};

}  // namespace gpuplan::sim::detail
